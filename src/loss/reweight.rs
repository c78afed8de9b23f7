//! Error-based re-weighting: JTT (Liu et al. 2021), LfF (Nam et al. 2020) and the clean
//! confusional spectral regularisation CSR (Jin et al. 2025, without adversarial examples as
//! MR²'s C.1 runs it).

use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use super::ce::{cross_entropy, cross_entropy_per_sample};
use super::{check_positive, check_unit, Batch, EpochPlan, EpochStart, Terms, TrainingSet};
use crate::error::{invalid, Result};
use crate::tensor::{scalar, tensor1, to_vec64, On};

/// JTT ("just train twice", Liu et al. 2021).
///
/// # Formula
/// Stage 1: ERM for `T` epochs. The error set `E` is the training samples the stage-1 model
/// misclassifies (evaluation mode, no augmentation). Stage 2: a new model, trained from scratch
/// with plain CE for the run's configured epochs on the training set where every sample of `E`
/// appears `1 + up_weight` times (the official code's up-sampling by concatenation). The run is
/// `T` epochs longer than the others; the learning-rate schedule restarts for stage 2.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JttParams {
    /// Stage-1 epochs `T ≥ 1` (not given by MR²; our default 2).
    pub identification_epochs: usize,
    /// Extra copies of each error sample (the paper's `λ_up − 1`; default 5).
    pub up_weight: usize,
}

impl Default for JttParams {
    fn default() -> Self {
        Self {
            identification_epochs: 2,
            up_weight: 5,
        }
    }
}

impl JttParams {
    /// # Errors
    /// `T = 0`.
    pub fn validate(&self) -> Result<()> {
        if self.identification_epochs == 0 {
            return Err(invalid(
                "identification_epochs",
                0,
                "JTT's first stage needs at least one epoch",
            ));
        }
        Ok(())
    }
}

/// JTT and its error set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Jtt {
    /// Parameters.
    pub params: JttParams,
    /// Indices of the training samples the stage-1 model got wrong (after stage 1).
    pub error_set: Option<Vec<usize>>,
    /// Training-set size.
    pub n: usize,
}

impl Jtt {
    /// For a training set.
    pub fn new(params: JttParams, set: &TrainingSet) -> Self {
        Self {
            params,
            error_set: None,
            n: set.labels.len(),
        }
    }

    /// At epoch `T`: find the error set and ask for a fresh model; from then on up-sample it.
    ///
    /// # Errors
    /// Evaluating the training set failed.
    pub fn on_epoch_start(&mut self, e: &mut EpochStart<'_>) -> Result<EpochPlan> {
        let t = self.params.identification_epochs;
        if e.epoch < t {
            return Ok(EpochPlan::default());
        }
        let mut reset = false;
        if e.epoch == t || self.error_set.is_none() {
            let p = (e.train_predictions)()?;
            self.error_set = Some(
                (0..p.labels.len())
                    .filter(|&i| p.predicted(i) != p.labels[i])
                    .collect(),
            );
            reset = e.epoch == t;
        }
        let mut repeats = vec![1; self.n];
        for &i in self.error_set.as_deref().unwrap_or_default() {
            repeats[i] += self.params.up_weight;
        }
        Ok(EpochPlan {
            reset_model: reset,
            repeats: Some(repeats),
        })
    }
}

/// LfF ("learning from failure", Nam et al. 2020).
///
/// # Formula
/// A biased net `f_B` and the main net `f_D` train together. Per sample, `c_B = CE(f_B)` and
/// `c_D = CE(f_D)` (detached) enter per-sample EMAs `e ← α e + (1−α) c` (first visit: `e = c`),
/// each divided by its class maximum over the whole training set; `W = ê_B/(ê_B + ê_D + 1e-8)`
/// (no gradient). Loss `mean GCE(f_B) + mean W·CE(f_D)` with the generalised CE
/// `GCE = (1 − p_y^q)/q` (the paper's form; the official code's gradient has an extra factor q).
/// Only `f_D` is evaluated and reported.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LffParams {
    /// GCE exponent `q ∈ (0, 1]` (paper 0.7).
    pub q: f64,
    /// EMA decay `α ∈ [0, 1)` (code 0.7).
    pub ema: f64,
}

impl Default for LffParams {
    fn default() -> Self {
        Self { q: 0.7, ema: 0.7 }
    }
}

impl LffParams {
    /// # Errors
    /// `q ∉ (0, 1]`, `α ∉ [0, 1)`.
    pub fn validate(&self) -> Result<()> {
        if !(self.q > 0.0 && self.q <= 1.0) {
            return Err(invalid(
                "q",
                self.q,
                "the GCE exponent q must lie in (0, 1]",
            ));
        }
        check_unit("ema", self.ema, "the LfF EMA decay must lie in [0, 1)")
    }
}

/// LfF with its per-sample loss tables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lff {
    /// Parameters.
    pub params: LffParams,
    /// EMA of the biased net's per-sample CE.
    pub ema_biased: Vec<f64>,
    /// EMA of the main net's per-sample CE.
    pub ema_main: Vec<f64>,
    /// Whether a sample has been visited.
    pub seen: Vec<bool>,
    /// Training labels (for the class-wise maxima).
    pub labels: Vec<usize>,
    /// Classes.
    pub k: usize,
}

impl Lff {
    /// For a training set.
    pub fn new(params: LffParams, set: &TrainingSet) -> Self {
        let n = set.labels.len();
        Self {
            params,
            ema_biased: vec![0.0; n],
            ema_main: vec![0.0; n],
            seen: vec![false; n],
            labels: set.labels.clone(),
            k: set.classes(),
        }
    }

    /// The relative-difficulty weights `W` of the batch samples after folding in their losses.
    pub fn weights(&mut self, indices: &[usize], c_biased: &[f64], c_main: &[f64]) -> Vec<f64> {
        let a = self.params.ema;
        for (j, &i) in indices.iter().enumerate() {
            let (cb, cd) = (c_biased[j], c_main[j]);
            if self.seen[i] {
                self.ema_biased[i] = a * self.ema_biased[i] + (1.0 - a) * cb;
                self.ema_main[i] = a * self.ema_main[i] + (1.0 - a) * cd;
            } else {
                self.ema_biased[i] = cb;
                self.ema_main[i] = cd;
                self.seen[i] = true;
            }
        }
        let mut max_b = vec![0.0f64; self.k];
        let mut max_d = vec![0.0f64; self.k];
        for (i, &y) in self.labels.iter().enumerate() {
            max_b[y] = max_b[y].max(self.ema_biased[i]);
            max_d[y] = max_d[y].max(self.ema_main[i]);
        }
        indices
            .iter()
            .map(|&i| {
                let y = self.labels[i];
                let eb = self.ema_biased[i] / max_b[y].max(f64::MIN_POSITIVE);
                let ed = self.ema_main[i] / max_d[y].max(f64::MIN_POSITIVE);
                eb / (eb + ed + 1e-8)
            })
            .collect()
    }

    /// The loss of a batch.
    ///
    /// # Errors
    /// The model has no biased net; an index outside the training set; backend failures.
    pub fn loss(&mut self, b: &Batch<'_>) -> Result<Terms> {
        let Some(biased) = b.biased_logits.clone() else {
            return Err(invalid(
                "model",
                "without a biased net",
                "LfF needs the model's second (biased) net",
            ));
        };
        if let Some(&i) = b.indices.iter().find(|&&i| i >= self.labels.len()) {
            return Err(invalid(
                "sample index",
                i,
                "outside the training set LfF was built for",
            ));
        }
        let ce_b = cross_entropy_per_sample(biased.clone().detach(), b.labels);
        let ce_d = cross_entropy_per_sample(b.logits.clone().detach(), b.labels);
        let w = self.weights(
            b.indices,
            &to_vec64(ce_b, "biased CE")?,
            &to_vec64(ce_d, "main CE")?,
        );
        let (lb, ld) = lff_terms(biased, b.logits.clone(), b.labels, &w, self.params.q);
        Ok(Terms {
            parts: vec![
                ("gce_biased", scalar(lb.clone(), "GCE")?),
                ("weighted_ce", scalar(ld.clone(), "weighted CE")?),
            ],
            total: lb + ld,
        })
    }
}

/// LfF's two terms for given (constant) weights `W`: `(mean GCE_q(f_B), mean W·CE(f_D))`,
/// `GCE_q = (1 − p_y^q)/q`.
pub fn lff_terms(
    biased: Tensor<2>,
    main: Tensor<2>,
    labels: &[usize],
    w: &[f64],
    q: f64,
) -> (Tensor<1>, Tensor<1>) {
    let on = On::of(&main);
    let ce_b = cross_entropy_per_sample(biased, labels);
    let gce = ((ce_b.neg() * q).exp().neg() + 1.0) / q; // p_y = e^{−CE}
    let ce_d = cross_entropy_per_sample(main, labels);
    (gce.mean(), (ce_d * tensor1(w, &on)).mean())
}

/// Clean CSR (Jin et al. 2025, official code without the adversarial part).
///
/// # Formula
/// At each epoch start, the off-diagonal confusion counts of the training set
/// `C[ŷ, y] = #{i : y_i = y, ŷ_i = ŷ ≠ y}` with the true logit handicapped (`z_y ← 0.9 z_y`)
/// give `G = u₁v₁ᵀ` (top singular pair), rescaled to `[0.01, 2.01]`. Per batch
/// `(1 − m)·CE + m·mean_i G[ŷ_i, y_i]·CE_i` with `ŷ_i` the current prediction (no gradient
/// through the weights); `m = 0.3` in the code.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CsrParams {
    /// Mixing `m ∈ [0, 1)` (code 0.3).
    pub mix: f64,
    /// True-logit handicap factor (code 0.9).
    pub true_logit_factor: f64,
}

impl Default for CsrParams {
    fn default() -> Self {
        Self {
            mix: 0.3,
            true_logit_factor: 0.9,
        }
    }
}

impl CsrParams {
    /// # Errors
    /// `m ∉ [0, 1)`, a non-positive factor.
    pub fn validate(&self) -> Result<()> {
        check_unit("mix", self.mix, "the CSR mixing weight must lie in [0, 1)")?;
        check_positive(
            "true_logit_factor",
            self.true_logit_factor,
            "the true-logit factor must be finite and > 0",
        )
    }
}

/// The top singular pair `(u₁, v₁)` of a `K × K` matrix by power iteration on `AᵀA` (from the
/// all-ones start; the pair's common sign is fixed by the start).
pub fn top_singular_pair(a: &[f64], k: usize) -> (Vec<f64>, Vec<f64>) {
    let mut v = vec![1.0 / (k as f64).sqrt(); k];
    let mut u = vec![0.0; k];
    for _ in 0..500 {
        for (r, ur) in u.iter_mut().enumerate() {
            *ur = (0..k).map(|c| a[r * k + c] * v[c]).sum();
        }
        let nu = u.iter().map(|x| x * x).sum::<f64>().sqrt();
        if nu == 0.0 {
            return (vec![0.0; k], vec![0.0; k]);
        }
        u.iter_mut().for_each(|x| *x /= nu);
        for (c, vc) in v.iter_mut().enumerate() {
            *vc = (0..k).map(|r| a[r * k + c] * u[r]).sum();
        }
        let nv = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        v.iter_mut().for_each(|x| *x /= nv);
    }
    (u, v)
}

/// CSR's weight matrix `G` (`K × K`, row = prediction, column = label) from confusion counts:
/// `u₁v₁ᵀ` rescaled to `[0.01, 2.01]`; all ones when there is no confusion.
pub fn spectral_weights(confusion: &[f64], k: usize) -> Vec<f64> {
    let (u, v) = top_singular_pair(confusion, k);
    let g: Vec<f64> = (0..k * k).map(|rc| u[rc / k] * v[rc % k]).collect();
    let (lo, hi) = g
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), x| {
            (l.min(*x), h.max(*x))
        });
    if hi - lo <= 0.0 {
        return vec![1.0; k * k];
    }
    g.iter()
        .map(|x| 2.0 * (x - lo) / (hi - lo) + 0.01)
        .collect()
}

/// CSR with its current weight matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Csr {
    /// Parameters.
    pub params: CsrParams,
    /// `G`, `K × K` row-major (prediction, label).
    pub weights: Vec<f64>,
    /// Classes.
    pub k: usize,
}

impl Csr {
    /// For `k` classes (uniform weights until the first epoch starts).
    pub fn new(params: CsrParams, k: usize) -> Self {
        Self {
            params,
            weights: vec![1.0; k * k],
            k,
        }
    }

    /// Recompute `G` from the training set's confusions.
    ///
    /// # Errors
    /// Evaluating the training set failed.
    pub fn on_epoch_start(&mut self, e: &mut EpochStart<'_>) -> Result<EpochPlan> {
        let p = (e.train_predictions)()?;
        let k = self.k;
        let mut c = vec![0.0; k * k];
        for (i, &y) in p.labels.iter().enumerate() {
            let mut z = p.row(i);
            z[y] *= self.params.true_logit_factor;
            let pred = (0..k).fold(0, |b, j| if z[j] > z[b] { j } else { b });
            if pred != y {
                c[pred * k + y] += 1.0;
            }
        }
        self.weights = spectral_weights(&c, k);
        Ok(EpochPlan::default())
    }

    /// The loss of a batch.
    ///
    /// # Errors
    /// The backend cannot return the logits.
    pub fn loss(&self, b: &Batch<'_>) -> Result<Terms> {
        let [_, k] = b.logits.dims();
        let on = On::of(&b.logits);
        let z = to_vec64(b.logits.clone().detach(), "logits")?;
        let w: Vec<f64> = b
            .labels
            .iter()
            .enumerate()
            .map(|(i, &y)| {
                let row = &z[i * k..(i + 1) * k];
                let pred = (0..k).fold(0, |bb, j| if row[j] > row[bb] { j } else { bb });
                self.weights[pred * k + y]
            })
            .collect();
        let ce_i = cross_entropy_per_sample(b.logits.clone(), b.labels);
        let m = self.params.mix;
        let plain = cross_entropy(b.logits.clone(), b.labels);
        let weighted = (ce_i * tensor1(&w, &on)).mean();
        Ok(Terms::total(plain * (1.0 - m) + weighted * m))
    }
}
