//! B.1 (ℓ_s̄ relaxes ℓ̂_s̄, Eq. 18–21) and B.2 (pairwise distance vs mean squared deviation,
//! Eq. 22–24): all hold; the relaxation gap is at most ln(m+1) and attained.

mod common;
use common::*;
use mr2_core::claims::Verdict;
use mr2_core::theory::{lse, moments};
use mr2_core::tolerance::{le, IDENTITY};
use ndarray::Array2;
use proptest::prelude::*;

#[test]
fn hinge_le_lse() {
    check_claim("b1-hinge-le-lse", Verdict::Holds);
}

#[test]
fn relaxation_gap() {
    check_claim("b1-relaxation-gap", Verdict::Holds);
    // All distances equal 2s̄: ℓ_s̄ = ln(m+1), ℓ̂_s̄ = 0.
    let d = [2.0; 4];
    assert_eq_tol(
        lse::rep_margin_loss(&d, 1.0) - lse::rep_margin_hinge(&d, 1.0),
        5f64.ln(),
        "gap at z = 0",
    );
}

#[test]
fn population_identity() {
    check_claim("b2-population", Verdict::Holds);
}

#[test]
fn cross_term_vanishes() {
    check_claim("b2-cross-term", Verdict::Holds);
}

#[test]
fn finite_sample_identity() {
    check_claim("b2-finite-sample", Verdict::Holds);
}

#[test]
fn degenerate_batches() {
    // No positives: ℓ_s̄ = ln 1 = 0 (a class with one sample in the batch).
    assert_eq!(lse::rep_margin_loss(&[], 3.0).to_bits(), 0f64.to_bits());
    // Singleton classes and all-zero features give finite, zero losses.
    let f = vec![vec![0.0; 3]; 4];
    let l = lse::rep_margin_losses(&f, &[0, 1, 2, 3], 0.0);
    assert!(l.iter().all(|v| *v == 0.0));
    // Large distances do not overflow.
    assert!(lse::rep_margin_loss(&[1e6, 2e6], 0.0).is_finite());
    // Distinct-pair mean needs two points.
    assert!(moments::mean_pairwise_sq_dist_distinct(Array2::<f64>::zeros((1, 2)).view()).is_err());
}

proptest! {
    #![proptest_config(proptest_config("../proofs/proptest-regressions/b1_b2.txt"))]

    /// ℓ̂ ≤ ℓ ≤ ℓ̂ + ln(m+1) for any squared distances and s̄ ≥ 0.
    #[test]
    fn prop_relaxation_sandwich(d in prop::collection::vec(0.0f64..50.0, 0..10), s in 0.0f64..20.0) {
        let l = lse::rep_margin_loss(&d, s);
        let h = lse::rep_margin_hinge(&d, s);
        prop_assert!(le(h, l));
        prop_assert!(le(l, h + ((d.len() + 1) as f64).ln()));
    }

    /// V-statistic identity and U-statistic factor n/(n−1), for any point set.
    #[test]
    fn prop_pairwise_identities(pts in prop::collection::vec(prop::collection::vec(-10.0f64..10.0, 3), 2..8)) {
        let n = pts.len();
        let a = Array2::from_shape_vec((n, 3), pts.concat()).unwrap();
        let s = moments::msd(a.view());
        let v = moments::mean_pairwise_sq_dist_all(a.view()).unwrap();
        let u = moments::mean_pairwise_sq_dist_distinct(a.view()).unwrap();
        prop_assert!(IDENTITY.close(v, 2.0 * s), "{v} vs {}", 2.0 * s);
        prop_assert!(IDENTITY.close(u, 2.0 * n as f64 / (n as f64 - 1.0) * s));
    }
}
