//! The largest-margin losses of Zhou et al. 2022 ("Learning towards the largest margins",
//! paper 003): the LM-softmax, the sample-margin regulariser and the zero-centroid regulariser.
//!
//! Only the abstract is in `../shared/papers/`; the formulas follow third-party
//! reimplementations that cite the paper (the class-margin definition is confirmed by MR²'s
//! Table 4). The `1/s` factor of the LM-softmax and the scaling of the zero-centroid term are
//! therefore our reading, not checked against the paper body.

use burn::tensor::{Bool, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::ce::cross_entropy;
use super::representation::normalize_rows;
use super::{check_finite_nonneg, check_positive, Batch, Terms};
use crate::error::Result;
use crate::tensor::{labels_tensor, like, scalar, On};

/// Per-sample sample margin `γ(x, y) = cos θ_y − max_{k≠y} cos θ_k` of cosine rows `[B, K]`.
pub fn sample_margin(cos: Tensor<2>, labels: &[usize]) -> Tensor<1> {
    let [n, k] = cos.dims();
    let on = On::of(&cos);
    let target: Vec<bool> = (0..n * k).map(|ik| labels[ik / k] == ik % k).collect();
    let mask = Tensor::<2, Bool>::from_data(TensorData::new(target, [n, k]), &on.device);
    let other = cos.clone().mask_fill(mask, -2.0).max_dim(1).reshape([n]);
    let own = cos
        .gather(1, labels_tensor(labels, &on).reshape([n, 1]))
        .reshape([n]);
    own - other
}

/// The sample-margin regulariser `mean_i (max_{k≠y} cos θ_k − cos θ_y)` of features `[B, d]`
/// and head columns `[d, K]`, both normalised.
pub fn sample_margin_reg(features: Tensor<2>, head: Tensor<2>, labels: &[usize]) -> Tensor<1> {
    let cos = normalize_rows(features).matmul(normalize_rows(head.transpose()).transpose());
    sample_margin(cos, labels).neg().mean()
}

/// `‖(1/K) Σ_k w_k/‖w_k‖‖²` of head columns `[d, K]` (the zero-centroid regulariser).
pub fn zero_centroid(weights: Tensor<2>) -> Tensor<1> {
    let [_, k] = weights.dims();
    let wn = normalize_rows(weights.transpose()); // [K, d]
    (wn.sum_dim(0) / k as f64).square().sum()
}

/// LM-softmax on a cosine head.
///
/// # Formula
/// `ℓ = (1/s) ln Σ_{k≠y} e^{s(cos θ_k − cos θ_y)}` (the true class is not in the denominator,
/// so the loss can be negative; as `s → ∞` it tends to minus the sample margin), plus
/// `μ·‖(1/K) Σ_k w̃_k‖²` (zero-centroid, 0 by default: it targets imbalance).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LmSoftmaxParams {
    /// Scale `s > 0` (reimplementation default 5).
    pub scale: f64,
    /// Weight `μ ≥ 0` of the zero-centroid term.
    pub zero_centroid: f64,
}

impl Default for LmSoftmaxParams {
    fn default() -> Self {
        Self {
            scale: 5.0,
            zero_centroid: 0.0,
        }
    }
}

impl LmSoftmaxParams {
    /// # Errors
    /// `s ≤ 0`, `μ < 0`.
    pub fn validate(&self) -> Result<()> {
        check_positive(
            "scale",
            self.scale,
            "the LM-softmax scale s must be finite and > 0",
        )?;
        check_finite_nonneg(
            "zero_centroid",
            self.zero_centroid,
            "the zero-centroid weight must be finite and >= 0",
        )
    }

    /// The loss of a batch (logits are cosines).
    ///
    /// # Errors
    /// The backend cannot return a term.
    pub fn loss(&self, b: &Batch<'_>) -> Result<Terms> {
        let [n, k] = b.logits.dims();
        let on = On::of(&b.logits);
        let s = self.scale;
        let own = b
            .logits
            .clone()
            .gather(1, labels_tensor(b.labels, &on).reshape([n, 1]));
        let target: Vec<bool> = (0..n * k).map(|ik| b.labels[ik / k] == ik % k).collect();
        let mask = Tensor::<2, Bool>::from_data(TensorData::new(target, [n, k]), &on.device);
        let z = ((b.logits.clone() - own) * s).mask_fill(mask, -1e30);
        let m = z.clone().max_dim(1).detach();
        let lse = (z - m.clone()).exp().sum_dim(1).log() + m;
        let lm = lse.reshape([n]).mean() / s;
        let mut parts = vec![("lm", scalar(lm.clone(), "LM-softmax")?)];
        let total = if self.zero_centroid > 0.0 {
            let zc = zero_centroid(like(b.model.net.head_weight_tensor(), &on));
            parts.push(("zero_centroid", scalar(zc.clone(), "zero-centroid")?));
            lm + zc * self.zero_centroid
        } else {
            lm
        };
        Ok(Terms { total, parts })
    }
}

/// Sample-margin regulariser on a linear head.
///
/// # Formula
/// `CE + λ·mean_i (max_{k≠y} cos θ_k − cos θ_y)`, the cosines taken between the normalised
/// features and the normalised head columns (the head itself stays linear).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SampleMarginParams {
    /// Weight `λ ≥ 0` (our default 1).
    pub weight: f64,
}

impl Default for SampleMarginParams {
    fn default() -> Self {
        Self { weight: 1.0 }
    }
}

impl SampleMarginParams {
    /// # Errors
    /// `λ < 0`.
    pub fn validate(&self) -> Result<()> {
        check_finite_nonneg(
            "weight",
            self.weight,
            "the sample-margin weight λ must be finite and >= 0",
        )
    }

    /// The loss of a batch.
    ///
    /// # Errors
    /// The backend cannot return a term.
    pub fn loss(&self, b: &Batch<'_>) -> Result<Terms> {
        let head = like(b.model.net.head_weight_tensor(), &On::of(&b.features));
        let reg = sample_margin_reg(b.features.clone(), head, b.labels);
        let ce = cross_entropy(b.logits.clone(), b.labels);
        Ok(Terms {
            parts: vec![
                ("ce", scalar(ce.clone(), "CE")?),
                ("sample_margin", scalar(reg.clone(), "sample margin")?),
            ],
            total: ce + reg * self.weight,
        })
    }
}
