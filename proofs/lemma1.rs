//! Lemma 1 (Eq. 11/25) and its proof B.3 (Eq. 27–40).
//!
//! * Lemma 1, Eq. 27: **loose** — no violation in the Monte Carlo; the constant 4√(2K) can be 4.
//! * Eq. 32, Φ Lipschitz, Eq. 36–39: hold and are attained.
//! * Eq. 35: **typo** — the absolute value belongs inside the max.
//! * "Ψ_i is 2√K/γ-Lipschitz", Eq. 40: **loose** — the exact constant is √2/γ, independent of K.

mod common;
use common::*;
use mr2_core::claims::montecarlo::{self, McSize, Statement};
use mr2_core::claims::Verdict;
use mr2_core::search::Budget;
use mr2_core::theory::bounds::{confidence_term, lemma1_bound, Lemma1Constant};
use mr2_core::theory::contraction;
use mr2_core::theory::margin::margin;
use mr2_core::tolerance::{le, SUPREMUM};
use proptest::prelude::*;

#[test]
fn lemma1_is_loose() {
    let ev = check_claim("lemma1", Verdict::Loose);
    assert!(ev.observed <= 0.05);
}

#[test]
fn lemma1_monte_carlo_is_informative_and_can_fail() {
    // Where the claim is checked (N = 20 000) the printed bound is below 1 for the fitted
    // head on every training set: a wrong bound could be exceeded there.
    let run = montecarlo::run(Statement::Lemma1, McSize::for_budget(Budget::Quick), 41);
    assert_eq!(
        run.fitted_informative, run.trials,
        "max bound {}",
        run.max_bound
    );
    assert_eq!(run.violations, 0);
    // At N = 30 the same harness finds the invalid bound R(f) ≤ R̂_D(f) false, while the
    // printed bound (vacuous there) is not.
    recount(&run);
    let small = montecarlo::run(Statement::Lemma1, McSize::small(), 43);
    recount(&small);
    small_run_fails_only_the_invalid_bound(&small, Statement::Lemma1);
    assert!(
        small.invalid_violations > small.trials / 2,
        "{}",
        small.invalid_violations
    );
    // The tighter form is stated with the bound's evidence, not with the invalid bound's.
    assert!(montecarlo::evidence(&small, Statement::Lemma1, false)
        .corrected
        .is_some_and(|c| c.contains("4·R̂^γ_D(F)")));
    assert!(montecarlo::evidence(&small, Statement::Lemma1, true)
        .corrected
        .is_none());
}

#[test]
fn eq27_is_loose() {
    check_claim("eq27-uniform-deviation", Verdict::Loose);
}

#[test]
fn eq27_monte_carlo_is_informative_and_can_fail() {
    let run = montecarlo::run_eq27(Budget::Quick, 400, 42);
    // Each gap sup_g (E g − Ê g) is a deviation of means of [0, 1]-valued functions, and at
    // N = 400 a deviation above 0.25 for any of the 24 functions has probability
    // ≤ 24·e^{−2·400·0.25²} < 10⁻²⁰ (Hoeffding).
    // And it is of the size of a sampling deviation: each E g − Ê g has sd ≤ 0.5/√400 =
    // 0.025, so the supremum over 24 functions is rarely below 0.005 (the median over the
    // 150 samples was 0.032 at this seed).
    let mut gaps: Vec<f64> = run.detail.iter().map(|d| d.0).collect();
    gaps.sort_by(f64::total_cmp);
    let median = gaps[gaps.len() / 2];
    assert!((0.005..0.15).contains(&median), "median gap {median}");
    assert!(
        run.detail.iter().all(|(gap, _)| (-1.0..0.25).contains(gap)),
        "{:?}",
        run.detail
            .iter()
            .map(|d| d.0)
            .fold(f64::NEG_INFINITY, f64::max)
    );
    assert!(
        run.max_bound < 1.0,
        "the bound is informative: {}",
        run.max_bound
    );
    assert_eq!(
        montecarlo::eq27_evidence(&run, true).verdict,
        Verdict::False
    );
    assert_eq!(run.violations, 0);
    // The note's "below 1" is read from the run, not a fixed phrase.
    let note = |r: &montecarlo::Eq27Run| montecarlo::eq27_evidence(r, false).note;
    assert!(note(&run).starts_with("the bound is below 1 on every sample"));
    let vacuous = montecarlo::Eq27Run {
        max_bound: 1.0,
        ..run.clone()
    };
    assert!(note(&vacuous).starts_with("the bound reaches 1 on some sample"));
    // The counts and extremes are those of the per-sample gaps and bounds.
    assert_eq!(run.detail.len(), run.trials);
    let count = |f: &dyn Fn(f64, f64) -> bool| run.detail.iter().filter(|(g, b)| f(*g, *b)).count();
    assert_eq!(run.violations, count(&|g, b| g > b));
    assert_eq!(run.invalid_violations, count(&|g, _| g > 0.0));
    let fold = |f: &dyn Fn(f64, f64) -> f64| {
        run.detail
            .iter()
            .map(|(g, b)| f(*g, *b))
            .fold(f64::NEG_INFINITY, f64::max)
    };
    assert_eq!(run.max_bound, fold(&|_, b| b));
    assert_eq!(run.max_ratio, fold(&|g, b| g / b));
    // Some sample has a positive gap (else the invalid bound could not fail), none exceeds the
    // bound; the bound is 2R̂ + 3√(ln(2/δ)/(2N)) with R̂ ≥ 0.
    assert!(
        run.max_ratio > 0.0 && run.max_ratio < 1.0,
        "{}",
        run.max_ratio
    );
    let conf = confidence_term(400, 0.05).unwrap();
    assert!(run.detail.iter().all(|(_, b)| *b >= conf));
    let ev = montecarlo::eq27_evidence(&run, false);
    assert_eq!(ev.observed, 0.0);
    assert!(
        ev.note.contains(&format!("{:.4}", run.max_ratio)),
        "{}",
        ev.note
    );
    let bad = montecarlo::eq27_evidence(&run, true);
    assert_eq!(
        bad.observed,
        run.invalid_violations as f64 / run.trials as f64
    );
}

#[test]
fn eq32_scalar_contraction() {
    check_claim("eq32-scalar-contraction", Verdict::Holds);
}

#[test]
fn phi_lipschitz() {
    check_claim("phi-lipschitz", Verdict::Holds);
}

#[test]
fn eq35_is_typo() {
    check_claim("eq35-step", Verdict::Typo);
    // Hand-built: f = (0, 5, 0), f' = 0, y = 0: |Ψ(f) − Ψ(f')| = 5/γ but the printed right-hand
    // side |max_{y'}(d_0 − d_{y'})| = |max(−5, 0)| = 0.
    let (f, g) = ([0.0, 5.0, 0.0], [0.0, 0.0, 0.0]);
    let lhs = (margin(&f, 0) - margin(&g, 0)).abs();
    let d: Vec<f64> = f.iter().zip(&g).map(|(a, b)| a - b).collect();
    let printed = (1..3)
        .map(|k| d[0] - d[k])
        .fold(f64::NEG_INFINITY, f64::max)
        .abs();
    let corrected = (1..3).map(|k| (d[0] - d[k]).abs()).fold(0.0, f64::max);
    assert!(
        lhs > printed + 1.0,
        "printed Eq. 35 violated: {lhs} > {printed}"
    );
    assert_le(lhs, corrected, "corrected Eq. 35");
}

#[test]
fn eq36_factor_two() {
    check_claim("eq36-factor-two", Verdict::Holds);
}

#[test]
fn eq37_max_le_sum() {
    check_claim("eq37-max-le-sum", Verdict::Holds);
}

#[test]
fn eq38_l1_l2() {
    check_claim("eq38-l1-l2", Verdict::Holds);
}

#[test]
fn eq39_subadditivity() {
    check_claim("eq39-subadditivity", Verdict::Holds);
}

#[test]
fn psi_lipschitz_is_loose() {
    let ev = check_claim("psi-lipschitz-constant", Verdict::Loose);
    // The best ratio is √2 / (2√K) for K = 3.
    assert!(
        (ev.observed - 2f64.sqrt() / (2.0 * 3f64.sqrt())).abs() < SUPREMUM,
        "{}",
        ev.observed
    );
}

#[test]
fn eq40_is_loose() {
    let ev = check_claim("eq40-vector-contraction", Verdict::Loose);
    // The tighter form (constant 2 instead of 2√(2K)) is sharp, so the printed form's best
    // ratio is the ratio of the constants, 2/(2√(2K)) = 1/√6 for K = 3 — not only below it.
    assert!(
        (ev.observed - 1.0 / 6f64.sqrt()).abs() < SUPREMUM,
        "tight form implies ratio 2/(2√(2K)), got {}",
        ev.observed
    );
}

#[test]
fn lemma1_bound_validates_delta() {
    assert!(confidence_term(10, 0.05).is_ok());
    for bad in [0.0, 1.0, -0.1, 2.0, f64::NAN] {
        let e = confidence_term(10, bad).unwrap_err().to_string();
        assert!(e.contains("delta"), "{e}");
    }
    let tight = lemma1_bound(0.1, 0.2, 10, 100, 0.05, Lemma1Constant::Tight).unwrap();
    let printed = lemma1_bound(0.1, 0.2, 10, 100, 0.05, Lemma1Constant::Printed).unwrap();
    assert!(tight < printed);
    assert_eq_tol(
        printed - tight,
        (4.0 * 20f64.sqrt() - 4.0) * 0.2,
        "constants differ by 4√(2K) − 4",
    );
}

proptest! {
    #![proptest_config(proptest_config("../proofs/proptest-regressions/lemma1.txt"))]

    /// Vector contraction with the exact Lipschitz constant (the corrected Eq. 40) on random
    /// finite classes: (1/N) E sup Σσ_iΨ_i ≤ 2 R̂^γ_D(F), exact enumeration.
    #[test]
    fn prop_eq40_tight_constant(vals in prop::collection::vec(-3.0f64..3.0, 2 * 3 * 3), g in prop::collection::vec(0.2f64..3.0, 3)) {
        let class: Vec<Vec<Vec<f64>>> = vals.chunks(9).map(|h| h.chunks(3).map(|r| r.to_vec()).collect()).collect();
        let y = vec![0, 1, 2];
        let lhs = contraction::scaled_margin_complexity(&class, &y, &g);
        let rhs = 2.0 * contraction::gamma_margin_complexity_finite(&class, &y, &g);
        prop_assert!(le(lhs, rhs), "{lhs} > {rhs}");
        // Eq. 32 on the same class.
        prop_assert!(le(contraction::margin_loss_complexity(&class, &y, &g), lhs));
    }
}
