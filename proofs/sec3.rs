//! §3–§4.1 prose claims.
//!
//! * Eq. 1 ≡ Eq. 5 and γ = 1 ⇒ cross-entropy: identities (holds).
//! * mean γ = c̄ (Eq. 1): identity (holds).
//! * "ℓ_γ,ce grows monotonically with γ" (§4.2, App. A Disc. 1): **false** — a misclassified
//!   sample's loss decreases in γ; corrected: increasing on correctly classified samples.
//! * "E‖φ(x⁺) − φ(x)‖² = 2‖ŝ_k‖²" (§3): **typo** for distinct pairs (factor n/(n−1)).
//! * 0-1 ≤ ℓ_γ and ℓ_γ ∈ [0, 1] (Def. 1, Fig. 2): holds, attained.

mod common;
use common::*;
use mr2_core::claims::Verdict;
use mr2_core::theory::{gamma, margin, moments};
use mr2_core::tolerance::{le, ROUNDING};
use ndarray::array;
use proptest::prelude::*;

#[test]
fn eq1_equals_eq5() {
    check_claim("eq1-equals-eq5", Verdict::Holds);
}

#[test]
fn gamma_one_is_ce() {
    check_claim("gamma-one-is-ce", Verdict::Holds);
}

#[test]
fn gamma_mean_is_cbar() {
    check_claim("gamma-mean-is-cbar", Verdict::Holds);
}

#[test]
fn lce_monotone_in_gamma_is_false() {
    check_claim("lce-monotone-in-gamma", Verdict::False);
    // Hand-built: a misclassified sample (z_y = 0 < z_1 = 2): the loss falls as γ grows.
    let z = [0.0, 2.0, -1.0];
    let (small, large) = (
        margin::gamma_ce_pairwise(&z, 0, 0.5),
        margin::gamma_ce_pairwise(&z, 0, 2.0),
    );
    assert!(
        small > large,
        "printed monotonicity violated: ℓ(γ=0.5) = {small} > ℓ(γ=2) = {large}"
    );
    // Corrected: on a correctly classified sample it increases.
    let z = [2.0, 0.0, -1.0];
    assert!(margin::gamma_ce_pairwise(&z, 0, 0.5) < margin::gamma_ce_pairwise(&z, 0, 2.0));
    // And every loss tends to ln K as γ → ∞.
    assert!((margin::gamma_ce_pairwise(&z, 0, 1e9) - 3f64.ln()).abs() < 1e-8);
}

#[test]
fn pairwise_remark_is_typo() {
    check_claim("pairwise-distance-remark", Verdict::Typo);
    // n = 2 points at distance 1: ‖ŝ‖² = 1/4, the only distinct pair has squared distance 1.
    let p = array![[0.0], [1.0]];
    let printed = 2.0 * moments::msd(p.view());
    let distinct = moments::mean_pairwise_sq_dist_distinct(p.view()).unwrap();
    assert!(
        (distinct - printed).abs() > 0.4,
        "printed 2‖ŝ‖² = {printed} vs distinct-pair mean {distinct}"
    );
    assert_eq_tol(
        distinct,
        2.0 * 2.0 / 1.0 * moments::msd(p.view()),
        "corrected 2n/(n−1)‖ŝ‖²",
    );
}

#[test]
fn zero_one_le_margin_loss() {
    check_claim("zero-one-le-margin-loss", Verdict::Holds);
}

#[test]
fn margin_loss_range() {
    check_claim("margin-loss-range", Verdict::Holds);
}

#[test]
fn gamma_rejects_bad_hyper_parameters() {
    // Just inside and just outside each hypothesis boundary.
    assert!(gamma::optimal_gamma(&[1.0, 2.0], f64::MIN_POSITIVE).is_ok());
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let e = gamma::optimal_gamma(&[1.0, 2.0], bad)
            .unwrap_err()
            .to_string();
        assert!(e.contains("c_bar"), "error must name c_bar: {e}");
    }
    let e = gamma::optimal_gamma(&[1.0, 0.0], 1.0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("alpha"), "{e}");
    assert!(gamma::optimal_gamma(&[], 1.0).is_err());
}

proptest! {
    #![proptest_config(proptest_config("../proofs/proptest-regressions/sec3.txt"))]

    /// Eq. 1 ≡ Eq. 5 on moderate logits and any γ in [0.05, 20].
    #[test]
    fn prop_eq1_eq5(z in prop::collection::vec(-20.0f64..20.0, 2..8), g in 0.05f64..20.0, y in 0usize..8) {
        let y = y % z.len();
        let a = margin::gamma_ce_softmax(&z, y, g);
        let b = margin::gamma_ce_pairwise(&z, y, g);
        let scale = 1.0 + z.iter().fold(0.0f64, |m, v| m.max(v.abs())) / g;
        prop_assert!((a - b).abs() <= ROUNDING * scale, "{a} vs {b}");
    }

    /// γ has mean c̄ and is ordered like α (larger spread, larger margin).
    #[test]
    fn prop_gamma_mean_and_order(alpha in prop::collection::vec(1e-3f64..1e3, 1..12), c in 0.01f64..10.0) {
        let g = gamma::optimal_gamma(&alpha, c).unwrap();
        let mean = g.iter().sum::<f64>() / g.len() as f64;
        prop_assert!((mean - c).abs() <= ROUNDING * c);
        for i in 0..alpha.len() {
            for j in 0..alpha.len() {
                if alpha[i] < alpha[j] { prop_assert!(g[i] < g[j]); }
            }
        }
    }

    /// Correctly classified samples: ℓ_γ,ce increases in γ (the corrected statement).
    #[test]
    fn prop_monotone_when_correct(rest in prop::collection::vec(-10.0f64..10.0, 1..6), m in 1e-3f64..5.0, g1 in 0.05f64..5.0, r in 1.001f64..10.0) {
        let mut z = vec![rest.iter().cloned().fold(f64::NEG_INFINITY, f64::max) + m];
        z.extend(rest);
        prop_assert!(le(margin::gamma_ce_pairwise(&z, 0, g1), margin::gamma_ce_pairwise(&z, 0, g1 * r)));
    }
}
