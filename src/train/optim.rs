//! Optimisers (SGD with PyTorch-style momentum, AdamW), learning-rate schedules, and the
//! sharpness-aware minimisation step (SAM, Foret et al. 2021).

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamWConfig, GradientsParams, ModuleOptimizer, SgdConfig};
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use crate::error::{invalid, Result};
use crate::tensor::scalar;

/// Optimiser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum OptimKind {
    /// SGD with (PyTorch-style, dampening 0) momentum and L2 weight decay.
    Sgd,
    /// AdamW (ε = 1e-8 as in PyTorch).
    Adamw,
}

/// Learning-rate schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ScheduleKind {
    /// Linear warm-up then cosine decay to 0, per iteration.
    Cosine,
    /// Multiply by `step_factor` at each milestone epoch, after a linear warm-up per epoch
    /// (`lr·(e+1)/W` in the first `W = warmup_epochs` epochs, as LDAM-DRW's code).
    Step,
    /// Constant.
    Constant,
}

/// Optimiser and schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OptimConfig {
    /// Optimiser.
    pub kind: OptimKind,
    /// Base learning rate.
    pub lr: f64,
    /// SGD momentum in [0, 1).
    pub momentum: f64,
    /// Weight decay ≥ 0.
    pub weight_decay: f64,
    /// Schedule.
    pub schedule: ScheduleKind,
    /// Warm-up epochs (cosine: per iteration; step: per epoch; none for constant).
    pub warmup_epochs: usize,
    /// Milestone epochs (step).
    pub milestones: Vec<usize>,
    /// Factor at each milestone (step).
    pub step_factor: f64,
    /// SAM radius ρ ≥ 0 (0: plain steps; Foret et al. default 0.05).
    pub sam_rho: f64,
}

impl Default for OptimConfig {
    fn default() -> Self {
        Self {
            kind: OptimKind::Sgd,
            lr: 0.05,
            momentum: 0.9,
            weight_decay: 5e-4,
            schedule: ScheduleKind::Cosine,
            warmup_epochs: 0,
            milestones: vec![],
            step_factor: 0.1,
            sam_rho: 0.0,
        }
    }
}

impl OptimConfig {
    /// Validate for a run of `epochs`, naming the bad setting.
    ///
    /// # Errors
    /// Non-positive or non-finite learning rate, momentum outside `[0, 1)`, negative weight
    /// decay, warm-up not shorter than training, a non-positive step factor, negative ρ.
    pub fn validate(&self, epochs: usize) -> Result<()> {
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(invalid(
                "lr",
                self.lr,
                "the learning rate must be finite and > 0",
            ));
        }
        if !(0.0..1.0).contains(&self.momentum) {
            return Err(invalid(
                "momentum",
                self.momentum,
                "momentum must lie in [0, 1)",
            ));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(invalid(
                "weight_decay",
                self.weight_decay,
                "weight decay must be finite and >= 0",
            ));
        }
        if self.schedule == ScheduleKind::Constant && self.warmup_epochs > 0 {
            return Err(invalid(
                "warmup_epochs",
                self.warmup_epochs,
                "a constant learning rate has no warm-up: choose the cosine or step schedule",
            ));
        }
        if self.warmup_epochs > 0 && self.warmup_epochs >= epochs {
            return Err(invalid(
                "warmup_epochs",
                self.warmup_epochs,
                "warm-up must be shorter than training",
            ));
        }
        if !(self.step_factor.is_finite() && self.step_factor > 0.0) {
            return Err(invalid(
                "step_factor",
                self.step_factor,
                "the step factor must be finite and > 0",
            ));
        }
        if !(self.sam_rho.is_finite() && self.sam_rho >= 0.0) {
            return Err(invalid(
                "sam_rho",
                self.sam_rho,
                "the SAM radius ρ must be finite and >= 0",
            ));
        }
        Ok(())
    }

    /// Learning rate at iteration `it` (of `per_epoch`) of epoch `epoch` of a phase of `epochs`.
    pub fn lr_at(&self, epoch: usize, it: usize, per_epoch: usize, epochs: usize) -> f64 {
        match self.schedule {
            ScheduleKind::Constant => self.lr,
            ScheduleKind::Step => {
                // Warm-up per epoch, as LDAM-DRW's code: lr·(e+1)/W in epochs e < W.
                let warm = if epoch < self.warmup_epochs {
                    (epoch + 1) as f64 / self.warmup_epochs as f64
                } else {
                    1.0
                };
                warm * self.lr
                    * self
                        .step_factor
                        .powi(self.milestones.iter().filter(|&&m| epoch >= m).count() as i32)
            }
            ScheduleKind::Cosine => {
                let t = (epoch * per_epoch + it) as f64;
                let warm = (self.warmup_epochs * per_epoch) as f64;
                let total = (epochs * per_epoch) as f64;
                if t < warm {
                    self.lr * (t + 1.0) / warm
                } else {
                    0.5 * self.lr
                        * (1.0
                            + (std::f64::consts::PI * (t - warm) / (total - warm).max(1.0)).cos())
                }
            }
        }
    }

    /// The optimiser (SGD momentum dampening 0 and AdamW ε = 1e-8, PyTorch's values).
    pub fn build(&self) -> ModuleOptimizer {
        match self.kind {
            OptimKind::Sgd => SgdConfig::new()
                .with_weight_decay(
                    (self.weight_decay > 0.0)
                        .then(|| WeightDecayConfig::new(self.weight_decay as f32)),
                )
                .with_momentum((self.momentum > 0.0).then(|| {
                    MomentumConfig::new()
                        .with_momentum(self.momentum)
                        .with_dampening(0.0)
                }))
                .init(),
            OptimKind::Adamw => AdamWConfig::new()
                .with_weight_decay(self.weight_decay as f32)
                .with_epsilon(1e-8)
                .init(),
        }
    }
}

/// `Σ ‖g‖²` over a module's float parameters.
struct GradNorm<'a> {
    grads: &'a GradientsParams,
    /// On the gradients' device (none before the first gradient).
    sum: Option<Tensor<1>>,
}

impl ModuleVisitor for GradNorm<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(g) = self.grads.get::<D>(param.id) {
            let s = g.square().sum();
            self.sum = Some(match self.sum.take() {
                Some(t) => t + s,
                None => s,
            });
        }
    }
}

/// `w + c·g` for every parameter with a gradient, keeping parameter ids (SAM's ascent step).
struct Perturb<'a> {
    grads: &'a GradientsParams,
    c: f64,
}

impl ModuleMapper for Perturb<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        match self.grads.get::<D>(param.id) {
            Some(g) => {
                let c = self.c;
                param.map(move |w| Tensor::from_inner(w.inner() + g * c).require_grad())
            }
            None => param,
        }
    }
}

/// The global L2 norm of the gradients of `module`'s parameters.
///
/// # Errors
/// The backend cannot return the norm.
pub fn grad_norm<M: Module>(module: &M, grads: &GradientsParams) -> Result<f64> {
    let mut v = GradNorm { grads, sum: None };
    module.visit(&mut v);
    match v.sum {
        Some(s) => Ok(scalar(s, "gradient norm")?.sqrt()),
        None => Ok(0.0),
    }
}

/// SAM's perturbed copy `w + ρ·g/(‖g‖ + 1e-12)` of `module` (the same parameter ids, so the
/// gradients taken there step the original parameters). Weight decay and momentum act on the
/// unperturbed weights with the gradient of the perturbed ones, as in Foret et al.'s code.
///
/// # Errors
/// The backend cannot return the gradient norm.
pub fn sam_perturbed<M: Module>(module: &M, grads: &GradientsParams, rho: f64) -> Result<M> {
    let n = grad_norm(module, grads)?;
    let mut p = Perturb {
        grads,
        c: rho / (n + 1e-12),
    };
    Ok(module.clone().map(&mut p))
}

/// Whether every float parameter of `module` is finite.
///
/// # Errors
/// The backend cannot return the check.
pub fn all_finite<M: Module>(module: &M) -> Result<bool> {
    struct Finite {
        sum: Vec<Tensor<1>>,
    }
    impl ModuleVisitor for Finite {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            // 0·x is NaN exactly when x is NaN or ±∞.
            self.sum.push((param.val() * 0.0).sum());
        }
    }
    let mut f = Finite { sum: vec![] };
    module.visit(&mut f);
    for s in f.sum {
        if !scalar(s, "parameter check")?.is_finite() {
            return Ok(false);
        }
    }
    Ok(true)
}
