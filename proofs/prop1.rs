//! Proposition 1 (Eq. 13): its complexity term is 4√(2K) × the *corrected* Lemma 2 (evidence
//! that Lemma 2's nested root is a typo); the bound is **loose** in the Monte Carlo (constant
//! 4√(2K) → 4).

mod common;
use common::*;
use mr2_core::claims::montecarlo::{self, McSize, Statement};
use mr2_core::claims::Verdict;
use mr2_core::search::Budget;
use mr2_core::theory::bounds::{prop1_bound, Lemma1Constant, Sample};
use mr2_core::theory::rademacher::{lemma2_corrected, lemma2_printed};

#[test]
fn assembly() {
    let ev = check_claim("prop1-assembly", Verdict::Holds);
    // The note's evidence for Lemma 2's typo: Prop. 1's complexity term assembled with the
    // printed (nested-root) Lemma 2 differs from the one with the corrected Lemma 2.
    let (a, g, n, l) = ([4.0, 9.0, 16.0], [1.0; 3], 30, 1.0);
    let c = Lemma1Constant::Printed.value(3);
    let (printed, corrected) = (
        c * lemma2_printed(&a, &g, n, l),
        c * lemma2_corrected(&a, &g, n, l),
    );
    assert!(
        (printed - corrected).abs() > 1e-3,
        "{printed} vs {corrected}"
    );
    let said = format!("would be {printed:.4} instead of {corrected:.4}");
    assert!(ev.note.contains(&said), "note lacks `{said}`: {}", ev.note);
}

#[test]
fn prop1_is_loose() {
    check_claim("prop1", Verdict::Loose);
}

#[test]
fn prop1_monte_carlo_is_informative_and_can_fail() {
    let run = montecarlo::run(Statement::Prop1, McSize::for_budget(Budget::Quick), 82);
    assert_eq!(
        run.fitted_informative, run.trials,
        "max bound {}",
        run.max_bound
    );
    recount(&run);
    let small = montecarlo::run(Statement::Prop1, McSize::small(), 83);
    recount(&small);
    small_run_fails_only_the_invalid_bound(&small, Statement::Prop1);
}

#[test]
fn prop1_bound_arithmetic() {
    // α = (1, 4), γ = (1, 2), N = 8, Λ = 1, K = 2: √(Σα/γ²) = √2, complexity shape √(2/8)·√2.
    let shape = (2.0f64 / 8.0).sqrt() * 2f64.sqrt();
    let conf = 3.0 * ((2.0f64 / 0.1).ln() / 16.0).sqrt();
    let b = prop1_bound(
        0.5,
        &[1.0, 4.0],
        &[1.0, 2.0],
        1.0,
        Sample {
            n: 8,
            classes: 2,
            delta: 0.1,
        },
        Lemma1Constant::Printed,
    )
    .unwrap();
    assert_eq_tol(
        b,
        0.5 / std::f64::consts::LN_2 + 8.0 * shape + conf,
        "printed Prop. 1 (4√(2K) = 8)",
    );
    let t = prop1_bound(
        0.5,
        &[1.0, 4.0],
        &[1.0, 2.0],
        1.0,
        Sample {
            n: 8,
            classes: 2,
            delta: 0.1,
        },
        Lemma1Constant::Tight,
    )
    .unwrap();
    assert_eq_tol(
        t,
        0.5 / std::f64::consts::LN_2 + 4.0 * shape + conf,
        "tight Prop. 1",
    );
    // α and γ must have one entry per class of the sample.
    let three = Sample {
        n: 8,
        classes: 3,
        delta: 0.1,
    };
    let e = prop1_bound(
        0.5,
        &[1.0, 4.0],
        &[1.0, 2.0],
        1.0,
        three,
        Lemma1Constant::Tight,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("alpha") && e.contains("per class"), "{e}");
}
