//! The claim catalogue as JSON and Markdown (the output of `verify`).

use serde::Serialize;

use crate::claims::{Claim, Counterexample, Evidence, Kind, Verdict};

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
