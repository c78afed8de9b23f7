//! What every objective shares: a batch as it sees it ([`Batch`]), the value it returns
//! ([`Terms`]), the training set it is built for ([`TrainingSet`]), the trainer's view at the
//! start of an epoch ([`EpochStart`]) and what it asks of the next ([`EpochPlan`]), the class
//! prior, and the checks of its parameters.

use burn::tensor::Tensor;

use crate::error::{invalid, Result};
use crate::model::Model;
use crate::model::Predictions;

/// The value of an objective on a batch: the differentiable total and its named terms (for
/// logs and tests).
pub struct Terms {
    /// Scalar (one-element) tensor to backpropagate.
    pub total: Tensor<1>,
    /// Named parts, e.g. `("ce", …)`, `("rep", …)`.
    pub parts: Vec<(&'static str, f64)>,
}

impl Terms {
    /// Only a total, no separate parts.
    pub fn total(total: Tensor<1>) -> Self {
        Self {
            total,
            parts: vec![],
        }
    }
}

/// One training batch as an objective sees it.
pub struct Batch<'a> {
    /// Logits `[B, K]` of the main net (cosines for a cosine head).
    pub logits: Tensor<2>,
    /// Penultimate features `[B, d]`.
    pub features: Tensor<2>,
    /// Labels.
    pub labels: &'a [usize],
    /// Index of each sample in the training set (LfF's per-sample tables).
    pub indices: &'a [usize],
    /// The model (head weights, DRL radii).
    pub model: &'a Model,
    /// Logits of LfF's biased net, when the model has one.
    pub biased_logits: Option<Tensor<2>>,
}

/// What an objective knows of the training set it is built for.
#[derive(Debug, Clone)]
pub struct TrainingSet {
    /// Samples per class.
    pub counts: Vec<usize>,
    /// Label of every training sample (per-sample methods).
    pub labels: Vec<usize>,
    /// Seed of the run (stochastic objectives).
    pub seed: u64,
}

impl TrainingSet {
    /// Classes `K`.
    pub fn classes(&self) -> usize {
        self.counts.len()
    }
}

/// The trainer's view at the start of an epoch.
pub struct EpochStart<'a> {
    /// Epoch about to run (0-based).
    pub epoch: usize,
    /// Epochs of the run.
    pub epochs: usize,
    /// Predictions of the current model on the training set (evaluation mode), computed on
    /// first use.
    pub train_predictions: &'a mut dyn FnMut() -> Result<Predictions>,
}

/// What an objective asks of the trainer for the coming epoch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EpochPlan {
    /// Re-initialise the model and the optimiser before this epoch (JTT's second stage).
    pub reset_model: bool,
    /// How many times each training sample appears in the epoch (JTT's up-sampling); `None`
    /// means once each.
    pub repeats: Option<Vec<usize>>,
}

/// `ln π_k` from class counts (`π_k = n_k / N`).
pub fn log_prior(counts: &[usize]) -> Vec<f64> {
    let n: usize = counts.iter().sum();
    counts
        .iter()
        .map(|&c| (c as f64 / n.max(1) as f64).ln())
        .collect()
}

/// Check `v` is finite and `>= 0`.
pub(crate) fn check_finite_nonneg(name: &'static str, v: f64, reason: &'static str) -> Result<()> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(invalid(name, v, reason))
    }
}

/// Check `v` is finite and `> 0`.
pub(crate) fn check_positive(name: &'static str, v: f64, reason: &'static str) -> Result<()> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(invalid(name, v, reason))
    }
}

/// Check `v ∈ [0, 1)`.
pub(crate) fn check_unit(name: &'static str, v: f64, reason: &'static str) -> Result<()> {
    if (0.0..1.0).contains(&v) {
        Ok(())
    } else {
        Err(invalid(name, v, reason))
    }
}
