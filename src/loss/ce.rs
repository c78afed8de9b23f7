//! Cross-entropy and its direct variants: ERM, label smoothing, focal loss, logit adjustment
//! (LA) and the softmax equalization loss (EQL).

use burn::tensor::activation::log_softmax;
use burn::tensor::{Bool, Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::{check_finite_nonneg, check_unit, log_prior, Batch, Terms, TrainingSet};
use crate::error::{invalid, Result};
use crate::tensor::{labels_tensor, per_sample, tensor1, On};

/// Per-sample cross-entropy `−ln softmax(z_i)_{y_i}`, `[B]`.
pub fn cross_entropy_per_sample(logits: Tensor<2>, labels: &[usize]) -> Tensor<1> {
    let [b, _] = logits.dims();
    let on = On::of(&logits);
    log_softmax(logits, 1)
        .gather(1, labels_tensor(labels, &on).reshape([b, 1]))
        .reshape([b])
        .neg()
}

/// Batch-mean cross-entropy (one-element tensor).
pub fn cross_entropy(logits: Tensor<2>, labels: &[usize]) -> Tensor<1> {
    cross_entropy_per_sample(logits, labels).mean()
}

/// Class-weighted mean as PyTorch's `cross_entropy(weight=w)` reduces it:
/// `Σ_i w_{y_i} ℓ_i / Σ_i w_{y_i}` (the DRW of LDAM and MM).
pub fn weighted_mean(
    per_sample_loss: Tensor<1>,
    class_weights: &[f64],
    labels: &[usize],
) -> Tensor<1> {
    let on = On::of(&per_sample_loss);
    let w = per_sample(class_weights, labels, &on);
    let denom: f64 = labels.iter().map(|&y| class_weights[y]).sum();
    (per_sample_loss * w).sum() / denom
}

/// Label smoothing (Szegedy et al. 2016, §7).
///
/// # Formula
/// `ℓ = (1 − ε)·(−ln p_y) + ε·(1/K) Σ_k (−ln p_k)` — the smoothed target puts `ε/K` on every
/// class, the true one included.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LabelSmoothingParams {
    /// Smoothing `ε ∈ [0, 1)` (paper 0.1).
    pub epsilon: f64,
}

impl Default for LabelSmoothingParams {
    fn default() -> Self {
        Self { epsilon: 0.1 }
    }
}

impl LabelSmoothingParams {
    /// # Errors
    /// `ε ∉ [0, 1)`.
    pub fn validate(&self) -> Result<()> {
        check_unit(
            "epsilon",
            self.epsilon,
            "label smoothing ε must lie in [0, 1)",
        )
    }

    /// The loss of a batch.
    pub fn loss(&self, b: &Batch<'_>) -> Terms {
        let [n, _] = b.logits.dims();
        let on = On::of(&b.logits);
        let lsm = log_softmax(b.logits.clone(), 1);
        let nll = lsm
            .clone()
            .gather(1, labels_tensor(b.labels, &on).reshape([n, 1]))
            .reshape([n])
            .neg();
        let uniform = lsm.mean_dim(1).reshape([n]).neg();
        Terms::total((nll * (1.0 - self.epsilon) + uniform * self.epsilon).mean())
    }
}

/// Focal loss (Lin et al. 2017, Eq. 5), in the softmax form of the LDAM-DRW code.
///
/// # Formula
/// `ℓ = (1 − e^{−CE})^γ · CE`, `CE = −ln p_y` (so `e^{−CE} = p_y`); no α.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FocalParams {
    /// Focusing `γ ≥ 0` (Lin et al. 2; the LDAM-DRW code uses 1).
    pub gamma: f64,
}

impl Default for FocalParams {
    fn default() -> Self {
        Self { gamma: 2.0 }
    }
}

impl FocalParams {
    /// # Errors
    /// `γ < 0` or non-finite.
    pub fn validate(&self) -> Result<()> {
        check_finite_nonneg("gamma", self.gamma, "the focal γ must be finite and >= 0")
    }

    /// The loss of a batch.
    pub fn loss(&self, b: &Batch<'_>) -> Terms {
        let ce = cross_entropy_per_sample(b.logits.clone(), b.labels);
        let p = ce.clone().neg().exp();
        let modulating = (p.neg() + 1.0).clamp_min(0.0).powf_scalar(self.gamma);
        Terms::total((modulating * ce).mean())
    }
}

/// Logit adjustment (Menon et al. 2021), the loss form.
///
/// # Formula
/// `ℓ = −ln softmax(z + τ ln π)_y`, `π` the training-class priors; predictions use the raw
/// logits. Under balanced priors `τ ln π` is a constant shift and this is exactly CE.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LaParams {
    /// Strength `τ ≥ 0` (paper 1).
    pub tau: f64,
}

impl Default for LaParams {
    fn default() -> Self {
        Self { tau: 1.0 }
    }
}

impl LaParams {
    /// # Errors
    /// `τ < 0` or non-finite.
    pub fn validate(&self) -> Result<()> {
        check_finite_nonneg(
            "tau",
            self.tau,
            "the logit-adjustment τ must be finite and >= 0",
        )
    }
}

/// LA with the training priors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct La {
    /// Parameters.
    pub params: LaParams,
    /// `ln π_k`.
    pub log_prior: Vec<f64>,
}

impl La {
    /// For a training set.
    pub fn new(params: LaParams, set: &TrainingSet) -> Self {
        Self {
            params,
            log_prior: log_prior(&set.counts),
        }
    }

    /// The loss of a batch.
    pub fn loss(&self, b: &Batch<'_>) -> Terms {
        let k = self.log_prior.len();
        let on = On::of(&b.logits);
        let adj: Vec<f64> = self.log_prior.iter().map(|v| self.params.tau * v).collect();
        let z = b.logits.clone() + tensor1(&adj, &on).reshape([1, k]);
        Terms::total(cross_entropy(z, b.labels))
    }
}

/// Softmax equalization loss (Tan et al. 2020, the softmax form used for image
/// classification).
///
/// # Formula
/// `ℓ = −ln( e^{z_y} / Σ_k w̃_k e^{z_k} )`, `w̃_k = 1 − β·T_λ(f_k)·(1 − y_k)`: for every "tail"
/// class (`f_k = n_k/N < λ`) other than the label, its logit is dropped from the denominator
/// with probability γ (`β ∼ Bernoulli(γ)`, drawn per entry). With `λ ≤ 1/K` under balanced
/// priors no class is tail and this is exactly CE.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EqlParams {
    /// Frequency threshold `λ ∈ [0, 1)` (BagofTricks-LT default 5e-3).
    pub threshold: f64,
    /// Drop probability `γ ∈ [0, 1)` (BagofTricks-LT default 0.9).
    pub drop_prob: f64,
}

impl Default for EqlParams {
    fn default() -> Self {
        Self {
            threshold: 5e-3,
            drop_prob: 0.9,
        }
    }
}

impl EqlParams {
    /// # Errors
    /// `λ` or `γ` outside `[0, 1)`.
    pub fn validate(&self) -> Result<()> {
        check_unit(
            "threshold",
            self.threshold,
            "the EQL frequency threshold λ must lie in [0, 1)",
        )?;
        check_unit(
            "drop_prob",
            self.drop_prob,
            "the EQL drop probability γ must lie in [0, 1)",
        )
    }
}

/// EQL with its tail classes and its random stream (seed and batch counter, so a resumed run
/// draws what an uninterrupted one would).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Eql {
    /// Parameters.
    pub params: EqlParams,
    /// `T_λ(f_k)`.
    pub tail: Vec<bool>,
    /// Seed.
    pub seed: u64,
    /// Batches drawn so far.
    pub step: u64,
}

impl Eql {
    /// For a training set.
    ///
    /// # Errors
    /// An empty training set.
    pub fn new(params: EqlParams, set: &TrainingSet) -> Result<Self> {
        let n: usize = set.counts.iter().sum();
        if n == 0 {
            return Err(invalid("training set", 0, "EQL needs class frequencies"));
        }
        Ok(Self {
            params,
            tail: set
                .counts
                .iter()
                .map(|&c| (c as f64 / n as f64) < params.threshold)
                .collect(),
            seed: set.seed,
            step: 0,
        })
    }

    /// The loss of a batch (advances the random stream).
    pub fn loss(&mut self, b: &Batch<'_>) -> Terms {
        let [n, k] = b.logits.dims();
        let on = On::of(&b.logits);
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed ^ 0xe91_5eed);
        rng.set_stream(self.step);
        self.step += 1;
        let mut drop = vec![false; n * k];
        for (i, &y) in b.labels.iter().enumerate() {
            for c in 0..k {
                if c != y && self.tail[c] && rng.random::<f64>() < self.params.drop_prob {
                    drop[i * k + c] = true;
                }
            }
        }
        let mask = Tensor::<2, Bool>::from_data(TensorData::new(drop, [n, k]), &on.device);
        Terms::total(cross_entropy(
            b.logits.clone().mask_fill(mask, -1e30),
            b.labels,
        ))
    }
}
