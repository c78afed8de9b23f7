//! Distributionally robust objectives with classes as groups (MR² C.1): group DRO (Sagawa et
//! al. 2020) and the χ²-ball re-weighting of FairDRO (Jung et al. 2023).

use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use super::ce::cross_entropy_per_sample;
use super::{
    check_finite_nonneg, check_positive, Batch, EpochPlan, EpochStart, Terms, TrainingSet,
};
use crate::error::Result;
use crate::tensor::{one_hot, tensor1, to_vec64, On};

/// Per-class batch means of a per-sample loss `[B]`: `ℓ̄_k = Σ_{i: y_i=k} ℓ_i / max(1, n_k)`,
/// as a `[K]` tensor, and the batch counts `n_k`.
pub fn class_means(per_sample: Tensor<1>, labels: &[usize], k: usize) -> (Tensor<1>, Vec<usize>) {
    let on = On::of(&per_sample);
    let [b] = per_sample.dims();
    let mut counts = vec![0usize; k];
    for &y in labels {
        counts[y] += 1;
    }
    let inv: Vec<f64> = counts.iter().map(|&c| 1.0 / c.max(1) as f64).collect();
    let sums = one_hot(labels, k, &on)
        .transpose()
        .matmul(per_sample.reshape([b, 1]))
        .reshape([k]);
    (sums * tensor1(&inv, &on), counts)
}

/// Group DRO with classes as groups (Sagawa et al. 2020, the official code's online update).
///
/// # Formula
/// Per batch: `ℓ̄_k` the class means of CE; `q_k ← q_k·exp(η·(ℓ̄_k + C/√n_k))` (detached; the
/// adjustment `C/√n_k` uses training counts), then `q ← q/Σq`; loss `Σ_k q_k ℓ̄_k`. `q` starts
/// uniform and is kept across epochs. Under balanced classes the adjustment is a constant that
/// the normalisation cancels; `q` still moves towards the classes with the highest loss.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GroupDroParams {
    /// Step `η_q > 0` (code default 0.01).
    pub eta: f64,
    /// Generalisation adjustment `C ≥ 0` (default 0).
    pub adjustment: f64,
}

impl Default for GroupDroParams {
    fn default() -> Self {
        Self {
            eta: 0.01,
            adjustment: 0.0,
        }
    }
}

impl GroupDroParams {
    /// # Errors
    /// `η ≤ 0`, `C < 0`.
    pub fn validate(&self) -> Result<()> {
        check_positive(
            "eta",
            self.eta,
            "the group-DRO step η must be finite and > 0",
        )?;
        check_finite_nonneg(
            "adjustment",
            self.adjustment,
            "the group adjustment C must be finite and >= 0",
        )
    }
}

/// Group DRO and its group weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupDro {
    /// Parameters.
    pub params: GroupDroParams,
    /// `q ∈ Δ_K`.
    pub q: Vec<f64>,
    /// Training counts.
    pub counts: Vec<usize>,
}

impl GroupDro {
    /// For a training set.
    pub fn new(params: GroupDroParams, set: &TrainingSet) -> Self {
        let k = set.classes();
        Self {
            params,
            q: vec![1.0 / k as f64; k],
            counts: set.counts.clone(),
        }
    }

    /// The loss with the current `q` (no update).
    pub fn evaluate(&self, b: &Batch<'_>) -> Terms {
        let on = On::of(&b.logits);
        let (means, _) = class_means(
            cross_entropy_per_sample(b.logits.clone(), b.labels),
            b.labels,
            self.q.len(),
        );
        Terms::total((means * tensor1(&self.q, &on)).sum())
    }

    /// Update `q` with the batch, then the loss with the updated `q`.
    ///
    /// # Errors
    /// The backend cannot return the class losses.
    pub fn loss(&mut self, b: &Batch<'_>) -> Result<Terms> {
        let k = self.q.len();
        let (means, _) = class_means(
            cross_entropy_per_sample(b.logits.clone(), b.labels),
            b.labels,
            k,
        );
        let m = to_vec64(means.detach(), "class losses")?;
        for (c, q) in self.q.iter_mut().enumerate() {
            let adj = self.params.adjustment / (self.counts[c].max(1) as f64).sqrt();
            *q *= (self.params.eta * (m[c] + adj)).exp();
        }
        let s: f64 = self.q.iter().sum();
        self.q.iter_mut().for_each(|q| *q /= s);
        Ok(self.evaluate(b))
    }
}

/// FairDRO's χ²-ball re-weighting over the classes (Jung et al. 2023; with groups := classes the
/// class-wise form has one group per class and reduces to ERM, so — as MR²'s Table 1 differs
/// from ERM — this is the official code's non-class-wise variant; our reading).
///
/// # Formula
/// Per batch: `Σ_k q_k ℓ̄_k`. At each epoch start, from the training set's per-class mean CE
/// `L_k`: `q* = 1/K + √(2ρ/K)·(L − mean L)/‖L − mean L‖` (uniform when all `L_k` are equal),
/// then `q ← q + η_e (q* − q)` with `η_e = 1 − e/E`. As in the code, `q` is not clipped at 0
/// by default: when `√(2ρ/K) > 1/K` a class can get a negative weight, so training *maximises*
/// its loss and can diverge (Fashion-MNIST, K = 10, ρ = 0.5: NaN in the first epoch).
/// `nonnegative = true` projects `q*` onto the simplex instead (negative entries set to 0, then
/// renormalised) — the χ²-ball maximiser restricted to distributions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FairDroParams {
    /// Radius `ρ > 0` of the χ² ball (code default 0.5).
    pub rho: f64,
    /// Clip the worst-case weights at 0 and renormalise (default false: as the code).
    pub nonnegative: bool,
}

impl Default for FairDroParams {
    fn default() -> Self {
        Self {
            rho: 0.5,
            nonnegative: false,
        }
    }
}

impl FairDroParams {
    /// # Errors
    /// `ρ ≤ 0`.
    pub fn validate(&self) -> Result<()> {
        check_positive("rho", self.rho, "the χ² radius ρ must be finite and > 0")
    }

    /// The maximiser `q*` over the χ² ball for class losses `l` (no positivity constraint
    /// unless `nonnegative`).
    pub fn worst_case_weights(&self, l: &[f64]) -> Vec<f64> {
        let k = l.len() as f64;
        let mean = l.iter().sum::<f64>() / k;
        let norm = l.iter().map(|v| (v - mean).powi(2)).sum::<f64>().sqrt();
        let q: Vec<f64> = l
            .iter()
            .map(|v| {
                if norm > 0.0 {
                    1.0 / k + (2.0 * self.rho / k).sqrt() * (v - mean) / norm
                } else {
                    1.0 / k
                }
            })
            .collect();
        if !self.nonnegative {
            return q;
        }
        let clipped: Vec<f64> = q.iter().map(|v| v.max(0.0)).collect();
        let total: f64 = clipped.iter().sum();
        clipped.iter().map(|v| v / total).collect()
    }
}

/// FairDRO and its class weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FairDro {
    /// Parameters.
    pub params: FairDroParams,
    /// Class weights (sum 1).
    pub q: Vec<f64>,
}

impl FairDro {
    /// For a training set.
    pub fn new(params: FairDroParams, set: &TrainingSet) -> Self {
        let k = set.classes();
        Self {
            params,
            q: vec![1.0 / k as f64; k],
        }
    }

    /// Move `q` towards the worst case of the current model's per-class training loss.
    ///
    /// # Errors
    /// Evaluating the training set failed.
    pub fn on_epoch_start(&mut self, e: &mut EpochStart<'_>) -> Result<EpochPlan> {
        let p = (e.train_predictions)()?;
        let k = self.q.len();
        let mut sum = vec![0.0; k];
        let mut n = vec![0usize; k];
        for (i, &y) in p.labels.iter().enumerate() {
            sum[y] += crate::theory::margin::cross_entropy(&p.row(i), y);
            n[y] += 1;
        }
        let l: Vec<f64> = sum
            .iter()
            .zip(&n)
            .map(|(s, c)| s / (*c).max(1) as f64)
            .collect();
        let target = self.params.worst_case_weights(&l);
        let eta = 1.0 - e.epoch as f64 / e.epochs as f64;
        for (q, t) in self.q.iter_mut().zip(&target) {
            *q += eta * (t - *q);
        }
        Ok(EpochPlan::default())
    }

    /// The loss of a batch.
    pub fn loss(&self, b: &Batch<'_>) -> Terms {
        let on = On::of(&b.logits);
        let (means, _) = class_means(
            cross_entropy_per_sample(b.logits.clone(), b.labels),
            b.labels,
            self.q.len(),
        );
        Terms::total((means * tensor1(&self.q, &on)).sum())
    }
}
