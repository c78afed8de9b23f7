//! Paired contrasts between the rows of a plan (`to − from`, same seeds) with their 95%
//! intervals ([`crate::stats`]), and the paper's claim for the same rows scaled to our headroom.

use serde::Serialize;

use super::figures::RunFigures;
use super::Plan;
use crate::stats::{paired, Paired};

/// Per-seed differences `f(to) − f(from)` over the seeds both rows have finished, in seed order.
pub(super) fn differences(
    runs: &[RunFigures],
    from: &str,
    to: &str,
    f: impl Fn(&RunFigures) -> f64,
) -> Vec<f64> {
    let mut pairs: Vec<(u64, f64)> = runs
        .iter()
        .filter(|r| r.row == to)
        .filter_map(|r| {
            runs.iter()
                .find(|b| b.row == from && b.seed == r.seed)
                .map(|b| (r.seed, f(r) - f(b)))
        })
        .collect();
    pairs.sort_by_key(|p| p.0);
    pairs.into_iter().map(|p| p.1).collect()
}

/// A contrast of the plan (`to − from`, same seeds): overall, hard third and per class.
#[derive(Debug, Clone, Serialize)]
pub struct ContrastFigures {
    /// Label.
    pub label: String,
    /// Row subtracted.
    pub from: String,
    /// Row it is subtracted from.
    pub to: String,
    /// Overall accuracy difference (points).
    pub overall: Paired,
    /// Hard-third accuracy difference (thirds of the reference row's model).
    pub hard: Paired,
    /// Per-class accuracy difference, by class id.
    pub per_class: Vec<Paired>,
    /// Output-level margin difference (Table 4).
    pub output_margin: Paired,
    /// Classifier-level margin difference (degrees).
    pub classifier_margin: Paired,
    /// The paper's difference for the same two rows, where it reports both.
    pub paper: Option<PaperClaim>,
}

/// The paper's difference between two rows and what our interval says about it, as printed
/// and scaled.
///
/// The scaled claim is one transfer model: the paper's Δ times (100 − our `from` accuracy) /
/// (100 − the paper's `from` accuracy), i.e. the same *relative* reduction of the error (a
/// gain of 3 points on a 29%-error CIFAR-100 model is a larger share than on an 8%-error
/// Fashion-MNIST one). It assumes the method removes the same share of the errors whatever
/// the level; the paper's own relative reductions range from 4% (Table 7) to 18% (Table 14),
/// so both verdicts are given and the weaker one ([`crate::stats::Verdict::weaker`]) is the
/// headline.
#[derive(Debug, Clone, Serialize)]
pub struct PaperClaim {
    /// The paper's Δ overall and Δ hard (points), as printed.
    pub delta: [f64; 2],
    /// Scaled to our headroom (overall, hard).
    pub scaled: [f64; 2],
    /// [`Paired::verdict_words`] of our overall and hard intervals against the scaled claims.
    pub verdict: [String; 2],
    /// [`Paired::verdict_words`] of our overall and hard intervals against the printed claims.
    pub verdict_printed: [String; 2],
    /// The weaker of the two verdicts, overall and hard, in words.
    pub headline: [String; 2],
    /// The `to` row trains ℓ_s̄ of Eq. 2 as printed (unscaled), which the authors did not
    /// train: its difference is a finding about that loss, not a test of the claim.
    pub eq2_as_printed: bool,
}

/// The weaker of the verdicts of `p` on two claims of the same sign, in words (the figure
/// of "not reproduced (at most …)" is the interval's, the same for both).
pub fn weaker_words(p: &Paired, printed: f64, scaled: f64) -> String {
    let (a, b) = (p.verdict(printed), p.verdict(scaled));
    if a.weaker(b) == a {
        p.verdict_words(printed)
    } else {
        p.verdict_words(scaled)
    }
}

/// The paper's claim for `from → to`, scaled to the headroom of our `from` row (mean overall
/// and hard accuracy over its finished runs).
fn paper_claim(
    plan: &Plan,
    runs: &[RunFigures],
    from: &str,
    to: &str,
    ours: [&Paired; 2],
) -> Option<PaperClaim> {
    let table = plan.paper.as_ref()?;
    let (pf, pt) = (
        super::paper::paper_row(table, from)?,
        super::paper::paper_row(table, to)?,
    );
    let mine: Vec<&RunFigures> = runs.iter().filter(|r| r.row == from).collect();
    if mine.is_empty() {
        return None;
    }
    let mean =
        |f: fn(&RunFigures) -> f64| mine.iter().map(|r| f(r)).sum::<f64>() / mine.len() as f64;
    let ours_from = [mean(|r| r.overall), mean(|r| r.hard)];
    let delta = [pt[0] - pf[0], pt[3] - pf[3]];
    let eq2_as_printed = plan
        .runs
        .iter()
        .find(|r| r.row == to)
        .and_then(|r| r.config.loss.mr2_form())
        .is_some_and(|(form, p)| {
            form.has_rep() && p.lambda > 0.0 && p.rep_scaling == crate::loss::RepScaling::Printed
        });
    let scaled = [
        delta[0] * (100.0 - ours_from[0]) / (100.0 - pf[0]),
        delta[1] * (100.0 - ours_from[1]) / (100.0 - pf[3]),
    ];
    Some(PaperClaim {
        delta,
        scaled,
        verdict: [
            ours[0].verdict_words(scaled[0]),
            ours[1].verdict_words(scaled[1]),
        ],
        verdict_printed: [
            ours[0].verdict_words(delta[0]),
            ours[1].verdict_words(delta[1]),
        ],
        headline: [
            weaker_words(ours[0], delta[0], scaled[0]),
            weaker_words(ours[1], delta[1], scaled[1]),
        ],
        eq2_as_printed,
    })
}

pub(super) fn contrast_figures(plan: &Plan, runs: &[RunFigures], k: usize) -> Vec<ContrastFigures> {
    plan.contrasts
        .iter()
        .map(|(label, from, to)| {
            let overall = paired(&differences(runs, from, to, |r| r.overall));
            let hard = paired(&differences(runs, from, to, |r| r.hard));
            ContrastFigures {
                label: label.clone(),
                from: from.clone(),
                to: to.clone(),
                paper: paper_claim(plan, runs, from, to, [&overall, &hard]),
                overall,
                hard,
                per_class: (0..k)
                    .map(|c| paired(&differences(runs, from, to, |r| r.per_class[c])))
                    .collect(),
                output_margin: paired(&differences(runs, from, to, |r| r.output_margin)),
                classifier_margin: paired(&differences(runs, from, to, |r| {
                    r.classifier_margin_deg
                })),
            }
        })
        .collect()
}
