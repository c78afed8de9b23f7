//! Proposition 2 (Eq. 16/73) and B.7.
//!
//! * Lemma 5, 1-sub-Gaussian Rademacher, Lemma 6, Eq. 80: hold (Lemma 6 sharp as n → ∞).
//! * Eq. 84 first "=": **typo** (Jensen gives ≤). Eq. 84 "≤ C_p‖σ‖₂": **false** for p < 2.
//!   Eq. 84 last "=": **false** (it is the L₂ radius whatever p).
//! * Eq. 86 C_p = E|g|^p: **loose** (Haagerup's sharp constant is its p-th root).
//! * Prop. 2: p < 2 **false** (one-hot features; corrected constant d^{1/p−1/2}); p = 2 holds;
//!   p > 2 **loose** (Haagerup's B_p suffices); p = ∞ **typo** (log d → log 2d; the printed
//!   bound is 0 at d = 1).

mod common;
use common::*;
use mr2_core::claims::Verdict;
use mr2_core::theory::khintchine::{
    gaussian_abs_moment, haagerup_upper, paper_constant, rademacher_moment_exact,
};
use mr2_core::theory::moments::{class_moments, require_all};
use mr2_core::theory::rademacher::{
    gamma_margin_complexity, prop2_constant_corrected, prop2_constant_printed, prop2_shape, Method,
};
use mr2_core::tolerance::le;
use ndarray::Array2;
use proptest::prelude::*;

#[test]
fn lemma5() {
    check_claim("lemma5", Verdict::Holds);
}

#[test]
fn rademacher_subgaussian() {
    check_claim("rademacher-subgaussian", Verdict::Holds);
}

#[test]
fn lemma6() {
    check_claim("lemma6", Verdict::Holds);
}

#[test]
fn eq80() {
    check_claim("eq80-variance-proxy", Verdict::Holds);
}

#[test]
fn eq84_jensen_is_typo() {
    check_claim("eq84-jensen-step", Verdict::Typo);
    // d = 1, p = 3, u = ε₁ + ε₂: E|u| = 1 but (E|u|³)^{1/3} = 4^{1/3}.
    let e1 = rademacher_moment_exact(&[1.0, 1.0], 1.0).unwrap();
    let e3 = rademacher_moment_exact(&[1.0, 1.0], 3.0).unwrap();
    assert_eq_tol(e1, 1.0, "E|ε₁+ε₂|");
    assert!(e3 > e1 + 0.5, "printed equality fails: {e1} vs {e3}");
}

#[test]
fn eq84_khintchine_is_false() {
    check_claim("eq84-khintchine-step", Verdict::False);
}

#[test]
fn eq84_sigma_is_false() {
    check_claim("eq84-sigma-sum", Verdict::False);
}

#[test]
fn eq86_is_loose() {
    check_claim("eq86-khintchine-constant", Verdict::Loose);
    // p = 4: the paper's C_4 = E|g|⁴ = 3, Haagerup's B_4 = 3^{1/4}.
    assert_eq_tol(paper_constant(4.0), 3.0, "C_4");
    assert_eq_tol(haagerup_upper(4.0), 3f64.powf(0.25), "B_4");
    assert_eq_tol(gaussian_abs_moment(2.0), 1.0, "E g²");
    // B_p is approached by many equal terms: n = 20 already gives 96% of B_4.
    let a = vec![1.0 / 20f64.sqrt(); 20];
    let m = rademacher_moment_exact(&a, 4.0).unwrap();
    assert!(
        m <= haagerup_upper(4.0) && m > 0.96 * haagerup_upper(4.0),
        "{m}"
    );
}

#[test]
fn khintchine_le_2() {
    check_claim("khintchine-p-le-2", Verdict::Holds);
}

fn one_hot(n: usize, d: usize) -> (Array2<f64>, Vec<usize>) {
    let f = Array2::from_shape_fn((n, d), |(i, j)| if i == j { 1.0 } else { 0.0 });
    (f, (0..n).map(|i| i % 2).collect())
}

fn prop2_sides(f: &Array2<f64>, y: &[usize], p: f64, corrected: bool) -> (f64, f64) {
    let g = [1.0, 1.0];
    let r2: Vec<f64> = require_all(class_moments(f.view(), y, 2, p).unwrap(), "t")
        .unwrap()
        .iter()
        .map(|s| s.r2_p)
        .collect();
    let c = if corrected {
        prop2_constant_corrected(p, f.ncols())
    } else {
        prop2_constant_printed(p, f.ncols())
    };
    (
        gamma_margin_complexity(f.view(), y, &g, 1.0, p, Method::Exact)
            .unwrap()
            .mean,
        c * prop2_shape(&r2, &g, f.nrows(), 1.0),
    )
}

#[test]
fn prop2_p_lt_2_is_false() {
    check_claim("prop2-p-lt-2", Verdict::False);
    // One-hot features e_1..e_N in d = N, p = 1: R = KΛ/γ = 2, printed bound 2/√N.
    let (f, y) = one_hot(8, 8);
    let (r, printed) = prop2_sides(&f, &y, 1.0, false);
    assert_eq_tol(r, 2.0, "R for one-hot, p = 1");
    assert_eq_tol(printed, 2.0 / 8f64.sqrt(), "printed bound");
    let (_, corrected) = prop2_sides(&f, &y, 1.0, true);
    assert_eq_tol(r, corrected, "corrected constant d^{1/p−1/2} is attained");
}

#[test]
fn prop2_p_eq_2() {
    check_claim("prop2-p-eq-2", Verdict::Holds);
}

#[test]
fn prop2_p_gt_2_is_loose() {
    check_claim("prop2-p-gt-2", Verdict::Loose);
}

#[test]
fn prop2_p_inf_is_typo() {
    check_claim("prop2-p-inf", Verdict::Typo);
    // d = 1: the printed constant √(2 log 1) = 0 makes the bound 0 while R > 0.
    let f = Array2::from_elem((4, 1), 1.0);
    let y = vec![0, 1, 0, 1];
    let (r, printed) = prop2_sides(&f, &y, f64::INFINITY, false);
    let (_, corrected) = prop2_sides(&f, &y, f64::INFINITY, true);
    assert!(r > 0.0 && printed == 0.0, "R = {r}, printed {printed}");
    assert_le(r, corrected, "√(2 log 2d)");
}

proptest! {
    #![proptest_config(proptest_config("../proofs/proptest-regressions/prop2.txt"))]

    /// Khintchine with Haagerup's constant for p ∈ [1, 8] and any coefficients (exact).
    #[test]
    fn prop_haagerup(a in prop::collection::vec(-5.0f64..5.0, 1..10), p in 1.0f64..8.0) {
        let l2 = a.iter().map(|v| v * v).sum::<f64>().sqrt();
        prop_assert!(le(rademacher_moment_exact(&a, p).unwrap(), haagerup_upper(p) * l2));
    }

    /// Corrected Prop. 2 (every p regime) on random balanced data.
    #[test]
    fn prop_corrected_prop2(vals in prop::collection::vec(-3.0f64..3.0, 6 * 3), p in 1.0f64..7.0, inf in any::<bool>()) {
        let p = if inf { f64::INFINITY } else { p };
        let f = Array2::from_shape_vec((6, 3), vals).unwrap();
        let y: Vec<usize> = (0..6).map(|i| i % 2).collect();
        let (r, b) = prop2_sides(&f, &y, p, true);
        prop_assert!(le(r, b), "p = {p}: {r} > {b}");
    }
}
