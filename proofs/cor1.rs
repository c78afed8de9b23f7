//! Corollary 1 (Eq. 14) and B.6: the closed form is the minimiser (search + argmin numerical
//! solve agree); Eq. 68 holds; Eq. 69 is a **typo** (the final Eq. 70 is right); Eq. 17 holds.

mod common;
use common::*;
use mr2_core::claims::Verdict;
use mr2_core::theory::gamma::{
    gamma_from_multiplier, multiplier_corrected, multiplier_printed, optimal_gamma,
};

#[test]
fn minimiser() {
    check_claim("cor1-minimiser", Verdict::Holds);
}

#[test]
fn argmin_agrees() {
    check_claim("cor1-argmin", Verdict::Holds);
}

#[test]
fn stationarity() {
    check_claim("eq68-stationarity", Verdict::Holds);
}

#[test]
fn eq69_is_typo() {
    check_claim("eq69-multiplier", Verdict::Typo);
    // α = (1, 8), c̄ = 1: the printed multiplier gives Σγ ≠ 2, the corrected one gives 2 and
    // reproduces Eq. 70.
    let a = [1.0, 8.0];
    let printed: f64 = gamma_from_multiplier(&a, multiplier_printed(&a, 1.0))
        .iter()
        .sum();
    assert!(
        (printed - 2.0).abs() > 0.1,
        "printed Eq. 69 violates the constraint: Σγ = {printed}"
    );
    let g = gamma_from_multiplier(&a, multiplier_corrected(&a, 1.0));
    let closed = optimal_gamma(&a, 1.0).unwrap();
    for (x, y) in g.iter().zip(&closed) {
        assert_eq_tol(*x, *y, "corrected multiplier reproduces Eq. 70");
    }
    assert_eq_tol(closed[0], 2.0 / 3.0, "γ = (2/3, 4/3) for α = (1, 8)");
}

#[test]
fn eq17() {
    check_claim("eq17-lp-optimum", Verdict::Holds);
}
