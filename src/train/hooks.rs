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

/// Warns once when the penultimate features collapse: the test features' mean squared norm
/// falls below 1/1000 of its value before this invocation trained. With `ℓ_s̄` as printed (Eq. 2) and a
/// large λ this is what happens; any objective can trigger it.
#[derive(Default)]
pub struct CollapseWarning {
    reference: Option<f64>,
    warned: bool,
    /// Messages emitted (also printed to stderr).
    pub messages: Vec<String>,
}

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
    }

    fn on_epoch_end(&mut self, e: &EpochEnd<'_>) {
        let (Some(r), Some(test)) = (self.reference, e.test) else {
            return;
        };
        let energy = feature_energy(test);
        if !self.warned && energy < 1e-3 * r {
            self.warned = true;
            let hint = match e.config.loss.rep_lambda() {
                Some(lambda) => format!(
                    "; ℓ_s̄'s gradient dominates at λ = {lambda}: try a smaller lambda or rep_scaling = released"
                ),
                None => String::new(),
            };
            let m = format!(
                "warning: the penultimate features have collapsed (mean ‖φ‖² on the test set fell from {r:.2e} to {energy:.2e} at epoch {}){hint}",
                e.metrics.epoch
            );
            eprintln!("{m}");
            self.messages.push(m);
        }
    }
}
