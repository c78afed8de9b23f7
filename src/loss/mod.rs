//! MR² losses on burn tensors: cross-entropy, the γ-margin cross-entropy `ℓ_γ,ce` (Eq. 1) with
//! per-class EMA statistics, the representation-margin loss `ℓ_s̄` (Eq. 2), and MR² (Eq. 4).
//!
//! One definition of each formula: the per-class statistics and γ come from
//! [`crate::theory::moments`] and [`crate::theory::gamma`]; the tensor losses are tested against
//! [`crate::theory::margin::gamma_ce_softmax`] and [`crate::theory::lse::rep_margin_losses`]
//! (`tests/losses.rs`).

use burn::tensor::activation::log_softmax;
use burn::tensor::{Bool, Device, Int, Tensor, TensorData};
use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use crate::error::{invalid, Result};
use crate::theory::{gamma, moments};

/// Which objective to train.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum LossKind {
    /// Cross-entropy (ERM baseline).
    Ce,
    /// `ℓ_γ,ce` alone (Table 3 row c; with `uniform_gamma`, row b).
    GammaCe,
    /// `ℓ_ce + λ ℓ_s̄` (Table 3 rows d/e).
    Rep,
    /// MR²: `ℓ_γ,ce + λ ℓ_s̄` (Eq. 4).
    Mr2,
}

/// How the exponent of `ℓ_s̄` is scaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum RepScaling {
    /// As printed (Eq. 2): `exp(‖φ_i − φ_j‖² − 2s̄)`.
    Paper,
    /// As in the authors' released code: the exponent divided by `10·d` and the loss multiplied
    /// by `d/(10K)`.
    Reference,
}

/// Loss hyper-parameters (defaults from the paper: c̄ = 2, λ = 0.5, decay 0.9, p = 2).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LossConfig {
    /// Objective.
    pub kind: LossKind,
    /// Mean margin `c̄ > 0` (Eq. 1).
    pub c_bar: f64,
    /// Weight `λ ≥ 0` of `ℓ_s̄` (Eq. 4).
    pub lambda: f64,
    /// Norm exponent `p ≥ 1` for γ (Eq. 17; `p = 2` is Eq. 1).
    pub p: f64,
    /// EMA decay in `[0, 1)`.
    pub decay: f64,
    /// Use `γ_k = c̄` for all k (Table 3 row b).
    pub uniform_gamma: bool,
    /// Set `s̄ = 0` in `ℓ_s̄` (Table 3 row d).
    pub s_bar_zero: bool,
    /// Exponent scaling of `ℓ_s̄`.
    pub rep_scaling: RepScaling,
}

impl Default for LossConfig {
    fn default() -> Self {
        Self {
            kind: LossKind::Mr2,
            c_bar: 2.0,
            lambda: 0.5,
            p: 2.0,
            decay: 0.9,
            uniform_gamma: false,
            s_bar_zero: false,
            rep_scaling: RepScaling::Paper,
        }
    }
}

impl LossConfig {
    /// Validate every hyper-parameter, naming the bad one.
    ///
    /// # Errors
    /// `c̄ ≤ 0`, `λ < 0`, `p < 1`, `decay ∉ [0, 1)`, or a non-finite value.
    pub fn validate(&self) -> Result<()> {
        gamma::check_c_bar(self.c_bar)?;
        if !(self.lambda.is_finite() && self.lambda >= 0.0) {
            return Err(invalid("lambda", self.lambda, "λ must be finite and >= 0"));
        }
        crate::theory::check_p(self.p)?;
        if !(0.0..1.0).contains(&self.decay) {
            return Err(invalid(
                "decay",
                self.decay,
                "the EMA decay must lie in [0, 1)",
            ));
        }
        Ok(())
    }
    fn uses_gamma(&self) -> bool {
        matches!(self.kind, LossKind::GammaCe | LossKind::Mr2)
    }
    fn uses_rep(&self) -> bool {
        matches!(self.kind, LossKind::Rep | LossKind::Mr2)
    }
}

/// Per-class EMA statistics kept across epochs (never fed evaluation data): `α_k` (for γ:
/// `‖μ̂_k‖² + ‖ŝ_k‖²`, or `r²_{k,p}` for `p ≠ 2`) and `‖ŝ_k‖²` (for s̄).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarginState {
    /// EMA of α_k.
    pub alpha: moments::Ema,
    /// EMA of ‖ŝ_k‖².
    pub msd: moments::Ema,
}

impl MarginState {
    /// Fresh state for `k` classes.
    pub fn new(k: usize, decay: f64) -> Result<Self> {
        Ok(Self {
            alpha: moments::Ema::new(k, decay)?,
            msd: moments::Ema::new(k, decay)?,
        })
    }

    /// Fold in one batch's detached features (`n × d`, row-major) and labels. Classes absent
    /// from the batch keep their values; a class with a single sample contributes ‖ŝ_k‖² = 0.
    pub fn update(&mut self, features: &[f32], d: usize, labels: &[usize], p: f64) -> Result<()> {
        let f: Vec<f64> = features.iter().map(|v| f64::from(*v)).collect();
        let view =
            ArrayView2::from_shape((labels.len(), d), &f).map_err(|_| crate::Error::Shape {
                what: "features (rows × d)",
                expected: labels.len() * d,
                got: f.len(),
            })?;
        let stats = moments::class_moments(view, labels, self.alpha.values.len(), p)?;
        for (k, s) in stats.iter().enumerate() {
            if let Some(s) = s {
                // Eq. 1 for p = 2; Eq. 17 (r²_{k,p}) otherwise. Both equal α_k at p = 2.
                let a = if (p - 2.0).abs() < f64::EPSILON {
                    s.alpha()
                } else {
                    s.r2_p
                };
                self.alpha.update(k, a);
                self.msd.update(k, s.msd);
            }
        }
        Ok(())
    }

    /// γ (Eq. 1 / 17) from the EMA. Until every class has been seen — or when a class's α is
    /// 0 (all-zero features) — the margins are uniform `c̄` (documented behaviour).
    pub fn gamma(&self, cfg: &LossConfig) -> Vec<f64> {
        let k = self.alpha.values.len();
        if cfg.uniform_gamma {
            return vec![cfg.c_bar; k];
        }
        let a: Option<Vec<f64>> = self.alpha.values.iter().copied().collect();
        a.and_then(|a| gamma::optimal_gamma(&a, cfg.c_bar).ok())
            .unwrap_or_else(|| vec![cfg.c_bar; k])
    }

    /// `s̄ = (1/K) Σ_k ‖ŝ_k‖²` over the classes seen so far (0 before any).
    pub fn s_bar(&self) -> f64 {
        let seen: Vec<f64> = self.msd.values.iter().flatten().copied().collect();
        if seen.is_empty() {
            0.0
        } else {
            seen.iter().sum::<f64>() / seen.len() as f64
        }
    }
}

/// `mean_i −ln softmax(z_i / γ_{y_i})_{y_i}` (Eq. 1); `gamma_per_sample` holds `γ_{y_i}`.
pub fn gamma_ce(
    logits: Tensor<2>,
    labels: Tensor<1, Int>,
    gamma_per_sample: Tensor<1>,
) -> Tensor<1> {
    let [b, _] = logits.dims();
    let scaled = logits / gamma_per_sample.reshape([b, 1]);
    let lsm = log_softmax(scaled, 1);
    lsm.gather(1, labels.reshape([b, 1])).mean().neg()
}

/// Per-sample `ℓ_s̄` (Eq. 2) as a LogSumExp with a 0 entry over the same-class others in the
/// batch, `[B]`. With [`RepScaling::Reference`] the exponent is divided by `10·d` and the loss
/// multiplied by `d/(10K)`.
pub fn rep_margin_per_sample(
    features: Tensor<2>,
    labels: &[usize],
    s_bar: f64,
    scaling: RepScaling,
    classes: usize,
) -> Tensor<1> {
    let [b, d] = features.dims();
    let dev = features.device();
    let sq = (features.clone() * features.clone()).sum_dim(1); // [B, 1]
    let gram = features.clone().matmul(features.transpose());
    let dist = (sq.clone() + sq.transpose() - gram * 2.0).clamp_min(0.0);
    let mut z = dist - 2.0 * s_bar;
    if scaling == RepScaling::Reference {
        z = z / (10.0 * d as f64);
    }
    let other: Vec<bool> = (0..b * b)
        .map(|ij| !(ij / b != ij % b && labels[ij / b] == labels[ij % b]))
        .collect();
    let mask = Tensor::<2, Bool>::from_data(TensorData::new(other, [b, b]), &dev);
    let z = z.mask_fill(mask, -1e30);
    let z = Tensor::cat(vec![Tensor::<2>::zeros([b, 1], &dev), z], 1);
    let m = z.clone().max_dim(1).detach();
    let lse = (z - m.clone()).exp().sum_dim(1).log() + m;
    let out = lse.reshape([b]);
    match scaling {
        RepScaling::Paper => out,
        RepScaling::Reference => out * (d as f64 / (10.0 * classes as f64)),
    }
}

/// The batch objective and its parts.
pub struct BatchLoss {
    /// Total loss (scalar tensor) to backpropagate.
    pub total: Tensor<1>,
    /// γ used for this batch.
    pub gamma: Vec<f64>,
    /// s̄ used for this batch.
    pub s_bar: f64,
}

/// Compute the configured objective for a batch. `state` is updated with the batch's detached
/// features first (so the first batch already has statistics), then γ and s̄ are read from it.
pub fn batch_loss(
    cfg: &LossConfig,
    state: &mut MarginState,
    logits: Tensor<2>,
    features: Tensor<2>,
    labels: &[usize],
    device: &Device,
) -> Result<BatchLoss> {
    let [b, d] = features.dims();
    let k = state.alpha.values.len();
    if cfg.uses_gamma() || cfg.uses_rep() {
        let f: Vec<f32> = features
            .clone()
            .detach()
            .into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .unwrap_or_default();
        state.update(&f, d, labels, cfg.p)?;
    }
    let g = if cfg.uses_gamma() {
        state.gamma(cfg)
    } else {
        vec![1.0; k]
    };
    let s_bar = if cfg.s_bar_zero { 0.0 } else { state.s_bar() };
    let y = Tensor::<1, Int>::from_data(
        TensorData::new(labels.iter().map(|&v| v as i64).collect::<Vec<_>>(), [b]),
        device,
    );
    let gs = Tensor::<1>::from_data(
        TensorData::new(labels.iter().map(|&v| g[v] as f32).collect::<Vec<_>>(), [b]),
        device,
    );
    let mut total = gamma_ce(logits, y, gs);
    if cfg.uses_rep() && cfg.lambda > 0.0 {
        total = total
            + rep_margin_per_sample(features, labels, s_bar, cfg.rep_scaling, k).mean()
                * cfg.lambda;
    }
    Ok(BatchLoss {
        total,
        gamma: g,
        s_bar,
    })
}
