//! The claim registry: one entry per printed mathematical claim of §3–§4 and Appendix B.
//!
//! Each [`Claim`] carries its id, the paper reference as printed, the statement, its
//! [`Kind`], the verdict the suite expects, and a `check` that gathers [`Evidence`] — the
//! verdict in the evidence is computed from what the check measured (search, enumeration,
//! Monte Carlo), never copied from `expected`. Tests in `proofs/` assert the two agree.
//!
//! # Verdicts
//! * [`Verdict::Holds`] — true, and the search reaches the bound (`lhs/rhs ≥ 1 − TIGHT`), so no
//!   smaller constant is supported.
//! * [`Verdict::Loose`] — true, but the best ratio found stays below `1 − TIGHT` and/or a tighter
//!   form also holds on the same search.
//! * [`Verdict::Typo`] — the printed form is violated, and the evident intended form (what the
//!   derivation gives) holds on the counterexample and on its own search.
//! * [`Verdict::False`] — a counterexample violates the printed statement and no evident reading
//!   repairs it; a corrected statement, where one exists, is checked too.

mod b1_b2;
mod b8;
mod cor1;
mod engine;
mod lemma1;
mod lemma2;
mod lemma3;
pub mod montecarlo;
mod prop1;
mod prop2;
mod sec3;

pub use engine::{
    assess, decode, frequency_verdict, mc_identity, ratio, score, Alt, AltEvidence, AltRole, Claim,
    Counterexample, Evidence, FormFn, Kind, Relation, RepairBasis, Searched, Verdict,
};

/// All claims, in paper order.
pub fn registry() -> Vec<Claim> {
    let mut v = Vec::new();
    v.extend(sec3::claims());
    v.extend(b1_b2::claims());
    v.extend(lemma1::claims());
    v.extend(lemma2::claims());
    v.extend(lemma3::claims());
    v.extend(cor1::claims());
    v.extend(prop1::claims());
    v.extend(prop2::claims());
    v.extend(b8::claims());
    v
}

/// Look a claim up by id.
pub fn find(id: &str) -> Option<Claim> {
    registry().into_iter().find(|c| c.id == id)
}
