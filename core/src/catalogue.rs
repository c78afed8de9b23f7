//! The claim catalogue (the output of `verify`): selecting claims, checking them on worker
//! threads, and writing the result as a text table, JSON and Markdown.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use serde::Serialize;

use crate::claims::{registry, Claim, Counterexample, Evidence, Kind, Verdict};
use crate::search::Budget;

/// The registered claims whose id contains one of `only` (all of them when `only` is empty).
///
/// # Errors
/// When no id matches, naming the filters.
pub fn select(only: &[String]) -> Result<Vec<Claim>, String> {
    let claims: Vec<Claim> = registry()
        .into_iter()
        .filter(|c| only.is_empty() || only.iter().any(|o| c.id.contains(o.as_str())))
        .collect();
    if claims.is_empty() {
        return Err(format!(
            "no claim id matches {only:?}; run `verify --list` for the ids"
        ));
    }
    Ok(claims)
}

/// Check `claims` under `budget` on `threads` worker threads (at least one), calling
/// `progress(done, total, record)` as each finishes; the records come back in `claims`' order.
pub fn check_all(
    claims: &[Claim],
    budget: Budget,
    threads: usize,
    progress: impl Fn(usize, usize, &ClaimRecord) + Sync,
) -> Vec<ClaimRecord> {
    let total = claims.len();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<ClaimRecord>>> = Mutex::new(vec![None; total]);
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= total {
                    break;
                }
                let t = Instant::now();
                let ev = (claims[i].check)(budget);
                let record = ClaimRecord::new(&claims[i], ev, t.elapsed().as_secs_f64());
                let d = done.fetch_add(1, Ordering::SeqCst) + 1;
                progress(d, total, &record);
                results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(record);
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect()
}

/// How many claims got each verdict, e.g. `"40 holds, 12 loose, 8 false"` (verdicts in
/// alphabetical order).
pub fn verdict_counts(records: &[ClaimRecord]) -> String {
    let mut counts = BTreeMap::new();
    for r in records {
        *counts.entry(r.verdict.to_string()).or_insert(0usize) += 1;
    }
    counts
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The terminal table: id, paper reference, verdict, observed, theoretical and the note's start.
pub fn claims_text(records: &[ClaimRecord]) -> String {
    let mut s = format!(
        "{:<26} {:<34} {:<7} {:>12} {:>12}  note\n{}\n",
        "id",
        "paper",
        "verdict",
        "observed",
        "theory",
        "-".repeat(130)
    );
    for r in records {
        s += &format!(
            "{:<26} {:<34} {:<7} {:>12.5} {:>12.5}  {}\n",
            r.id,
            r.paper_ref.chars().take(34).collect::<String>(),
            r.verdict.to_string(),
            r.observed,
            r.theoretical,
            r.note.chars().take(90).collect::<String>()
        );
    }
    s
}

/// One row of the catalogue (the JSON schema of `verify --json`).
#[derive(Debug, Clone, Serialize)]
pub struct ClaimRecord {
    /// Claim id.
    pub id: &'static str,
    /// Paper reference as printed.
    pub paper_ref: &'static str,
    /// Statement.
    pub statement: &'static str,
    /// Kind.
    pub kind: Kind,
    /// Computed verdict.
    pub verdict: Verdict,
    /// Verdict the suite expects.
    pub expected: Verdict,
    /// Whether they agree.
    pub as_expected: bool,
    /// What `observed`/`theoretical` measure.
    pub quantity: String,
    /// Measured value.
    pub observed: f64,
    /// Predicted value.
    pub theoretical: f64,
    /// Worst input found.
    pub worst_input: String,
    /// Corrected / tighter statement.
    pub corrected: Option<String>,
    /// Note.
    pub note: String,
    /// Counterexample (typo / false).
    pub counterexample: Option<Counterexample>,
    /// Test target.
    pub proof_file: &'static str,
    /// Seconds spent.
    pub seconds: f64,
}

impl ClaimRecord {
    /// Combine a claim with its evidence.
    pub fn new(c: &Claim, ev: Evidence, seconds: f64) -> Self {
        Self {
            id: c.id,
            paper_ref: c.paper_ref,
            statement: c.statement,
            kind: c.kind,
            verdict: ev.verdict,
            expected: c.expected,
            as_expected: ev.verdict == c.expected,
            quantity: ev.quantity,
            observed: ev.observed,
            theoretical: ev.theoretical,
            worst_input: ev.worst_input,
            corrected: ev.corrected,
            note: ev.note,
            counterexample: ev.counterexample,
            proof_file: c.proof_file,
            seconds,
        }
    }
}

#[derive(Serialize)]
struct Catalogue<'a> {
    claims: &'a [ClaimRecord],
}

/// `{"claims": [...]}`.
pub fn claims_json(records: &[ClaimRecord]) -> serde_json::Result<String> {
    serde_json::to_string_pretty(&Catalogue { claims: records })
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// A number for a table: scientific notation for tiny or huge magnitudes.
pub fn fmt_num(x: f64) -> String {
    let a = x.abs();
    if x == 0.0 || (1e-3..1e5).contains(&a) {
        format!("{x:.4}")
    } else {
        format!("{x:.2e}")
    }
}

/// A Markdown table: id, paper reference, statement, verdict, observed vs theoretical, and the
/// evidence (counterexample, corrected or tighter form, note).
pub fn claims_markdown(records: &[ClaimRecord]) -> String {
    let mut s = String::from(
        "| id | paper | claim (as printed) | verdict | observed / theory | evidence, correction |\n|---|---|---|---|---|---|\n",
    );
    for r in records {
        let mut ev = String::new();
        if let Some(cx) = &r.counterexample {
            let rel = match cx.relation {
                crate::claims::Relation::Le => "≤",
                crate::claims::Relation::Eq => "=",
            };
            ev += &format!(
                "Counterexample: printed {} {rel} {} fails. ",
                fmt_num(cx.printed_lhs),
                fmt_num(cx.printed_rhs)
            );
        }
        if let Some(c) = &r.corrected {
            let label = if r.verdict == Verdict::Loose || r.verdict == Verdict::Holds {
                "Tighter"
            } else {
                "Corrected"
            };
            ev += &format!("{label}: {c}. ");
        }
        ev += &r.note;
        s += &format!(
            "| `{}` | {} | {} | **{}** | {} / {} ({}) | {} |\n",
            r.id,
            md_escape(r.paper_ref),
            md_escape(r.statement),
            r.verdict,
            fmt_num(r.observed),
            fmt_num(r.theoretical),
            md_escape(&r.quantity),
            md_escape(ev.trim())
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_filters_by_id_and_names_a_filter_that_matches_nothing() {
        let all = select(&[]).unwrap();
        assert_eq!(all.len(), registry().len());
        let some = select(&["lemma2".to_string()]).unwrap();
        assert!(!some.is_empty() && some.len() < all.len());
        assert!(some.iter().all(|c| c.id.contains("lemma2")));
        let Err(err) = select(&["no-such-claim".to_string()]) else {
            panic!("an unknown id was accepted");
        };
        assert!(err.contains("no-such-claim"), "{err}");
    }

    #[test]
    fn check_all_keeps_the_order_reports_progress_and_counts_verdicts() {
        let claims = select(&["lemma2".to_string()]).unwrap();
        let calls = AtomicUsize::new(0);
        let records = check_all(&claims, Budget::Quick, 2, |d, total, _| {
            assert!(d >= 1 && d <= total && total == claims.len());
            calls.fetch_add(1, Ordering::SeqCst);
        });
        assert_eq!(calls.into_inner(), claims.len());
        let ids: Vec<&str> = records.iter().map(|r| r.id).collect();
        let want: Vec<&str> = claims.iter().map(|c| c.id).collect();
        assert_eq!(ids, want);
        let counts = verdict_counts(&records);
        let n: usize = counts
            .split(", ")
            .map(|p| p.split(' ').next().unwrap().parse::<usize>().unwrap())
            .sum();
        assert_eq!(n, records.len(), "{counts}");
        let text = claims_text(&records);
        assert_eq!(text.lines().count(), records.len() + 2);
        assert!(records.iter().all(|r| text.contains(r.id)));
    }
}
