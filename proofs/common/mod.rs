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
    // The worst input is described by its values (every claim's description has numbers).
    assert!(
        ev.worst_input.chars().any(|c| c.is_ascii_digit()),
        "{id}: the worst input is not described: {:?}",
        ev.worst_input
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
    check_alternative(id, &ev);
    ev
}

/// Whenever a claim defines a corrected or tighter form, it must have been searched and hold;
/// a repair must be what the verdict rests on; a tighter form claimed sharp must reach
/// `1 − TIGHT` on its own search and beat the printed form's best ratio.
pub fn check_alternative(id: &str, ev: &Evidence) {
    let Some(alt) = &ev.alt else {
        return;
    };
    assert!(
        alt.holds,
        "{id}: its {} form fails on its own search (best {})",
        if alt.repair { "corrected" } else { "tighter" },
        alt.best
    );
    assert!(
        ev.corrected.is_some(),
        "{id}: a verified alternative must be stated"
    );
    if alt.repair {
        let basis = alt.basis.expect("a repair records its basis");
        assert_eq!(
            ev.verdict,
            basis.verdict(),
            "{id}: typo vs false follows the repair's basis ({basis:?})"
        );
    } else if alt.sharp {
        assert!(
            alt.best >= 1.0 - TIGHT && alt.best <= 1.0 + VIOLATION,
            "{id}: the tighter form is claimed sharp but its best ratio is {}",
            alt.best
        );
        assert!(
            alt.best > ev.observed,
            "{id}: the tighter form ({}) must be tighter than the printed one ({})",
            alt.best,
            ev.observed
        );
    }
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

/// Recount a Monte Carlo run from its (set, head) records — a second implementation of the
/// counting in `montecarlo::run` — and require the same counts.
pub fn recount(run: &mr2_core::claims::montecarlo::McRun) {
    use mr2_core::theory::bounds::BoundTerms;
    let sets = |bound: &dyn Fn(&mr2_core::claims::montecarlo::Pair) -> f64| {
        (0..run.trials)
            .filter(|&t| {
                run.detail
                    .iter()
                    .any(|p| p.set == t && p.risk > bound(p) + run.slack)
            })
            .count()
    };
    let total = |b: &BoundTerms| b.empirical + b.complexity + b.confidence;
    assert_eq!(run.pairs, run.detail.len());
    assert_eq!(
        run.violations,
        sets(&|p| total(&p.printed)),
        "printed violations"
    );
    assert_eq!(
        run.tight_violations,
        sets(&|p| total(&p.tight)),
        "tight violations"
    );
    assert_eq!(
        run.invalid_violations,
        sets(&|p| p.empirical_01),
        "invalid violations"
    );
    assert_eq!(
        run.informative_pairs,
        run.detail
            .iter()
            .filter(|p| total(&p.printed) < 1.0)
            .count()
    );
    assert_eq!(
        run.fitted_informative,
        run.detail
            .iter()
            .filter(|p| p.fitted && total(&p.printed) < 1.0)
            .count()
    );
    let ratio = run
        .detail
        .iter()
        .map(|p| (p.risk - p.printed.empirical) / (p.printed.complexity + p.printed.confidence))
        .fold(f64::NEG_INFINITY, f64::max);
    assert!(
        mr2_core::tolerance::IDENTITY.close(run.max_ratio, ratio),
        "max ratio"
    );
    // The printed constant 4√(2K) is larger than the tight 4 by √(2K) on every pair.
    for p in &run.detail {
        assert!(mr2_core::tolerance::IDENTITY.close(
            p.printed.complexity,
            p.tight.complexity * (2.0 * mr2_core::claims::montecarlo::K as f64).sqrt()
        ));
    }
}

/// On the small training sets (N = 30) of `statement`'s Monte Carlo the invalid bound
/// `R(f) ≤ R̂_D(f)` is judged false and the printed bound is not; each evidence's observed
/// figure is the fraction of sets on which its bound failed.
pub fn small_run_fails_only_the_invalid_bound(
    small: &mr2_core::claims::montecarlo::McRun,
    statement: mr2_core::claims::montecarlo::Statement,
) {
    use mr2_core::claims::montecarlo::evidence;
    let (invalid, printed) = (
        evidence(small, statement, true),
        evidence(small, statement, false),
    );
    assert_eq!(invalid.verdict, Verdict::False);
    assert_ne!(printed.verdict, Verdict::False);
    let fraction = |fails: usize| (fails as f64 / small.trials as f64).to_bits();
    assert_eq!(
        invalid.observed.to_bits(),
        fraction(small.invalid_violations)
    );
    assert_eq!(printed.observed.to_bits(), fraction(small.violations));
}
