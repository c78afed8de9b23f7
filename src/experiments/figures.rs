//! The figures an experiment's report is made of: one finished run's ([`RunFigures`]), one
//! row's over seeds ([`RowFigures`]) and the spread curves ([`SpreadCurve`]). Plain data, at the
//! bottom of the report's files: the contrasts, the audit, the aggregation and the rendering
//! read them.

use serde::Serialize;

use crate::stats::Paired;

/// One finished run's figures.
#[derive(Debug, Clone, Serialize)]
pub struct RunFigures {
    /// Run id.
    pub id: String,
    /// Row.
    pub row: String,
    /// Seed.
    pub seed: u64,
    /// Swept value, if any.
    pub axis: Option<(String, f64)>,
    /// Overall test accuracy (%).
    pub overall: f64,
    /// Easy / medium / hard mean accuracy (%), by the reference model's thirds.
    pub easy: f64,
    /// Medium third.
    pub medium: f64,
    /// Hard third.
    pub hard: f64,
    /// Whether the thirds came from the reference run of this seed (else from this run).
    pub reference_groups: bool,
    /// Output-level margin (average).
    pub output_margin: f64,
    /// Output-level margin of the easy / medium / hard thirds (the same thirds as the
    /// accuracies; NaN when the summary has no per-class margins).
    pub output_margin_thirds: [f64; 3],
    /// Classifier-level margin (degrees).
    pub classifier_margin_deg: f64,
    /// Per-class accuracy (%), by class id.
    pub per_class: Vec<f64>,
    /// Validation accuracy (%) after the last epoch (NaN without a validation split).
    pub val_acc: f64,
    /// The neural-collapse ratio of the paper's Table 6, `Avg_y ‖ŝ_y‖/‖μ̂_y‖` over the classes
    /// (training features; NaN when the summary lacks them).
    pub collapse_ratio: f64,
    /// Seconds the run took: the sum of its epochs' `seconds` in `metrics.csv` (training and
    /// evaluation; as measured, on whatever else the machine was doing).
    pub seconds: f64,
    /// The final model's error (%) on its un-augmented training set (NaN for summaries written
    /// before it was recorded).
    pub train_error: f64,
    /// The best overall test accuracy (%) over the evaluated epochs — test-set selection, for
    /// comparison with the literature only (NaN where the summary does not record it).
    pub best: f64,
}

/// A row's mean ± sd over its finished seeds.
#[derive(Debug, Clone, Serialize)]
pub struct RowFigures {
    /// Row.
    pub row: String,
    /// Finished runs / planned runs.
    pub finished: usize,
    /// Planned runs.
    pub planned: usize,
    /// `(mean, sd)` of overall, easy, medium, hard, output margin, classifier margin.
    pub stats: Vec<(String, f64, f64)>,
    /// Paired (same seed) difference to the reference row of overall accuracy (points), with
    /// its 95% interval and sign-flip p-value.
    pub delta_overall: Paired,
    /// Paired difference of hard-third accuracy.
    pub delta_hard: Paired,
    /// Per-class mean accuracy (%).
    pub per_class: Vec<f64>,
}

/// One row's spread curves.
#[derive(Debug, Clone, Serialize)]
pub struct SpreadCurve {
    /// Row.
    pub row: String,
    /// `(epoch, mean spread)` of the easy, medium and hard thirds.
    pub thirds: [Vec<(f64, f64)>; 3],
}
