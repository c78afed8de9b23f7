//! Margin-adjusting losses on a cosine head: LDAM with deferred re-weighting (Cao et al. 2019)
//! and the maximum-margin loss MM (Kang et al., paper 004), with its LDAM offsets and DRW.

use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use super::ce::{cross_entropy_per_sample, weighted_mean};
use super::{check_positive, check_unit, Batch, EpochPlan, EpochStart, Terms, TrainingSet};
use crate::error::{invalid, Result};
use crate::tensor::{one_hot, tensor1, to_vec64, On};

/// LDAM margins `Δ_j = m · n_j^{−1/4} / max_k n_k^{−1/4}` (the largest margin is `m`).
pub fn ldam_margins(counts: &[usize], max_margin: f64) -> Vec<f64> {
    let q: Vec<f64> = counts
        .iter()
        .map(|&n| (n.max(1) as f64).powf(-0.25))
        .collect();
    let top = q.iter().cloned().fold(0.0, f64::max);
    q.iter().map(|v| max_margin * v / top).collect()
}

/// Class-balanced weights of Cui et al. 2019 (effective number), as DRW uses them:
/// `w_j = (1 − β)/(1 − β^{n_j})`, normalised to sum to `K`.
pub fn class_balanced_weights(counts: &[usize], beta: f64) -> Vec<f64> {
    let w: Vec<f64> = counts
        .iter()
        .map(|&n| (1.0 - beta) / (1.0 - beta.powi(n.max(1) as i32)))
        .collect();
    let s: f64 = w.iter().sum();
    let k = counts.len() as f64;
    w.iter().map(|v| v * k / s).collect()
}

/// First epoch (0-based) of DRW's second stage for a run of `epochs`: `⌊start·epochs⌋`.
pub fn drw_epoch(start: f64, epochs: usize) -> usize {
    (start * epochs as f64).floor() as usize
}

/// DRW's switch, shared by LDAM and MM: at the start of epoch `e`, the class-balanced weights
/// (β = `beta`) once DRW is on and its epoch has come; `None` before (the weights stay).
fn drw_weights(
    on: bool,
    start: f64,
    beta: f64,
    counts: &[usize],
    e: &EpochStart<'_>,
) -> Option<Vec<f64>> {
    (on && e.epoch >= drw_epoch(start, e.epochs)).then(|| class_balanced_weights(counts, beta))
}

/// DRW's start must be a fraction of the epochs (LDAM's and MM's `drw_start`).
fn check_drw_start(start: f64) -> Result<()> {
    check_unit(
        "drw_start",
        start,
        "the DRW start must be a fraction of the epochs in [0, 1)",
    )
}

/// LDAM (Cao et al. 2019, Eq. 12–13) with optional DRW (Alg. 1), on a cosine head.
///
/// # Formula
/// `ℓ = −ln softmax(s·(cos θ − Δ_y 1_y))_y`, `Δ_j = m·n_j^{−1/4}/max_k n_k^{−1/4}`. With DRW,
/// from epoch `⌊drw_start·E⌋` the batch mean is weighted by the class-balanced weights
/// (`β = 0.9999`) as `Σ w_{y_i}ℓ_i / Σ w_{y_i}`. Under balanced priors every `Δ_j = m` and the
/// weights are 1: a cosine classifier with an additive margin (CosFace), not CE.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LdamParams {
    /// Largest margin `m > 0` (code default 0.5).
    pub max_margin: f64,
    /// Logit scale `s > 0` (code default 30; the paper text says 10).
    pub scale: f64,
    /// Deferred re-weighting on.
    pub drw: bool,
    /// DRW starts after this fraction of the epochs (the code's 160 of 200 = 0.8).
    pub drw_start: f64,
    /// Effective-number β of the class-balanced weights (0.9999).
    pub drw_beta: f64,
}

impl Default for LdamParams {
    fn default() -> Self {
        Self {
            max_margin: 0.5,
            scale: 30.0,
            drw: false,
            drw_start: 0.8,
            drw_beta: 0.9999,
        }
    }
}

impl LdamParams {
    /// # Errors
    /// `m ≤ 0`, `s ≤ 0`, `drw_start ∉ [0, 1)`, `β ∉ [0, 1)`.
    pub fn validate(&self) -> Result<()> {
        check_positive(
            "max_margin",
            self.max_margin,
            "the LDAM margin must be finite and > 0",
        )?;
        check_positive(
            "scale",
            self.scale,
            "the logit scale s must be finite and > 0",
        )?;
        check_drw_start(self.drw_start)?;
        check_unit(
            "drw_beta",
            self.drw_beta,
            "the class-balanced β must lie in [0, 1)",
        )
    }
}

/// LDAM with its margins and (current) class weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ldam {
    /// Parameters.
    pub params: LdamParams,
    /// `Δ_j`.
    pub margins: Vec<f64>,
    /// DRW weights (1 before DRW starts or without DRW).
    pub weights: Vec<f64>,
    /// Class counts.
    pub counts: Vec<usize>,
}

impl Ldam {
    /// For a training set.
    pub fn new(params: LdamParams, set: &TrainingSet) -> Self {
        Self {
            margins: ldam_margins(&set.counts, params.max_margin),
            weights: vec![1.0; set.classes()],
            counts: set.counts.clone(),
            params,
        }
    }

    /// Switch DRW on at its epoch.
    pub fn on_epoch_start(&mut self, e: &EpochStart<'_>) -> EpochPlan {
        let p = &self.params;
        if let Some(w) = drw_weights(p.drw, p.drw_start, p.drw_beta, &self.counts, e) {
            self.weights = w;
        }
        EpochPlan::default()
    }

    /// The loss of a batch.
    pub fn loss(&self, b: &Batch<'_>) -> Terms {
        let [_, k] = b.logits.dims();
        let on = On::of(&b.logits);
        let shifted = b.logits.clone()
            - one_hot(b.labels, k, &on) * tensor1(&self.margins, &on).reshape([1, k]);
        let l = cross_entropy_per_sample(shifted * self.params.scale, b.labels);
        Terms::total(weighted_mean(l, &self.weights, b.labels))
    }
}

/// The maximum-margin loss MM (paper 004, Eq. 1–7) on a cosine head.
///
/// # Formula
/// `g = cos θ_y − max_{j≠y} cos θ_j`; `Δ^MM = e^{−|g| − δ}` with `δ = δ⁺ = β·δ⁻` when the sample
/// is classified correctly (`g > 0`) and `δ = δ⁻` otherwise (Eq. 2–5; `Δ^MM` is a constant, no
/// gradient). `ℓ = −ln softmax(s·(cos θ − Δ^MM 1_y))_y` (Eq. 4). With `ldam`, `δ⁻_j = δ⁻ − γ_j`,
/// `δ⁺_j = β(δ⁻ − γ_j)`, `γ_j = 0.5·n_j^{−1/4}/max_k n_k^{−1/4}` (Eq. 6–7). DRW as in LDAM (the
/// official code's class-balanced weights; Alg. 1 prints `1/n_y`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MmParams {
    /// `δ⁻ > 0` (paper Table 2, CIFAR-100 LT-100: 1.2).
    pub delta_minus: f64,
    /// `β = δ⁺/δ⁻ > 0` (paper: 1.3 there).
    pub beta: f64,
    /// Logit scale `s > 0` (paper text 10).
    pub scale: f64,
    /// LDAM offsets of Eq. 6–7.
    pub ldam: bool,
    /// Deferred re-weighting.
    pub drw: bool,
    /// DRW start as a fraction of the epochs.
    pub drw_start: f64,
}

impl Default for MmParams {
    fn default() -> Self {
        Self {
            delta_minus: 1.2,
            beta: 1.3,
            scale: 10.0,
            ldam: false,
            drw: false,
            drw_start: 0.8,
        }
    }
}

impl MmParams {
    /// # Errors
    /// `δ⁻ ≤ 0`, `β ≤ 0`, `s ≤ 0`, `drw_start ∉ [0, 1)`.
    pub fn validate(&self) -> Result<()> {
        check_positive(
            "delta_minus",
            self.delta_minus,
            "MM's δ⁻ must be finite and > 0",
        )?;
        check_positive("beta", self.beta, "MM's β = δ⁺/δ⁻ must be finite and > 0")?;
        check_positive(
            "scale",
            self.scale,
            "the logit scale s must be finite and > 0",
        )?;
        check_drw_start(self.drw_start)
    }
}

/// MM with its per-class offsets and weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mm {
    /// Parameters.
    pub params: MmParams,
    /// `γ_j` of MM-LDAM (zeros without `ldam`).
    pub offsets: Vec<f64>,
    /// DRW weights.
    pub weights: Vec<f64>,
    /// Class counts.
    pub counts: Vec<usize>,
}

impl Mm {
    /// For a training set.
    pub fn new(params: MmParams, set: &TrainingSet) -> Self {
        Self {
            offsets: if params.ldam {
                ldam_margins(&set.counts, 0.5)
            } else {
                vec![0.0; set.classes()]
            },
            weights: vec![1.0; set.classes()],
            counts: set.counts.clone(),
            params,
        }
    }

    /// Switch DRW on at its epoch.
    pub fn on_epoch_start(&mut self, e: &EpochStart<'_>) -> EpochPlan {
        // MM's code uses LDAM's β = 0.9999 for its DRW weights.
        let p = &self.params;
        if let Some(w) = drw_weights(p.drw, p.drw_start, 0.9999, &self.counts, e) {
            self.weights = w;
        }
        EpochPlan::default()
    }

    /// The per-sample margins `Δ^MM` of cosine rows `z` (plain `f64`, the definition the tensor
    /// loss uses).
    pub fn margins(&self, z: &[f64], k: usize, labels: &[usize]) -> Vec<f64> {
        labels
            .iter()
            .enumerate()
            .map(|(i, &y)| {
                let row = &z[i * k..(i + 1) * k];
                let other = (0..k)
                    .filter(|&j| j != y)
                    .map(|j| row[j])
                    .fold(f64::NEG_INFINITY, f64::max);
                let g = row[y] - other;
                let dm = self.params.delta_minus - self.offsets[y];
                let delta = if g > 0.0 { self.params.beta * dm } else { dm };
                (-g.abs() - delta).exp()
            })
            .collect()
    }

    /// The loss of a batch.
    ///
    /// # Errors
    /// The backend cannot return the logits.
    pub fn loss(&self, b: &Batch<'_>) -> Result<Terms> {
        let [_, k] = b.logits.dims();
        if k < 2 {
            return Err(invalid("classes", k, "MM needs at least 2 classes"));
        }
        let z = to_vec64(b.logits.clone().detach(), "logits")?;
        let delta = self.margins(&z, k, b.labels);
        Ok(Terms::total(mm_loss(
            b.logits.clone(),
            b.labels,
            &delta,
            self.params.scale,
            &self.weights,
        )))
    }
}

/// MM's loss for given (constant) per-sample margins `Δ`:
/// `Σ_i w_{y_i}·CE(s·(cos θ_i − Δ_i 1_{y_i}))_i / Σ_i w_{y_i}`.
pub fn mm_loss(
    cos: Tensor<2>,
    labels: &[usize],
    delta: &[f64],
    scale: f64,
    weights: &[f64],
) -> Tensor<1> {
    let [n, k] = cos.dims();
    let on = On::of(&cos);
    let shift = one_hot(labels, k, &on) * tensor1(delta, &on).reshape([n, 1]);
    let l = cross_entropy_per_sample((cos - shift) * scale, labels);
    weighted_mean(l, weights, labels)
}

/// The effective logit temperature `1/s` of a scaled cosine loss, as a per-class γ (the logits
/// the loss sees are `cos θ / γ`).
pub fn scale_as_gamma(scale: f64, k: usize) -> Vec<f64> {
    vec![1.0 / scale; k]
}
