//! The MR² losses on tensors (`ℓ_γ,ce`, `ℓ_s̄`, their sum) and the per-class EMA state
//! ([`MarginState`]) that sets γ and s̄.

use burn::tensor::activation::log_softmax;
use burn::tensor::{Bool, Tensor, TensorData};
use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use super::params::{ClassStatistic, LaOrder, RepReduction, RepScale};
use super::spec::{GammaMargin, Mr2Spec};
use crate::error::{invalid, Error, Result};
use crate::loss::Terms;
use crate::tensor::{labels_tensor, per_sample, scalar, to_vec64, On};
use crate::theory::{gamma, moments};

/// Per-sample `ℓ_γ,ce(z_i, y_i) = −ln softmax(z_i/γ_{y_i})_{y_i}` (Eq. 1), `[B]`; `gamma` holds
/// one margin per class.
///
/// # Examples
/// ```
/// use mr2::burn::tensor::Device;
/// use mr2::loss::mr2::gamma_ce_per_sample;
/// use mr2::tensor::{tensor2, to_vec64, On};
///
/// let dev = Device::flex();
/// let z = tensor2(&[2.0, 0.0, 0.0, 2.0], [2, 2], &On::f32(&dev));
/// // Sample 0 (class 0, γ = 2): −ln softmax((1, 0))₀ = ln(1 + e⁻¹).
/// let l = to_vec64(gamma_ce_per_sample(z, &[0, 1], &[2.0, 1.0]), "loss").unwrap();
/// assert!((l[0] - (1.0 + (-1.0f64).exp()).ln()).abs() < 1e-6);
/// ```
pub fn gamma_ce_per_sample(logits: Tensor<2>, labels: &[usize], gamma: &[f64]) -> Tensor<1> {
    let [b, _] = logits.dims();
    let on = On::of(&logits);
    let g = per_sample(gamma, labels, &on).reshape([b, 1]);
    let lsm = log_softmax(logits / g, 1);
    lsm.gather(1, labels_tensor(labels, &on).reshape([b, 1]))
        .reshape([b])
        .neg()
}

/// Batch mean of [`gamma_ce_per_sample`] (a one-element tensor).
pub fn gamma_ce(logits: Tensor<2>, labels: &[usize], gamma: &[f64]) -> Tensor<1> {
    gamma_ce_per_sample(logits, labels, gamma).mean()
}

/// Per-sample `ℓ_s̄` (Eq. 2) over the same-class others in the batch, `[B]`:
/// `ln(1 + Σ_{j≠i, y_j = y_i} exp(z_ij))`, `z_ij = (‖φ_i − φ_j‖² − 2s̄)/divisor`, times the
/// output factor of `scale`.
///
/// Computed as `m + log1p(e^{−m} − 1 + Σ_j e^{z_ij − m})` with `m = max(0, max_j z_ij)`: for
/// small losses (`m = 0`) this is `log1p(Σ_j e^{z_ij})`, exact to f32 precision where the
/// textbook `ln Σ exp` over the entries `{0, z_ij}` loses the small sum against the 1.
pub fn rep_margin_per_sample(
    features: Tensor<2>,
    labels: &[usize],
    s_bar: f64,
    scale: RepScale,
) -> Tensor<1> {
    let [b, _] = features.dims();
    let on = On::of(&features);
    let sq = features.clone().square().sum_dim(1); // [B, 1]
    let gram = features.clone().matmul(features.transpose());
    let dist = (sq.clone() + sq.transpose() - gram * 2.0).clamp_min(0.0);
    let z = (dist - 2.0 * s_bar) / scale.exponent_divisor;
    let not_positive: Vec<bool> = (0..b * b)
        .map(|ij| !(ij / b != ij % b && labels[ij / b] == labels[ij % b]))
        .collect();
    let mask = Tensor::<2, Bool>::from_data(TensorData::new(not_positive, [b, b]), &on.device);
    let z = z.mask_fill(mask, -1e30);
    let m = z.clone().max_dim(1).clamp_min(0.0).detach(); // [B, 1]
    let s = (z - m.clone()).exp().sum_dim(1);
    let out = m.clone() + (m.neg().exp() - 1.0 + s).log1p();
    out.reshape([b]) * scale.output_factor
}

/// The weight of each sample in `scale`'s reduction of the per-sample `ℓ_s̄`: `1/B` for the
/// batch mean; `1/n_k` for a sample of class `k` with `n_k ≥ 2` samples in the batch, else 0,
/// for the released code's sum of per-class means.
pub fn rep_reduction_weights(labels: &[usize], reduction: RepReduction) -> Vec<f64> {
    let b = labels.len();
    match reduction {
        RepReduction::BatchMean => vec![1.0 / b.max(1) as f64; b],
        RepReduction::ClassMeanSum => {
            let mut n = std::collections::HashMap::new();
            for &y in labels {
                *n.entry(y).or_insert(0usize) += 1;
            }
            labels
                .iter()
                .map(|y| match n[y] {
                    c if c >= 2 => 1.0 / c as f64,
                    _ => 0.0,
                })
                .collect()
        }
    }
}

/// `ℓ_s̄` of a batch under `scale` (a one-element tensor): [`rep_margin_per_sample`] reduced
/// by [`rep_reduction_weights`].
pub fn rep_margin(features: Tensor<2>, labels: &[usize], s_bar: f64, scale: RepScale) -> Tensor<1> {
    let on = On::of(&features);
    let w = rep_reduction_weights(labels, scale.reduction);
    let per = rep_margin_per_sample(features, labels, s_bar, scale);
    (per * crate::tensor::tensor1(&w, &on)).sum()
}

/// The margins γ and s̄ of Eq. 1–2, kept as per-class EMAs of training-batch statistics
/// (never fed evaluation data). It keeps the statistics only: c̄, p and whether γ is uniform
/// are the objective's [`Mr2Spec`], passed in where they are used; the decay is each EMA's
/// own, set from the spec and checked against it on resume ([`MarginState::validate`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarginState {
    /// EMA of `α_k` (`‖μ̂_k‖² + ‖ŝ_k‖²`, or `r²_{k,p}` for `p ≠ 2`).
    pub alpha: moments::Ema,
    /// EMA of `‖ŝ_k‖²`.
    pub msd: moments::Ema,
}

impl MarginState {
    /// Fresh state for `k` classes.
    ///
    /// # Errors
    /// `decay ∉ [0, 1)`, `k = 0`.
    pub fn new(k: usize, decay: f64) -> Result<Self> {
        Ok(Self {
            alpha: moments::Ema::new(k, decay)?,
            msd: moments::Ema::new(k, decay)?,
        })
    }

    /// Classes `K`.
    pub fn classes(&self) -> usize {
        self.alpha.values.len()
    }

    /// Fold in one batch's detached features (`n × d`, row-major, f32 or f64) and labels,
    /// with α under the norm exponent `p` (Eq. 17; 2 is Eq. 1). Classes absent from the batch
    /// keep their values; a class with a single sample contributes `‖ŝ_k‖² = 0`.
    ///
    /// # Errors
    /// Features not `labels.len() × d`, a label outside `0..K`, `p < 1`.
    pub fn update<T: Copy + Into<f64>>(
        &mut self,
        features: &[T],
        d: usize,
        labels: &[usize],
        p: f64,
    ) -> Result<()> {
        self.update_with(features, d, labels, p, ClassStatistic::Paper)
    }

    /// [`MarginState::update`] with the class statistic `stat` setting α (the paper's, or the
    /// released code's, [`ClassStatistic`]).
    ///
    /// # Errors
    /// As [`MarginState::update`].
    pub fn update_with<T: Copy + Into<f64>>(
        &mut self,
        features: &[T],
        d: usize,
        labels: &[usize],
        p: f64,
        stat: ClassStatistic,
    ) -> Result<()> {
        let f: Vec<f64> = features.iter().map(|v| (*v).into()).collect();
        let view = ArrayView2::from_shape((labels.len(), d), &f).map_err(|_| Error::Shape {
            what: "features (rows × d)",
            expected: labels.len() * d,
            got: f.len(),
        })?;
        let stats = moments::class_moments(view, labels, self.classes(), p)?;
        for (k, s) in stats.iter().enumerate() {
            if let Some(s) = s {
                self.alpha.update(k, s.energy(p, stat));
                self.msd.update(k, s.msd);
            }
        }
        Ok(())
    }

    /// γ (Eq. 1 / 17) from the EMA with `g`'s c̄. Until every class has been seen — or when
    /// a class's α is 0 (all-zero features) — the margins are uniform `c̄` (documented
    /// behaviour), as they always are with `g.uniform`.
    pub fn gamma(&self, g: GammaMargin) -> Vec<f64> {
        let k = self.classes();
        if g.uniform {
            return vec![g.c_bar; k];
        }
        let a: Option<Vec<f64>> = self.alpha.values.iter().copied().collect();
        // c̄ was checked once, when the objective was built (Mr2Spec::new): no per-batch check
        // that could silently turn into uniform margins.
        a.and_then(|a| gamma::optimal_gamma_of_valid_c_bar(&a, g.c_bar))
            .unwrap_or_else(|| vec![g.c_bar; k])
    }

    /// `s̄ = (1/K) Σ_k ‖ŝ_k‖²` over the classes seen so far (0 before any).
    pub fn s_bar(&self) -> f64 {
        moments::s_bar(&self.msd.values)
    }

    /// Check a state read back from a checkpoint: `k` classes, both EMAs with the decay
    /// `decay` (the spec's), finite non-negative EMA values.
    ///
    /// # Errors
    /// The first offending field, named.
    pub fn validate(&self, k: usize, decay: f64) -> Result<()> {
        if self.classes() != k || self.msd.values.len() != k {
            return Err(Error::Shape {
                what: "EMA classes in the checkpoint",
                expected: k,
                got: self.classes(),
            });
        }
        for ema in [&self.alpha, &self.msd] {
            if ema.decay.to_bits() != decay.to_bits() {
                return Err(invalid(
                    "EMA decay",
                    format!("{} (the objective's: {decay})", ema.decay),
                    "the stored statistics' decay must be the objective's",
                ));
            }
        }
        self.alpha.validate()?;
        self.msd.validate()
    }
}

/// The value of the MR² objective on a batch, by term.
pub struct Mr2Value {
    /// `ℓ_γ,ce` batch mean (tensor, differentiable).
    pub gamma_ce: Tensor<1>,
    /// `ℓ_s̄` of the batch (tensor; reduced as its [`RepScaling`] says), when the objective has
    /// it.
    pub rep: Option<Tensor<1>>,
    /// `gamma_ce + λ·rep` (Eq. 4).
    pub total: Tensor<1>,
    /// γ used.
    pub gamma: Vec<f64>,
    /// s̄ used.
    pub s_bar: f64,
}

/// The MR²-family objective with its state: `gamma-ce`, `rep`, `mr2`, `la-mr2`.
///
/// # Examples
/// The MR² loss of a batch, term by term, with the EMA updated ([`Mr2::loss`]) or read-only
/// ([`Mr2::evaluate`]):
/// ```
/// use mr2::burn::tensor::Device;
/// use mr2::loss::mr2::{Mr2, Mr2Params, Mr2Spec};
/// use mr2::tensor::{scalar, tensor2, On};
///
/// let on = On::f32(&Device::flex());
/// let spec = Mr2Spec::mr2(Mr2Params::default()).unwrap(); // c̄, λ, p, decay: one place
/// let mut mr2 = Mr2::new(spec, &[2, 2]).unwrap(); // 2 classes
/// let logits = tensor2(&[2.0, 0.0, 1.5, 0.5, 0.0, 1.0, 0.2, 2.0], [4, 2], &on);
/// let feats = tensor2(&[1.0, 0.0, 0.9, 0.1, 0.0, 1.0, 0.1, 1.2], [4, 2], &on);
/// let v = mr2.loss(logits, feats, &[0, 0, 1, 1]).unwrap();
/// let (ce, rep, total) = (
///     scalar(v.gamma_ce, "ce").unwrap(),
///     scalar(v.rep.unwrap(), "rep").unwrap(),
///     scalar(v.total, "total").unwrap(),
/// );
/// assert!((total - (ce + 0.5 * rep)).abs() < 1e-6); // Eq. 4 with λ = 0.5
/// assert!((v.gamma.iter().sum::<f64>() / 2.0 - 2.0).abs() < 1e-12); // mean γ = c̄
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mr2 {
    /// What it uses.
    pub spec: Mr2Spec,
    /// EMA statistics.
    pub state: MarginState,
    /// `ln π_k` of the training set (LA + MR² only).
    pub log_prior: Option<Vec<f64>>,
}

impl Mr2 {
    /// New objective for `k` classes with training-class counts `counts` (used by LA + MR²).
    ///
    /// # Errors
    /// No class (`counts` empty).
    pub fn new(spec: Mr2Spec, counts: &[usize]) -> Result<Self> {
        let log_prior = spec.la().map(|_| crate::loss::log_prior(counts));
        Ok(Self {
            state: MarginState::new(counts.len(), spec.params().decay)?,
            spec,
            log_prior,
        })
    }

    /// The margins the logits are divided by: γ from the state, or 1 for every class when the
    /// objective has no γ (cross-entropy, `rep`).
    pub fn gamma_used(&self) -> Vec<f64> {
        match self.spec.gamma() {
            Some(g) => self.state.gamma(g),
            None => vec![1.0; self.state.classes()],
        }
    }

    /// s̄ the objective uses (0 with `s_bar_zero` or without a representation term).
    pub fn s_bar_used(&self) -> f64 {
        match self.spec.rep() {
            Some(r) if !r.s_bar_zero => self.state.s_bar(),
            _ => 0.0,
        }
    }

    /// Evaluate on a batch without touching the state (read-only).
    pub fn evaluate(&self, logits: Tensor<2>, features: Tensor<2>, labels: &[usize]) -> Mr2Value {
        let g = self.gamma_used();
        let s_bar = self.s_bar_used();
        let k = self.state.classes();
        let gamma_ce = match (&self.log_prior, self.spec.la()) {
            (Some(lp), Some(la)) => {
                let on = On::of(&logits);
                let adj: Vec<f64> = lp.iter().map(|v| la.tau * v).collect();
                let adj = crate::tensor::tensor1(&adj, &on).reshape([1, k]);
                match la.order {
                    LaOrder::BeforeGamma => gamma_ce(logits + adj, labels, &g),
                    LaOrder::AfterGamma => {
                        let b = labels.len();
                        let gy = per_sample(&g, labels, &on).reshape([b, 1]);
                        gamma_ce(logits / gy + adj, labels, &vec![1.0; k])
                    }
                }
            }
            _ => gamma_ce(logits, labels, &g),
        };
        let (rep, total) = match self.spec.rep() {
            Some(rm) if rm.lambda > 0.0 => {
                let d = features.dims()[1];
                let r = rep_margin(features, labels, s_bar, rm.scaling.resolve(d, k));
                (Some(r.clone()), gamma_ce.clone() + r * rm.lambda)
            }
            _ => (None, gamma_ce.clone()),
        };
        Mr2Value {
            gamma_ce,
            rep,
            total,
            gamma: g,
            s_bar,
        }
    }

    /// Called before each epoch: with `ema_reset`, the EMA statistics start afresh (γ is
    /// uniform `c̄` and s̄ = 0 until the classes are seen again).
    pub fn on_epoch_start(&mut self) {
        if self.spec.params().ema_reset {
            for ema in [&mut self.state.alpha, &mut self.state.msd] {
                ema.values.iter_mut().for_each(|v| *v = None);
            }
        }
    }

    /// Fold the batch's detached features into the EMA, then evaluate (so the first batch
    /// already has statistics).
    ///
    /// # Errors
    /// The backend cannot return the features; a label outside `0..K`.
    pub fn loss(
        &mut self,
        logits: Tensor<2>,
        features: Tensor<2>,
        labels: &[usize],
    ) -> Result<Mr2Value> {
        let d = features.dims()[1];
        let f = to_vec64(features.clone().detach(), "features")?;
        let params = self.spec.params();
        self.state
            .update_with(&f, d, labels, params.p, params.class_stat)?;
        Ok(self.evaluate(logits, features, labels))
    }

    /// [`Mr2::loss`] as the generic per-term record.
    ///
    /// # Errors
    /// As [`Mr2::loss`].
    pub fn terms(
        &mut self,
        logits: Tensor<2>,
        features: Tensor<2>,
        labels: &[usize],
    ) -> Result<Terms> {
        let v = self.loss(logits, features, labels)?;
        let mut parts = vec![("gamma_ce", scalar(v.gamma_ce, "ℓ_γ,ce")?)];
        if let Some(r) = v.rep {
            parts.push(("rep", scalar(r, "ℓ_s̄")?));
        }
        Ok(Terms {
            total: v.total,
            parts,
        })
    }
}
