//! The summary of a trained model (`summary.json`): per-class accuracy with names, the
//! easy/medium/hard thirds, the margins of Table 4, per-class feature statistics, and the γ and
//! s̄ the objective used.

use serde::{Deserialize, Serialize};

use super::{Groups, Thirds};
use crate::error::Result;
use crate::settings::nan_as_null;

/// Per-class results of a model on a dataset, as written to `summary.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    /// The objective's name (`ce`, `mr2`, `ldam`, …).
    pub method: String,
    /// Overall test accuracy.
    #[serde(with = "nan_as_null")]
    pub overall: f64,
    /// Per-class test accuracy, by class id.
    pub per_class: Vec<ClassResult>,
    /// Easy / medium / hard groups and their accuracies.
    pub groups: GroupSummary,
    /// Output-level margin (Table 4): average and per group.
    pub output_margin: GroupValues,
    /// Classifier-level margin: min pairwise angle of the head rows, degrees.
    pub classifier_margin_deg: f64,
    /// γ_k the logits were divided by in training ([`crate::loss::Objective::gamma_used`]: 1 for
    /// objectives without margins).
    pub gamma: Vec<f64>,
    /// s̄ at the end of training (MR² family only).
    pub s_bar: Option<f64>,
    /// Error of the final model on its (un-augmented) training set, in evaluation mode: how
    /// well the run fits its data (the bound's empirical side). NaN (`null`) in summaries
    /// written before it was recorded.
    #[serde(default = "not_recorded", with = "nan_as_null")]
    pub train_error: f64,
    /// The best test accuracy over the evaluated epochs and its epoch — test-set selection,
    /// what LDAM-DRW's and the released MR² code print as "Best Prec@1": for comparison with
    /// the literature only (every verdict is on the last epoch). Absent in summaries written
    /// before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best: Option<BestEpoch>,
}

/// The evaluated epoch with the best test accuracy (the first, on ties).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BestEpoch {
    /// Epoch (1-based).
    pub epoch: usize,
    /// Its overall test accuracy.
    pub overall: f64,
    /// Its per-class test accuracy, by class id (empty where the history did not record
    /// them).
    pub per_class: Vec<f64>,
    /// How many epochs were evaluated.
    pub evaluations: usize,
}

/// One class's row.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassResult {
    /// Class id.
    pub id: usize,
    /// Name (id when the dataset has none).
    pub name: String,
    /// Test accuracy.
    #[serde(with = "nan_as_null")]
    pub accuracy: f64,
    /// ‖μ̂_k‖ of the training features.
    #[serde(with = "nan_as_null")]
    pub mean_norm: f64,
    /// ‖ŝ_k‖ of the training features.
    #[serde(with = "nan_as_null")]
    pub spread: f64,
    /// Mean output-level margin (Table 4) of the class's test samples; NaN (`null`) in
    /// summaries written before it was recorded.
    #[serde(default = "not_recorded", with = "nan_as_null")]
    pub output_margin: f64,
}

fn not_recorded() -> f64 {
    f64::NAN
}

/// Groups and their mean accuracy.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSummary {
    /// Mean accuracy of each third (written as the fields `easy`, `medium`, `hard`).
    #[serde(flatten)]
    pub accuracy: Thirds,
    /// Class ids in each third.
    pub members: Groups,
}

/// A value averaged overall and per group.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupValues {
    /// All samples.
    #[serde(with = "nan_as_null")]
    pub avg: f64,
    /// Mean over each third's classes (written as the fields `easy`, `medium`, `hard`).
    #[serde(flatten)]
    pub thirds: Thirds,
}

impl Summary {
    /// Class names in id order.
    pub fn class_names(&self) -> Vec<String> {
        self.per_class.iter().map(|c| c.name.clone()).collect()
    }

    /// Read a `summary.json` and check its values: accuracies in `[0, 1]` (or `null`), class
    /// ids `0, 1, …` in order.
    ///
    /// # Errors
    /// Unreadable or malformed file, or a value out of range (named, with the value).
    pub fn read(path: &std::path::Path) -> Result<Self> {
        let s = std::fs::read_to_string(path).map_err(|e| crate::error::io_err(path, e))?;
        let summary: Self =
            serde_json::from_str(&s).map_err(|e| crate::error::data_err(path, e.to_string()))?;
        summary
            .check()
            .map_err(|why| crate::error::data_err(path, why))?;
        Ok(summary)
    }

    /// The range checks of [`Summary::read`], as the reason of the first failure.
    ///
    /// # Errors
    /// The first value out of range.
    pub fn check(&self) -> std::result::Result<(), String> {
        let g = &self.groups.accuracy;
        let named = [
            ("overall".to_string(), self.overall),
            ("groups.easy".into(), g.easy),
            ("groups.medium".into(), g.medium),
            ("groups.hard".into(), g.hard),
        ];
        let classes = self
            .per_class
            .iter()
            .map(|c| (format!("per_class[{}].accuracy", c.id), c.accuracy));
        for (what, v) in named.into_iter().chain(classes) {
            if !(v.is_nan() || (0.0..=1.0).contains(&v)) {
                return Err(format!(
                    "{what} = {v} is not an accuracy in [0, 1] (a fraction, not a percentage)"
                ));
            }
        }
        if let Some((i, c)) = self.per_class.iter().enumerate().find(|(i, c)| c.id != *i) {
            return Err(format!("per_class[{i}] has id {}, expected {i}", c.id));
        }
        Ok(())
    }
}
