//! The registry itself: enough claims, unique ids, every lemma / proposition / corollary and
//! every proof section covered, every proof file present; the full-budget run (ignored by
//! default) re-derives every verdict with a deeper search.

use std::collections::HashSet;

use mr2_core::claims::registry;
use mr2_core::search::Budget;

/// A path relative to the repository root (the test runs from `core/`).
fn repo(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
}

#[test]
fn coverage() {
    let r = registry();
    assert!(r.len() >= 40, "only {} claims", r.len());
    let ids: HashSet<&str> = r.iter().map(|c| c.id).collect();
    assert_eq!(ids.len(), r.len(), "duplicate ids");
    let refs: String = r
        .iter()
        .map(|c| c.paper_ref)
        .collect::<Vec<_>>()
        .join(" | ");
    for needed in [
        "Lemma 1",
        "Lemma 2",
        "Lemma 3",
        "Lemma 4",
        "Lemma 5",
        "Lemma 6",
        "Prop. 1",
        "Prop. 2",
        "Cor. 1",
        "B.1",
        "B.2",
        "B.3",
        "B.4",
        "B.5",
        "B.6",
        "B.7",
        "B.8",
        "Eq. 15",
        "Eq. 17",
        "Eq. 1 ≡ Eq. 5",
    ] {
        assert!(refs.contains(needed), "no claim cites {needed}");
    }
    for c in &r {
        assert!(
            repo(c.proof_file).exists(),
            "{}: missing {}",
            c.id,
            c.proof_file
        );
        let text = std::fs::read_to_string(repo(c.proof_file)).unwrap();
        assert!(
            text.contains(&format!("\"{}\"", c.id)),
            "{} is not checked in {}",
            c.id,
            c.proof_file
        );
    }
}

#[test]
#[ignore = "deeper search (about 1 minute in release on 2 cores); run: cargo test --release --test registry -- --ignored"]
fn full_budget_verdicts() {
    let mut bad = Vec::new();
    for c in registry() {
        let ev = (c.check)(Budget::Full);
        if ev.verdict != c.expected {
            bad.push(format!(
                "{}: {} (expected {})",
                c.id, ev.verdict, c.expected
            ));
        }
    }
    assert!(bad.is_empty(), "{bad:?}");
}

#[test]
fn claim_table_matches_registry() {
    let readme = std::fs::read_to_string(repo("docs/claims.md")).expect("docs/claims.md");
    for c in registry() {
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", c.id)))
            .unwrap_or_else(|| panic!("docs/claims.md claim table has no row for {}", c.id));
        assert!(
            row.contains(&format!("**{}**", c.expected)),
            "docs/claims.md row for {} does not show `{}`",
            c.id,
            c.expected
        );
    }
}

#[test]
fn verify_help_states_the_budgets_the_code_uses() {
    use clap::ValueEnum;
    for b in Budget::value_variants() {
        let help = b
            .to_possible_value()
            .unwrap()
            .get_help()
            .unwrap()
            .to_string();
        for (what, n) in [
            ("Nelder–Mead starts", b.starts() as u64),
            ("iterations", b.iters()),
            ("random points", b.random_points() as u64),
            ("Monte Carlo draws", b.mc() as u64),
        ] {
            assert!(
                help.contains(&format!("{n} {what}")),
                "{b:?}: help `{help}` does not state {n} {what}"
            );
        }
    }
}
