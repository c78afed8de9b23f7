//! Per-epoch hooks: small observers the training loop calls after each epoch's evaluation
//! (progress lines, the feature-collapse warning, experiment recorders).

use super::config::TrainConfig;
use super::metrics::EpochMetrics;
use crate::model::Predictions;

/// What a hook sees after an epoch.
pub struct EpochEnd<'a> {
    /// The epoch's metrics.
    pub metrics: &'a EpochMetrics,
    /// Test-set predictions and features of the model after the epoch (`None` on the epochs
    /// [`TrainConfig::eval_every`] skips).
    pub test: Option<&'a Predictions>,
    /// Epochs of the run.
    pub epochs: usize,
    /// The run's configuration.
    pub config: &'a TrainConfig,
}

/// An observer of the training loop.
pub trait EpochHook {
    /// Called once before this invocation trains, with the test predictions of the model it
    /// starts from (the fresh or the resumed one).
    fn on_start(&mut self, _test: &Predictions) {}

    /// Called after each epoch, before the checkpoint is written (with `e.test` only on the
    /// epochs that were evaluated).
    fn on_epoch_end(&mut self, e: &EpochEnd<'_>);
}

/// Prints the epoch's fixed-width log line to stderr.
pub struct ProgressLog;

impl EpochHook for ProgressLog {
    fn on_epoch_end(&mut self, e: &EpochEnd<'_>) {
        eprintln!("{}", e.metrics.log_line(e.epochs));
    }
}

/// Warns once when the penultimate features collapse. Two signs, either enough:
///
/// - the test features' mean squared norm falls below 1/1000 of its value before this
///   invocation trained **and** the test accuracy is at most twice chance (2/K): the features
///   went to a point and the predictions no longer depend on the input. A fall from the initial
///   scale alone is not collapse — an initialisation with large features (`--init
///   kaiming-normal` on ResNet-32 starts at ‖φ‖² ≈ 5.6e4) shrinks them a thousandfold while the
///   model learns;
/// - or it falls below 1/1000 of the largest value measured at an evaluated epoch of this
///   invocation: features that had a trained scale and lost it.
///
/// With `ℓ_s̄` as printed (Eq. 2) and a large λ this is what happens; any objective can
/// trigger it.
#[derive(Default)]
pub struct CollapseWarning {
    reference: Option<f64>,
    trained_peak: f64,
    /// Messages emitted (also printed to stderr); at most one.
    pub messages: Vec<String>,
}

/// The energy ratio below which features count as collapsed (see [`CollapseWarning`]).
pub const COLLAPSE_RATIO: f64 = 1e-3;

/// Mean `‖φ‖²` over a prediction set's features.
pub fn feature_energy(p: &Predictions) -> f64 {
    p.features
        .iter()
        .map(|v| f64::from(*v).powi(2))
        .sum::<f64>()
        / p.labels.len().max(1) as f64
}

impl EpochHook for CollapseWarning {
    fn on_start(&mut self, test: &Predictions) {
        self.reference = Some(feature_energy(test));
        self.trained_peak = 0.0;
    }

    fn on_epoch_end(&mut self, e: &EpochEnd<'_>) {
        let (Some(r), Some(test)) = (self.reference, e.test) else {
            return;
        };
        let energy = feature_energy(test);
        let chance = 1.0 / test.k.max(1) as f64;
        let from_start = energy < COLLAPSE_RATIO * r && e.metrics.test_acc <= 2.0 * chance;
        let from_peak = energy < COLLAPSE_RATIO * self.trained_peak;
        if self.messages.is_empty() && (from_start || from_peak) {
            let hint = match e.config.loss.rep_lambda() {
                Some(lambda) => format!(
                    "; ℓ_s̄'s gradient dominates at λ = {lambda}: try a smaller lambda or rep_scaling = released"
                ),
                None => String::new(),
            };
            let what = if from_start {
                format!(
                    "fell from {r:.2e} before training to {energy:.2e}, test accuracy {:.2}% (chance {:.2}%)",
                    100.0 * e.metrics.test_acc,
                    100.0 * chance
                )
            } else {
                format!(
                    "fell from {:.2e}, its largest value in training, to {energy:.2e}",
                    self.trained_peak
                )
            };
            let m = format!(
                "warning: the penultimate features have collapsed (mean ‖φ‖² on the test set {what} at epoch {}){hint}",
                e.metrics.epoch
            );
            eprintln!("{m}");
            self.messages.push(m);
        }
        self.trained_peak = self.trained_peak.max(energy);
    }
}
