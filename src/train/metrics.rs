//! Per-epoch metrics: a row of `metrics.csv` (written with the `csv` crate) and the log line.

use serde::{Deserialize, Serialize};

use crate::error::{io_err, Result};

pub use crate::settings::nan_as_null;

/// One epoch's metrics (a row of `metrics.csv`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpochMetrics {
    /// Epoch (1-based, counting JTT's identification epochs).
    pub epoch: usize,
    /// Learning rate at the end of the epoch.
    pub lr: f64,
    /// Mean training objective.
    #[serde(with = "nan_as_null")]
    pub train_loss: f64,
    /// Training accuracy (on the fly, augmented inputs).
    pub train_acc: f64,
    /// Validation accuracy (NaN without a validation set).
    #[serde(with = "nan_as_null")]
    pub val_acc: f64,
    /// Test accuracy.
    #[serde(with = "nan_as_null")]
    pub test_acc: f64,
    /// Mean test accuracy of the easy third (this epoch's ranking).
    #[serde(with = "nan_as_null")]
    pub easy: f64,
    /// Medium third.
    #[serde(with = "nan_as_null")]
    pub medium: f64,
    /// Hard third.
    #[serde(with = "nan_as_null")]
    pub hard: f64,
    /// Mean γ_k the logits were divided by at the end of the epoch.
    pub gamma_mean: f64,
    /// max γ − min γ.
    pub gamma_range: f64,
    /// s̄ used at the end of the epoch (NaN for objectives without one).
    #[serde(with = "nan_as_null")]
    pub s_bar: f64,
    /// Mean ‖ŝ_k‖ of the test features over the easy / medium / hard thirds (Fig. 7).
    #[serde(with = "nan_as_null")]
    pub spread_easy: f64,
    /// Medium third.
    #[serde(with = "nan_as_null")]
    pub spread_medium: f64,
    /// Hard third.
    #[serde(with = "nan_as_null")]
    pub spread_hard: f64,
    /// Per-class test accuracy, `;`-separated by class id, in full precision (empty where the
    /// test set was not evaluated, and in runs written before it was recorded).
    #[serde(default)]
    pub test_per_class: String,
    /// Seconds for the epoch (everything: the objective's epoch plan, the batches, the
    /// evaluation).
    pub seconds: f64,
    /// Seconds of the training steps alone (forward, objective, backward, optimiser); NaN in
    /// runs written before this column existed.
    #[serde(default = "nan", with = "nan_as_null")]
    pub step_seconds: f64,
    /// Seconds of the data pipeline during training (augmentation, batching, the copy to the
    /// device).
    #[serde(default = "nan", with = "nan_as_null")]
    pub data_seconds: f64,
    /// Seconds of the evaluation (test and validation predictions).
    #[serde(default = "nan", with = "nan_as_null")]
    pub eval_seconds: f64,
}

fn nan() -> f64 {
    f64::NAN
}

impl EpochMetrics {
    /// [`EpochMetrics::test_per_class`] read back (empty when not recorded or unreadable).
    pub fn per_class_accuracy(&self) -> Vec<f64> {
        if self.test_per_class.is_empty() {
            return vec![];
        }
        self.test_per_class
            .split(';')
            .map(str::parse::<f64>)
            .collect::<std::result::Result<Vec<_>, _>>()
            .unwrap_or_default()
    }

    /// The per-class accuracies as [`EpochMetrics::test_per_class`] stores them.
    pub fn join_per_class(acc: &[f64]) -> String {
        acc.iter()
            .map(|v| format!("{v:?}"))
            .collect::<Vec<_>>()
            .join(";")
    }

    /// Fixed-width log line.
    pub fn log_line(&self, epochs: usize) -> String {
        // A figure not measured this epoch (no test evaluation; no medium third with K = 2)
        // prints as "—", not "NaN%".
        let pct = |v: f64| {
            if v.is_finite() {
                format!("{:>6.2}%", 100.0 * v)
            } else {
                format!("{:>7}", "—")
            }
        };
        format!(
            "epoch {:>3}/{epochs} lr {:.4} loss {:>8.4} train {} test {} easy {} med {} hard {} γ̄ {:.3} s̄ {} ({:.1} s: steps {:.1}, data {:.1} = {:.1}% of steps, eval {:.1})",
            self.epoch,
            self.lr,
            self.train_loss,
            pct(self.train_acc),
            pct(self.test_acc),
            pct(self.easy),
            pct(self.medium),
            pct(self.hard),
            self.gamma_mean,
            if self.s_bar.is_finite() {
                format!("{:>8.4}", self.s_bar)
            } else {
                format!("{:>8}", "—")
            },
            self.seconds,
            self.step_seconds,
            self.data_seconds,
            100.0 * self.data_share(),
            self.eval_seconds
        )
    }

    /// The data pipeline's time as a fraction of the training steps' (NaN when not recorded).
    pub fn data_share(&self) -> f64 {
        self.data_seconds / self.step_seconds
    }
}

/// `metrics.csv` for a history (header and one row per epoch).
///
/// # Errors
/// Serialisation failure (not expected for these types).
pub fn csv_bytes(history: &[EpochMetrics]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for m in history {
        w.serialize(m)
            .map_err(|e| io_err("metrics.csv", std::io::Error::other(e.to_string())))?;
    }
    w.into_inner()
        .map_err(|e| io_err("metrics.csv", std::io::Error::other(e.to_string())))
}

/// Read a `metrics.csv`.
///
/// # Errors
/// Unreadable or malformed file (named).
pub fn read_csv(path: &std::path::Path) -> Result<Vec<EpochMetrics>> {
    let mut r =
        csv::Reader::from_path(path).map_err(|e| crate::error::data_err(path, e.to_string()))?;
    r.deserialize()
        .collect::<std::result::Result<Vec<EpochMetrics>, _>>()
        .map_err(|e| crate::error::data_err(path, e.to_string()))
}

/// The evaluated epoch (finite test accuracy) with the highest test accuracy, the first on
/// ties, with its per-class accuracies; `None` when no epoch was evaluated.
pub fn best_epoch(history: &[EpochMetrics]) -> Option<crate::eval::summary::BestEpoch> {
    let evaluated: Vec<&EpochMetrics> = history.iter().filter(|m| m.test_acc.is_finite()).collect();
    let best = evaluated
        .iter()
        .copied()
        .reduce(|a, b| if b.test_acc > a.test_acc { b } else { a })?;
    Some(crate::eval::summary::BestEpoch {
        epoch: best.epoch,
        overall: best.test_acc,
        per_class: best.per_class_accuracy(),
        evaluations: evaluated.len(),
    })
}
