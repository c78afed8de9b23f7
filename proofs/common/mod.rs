//! Shared assertions for the `proofs/` test targets.
#![allow(dead_code)]

use mr2_core::claims::{find, Evidence, Relation, Verdict};
use mr2_core::search::Budget;
use mr2_core::tolerance::{TIGHT, VIOLATION};
use proptest::test_runner::{Config, FileFailurePersistence};

/// Run claim `id` at the quick budget and assert the verdict it expects, with the evidence a
/// verdict needs: a counterexample that violates the printed form and satisfies the corrected
/// one for `typo`/`false`; a best ratio below `1 − TIGHT` or a verified tighter form for `loose`.
pub fn check_claim(id: &str, expected: Verdict) -> Evidence {
    let claim = find(id).unwrap_or_else(|| panic!("no claim `{id}` in the registry"));
    assert_eq!(
        claim.expected, expected,
        "{id}: the registry and this test disagree on the expected verdict"
    );
    let ev = (claim.check)(Budget::Quick);
    assert_eq!(
        ev.verdict, expected,
        "{id} ({}): evidence gives `{}`, expected `{}`.\nobserved {} vs {}\nworst input: {}\nnote: {}",
        claim.paper_ref, ev.verdict, expected, ev.observed, ev.theoretical, ev.worst_input, ev.note
    );
    match expected {
        Verdict::Typo | Verdict::False => {
            let cx = ev
                .counterexample
                .as_ref()
                .unwrap_or_else(|| panic!("{id}: a `{expected}` verdict needs a counterexample"));
            assert!(
                !cx.relation.holds(cx.printed_lhs, cx.printed_rhs),
                "{id}: the counterexample must violate the printed form: {} {:?} {}",
                cx.printed_lhs,
                cx.relation,
                cx.printed_rhs
            );
            if expected == Verdict::Typo || ev.corrected.is_some() {
                let (l, r) = (
                    cx.corrected_lhs.expect("corrected lhs"),
                    cx.corrected_rhs.expect("corrected rhs"),
                );
                assert!(
                    cx.corrected_relation.holds(l, r),
                    "{id}: the corrected form must hold at the counterexample: {l} {:?} {r}",
                    cx.corrected_relation
                );
                assert!(
                    ev.corrected.is_some(),
                    "{id}: a corrected statement must be given"
                );
            }
        }
        Verdict::Loose => {
            assert!(ev.counterexample.is_none());
            if ev.quantity.starts_with("sup lhs/rhs") {
                assert!(
                    ev.observed < 1.0 - TIGHT,
                    "{id}: loose needs a best ratio below 1 − TIGHT, got {}",
                    ev.observed
                );
                assert!(
                    ev.corrected.is_some(),
                    "{id}: a loose verdict names the tighter form"
                );
            }
        }
        Verdict::Holds => {
            assert!(ev.counterexample.is_none());
            if ev.quantity.starts_with("sup lhs/rhs") {
                assert!(
                    ev.observed >= 1.0 - TIGHT && ev.observed <= 1.0 + VIOLATION,
                    "{id}: holds needs the bound attained, got {}",
                    ev.observed
                );
            }
        }
    }
    ev
}

/// proptest configuration for files under `proofs/` (no lib.rs above them): failures persist
/// to `name` (by convention `../proofs/proptest-regressions/<file>.txt`, relative to `core/`
/// where the tests run); commit any file that appears there.
pub fn proptest_config(name: &'static str) -> Config {
    Config {
        cases: 256,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(name))),
        ..Config::default()
    }
}

/// Assert `lhs ≤ rhs` within the suite's inequality tolerance.
pub fn assert_le(lhs: f64, rhs: f64, what: &str) {
    assert!(Relation::Le.holds(lhs, rhs), "{what}: {lhs} > {rhs}");
}

/// Assert `lhs = rhs` within the identity tolerance.
pub fn assert_eq_tol(lhs: f64, rhs: f64, what: &str) {
    assert!(Relation::Eq.holds(lhs, rhs), "{what}: {lhs} != {rhs}");
}
