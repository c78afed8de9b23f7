//! B.8 and Eq. 15: Eq. 91–95 hold (attained); the last display drops 1/√N_k (**loose**); the
//! per-class complexity coefficient 4/γ_k is not what Lemma 1 applied to class k gives (**typo**:
//! 4√(2K)·K/γ_k).

mod common;
use common::*;
use mr2_core::claims::Verdict;
use mr2_core::theory::bounds::{per_class_bound, PerClassConstant, Sample};
use mr2_core::tolerance::SUPREMUM;

#[test]
fn eq95() {
    check_claim("b8-eq95", Verdict::Holds);
}

#[test]
fn final_line_is_loose() {
    let ev = check_claim("b8-final", Verdict::Loose);
    assert!(
        (ev.observed - 1.0 / 3f64.sqrt()).abs() < SUPREMUM,
        "best ratio 1/√N_k, got {}",
        ev.observed
    );
}

#[test]
fn eq15_is_typo() {
    let ev = check_claim("eq15-per-class-term", Verdict::Typo);
    // The printed coefficient 4/γ_k is smaller than the derived 4√(2K)·K/γ_k by exactly
    // K√(2K) (K = 3 here: 3√6), at every input: the ratio at the counterexample says so.
    let cx = ev.counterexample.expect("a typo has a counterexample");
    assert_eq_tol(
        cx.printed_lhs / cx.printed_rhs,
        3.0 * 6f64.sqrt(),
        "Lemma 1's class-k term over the printed Eq. 15 term",
    );
}

#[test]
fn per_class_bound_arithmetic() {
    let conf = 3.0 * ((2.0f64 / 0.05).ln() / 20.0).sqrt();
    let ten = Sample {
        n: 10,
        classes: 10,
        delta: 0.05,
    };
    let p = per_class_bound(0.2, 0.1, 2.0, ten, PerClassConstant::Printed).unwrap();
    assert_eq_tol(
        p,
        0.2 / std::f64::consts::LN_2 + 2.0 * 0.1 + conf,
        "printed Eq. 15",
    );
    let d = per_class_bound(0.2, 0.1, 2.0, ten, PerClassConstant::Derived).unwrap();
    assert_eq_tol(
        d - p,
        (4.0 * 20f64.sqrt() * 10.0 / 2.0 - 2.0) * 0.1,
        "derived coefficient",
    );
    let empty = Sample { n: 0, ..ten };
    assert!(per_class_bound(0.2, 0.1, 2.0, empty, PerClassConstant::Printed).is_err());
}
