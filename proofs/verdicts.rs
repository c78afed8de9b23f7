//! The verdict machinery itself: the violation measure, the search-based assessment on forms
//! whose answer is known, the frequency rule of the Monte Carlo checks, the Monte Carlo identity
//! rule, and the one rule that separates `typo` from `false`. Every boundary is tested just
//! inside and just outside.

mod common;
use mr2_core::claims::{
    assess, frequency_verdict, mc_identity, ratio, score, Alt, AltRole, Relation, RepairBasis,
    Searched, Verdict,
};
use mr2_core::search::Budget;
use mr2_core::tolerance::{IDENTITY, OPTIMUM, SUPREMUM};
use mr2_core::tolerance::{INEQ_ABS, MC_Z, TIGHT, VIOLATION};

fn searched<'a>(
    relation: Relation,
    printed: &'a dyn Fn(&[f64]) -> (f64, f64),
    alt: Option<Alt<'a>>,
) -> Searched<'a> {
    Searched {
        dim: 2,
        scale: 1.0,
        seeds: vec![vec![0.0, 0.0]],
        relation,
        printed,
        alt,
        describe: &|x| format!("{x:?}"),
        budget: Budget::Quick,
        seed: 1,
        note: "",
    }
}

#[test]
fn the_violation_measure() {
    assert_eq!(ratio(1.0, 2.0), 0.5);
    assert_eq!(ratio(3.0, 2.0), 1.5);
    // A right-hand side ≤ 0: a sentinel when the left exceeds it, 0 otherwise.
    assert_eq!(ratio(1.0, 0.0), 1e12);
    assert_eq!(ratio(0.0, 0.0), 0.0);
    assert_eq!(ratio(INEQ_ABS / 2.0, 0.0), 0.0, "within the absolute slack");
    assert_eq!(ratio(3.0 * INEQ_ABS, 0.0), 1e12);
    assert_eq!(ratio(-1.0, -0.5), 0.0);
    // The boundaries are inclusive on the side of "no evidence": a right-hand side equal to
    // the absolute slack counts as zero, and a left side exactly one slack above it is not yet
    // a violation.
    assert_eq!(ratio(2.0 * INEQ_ABS, INEQ_ABS), 0.0);
    assert_eq!(ratio(INEQ_ABS, 0.0), 0.0);
    // Overflow scores NaN (never a violation).
    let f = |_: &[f64]| (f64::INFINITY, 1.0);
    assert!(score(Relation::Le, &f, &[0.0]).is_nan());
    let g = |_: &[f64]| (1.0, f64::NAN);
    assert!(score(Relation::Eq, &g, &[0.0]).is_nan());
    let h = |_: &[f64]| (2.0, 4.0);
    assert_eq!(score(Relation::Le, &h, &[0.0]), 0.5);
    assert_eq!(
        score(Relation::Eq, &h, &[0.0]),
        0.5,
        "relative error |2 − 4|/4"
    );
}

#[test]
fn assessment_on_forms_with_a_known_answer() {
    // x² ≤ x² + 1 − e^{−x²}… attained at 0: holds.
    let attained = |x: &[f64]| (x[0] * x[0], x[0] * x[0] + 1.0 - (-x[1] * x[1]).exp());
    let ev = assess(searched(Relation::Le, &attained, None));
    assert_eq!(ev.verdict, Verdict::Holds, "{}", ev.note);
    assert!(ev.observed >= 1.0 - TIGHT && ev.observed <= 1.0 + VIOLATION);
    // Half of the bound at most: loose.
    assert!(ev.note.contains("attained"), "{}", ev.note);
    let half = |x: &[f64]| (0.5 / (1.0 + x[0] * x[0]), 1.0);
    let ev = assess(searched(Relation::Le, &half, None));
    assert_eq!(ev.verdict, Verdict::Loose);
    assert!(ev.note.contains("larger than needed"), "{}", ev.note);
    // The claim's own note follows the verdict's.
    let ev = assess(Searched {
        note: "Claim-specific remark.",
        ..searched(Relation::Le, &half, None)
    });
    assert!(
        ev.note.starts_with("no violation") && ev.note.ends_with("Claim-specific remark."),
        "{}",
        ev.note
    );
    assert!(ev.observed < 1.0 - TIGHT && ev.observed > 0.4);
    // Just below the attainment threshold is loose, just above holds.
    let near = |_: &[f64]| (1.0 - TIGHT - 1e-3, 1.0);
    assert_eq!(
        assess(searched(Relation::Le, &near, None)).verdict,
        Verdict::Loose
    );
    let near = |_: &[f64]| (1.0 - TIGHT + 1e-3, 1.0);
    assert_eq!(
        assess(searched(Relation::Le, &near, None)).verdict,
        Verdict::Holds
    );
    // A violation by less than VIOLATION is rounding; by more, a counterexample.
    let tiny = |_: &[f64]| (1.0 + VIOLATION / 2.0, 1.0);
    assert_eq!(
        assess(searched(Relation::Le, &tiny, None)).verdict,
        Verdict::Holds
    );
    // Exactly at the threshold is still rounding (the rule is "ratio > 1 + VIOLATION").
    let edge = |_: &[f64]| (1.0 + VIOLATION, 1.0);
    assert_eq!(
        assess(searched(Relation::Le, &edge, None)).verdict,
        Verdict::Holds
    );
    let over = |_: &[f64]| (1.0 + 2.0 * VIOLATION, 1.0);
    assert_eq!(
        assess(searched(Relation::Le, &over, None)).verdict,
        Verdict::False
    );
    // An identity off by 1e-6 relative is violated; one exact holds.
    let off = |x: &[f64]| (1.0 + x[0].abs() * 1e-6, 1.0);
    assert_eq!(
        assess(searched(Relation::Eq, &off, None)).verdict,
        Verdict::False
    );
    // An identity off by exactly IDENTITY.rel (1/10⁹ of 10⁹) still holds.
    let edge = |_: &[f64]| (1e9 - 1.0, 1e9);
    assert_eq!(score(Relation::Eq, &edge, &[0.0]), IDENTITY.rel);
    assert_eq!(
        assess(searched(Relation::Eq, &edge, None)).verdict,
        Verdict::Holds
    );
    let exact = |x: &[f64]| (x[0] + x[1], x[1] + x[0]);
    assert_eq!(
        assess(searched(Relation::Eq, &exact, None)).verdict,
        Verdict::Holds
    );
    // Overflow everywhere is not a violation.
    let inf = |_: &[f64]| (f64::INFINITY, 1.0);
    let ev = assess(searched(Relation::Le, &inf, None));
    assert_ne!(ev.verdict, Verdict::False);
    assert!(ev.counterexample.is_none());
}

#[test]
fn repairs_and_tighter_forms() {
    // Printed 2x² + 1 ≤ x² + 1 fails; the repair 2x² + 1 ≤ 2x² + 1 holds.
    let printed = |x: &[f64]| (2.0 * x[0] * x[0] + 1.0, x[0] * x[0] + 1.0);
    let repair = |x: &[f64]| (2.0 * x[0] * x[0] + 1.0, 2.0 * x[0] * x[0] + 1.0);
    let broken = |x: &[f64]| (3.0 * x[0] * x[0] + 1.0, 2.0 * x[0] * x[0] + 1.0);
    let alt = |form: &'static dyn Fn(&[f64]) -> (f64, f64), basis| Alt {
        role: AltRole::Repair(basis),
        relation: Relation::Le,
        form,
        statement: "repair",
        sharp: false,
    };
    let r: &'static dyn Fn(&[f64]) -> (f64, f64) = Box::leak(Box::new(repair));
    let b: &'static dyn Fn(&[f64]) -> (f64, f64) = Box::leak(Box::new(broken));
    let ev = assess(searched(
        Relation::Le,
        &printed,
        Some(alt(r, RepairBasis::PaperDerivation("Eq. 1"))),
    ));
    assert_eq!(ev.verdict, Verdict::Typo);
    assert!(ev.corrected.is_some() && ev.alt.as_ref().unwrap().holds);
    let cx = ev.counterexample.unwrap();
    assert!(!cx.relation.holds(cx.printed_lhs, cx.printed_rhs));
    assert!(cx
        .corrected_relation
        .holds(cx.corrected_lhs.unwrap(), cx.corrected_rhs.unwrap()));
    let ev = assess(searched(
        Relation::Le,
        &printed,
        Some(alt(r, RepairBasis::Outside("a lemma"))),
    ));
    assert_eq!(ev.verdict, Verdict::False);
    assert!(ev.corrected.is_some());
    // A repair that fails too: false, no correction stated.
    let ev = assess(searched(
        Relation::Le,
        &printed,
        Some(alt(b, RepairBasis::PaperDerivation("Eq. 1"))),
    ));
    assert_eq!(ev.verdict, Verdict::False);
    assert!(ev.corrected.is_none() && !ev.alt.unwrap().holds);
    // A repair that holds at the counterexample but fails on its own search is no repair.
    let flat = |_: &[f64]| (2.0, 1.0);
    let local = |x: &[f64]| (x[0] * x[0], 1.0);
    let l: &'static dyn Fn(&[f64]) -> (f64, f64) = Box::leak(Box::new(local));
    let ev = assess(searched(
        Relation::Le,
        &flat,
        Some(alt(l, RepairBasis::PaperDerivation("Eq. 1"))),
    ));
    let cx = ev.counterexample.as_ref().unwrap();
    assert!(cx
        .corrected_relation
        .holds(cx.corrected_lhs.unwrap(), cx.corrected_rhs.unwrap()));
    assert_eq!(ev.verdict, Verdict::False);
    assert!(ev.corrected.is_none() && !ev.alt.unwrap().holds);
    // Where the printed right-hand side is ≤ 0 the evidence is lhs − rhs, never the 1e12
    // sentinel; elsewhere it is the ratio, also for a violation.
    let negative = |_: &[f64]| (1.0, -2.0);
    let ev = assess(searched(Relation::Le, &negative, None));
    assert_eq!(ev.verdict, Verdict::False);
    assert_eq!((ev.observed, ev.theoretical), (3.0, 0.0));
    assert!(ev.quantity.contains("lhs − rhs"), "{}", ev.quantity);
    let over = |_: &[f64]| (1.0 + 2.0 * VIOLATION, 1.0);
    let ev = assess(searched(Relation::Le, &over, None));
    assert_eq!(ev.observed, 1.0 + 2.0 * VIOLATION);
    for within in [INEQ_ABS / 2.0, INEQ_ABS] {
        let f = move |_: &[f64]| (within, 0.0);
        let ev = assess(searched(Relation::Le, &f, None));
        assert_eq!(
            ev.observed, 0.0,
            "lhs {within} over rhs 0 is within the slack"
        );
        assert_ne!(ev.verdict, Verdict::False);
    }
    // Tighter form: recorded with its own best ratio.
    let loose = |x: &[f64]| (x[0].abs().min(1.0), 2.0);
    let tighter = |x: &[f64]| (x[0].abs().min(1.0), 1.0);
    let ev = assess(searched(
        Relation::Le,
        &loose,
        Some(Alt {
            role: AltRole::Tighter,
            relation: Relation::Le,
            form: &tighter,
            statement: "tighter",
            sharp: true,
        }),
    ));
    assert_eq!(ev.verdict, Verdict::Loose);
    let a = ev.alt.clone().unwrap();
    assert!(a.holds && a.sharp && a.best >= 1.0 - TIGHT && a.best > ev.observed);
    common::check_alternative("synthetic", &ev);
    // The sentinel of a zero right-hand side is not reported as an observation.
    let zero = |x: &[f64]| (1.0 + x[0] * x[0], 0.0);
    let ev = assess(searched(Relation::Le, &zero, None));
    assert_eq!(ev.verdict, Verdict::False);
    assert!(ev.observed < 1e3 && ev.observed >= 1.0, "{}", ev.observed);
    assert!(ev.quantity.contains("lhs − rhs"));
}

#[test]
fn typo_versus_false_is_one_rule() {
    assert_eq!(
        RepairBasis::PaperDerivation("Eq. 50").verdict(),
        Verdict::Typo
    );
    assert_eq!(
        RepairBasis::Outside("Haagerup 1981").verdict(),
        Verdict::False
    );
    assert_eq!(RepairBasis::Outside("x").citation(), "x");
}

#[test]
fn frequency_rule_boundaries() {
    // δ = 0.05, 100 trials: se = √(0.05·0.95/100) ≈ 0.0218; false above 0.05 + 4·se ≈ 0.137.
    let se = (0.05f64 * 0.95 / 100.0).sqrt();
    let threshold = 0.05 + MC_Z * se;
    let below = (threshold * 100.0).floor() as usize;
    assert_eq!(frequency_verdict(below, 100, 0.05, 0.5), Verdict::Loose);
    assert_eq!(frequency_verdict(below + 1, 100, 0.05, 0.5), Verdict::False);
    assert_eq!(frequency_verdict(0, 100, 0.05, 1.0 - TIGHT), Verdict::Holds);
    assert_eq!(
        frequency_verdict(0, 100, 0.05, 1.0 - TIGHT - 1e-9),
        Verdict::Loose
    );
    assert_eq!(frequency_verdict(100, 100, 0.05, 0.1), Verdict::False);
    // More trials shrink the allowance: 10 of 100 passes, 100 of 1000 does not.
    assert_eq!(frequency_verdict(10, 100, 0.05, 0.5), Verdict::Loose);
    assert_eq!(frequency_verdict(100, 1000, 0.05, 0.5), Verdict::False);
    // A frequency exactly at the threshold is not false (δ = 0: no violation allowed, none seen).
    assert_eq!(frequency_verdict(0, 100, 0.0, 0.5), Verdict::Loose);
}

#[test]
fn monte_carlo_identity_rule() {
    let ok = mc_identity("q", 1.0 + 3.9 * 0.01, 0.01, 1.0, String::new(), "");
    assert_eq!(ok.verdict, Verdict::Holds);
    let bad = mc_identity("q", 1.0 + 4.1 * 0.01, 0.01, 1.0, String::new(), "");
    assert_eq!(bad.verdict, Verdict::False);
    let low = mc_identity("q", 1.0 - 4.1 * 0.01, 0.01, 1.0, String::new(), "");
    assert_eq!(low.verdict, Verdict::False);
    assert_eq!(ok.observed, 1.039);
    assert_eq!(ok.theoretical, 1.0);
    // An exact value (standard error 0) equal to the truth holds: the absolute slack is added.
    let exact = mc_identity("q", 0.25, 0.0, 0.25, String::new(), "");
    assert_eq!(exact.verdict, Verdict::Holds);
}

#[test]
fn the_search_finds_a_known_maximum_and_counts_its_work() {
    use mr2_core::search::{maximize, squash};
    // −(x − 3)² − (y + 1)²: the maximum 0 at (3, −1), away from the random starts' centre.
    let f = |x: &[f64]| -(x[0] - 3.0).powi(2) - (x[1] + 1.0).powi(2);
    let found = maximize(&f, 2, 1.0, &[vec![0.0, 0.0]], Budget::Quick, 7);
    assert!(OPTIMUM.close(found.value, 0.0), "{}", found.value);
    assert!((found.arg[0] - 3.0).abs() < SUPREMUM && (found.arg[1] + 1.0).abs() < SUPREMUM);
    assert!(
        found.evals > Budget::Quick.random_points() + 1,
        "{}",
        found.evals
    );
    // NaN is −∞: a function NaN except near one point still finds that point.
    let g = |x: &[f64]| {
        if x[0].abs() < 5.0 {
            -x[0].abs()
        } else {
            f64::NAN
        }
    };
    assert!(OPTIMUM.close(maximize(&g, 1, 3.0, &[], Budget::Quick, 1).value, 0.0));
    // Random starts spread with the scale: a maximum at 40 is found at scale 30.
    let far = |x: &[f64]| {
        if (x[0] - 40.0).abs() < 20.0 {
            1.0 - (x[0] - 40.0).abs() / 20.0
        } else {
            0.0
        }
    };
    assert!(maximize(&far, 1, 30.0, &[], Budget::Quick, 3).value > 0.99);
    assert!(IDENTITY.close(squash(0.0, 2.0, 4.0), 3.0) && squash(50.0, 2.0, 4.0) > 3.999);
}

#[test]
fn inputs_are_rendered_as_they_are() {
    use mr2_core::claims::decode::{matrix, pos, show, show_m};
    assert_eq!(show(&[1.0, 2.5]), "[1.0000, 2.5000]");
    assert_eq!(
        show_m(&matrix(&[1.0, 2.0, 3.0, 4.0], 2, 2)),
        "[[1.0000, 2.0000], [3.0000, 4.0000]]"
    );
    assert!(
        IDENTITY.close(pos(0.0), 1.0) && pos(100.0) == 30f64.exp() && pos(-100.0) == (-30f64).exp()
    );
}

#[test]
fn tolerances_accept_rounding_and_refuse_infinities() {
    use mr2_core::tolerance::{le, INEQ_REL};
    // Relative and absolute parts, just inside and just outside.
    assert!(IDENTITY.close(1.0, 1.0 + 0.5 * IDENTITY.rel));
    assert!(!IDENTITY.close(1.0, 1.0 + 2.0 * IDENTITY.rel));
    assert!(IDENTITY.close(0.0, 0.5 * IDENTITY.abs));
    assert!(!IDENTITY.close(0.0, 2.0 * IDENTITY.abs));
    // A non-finite value is close only to itself: an overflowed formula never passes.
    assert!(!IDENTITY.close(f64::INFINITY, 1000.0));
    assert!(!IDENTITY.close(1000.0, f64::NEG_INFINITY));
    assert!(!IDENTITY.close(f64::NAN, f64::NAN));
    assert!(IDENTITY.close(f64::INFINITY, f64::INFINITY));
    // Inequalities: rhs·(1 + INEQ_REL) + INEQ_ABS.
    assert!(le(1.0 + 0.5 * INEQ_REL, 1.0) && !le(1.0 + 2.0 * INEQ_REL + INEQ_ABS, 1.0));
    assert!(le(0.5 * INEQ_ABS, 0.0) && !le(2.0 * INEQ_ABS, 0.0));
    assert!(!le(f64::NAN, 1.0));
}
