//! Representation-level objectives: supervised contrastive loss (Khosla et al. 2020), centre
//! loss (Wen et al. 2016, "DFL"), the distributional-robustness loss DRL (Samuel & Chechik 2021)
//! and the large-margin Gaussian-mixture loss L-GM (Wan et al. 2018).

use burn::tensor::activation::log_softmax;
use burn::tensor::{Bool, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::ce::cross_entropy;
use super::{check_finite_nonneg, check_positive, check_unit, Batch, EpochPlan, EpochStart, Terms};
use crate::error::{invalid, Result};
use crate::model::NORM_EPS;
use crate::tensor::{labels_tensor, like, one_hot, scalar, tensor1, tensor2, to_vec64, On};

/// Rows divided by their L2 norm.
pub fn normalize_rows(x: Tensor<2>) -> Tensor<2> {
    x.clone() / x.square().sum_dim(1).sqrt().clamp_min(NORM_EPS)
}

/// Single-view supervised contrastive loss of a batch (Khosla et al. 2020, Eq. 2, `L^sup_out`)
/// on `u_i = φ_i/‖φ_i‖`: `−(1/|P(i)|) Σ_{p∈P(i)} ln[e^{u_i·u_p/τ} / Σ_{a≠i} e^{u_i·u_a/τ}]`,
/// `P(i)` the same-class others; anchors without positives contribute 0 and still count in the
/// mean over the batch (as in the reference code).
pub fn supcon(features: Tensor<2>, labels: &[usize], temperature: f64) -> Tensor<1> {
    let [b, _] = features.dims();
    let on = On::of(&features);
    let u = normalize_rows(features);
    let sim = u.clone().matmul(u.transpose()) / temperature;
    let diag: Vec<bool> = (0..b * b).map(|ij| ij / b == ij % b).collect();
    let diag = Tensor::<2, Bool>::from_data(TensorData::new(diag, [b, b]), &on.device);
    let others = sim.clone().mask_fill(diag, -1e30);
    let m = others.clone().max_dim(1).detach();
    let lse = (others - m.clone()).exp().sum_dim(1).log() + m;
    let log_prob = sim - lse;
    let mut pos = vec![0.0; b * b];
    let mut npos = vec![0.0f64; b];
    for i in 0..b {
        for j in 0..b {
            if i != j && labels[i] == labels[j] {
                pos[i * b + j] = 1.0;
                npos[i] += 1.0;
            }
        }
    }
    let pos = tensor2(&pos, [b, b], &on);
    let inv: Vec<f64> = npos.iter().map(|n| 1.0 / n.max(1.0)).collect();
    ((pos * log_prob).sum_dim(1).reshape([b]) * tensor1(&inv, &on))
        .neg()
        .mean()
}

/// SupCon as an auxiliary loss: `CE + λ·SupCon(φ; τ)` (one view, no projection head: the
/// contrastive term acts on the penultimate features the paper's bounds are about).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SupConParams {
    /// Weight `λ ≥ 0` (not given by MR²; our default 0.1).
    pub weight: f64,
    /// Temperature `τ > 0` (paper 0.1).
    pub temperature: f64,
}

impl Default for SupConParams {
    fn default() -> Self {
        Self {
            weight: 0.1,
            temperature: 0.1,
        }
    }
}

impl SupConParams {
    /// # Errors
    /// `λ < 0`, `τ ≤ 0`.
    pub fn validate(&self) -> Result<()> {
        check_finite_nonneg(
            "weight",
            self.weight,
            "the SupCon weight λ must be finite and >= 0",
        )?;
        check_positive(
            "temperature",
            self.temperature,
            "the SupCon temperature τ must be finite and > 0",
        )
    }

    /// The loss of a batch.
    ///
    /// # Errors
    /// The backend cannot return a term.
    pub fn loss(&self, b: &Batch<'_>) -> Result<Terms> {
        let ce = cross_entropy(b.logits.clone(), b.labels);
        let sc = supcon(b.features.clone(), b.labels, self.temperature);
        Ok(Terms {
            parts: vec![
                ("ce", scalar(ce.clone(), "CE")?),
                ("supcon", scalar(sc.clone(), "SupCon")?),
            ],
            total: ce + sc * self.weight,
        })
    }
}

/// Centre loss (Wen et al. 2016, "DFL").
///
/// # Formula
/// `CE + λ·½ Σ_{i∈batch} ‖φ_i − c_{y_i}‖²` (a sum over the batch, Eq. 2); the centres are not
/// trained by SGD but moved after each batch: `c_j ← c_j − α·Σ_{i:y_i=j}(c_j − φ_i)/(1 + n_j)`
/// (Eq. 4–5), starting at 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CenterParams {
    /// Weight `λ ≥ 0` (paper 0.003).
    pub weight: f64,
    /// Centre step `α ∈ [0, 1)` (paper 0.5).
    pub alpha: f64,
}

impl Default for CenterParams {
    fn default() -> Self {
        Self {
            weight: 0.003,
            alpha: 0.5,
        }
    }
}

impl CenterParams {
    /// # Errors
    /// `λ < 0`, `α ∉ [0, 1)`.
    pub fn validate(&self) -> Result<()> {
        check_finite_nonneg(
            "weight",
            self.weight,
            "the centre-loss weight λ must be finite and >= 0",
        )?;
        check_unit("alpha", self.alpha, "the centre step α must lie in [0, 1)")
    }
}

/// Centre loss with its centres (`K × d`, row-major; empty until the first batch).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Center {
    /// Parameters.
    pub params: CenterParams,
    /// Centres.
    pub centers: Vec<f64>,
    /// Classes.
    pub k: usize,
}

impl Center {
    /// For `k` classes.
    pub fn new(params: CenterParams, k: usize) -> Self {
        Self {
            params,
            centers: vec![],
            k,
        }
    }

    /// Wen's centre update from a batch's (detached) features.
    pub fn update_centers(&mut self, f: &[f64], d: usize, labels: &[usize]) {
        let mut delta = vec![0.0; self.k * d];
        let mut n = vec![0usize; self.k];
        for (i, &y) in labels.iter().enumerate() {
            n[y] += 1;
            for j in 0..d {
                delta[y * d + j] += self.centers[y * d + j] - f[i * d + j];
            }
        }
        for c in 0..self.k {
            for j in 0..d {
                self.centers[c * d + j] -= self.params.alpha * delta[c * d + j] / (1 + n[c]) as f64;
            }
        }
    }

    /// The loss of a batch (with the current centres), then the centre update.
    ///
    /// # Errors
    /// The backend cannot return the features; the feature dimension changed.
    pub fn loss(&mut self, b: &Batch<'_>) -> Result<Terms> {
        let [n, d] = b.features.dims();
        if self.centers.is_empty() {
            self.centers = vec![0.0; self.k * d];
        }
        if self.centers.len() != self.k * d {
            return Err(invalid(
                "feature dimension",
                d,
                "does not match the stored centres",
            ));
        }
        let on = On::of(&b.features);
        let c: Vec<f64> = b
            .labels
            .iter()
            .flat_map(|&y| self.centers[y * d..(y + 1) * d].to_vec())
            .collect();
        let diff = b.features.clone() - tensor2(&c, [n, d], &on);
        let center = diff.square().sum() * 0.5;
        let ce = cross_entropy(b.logits.clone(), b.labels);
        let terms = Terms {
            parts: vec![
                ("ce", scalar(ce.clone(), "CE")?),
                ("center", scalar(center.clone(), "centre loss")?),
            ],
            total: ce + center * self.params.weight,
        };
        let f = to_vec64(b.features.clone().detach(), "features")?;
        self.update_centers(&f, d, b.labels);
        Ok(terms)
    }
}

/// DRL (Samuel & Chechik 2021), the official code's form.
///
/// # Formula
/// Class centroids `μ_c` of the training features are recomputed at each epoch start (no
/// gradient). `D_{i,c} = −‖φ_i − μ_c‖` (Euclidean), minus the learnable radius `ε_c` for the
/// true class; `ℓ_{i,c} = D_{i,c}/τ`, normalised over the batch for each class
/// (`ln softmax` along the samples, as in the code); `L_rob = mean_c [−mean_{i:y_i=c} ℓ̂_{i,c}]`
/// over the classes present; total `CE + w·L_rob`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DrlParams {
    /// Temperature `τ > 0` (code 1).
    pub tau: f64,
    /// Weight `w ≥ 0` of `L_rob` (code: summed, 1).
    pub weight: f64,
}

impl Default for DrlParams {
    fn default() -> Self {
        Self {
            tau: 1.0,
            weight: 1.0,
        }
    }
}

impl DrlParams {
    /// # Errors
    /// `τ ≤ 0`, `w < 0`.
    pub fn validate(&self) -> Result<()> {
        check_positive(
            "tau",
            self.tau,
            "the DRL temperature τ must be finite and > 0",
        )?;
        check_finite_nonneg(
            "weight",
            self.weight,
            "the DRL weight must be finite and >= 0",
        )
    }
}

/// DRL with its current centroids (`K × d`, row-major).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drl {
    /// Parameters.
    pub params: DrlParams,
    /// Centroids (empty before the first epoch starts).
    pub centroids: Vec<f64>,
    /// Classes.
    pub k: usize,
}

impl Drl {
    /// For `k` classes.
    pub fn new(params: DrlParams, k: usize) -> Self {
        Self {
            params,
            centroids: vec![],
            k,
        }
    }

    /// Recompute the centroids from the training features.
    ///
    /// # Errors
    /// Evaluating the training set failed; a class without samples.
    pub fn on_epoch_start(&mut self, e: &mut EpochStart<'_>) -> Result<EpochPlan> {
        let p = (e.train_predictions)()?;
        let d = p.d;
        let mut c = vec![0.0; self.k * d];
        let mut n = vec![0usize; self.k];
        for (i, &y) in p.labels.iter().enumerate() {
            n[y] += 1;
            for j in 0..d {
                c[y * d + j] += f64::from(p.features[i * d + j]);
            }
        }
        if let Some(k) = n.iter().position(|&v| v == 0) {
            return Err(crate::Error::EmptyClass {
                class: Some(k),
                context: "DRL needs a centroid for every class",
            });
        }
        for (y, &cnt) in n.iter().enumerate() {
            c[y * d..(y + 1) * d]
                .iter_mut()
                .for_each(|v| *v /= cnt as f64);
        }
        self.centroids = c;
        Ok(EpochPlan::default())
    }

    /// The loss of a batch.
    ///
    /// # Errors
    /// No centroids yet, no radii in the model, or the backend cannot return a term.
    pub fn loss(&self, b: &Batch<'_>) -> Result<Terms> {
        let [_, d] = b.features.dims();
        let k = self.k;
        if self.centroids.len() != k * d {
            return Err(invalid(
                "DRL centroids",
                self.centroids.len(),
                "must be computed (K × d) before the first batch",
            ));
        }
        let Some(radii) = &b.model.radii else {
            return Err(invalid(
                "model",
                "without radii",
                "DRL needs the model's learnable radii",
            ));
        };
        let radii = like(radii.val(), &On::of(&b.features));
        let rob = drl_rob(
            b.features.clone(),
            b.labels,
            &self.centroids,
            radii,
            self.params.tau,
        );
        let ce = cross_entropy(b.logits.clone(), b.labels);
        Ok(Terms {
            parts: vec![
                ("ce", scalar(ce.clone(), "CE")?),
                ("drl", scalar(rob.clone(), "L_rob")?),
            ],
            total: ce + rob * self.params.weight,
        })
    }
}

/// DRL's robust term `L_rob` for features `[B, d]`, centroids (`K × d`, row-major), radii `[K]`
/// and temperature τ (see [`DrlParams`]).
pub fn drl_rob(
    features: Tensor<2>,
    labels: &[usize],
    centroids: &[f64],
    radii: Tensor<1>,
    tau: f64,
) -> Tensor<1> {
    let [_, d] = features.dims();
    let [k] = radii.dims();
    let on = On::of(&features);
    let mu = tensor2(centroids, [k, d], &on);
    let sq = features.clone().square().sum_dim(1) + mu.clone().square().sum_dim(1).reshape([1, k])
        - features.matmul(mu.transpose()) * 2.0;
    let dist = sq.clamp_min(1e-12).sqrt();
    let oh = one_hot(labels, k, &on);
    let logits = (dist.neg() - oh.clone() * radii.reshape([1, k])) / tau;
    let logp = log_softmax(logits, 0); // over the batch, per class
    let mut count = vec![0.0f64; k];
    for &y in labels {
        count[y] += 1.0;
    }
    let present = count.iter().filter(|&&c| c > 0.0).count() as f64;
    let inv: Vec<f64> = count
        .iter()
        .map(|&c| if c > 0.0 { 1.0 / (c * present) } else { 0.0 })
        .collect();
    ((oh * logp).sum_dim(0).reshape([k]) * tensor1(&inv, &on))
        .sum()
        .neg()
}

/// L-GM (Wan et al. 2018) with identity covariances and equal priors (the official
/// configuration), on the Gaussian head `z_k = −½‖φ − μ_k‖²`.
///
/// # Formula
/// `CE(z + α·z_y·1_y)` (the true-class distance multiplied by `1 + α`) `+ λ·mean_i ½‖φ_i − μ_{y_i}‖²`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LgmParams {
    /// Margin `α ≥ 0` (TF demo 0.1; Caffe grows it to 0.3).
    pub alpha: f64,
    /// Likelihood weight `λ ≥ 0` (Caffe CIFAR-100: 0.1).
    pub weight: f64,
}

impl Default for LgmParams {
    fn default() -> Self {
        Self {
            alpha: 0.1,
            weight: 0.1,
        }
    }
}

impl LgmParams {
    /// # Errors
    /// `α < 0`, `λ < 0`.
    pub fn validate(&self) -> Result<()> {
        check_finite_nonneg(
            "alpha",
            self.alpha,
            "the L-GM margin α must be finite and >= 0",
        )?;
        check_finite_nonneg(
            "weight",
            self.weight,
            "the L-GM likelihood weight λ must be finite and >= 0",
        )
    }

    /// The loss of a batch (the logits must come from a Gaussian head).
    ///
    /// # Errors
    /// The backend cannot return a term.
    pub fn loss(&self, b: &Batch<'_>) -> Result<Terms> {
        let [n, k] = b.logits.dims();
        let on = On::of(&b.logits);
        let oh = one_hot(b.labels, k, &on);
        let z = b.logits.clone() + b.logits.clone() * oh * self.alpha;
        let ce = cross_entropy(z, b.labels);
        let zy = b
            .logits
            .clone()
            .gather(1, labels_tensor(b.labels, &on).reshape([n, 1]))
            .reshape([n]);
        let lkd = zy.neg().mean();
        Ok(Terms {
            parts: vec![
                ("ce", scalar(ce.clone(), "CE")?),
                ("likelihood", scalar(lkd.clone(), "L-GM likelihood")?),
            ],
            total: ce + lkd * self.weight,
        })
    }
}
