//! Lemma 3 (Eq. 58) and B.5: Lemma 4, derivatives, Eq. 57, Eq. 60–64 — all hold; Lemma 4 and
//! Lemma 3 are attained (margin 0), so the factor 1/ln 2 cannot be reduced.

mod common;
use common::*;
use mr2_core::claims::Verdict;
use mr2_core::theory::margin::{gamma_ce_pairwise, gamma_margin_loss, lemma4_rhs, ramp};
use mr2_core::tolerance::le;
use proptest::prelude::*;

#[test]
fn lemma4() {
    check_claim("lemma4", Verdict::Holds);
    assert_eq_tol(ramp(0.0, 0.7), lemma4_rhs(0.0, 0.7), "equality at u = 0");
}

#[test]
fn derivatives() {
    check_claim("lemma4-derivatives", Verdict::Holds);
}

#[test]
fn h_prime() {
    check_claim("eq57-h-prime", Verdict::Holds);
}

#[test]
fn h_prime_positive() {
    check_claim("eq57-h-prime-positive", Verdict::Holds);
}

#[test]
fn lse_ge_max() {
    check_claim("eq60-lse-ge-max", Verdict::Holds);
}

#[test]
fn lemma3() {
    check_claim("lemma3", Verdict::Holds);
    // K = 2, margin 0: ℓ_γ = 1 and ℓ_γ,ce = ln 2, so equality.
    let z = [1.0, 1.0];
    assert_eq_tol(
        gamma_margin_loss(&z, 0, 0.3),
        gamma_ce_pairwise(&z, 0, 0.3) / std::f64::consts::LN_2,
        "Lemma 3 attained",
    );
}

proptest! {
    #![proptest_config(proptest_config("../proofs/proptest-regressions/lemma3.txt"))]

    /// Lemma 4 pointwise and Lemma 3 per sample, any logits and margins.
    #[test]
    fn prop_lemma4_and_3(z in prop::collection::vec(-30.0f64..30.0, 2..8), y in 0usize..8, g in 1e-3f64..100.0, u in -1e3f64..1e3) {
        prop_assert!(le(ramp(u, g), lemma4_rhs(u, g)));
        let y = y % z.len();
        prop_assert!(le(gamma_margin_loss(&z, y, g), gamma_ce_pairwise(&z, y, g) / std::f64::consts::LN_2));
    }
}
