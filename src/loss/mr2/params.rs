//! The parameters of the MR²-family objectives (`gamma-ce`, `rep`, `mr2`, `la-mr2`): the one
//! [`Mr2Params`], the forms of `ℓ_s̄` ([`RepScaling`]: Eq. 2 as printed, the released code's,
//! …), the class statistic γ is set from ([`ClassStatistic`]) and the order of LA + MR²'s
//! shift ([`LaOrder`]). What an objective uses once resolved and validated is
//! [`super::Mr2Spec`]; the losses themselves are in [`super`].

use serde::{Deserialize, Serialize};

pub use crate::theory::moments::ClassStatistic;

/// How `ℓ_s̄` is scaled and reduced over the batch.
///
/// | setting | exponent | batch reduction | factor |
/// |---|---|---|---|
/// | `printed` (Eq. 2 as printed; `paper` before 2026-12-07) | `‖φ_i − φ_j‖² − 2s̄` | mean over the batch | 1 |
/// | `released` (MRF-CIFAR/losses.py) | `(‖φ_i − φ_j‖² − 2s̄)/(10D)` | per-class means, summed over the classes with ≥ 2 samples | `D/(10K)` |
/// | `released-compiled` (the compiled copy in the repository's cache) | as `released` | as `released` | `D/K` |
/// | `scaled-mean` (mr2 before 2026-12-03, then called `reference`) | as `released` | mean over the batch | `D/(10K)` |
///
/// For a balanced batch in which every class has ≥ 2 samples the `released` reduction is `K`
/// times the batch mean, so `scaled-mean` is about `K` times weaker than the released code.
/// `"reference"` still reads as `scaled-mean` (the configurations of runs made before the
/// rename); it is not the released code's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, Default)]
#[serde(rename_all = "kebab-case")]
pub enum RepScaling {
    /// Eq. 2 as printed: `exp(‖φ_i − φ_j‖² − 2s̄)`, batch mean. `"paper"`, its name before
    /// 2026-12-07, still reads as this.
    #[default]
    #[serde(alias = "paper")]
    #[value(alias = "paper")]
    Printed,
    /// The authors' released code: the exponent divided by `10·D`, per-class means summed over
    /// the classes with at least two samples in the batch, times `D/(10K)`.
    Released,
    /// As [`RepScaling::Released`] but times `D/K` (the compiled copy in the released
    /// repository's cache).
    ReleasedCompiled,
    /// The exponent divided by `10·D`, the *batch mean* times `D/(10K)`: mr2's earlier reading
    /// of the released code (≈ `K` times weaker than it). Kept so that older results can be
    /// reproduced; `"reference"` in a configuration means this.
    #[serde(alias = "reference")]
    #[value(alias = "reference")]
    ScaledMean,
}

/// How the per-sample `ℓ_s̄` of a batch are reduced to one number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RepReduction {
    /// `(1/B) Σ_i ℓ_i`.
    BatchMean,
    /// `Σ_{k: n_k ≥ 2} (1/n_k) Σ_{i: y_i = k} ℓ_i`, `n_k` the samples of class `k` in the batch.
    ClassMeanSum,
}

/// The three numbers a [`RepScaling`] resolves to for feature dimension `d` and `K` classes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RepScale {
    /// The exponent `‖φ_i − φ_j‖² − 2s̄` is divided by this.
    pub exponent_divisor: f64,
    /// The reduced loss is multiplied by this.
    pub output_factor: f64,
    /// How the per-sample losses are reduced.
    pub reduction: RepReduction,
}

impl RepScale {
    /// Eq. 2 as printed (divisor and factor 1, batch mean).
    pub const PRINTED: Self = Self {
        exponent_divisor: 1.0,
        output_factor: 1.0,
        reduction: RepReduction::BatchMean,
    };
}

impl RepScaling {
    /// The divisor, factor and reduction for feature dimension `d` and `k` classes.
    pub fn resolve(self, d: usize, k: usize) -> RepScale {
        let (d, k) = (d as f64, k as f64);
        let scaled = |output_factor, reduction| RepScale {
            exponent_divisor: 10.0 * d,
            output_factor,
            reduction,
        };
        match self {
            Self::Printed => RepScale::PRINTED,
            Self::Released => scaled(d / (10.0 * k), RepReduction::ClassMeanSum),
            Self::ReleasedCompiled => scaled(d / k, RepReduction::ClassMeanSum),
            Self::ScaledMean => scaled(d / (10.0 * k), RepReduction::BatchMean),
        }
    }

    /// The name as written in a configuration.
    pub fn name(self) -> &'static str {
        match self {
            Self::Printed => "printed",
            Self::Released => "released",
            Self::ReleasedCompiled => "released-compiled",
            Self::ScaledMean => "scaled-mean",
        }
    }
}

/// The one parameter set of the MR² family. Each objective reads the fields its terms use
/// ([`Mr2Form`]) and its configuration table takes exactly those keys
/// ([`Mr2Form::keys`]): `gamma-ce` (Table 3 rows b, c) has no λ, `rep` (rows d, e) no c̄ or p;
/// `la-mr2` adds τ and the order of the shift ([`LaMr2Params`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Mr2Params {
    /// Mean margin `c̄ > 0` (Eq. 1; paper 2).
    pub c_bar: f64,
    /// Weight `λ ≥ 0` of `ℓ_s̄` (Eq. 4; paper 0.5).
    pub lambda: f64,
    /// Norm exponent `p ≥ 1` (Eq. 17; 2 is Eq. 1).
    pub p: f64,
    /// EMA decay in `[0, 1)` (paper 0.9).
    pub decay: f64,
    /// `γ_k = c̄` for every class (Table 3 row b).
    pub uniform_gamma: bool,
    /// `s̄ = 0` (Table 3 row d).
    pub s_bar_zero: bool,
    /// Exponent scaling of `ℓ_s̄`.
    pub rep_scaling: RepScaling,
    /// Start the EMA statistics afresh at every epoch (as the released CIFAR code does; the
    /// paper and the default keep them across epochs).
    pub ema_reset: bool,
    /// The per-class statistic γ is set from at exponent `p`: the paper's `r²_{k,p}` (Eq. 72;
    /// the default) or the released code's `‖μ̂_k‖_p² + mean ‖φ − μ̂_k‖_p²`; equal at `p = 2`.
    pub class_stat: ClassStatistic,
}

impl Default for Mr2Params {
    fn default() -> Self {
        Self {
            c_bar: 2.0,
            lambda: 0.5,
            p: 2.0,
            decay: 0.9,
            uniform_gamma: false,
            s_bar_zero: false,
            rep_scaling: RepScaling::Printed,
            ema_reset: false,
            class_stat: ClassStatistic::Paper,
        }
    }
}

impl Mr2Params {
    /// One line naming every field: `c̄ = 2, λ = 0.5, p = 2, EMA decay 0.9, γ per class, s̄
    /// estimated, ℓ_s̄ printed, EMA kept across epochs`.
    pub fn summary(&self) -> String {
        let stat = match self.class_stat {
            ClassStatistic::Paper => "",
            ClassStatistic::Released => ", the released code's class statistic",
        };
        format!(
            "c̄ = {}, λ = {}, p = {}, EMA decay {}, γ {}, s̄ {}, ℓ_s̄ {}, EMA {}{stat}",
            self.c_bar,
            self.lambda,
            self.p,
            self.decay,
            if self.uniform_gamma {
                "uniform"
            } else {
                "per class"
            },
            if self.s_bar_zero { "= 0" } else { "estimated" },
            self.rep_scaling.name(),
            if self.ema_reset {
                "restarted every epoch"
            } else {
                "kept across epochs"
            }
        )
    }

    /// The configuration of the authors' released code, as far as it can run without test
    /// data: p = 5 (L5 norms), λ = 0.1, γ normalised to mean 1 (c̄ = 1), the released `ℓ_s̄`
    /// ([`RepScaling::Released`]), the EMA restarted every epoch, and s̄ = 0 where the code
    /// sets it (`s_bar_zero`, its CIFAR scripts). Its EMA also sees test features; mr2 never
    /// feeds test data to training and does not reproduce that.
    pub fn released(s_bar_zero: bool) -> Self {
        Self {
            c_bar: 1.0,
            lambda: 0.1,
            p: 5.0,
            decay: 0.9,
            uniform_gamma: false,
            s_bar_zero,
            rep_scaling: RepScaling::Released,
            ema_reset: true,
            // The runs of this configuration committed before 2026-12-07 used the paper's
            // statistic; `class_stat = "released"` is the released code's (docs/training.md).
            class_stat: ClassStatistic::Paper,
        }
    }
}

/// Where LA + MR² adds the logit adjustment `τ ln π` relative to the division by γ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, Default)]
#[serde(rename_all = "kebab-case")]
pub enum LaOrder {
    /// `−ln softmax(z/γ_y + τ ln π)_y`: the shift keeps its full strength, as in Menon et al.'s
    /// logit-adjusted loss applied to MR²'s margin-scaled logits (the default).
    #[default]
    AfterGamma,
    /// `−ln softmax((z + τ ln π)/γ_y)_y`: the shift is divided by γ_y too (mr2's form before
    /// 2026-12-03; with c̄ = 2 it roughly halves the shift).
    BeforeGamma,
}

/// LA + MR² (Table 7): MR² ([`Mr2Params`]) with the logits adjusted by `τ ln π`, after
/// (default) or before the division by γ ([`LaOrder`]). Written as one flat table:
/// `tau`, `la_order` and MR²'s keys.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LaMr2Params {
    /// Logit-adjustment strength τ ≥ 0 (Menon et al.: 1).
    pub tau: f64,
    /// Whether the shift is added after or before the division by γ.
    pub la_order: LaOrder,
    /// MR²'s parameters.
    #[serde(flatten)]
    pub mr2: Mr2Params,
}

impl Default for LaMr2Params {
    fn default() -> Self {
        Self {
            tau: 1.0,
            la_order: LaOrder::default(),
            mr2: Mr2Params::default(),
        }
    }
}
