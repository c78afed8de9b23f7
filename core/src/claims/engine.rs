//! The engine under every claim file: verdicts, evidence and counterexamples, the
//! [`Searched`] description of an adversarial search and [`assess`], which turns a search into
//! a verdict, the Monte Carlo helpers and [`decode`]. The claim files use it; the registry
//! ([`super::registry`]) lists their claims. Nothing here knows a claim.

use serde::Serialize;

use crate::search::{maximize, Budget};
use crate::tolerance::{Tolerance, IDENTITY, INEQ_ABS, TIGHT, VIOLATION};

/// The four verdicts (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// True and sharp.
    Holds,
    /// True, a tighter form or smaller constant also holds.
    Loose,
    /// Printed form wrong, evident intended form holds.
    Typo,
    /// Printed form wrong, no evident repair.
    False,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Holds => "holds",
            Self::Loose => "loose",
            Self::Typo => "typo",
            Self::False => "false",
        })
    }
}

/// What sort of statement a claim is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// `lhs = rhs` for all admissible inputs.
    Identity,
    /// `lhs ≤ rhs` for all admissible inputs.
    Inequality,
    /// A minimiser / optimal choice.
    Optimum,
    /// The value of a constant.
    Constant,
    /// A high-probability statement, checked by Monte Carlo.
    Probabilistic,
}

/// The printed form evaluated at the counterexample, and the corrected form there.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Counterexample {
    /// The input, human-readable.
    pub input: String,
    /// Printed left-hand side.
    pub printed_lhs: f64,
    /// Printed right-hand side.
    pub printed_rhs: f64,
    /// Corrected left-hand side (if a correction exists).
    pub corrected_lhs: Option<f64>,
    /// Corrected right-hand side.
    pub corrected_rhs: Option<f64>,
    /// `"<="` or `"="`: the relation the printed form asserts.
    pub relation: Relation,
    /// Relation the corrected form asserts.
    pub corrected_relation: Relation,
}

/// Relation asserted by a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Relation {
    /// `lhs ≤ rhs`.
    #[serde(rename = "<=")]
    Le,
    /// `lhs = rhs`.
    #[serde(rename = "=")]
    Eq,
}

impl Relation {
    /// Whether `(lhs, rhs)` satisfies the relation within the suite's tolerances.
    pub fn holds(self, lhs: f64, rhs: f64) -> bool {
        match self {
            Self::Le => crate::tolerance::le(lhs, rhs),
            Self::Eq => IDENTITY.close(lhs, rhs),
        }
    }
}

/// What a check found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// What `observed` and `theoretical` measure (e.g. "sup lhs/rhs").
    pub quantity: String,
    /// The measured value.
    pub observed: f64,
    /// The value the claim predicts for that quantity.
    pub theoretical: f64,
    /// The worst input found (largest violation or closest approach).
    pub worst_input: String,
    /// Verdict computed from the evidence.
    pub verdict: Verdict,
    /// The corrected or tighter statement, where there is one.
    pub corrected: Option<String>,
    /// Short explanation.
    pub note: String,
    /// For `typo` / `false`: the printed and corrected forms at the counterexample.
    pub counterexample: Option<Counterexample>,
    /// What the search found for the claim's alternative (corrected or tighter) form, when the
    /// claim defines one.
    pub alt: Option<AltEvidence>,
}

/// The outcome of searching a claim's alternative form.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AltEvidence {
    /// A repair of the printed form, or a tighter form.
    pub repair: bool,
    /// For a repair: where it comes from.
    pub basis: Option<RepairBasis>,
    /// Whether it holds on its own search (and, for a repair, at the counterexample).
    pub holds: bool,
    /// Its own best score (sup lhs/rhs, or the largest relative error of an identity).
    pub best: f64,
    /// Whether the claim records it as sharp (its best ratio must reach `1 − TIGHT`).
    pub sharp: bool,
}

/// One printed claim.
#[derive(Clone, Copy)]
pub struct Claim {
    /// Stable identifier.
    pub id: &'static str,
    /// Paper reference as printed ("Lemma 2, Eq. 12/41/51").
    pub paper_ref: &'static str,
    /// The statement, in words/formula.
    pub statement: &'static str,
    /// Its kind.
    pub kind: Kind,
    /// The verdict the suite expects (tests fail if the evidence gives another).
    pub expected: Verdict,
    /// Which `proofs/` test target checks it.
    pub proof_file: &'static str,
    /// Gather the evidence.
    pub check: fn(Budget) -> Evidence,
}

/// `lhs/rhs` as a violation measure: > 1 means `lhs > rhs`. A zero or negative right-hand
/// side gives 1e12 when the left exceeds it (a violation the search can climb towards) and 0
/// otherwise: `0 ≤ 0` is not evidence that a bound is attained.
pub fn ratio(lhs: f64, rhs: f64) -> f64 {
    if rhs > INEQ_ABS {
        lhs / rhs
    } else if lhs > rhs + INEQ_ABS {
        1e12
    } else {
        0.0
    }
}

/// A form to evaluate at a search point: returns `(lhs, rhs)`.
pub type FormFn<'a> = &'a dyn Fn(&[f64]) -> (f64, f64);

/// Where the repair of a violated printed form comes from — the one rule that separates `typo`
/// from `false` ([`RepairBasis::verdict`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RepairBasis {
    /// The corrected form is what the paper's own argument gives: the cited step (an equation
    /// of the derivation, or the result that uses the claim) produces it. The repair is
    /// *evident* — the printed form is a typo.
    PaperDerivation(&'static str),
    /// The correction needs something the paper does not contain (another constant, a case
    /// split, another inequality): the printed statement is false.
    Outside(&'static str),
}

impl RepairBasis {
    /// `typo` when the repair comes from the paper's own derivation, `false` otherwise — and
    /// in both cases only once the corrected form has held at the counterexample and on its own
    /// search (see [`assess`]).
    pub fn verdict(self) -> Verdict {
        match self {
            Self::PaperDerivation(_) => Verdict::Typo,
            Self::Outside(_) => Verdict::False,
        }
    }

    /// The cited step or missing result.
    pub fn citation(self) -> &'static str {
        match self {
            Self::PaperDerivation(c) | Self::Outside(c) => c,
        }
    }
}

/// Role of the alternative form of a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AltRole {
    /// A repair of a violated printed form; if the printed form fails and this holds, the
    /// verdict is [`RepairBasis::verdict`].
    Repair(RepairBasis),
    /// A tighter form that, if it holds, makes the printed claim `loose`.
    Tighter,
}

/// The alternative (corrected or tighter) form of a claim.
pub struct Alt<'a> {
    /// Role.
    pub role: AltRole,
    /// Relation it asserts.
    pub relation: Relation,
    /// Its `(lhs, rhs)`.
    pub form: FormFn<'a>,
    /// It, in words.
    pub statement: &'a str,
    /// Whether the alternative is claimed sharp: its own search must reach `1 − TIGHT`.
    pub sharp: bool,
}

/// A claim checked by adversarial search over a decoded parameter vector.
pub struct Searched<'a> {
    /// Dimension of the search vector.
    pub dim: usize,
    /// Scale of the random starting points.
    pub scale: f64,
    /// Structured starting points.
    pub seeds: Vec<Vec<f64>>,
    /// Relation the printed form asserts.
    pub relation: Relation,
    /// Printed `(lhs, rhs)`.
    pub printed: FormFn<'a>,
    /// Corrected or tighter form.
    pub alt: Option<Alt<'a>>,
    /// Renders a search point as the input it decodes to.
    pub describe: &'a dyn Fn(&[f64]) -> String,
    /// Search budget.
    pub budget: Budget,
    /// RNG seed.
    pub seed: u64,
    /// Extra explanation appended to the note.
    pub note: &'a str,
}

impl<'a> Searched<'a> {
    /// A search of `dim` coordinates for violations of `printed` (which asserts `relation`),
    /// with `budget` and RNG `seed`; random starts of scale 2 (the box most claims decode),
    /// no structured starts, no alternative form, points shown as raw coordinates and no
    /// note until the builder methods say otherwise.
    pub fn new(
        dim: usize,
        relation: Relation,
        printed: FormFn<'a>,
        budget: Budget,
        seed: u64,
    ) -> Self {
        Self {
            dim,
            scale: 2.0,
            seeds: vec![],
            relation,
            printed,
            alt: None,
            describe: &|x| format!("{x:?}"),
            budget,
            seed,
            note: "",
        }
    }

    /// How a search point reads as the input it decodes to.
    pub fn describe(mut self, describe: &'a dyn Fn(&[f64]) -> String) -> Self {
        self.describe = describe;
        self
    }

    /// The scale of the random starting points.
    pub fn scale(mut self, scale: f64) -> Self {
        self.scale = scale;
        self
    }

    /// Structured starting points (equality cases, one-hot inputs, …).
    pub fn starts(mut self, seeds: Vec<Vec<f64>>) -> Self {
        self.seeds = seeds;
        self
    }

    /// The corrected or tighter form, checked on the same search (an `Alt`, or an
    /// `Option<Alt>` where a claim may have none).
    pub fn alt(mut self, alt: impl Into<Option<Alt<'a>>>) -> Self {
        self.alt = alt.into();
        self
    }

    /// Explanation appended to the note.
    pub fn note(mut self, note: &'a str) -> Self {
        self.note = note;
        self
    }
}

/// Violation score of a form at a point: for `≤`, `lhs/rhs`; for `=`, the relative error. A
/// point where either side is not finite (an overflow) scores NaN, which the search treats as
/// −∞: an overflow is never evidence of a violation.
pub fn score(rel: Relation, f: FormFn<'_>, x: &[f64]) -> f64 {
    let (l, r) = f(x);
    if !(l.is_finite() && r.is_finite()) {
        return f64::NAN;
    }
    match rel {
        Relation::Le => ratio(l, r),
        Relation::Eq => Tolerance::rel_err(l, r),
    }
}

fn violated(rel: Relation, s: f64) -> bool {
    match rel {
        Relation::Le => s > 1.0 + VIOLATION,
        Relation::Eq => s > IDENTITY.rel,
    }
}

/// Run the search and derive the verdict (see the module docs).
pub fn assess(s: Searched<'_>) -> Evidence {
    let obj = |x: &[f64]| score(s.relation, s.printed, x);
    let found = maximize(&obj, s.dim, s.scale, &s.seeds, s.budget, s.seed);
    let quantity = match s.relation {
        Relation::Le => "sup lhs/rhs of the printed form".to_string(),
        Relation::Eq => "max relative error of the printed identity".to_string(),
    };
    let theoretical = match s.relation {
        Relation::Le => 1.0,
        Relation::Eq => 0.0,
    };
    let worst = (s.describe)(&found.arg);
    // The ratio uses a sentinel (1e12) where the printed right-hand side is ≤ 0 and the left
    // exceeds it; such a point is reported by its difference lhs − rhs, never by the sentinel.
    let (observed, quantity, theoretical) = {
        let (l, r) = (s.printed)(&found.arg);
        if s.relation == Relation::Le && r <= INEQ_ABS && l > r + INEQ_ABS {
            (
                l - r,
                "lhs − rhs of the printed form where its rhs is ≤ 0 (a ratio is undefined)"
                    .to_string(),
                0.0,
            )
        } else {
            (found.value, quantity, theoretical)
        }
    };
    let mut ev = Evidence {
        quantity,
        observed,
        theoretical,
        worst_input: worst.clone(),
        verdict: Verdict::Holds,
        corrected: None,
        note: String::new(),
        counterexample: None,
        alt: None,
    };
    let alt_search = |a: &Alt<'_>, extra: Vec<f64>| {
        let mut seeds = s.seeds.clone();
        seeds.push(extra);
        let o = |x: &[f64]| score(a.relation, a.form, x);
        maximize(&o, s.dim, s.scale, &seeds, s.budget, s.seed ^ 0x5eed)
    };
    if violated(s.relation, found.value) {
        let (pl, pr) = (s.printed)(&found.arg);
        let mut cx = Counterexample {
            input: worst,
            printed_lhs: pl,
            printed_rhs: pr,
            corrected_lhs: None,
            corrected_rhs: None,
            relation: s.relation,
            corrected_relation: s.relation,
        };
        ev.verdict = Verdict::False;
        ev.note = format!("counterexample found (score {:.4}). ", found.value);
        if let Some(a) = &s.alt {
            let (cl, cr) = (a.form)(&found.arg);
            cx.corrected_lhs = Some(cl);
            cx.corrected_rhs = Some(cr);
            cx.corrected_relation = a.relation;
            let af = alt_search(a, found.arg.clone());
            let alt_ok = !violated(a.relation, af.value) && a.relation.holds(cl, cr);
            ev.alt = Some(AltEvidence {
                repair: matches!(a.role, AltRole::Repair(_)),
                basis: match a.role {
                    AltRole::Repair(b) => Some(b),
                    AltRole::Tighter => None,
                },
                holds: alt_ok,
                best: af.value,
                sharp: a.sharp,
            });
            if alt_ok {
                if let AltRole::Repair(basis) = a.role {
                    ev.verdict = basis.verdict();
                    ev.note += &format!(
                        "Repair basis: {} ({}). ",
                        match basis {
                            RepairBasis::PaperDerivation(_) => "the paper's own derivation",
                            RepairBasis::Outside(_) => "a result outside the paper",
                        },
                        basis.citation()
                    );
                }
                ev.corrected = Some(a.statement.to_string());
                ev.note += &format!(
                    "The corrected form holds at the counterexample and on its own search (worst score {:.4}).",
                    af.value
                );
            } else {
                ev.note += &format!(
                    "The candidate correction fails as well (worst score {:.4}): no repair verified.",
                    af.value
                );
            }
        }
        ev.counterexample = Some(cx);
    } else {
        let tight = match s.relation {
            Relation::Le => found.value >= 1.0 - TIGHT,
            Relation::Eq => true,
        };
        ev.verdict = if tight {
            Verdict::Holds
        } else {
            Verdict::Loose
        };
        ev.note = match s.relation {
            Relation::Le if tight => format!("no violation; the bound is attained (best ratio {:.4}).", found.value),
            Relation::Le => format!("no violation; best ratio found {:.4}, so the printed right-hand side is larger than needed. ", found.value),
            Relation::Eq => format!("identity holds to {:.1e} relative. ", found.value),
        };
        if let Some(a) = &s.alt {
            if a.role == AltRole::Tighter {
                // The verdict stays the ratio rule (a bound the search attains cannot have a
                // strictly tighter valid form); the tighter form is reported only if it holds.
                let af = alt_search(a, found.arg.clone());
                ev.alt = Some(AltEvidence {
                    repair: false,
                    basis: None,
                    holds: !violated(a.relation, af.value),
                    best: af.value,
                    sharp: a.sharp,
                });
                if violated(a.relation, af.value) {
                    ev.note += &format!(
                        " The proposed tighter form is violated (score {:.4}).",
                        af.value
                    );
                } else {
                    ev.corrected = Some(a.statement.to_string());
                    ev.note += &format!(
                        " Tighter form holds on the same search (best ratio {:.4}).",
                        af.value
                    );
                }
            }
        }
    }
    if !s.note.is_empty() {
        ev.note = format!("{} {}", ev.note.trim(), s.note);
    }
    ev
}

/// Evidence for a Monte Carlo identity: holds when `|estimate − truth| ≤ MC_Z·se`.
pub fn mc_identity(
    quantity: &str,
    est: f64,
    se: f64,
    truth: f64,
    input: String,
    note: &str,
) -> Evidence {
    let ok = (est - truth).abs() <= crate::tolerance::MC_Z * se + IDENTITY.abs;
    Evidence {
        quantity: quantity.to_string(),
        observed: est,
        theoretical: truth,
        worst_input: input,
        verdict: if ok { Verdict::Holds } else { Verdict::False },
        corrected: None,
        note: format!("Monte Carlo estimate {est:.5} ± {se:.5} (1 s.e.) vs {truth:.5}. {note}"),
        counterexample: None,
        alt: None,
    }
}

/// Verdict of a Monte Carlo check of a high-probability bound: `false` when the violation
/// frequency exceeds `δ` by more than `MC_Z` binomial standard errors; otherwise `loose` when the
/// largest ratio of the observed deviation to the bound's slack term stays below `1 − TIGHT`,
/// `holds` when it reaches it.
pub fn frequency_verdict(violations: usize, trials: usize, delta: f64, max_ratio: f64) -> Verdict {
    let freq = violations as f64 / trials as f64;
    let se = (delta * (1.0 - delta) / trials as f64).sqrt();
    if freq > delta + crate::tolerance::MC_Z * se {
        Verdict::False
    } else if max_ratio < 1.0 - TIGHT {
        Verdict::Loose
    } else {
        Verdict::Holds
    }
}

/// Decoding helpers shared by the claim checks.
pub mod decode {
    use ndarray::Array2;

    /// `exp(x)` clamped to `[e^-30, e^30]`: a positive number.
    pub fn pos(x: f64) -> f64 {
        x.clamp(-30.0, 30.0).exp()
    }
    /// A class index in `0..k` from an unconstrained search coordinate:
    /// ⌊k/(1 + e^{−v})⌋, capped at k − 1 (the logistic reaches k exactly in f64 for v ≳ 37).
    pub fn class_index(v: f64, k: usize) -> usize {
        (crate::search::squash(v, 0.0, k as f64).floor() as usize).min(k - 1)
    }
    /// An `n × d` matrix from the first `n·d` entries.
    pub fn matrix(x: &[f64], n: usize, d: usize) -> Array2<f64> {
        Array2::from_shape_vec((n, d), x[..n * d].to_vec()).expect("length checked by caller")
    }
    /// Compact rendering of a slice.
    pub fn show(v: &[f64]) -> String {
        let items: Vec<String> = v.iter().map(|x| format!("{x:.4}")).collect();
        format!("[{}]", items.join(", "))
    }
    /// Compact rendering of a matrix, row by row.
    pub fn show_m(m: &Array2<f64>) -> String {
        let rows: Vec<String> = m.rows().into_iter().map(|r| show(&r.to_vec())).collect();
        format!("[{}]", rows.join(", "))
    }

    #[cfg(test)]
    // Exact comparisons: the decoders copy coordinates or apply one correctly rounded operation.
    #[allow(clippy::float_cmp)]
    mod tests {
        use super::*;

        /// Every class is reached: 4/(1 + e^{−v}) floored is 0, 0, 1, 2, 3 here, and at v = 50
        /// the logistic is exactly 4 in f64, so the cap at k − 1 is needed, not redundant.
        #[test]
        fn class_index_covers_every_class_and_caps_the_top() {
            let got: Vec<usize> = [-50.0, -1.5, -0.5, 0.0, 1.5, 50.0]
                .iter()
                .map(|v| class_index(*v, 4))
                .collect();
            assert_eq!(got, vec![0, 0, 1, 2, 3, 3]);
            assert_eq!(crate::search::squash(50.0, 0.0, 4.0), 4.0);
            assert_eq!(class_index(50.0, 3), 2);
            assert_eq!(class_index(0.0, 3), 1);
        }
    }
}
