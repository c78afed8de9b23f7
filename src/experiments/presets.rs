//! How large an experiment's runs are ([`Preset`]) and which MR² its MR²-family rows use
//! ([`Variant`]).

use serde::{Deserialize, Serialize};

use crate::data::{DatasetName, Imbalance};
use crate::error::Result;
use crate::loss::mr2::Mr2Params;
use crate::loss::{Method, RepScaling};
use crate::model::Arch;
use crate::settings::Value;
use crate::train::{ScheduleKind, TrainConfig};

/// The `cifar` preset's epochs: ResNet-32 on the 10% subset takes ≈ 21.5 s of training steps
/// per epoch on 2 cores (docs/results.md, "CIFAR-10"), so a run is ≈ 40 min; the paper trains 300.
pub const CIFAR_EPOCHS: usize = 100;

/// The `paper-cifar` preset's epochs: the paper's 300 (App. C.2).
pub const PAPER_CIFAR_EPOCHS: usize = 300;

/// How large the runs are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum Preset {
    /// Seconds: the synthetic mixture (100 samples per class), an MLP of width 32, 4 epochs,
    /// batch 32, one seed (what the tests run).
    Quick,
    /// What a 2-core CPU runs: Fashion-MNIST, the small CNN, 8 epochs, seeds 0, 1, 2.
    Cpu,
    /// CIFAR-10 on a 2-core CPU (Table 14's setting): 10% of each class of the training set
    /// (5 000 images, seeded), ResNet-32, crop + flip, SGD lr 0.1 momentum 0.9, weight decay
    /// 5e-4, 5-epoch linear warm-up then cosine, batch 128, 100 epochs (the paper: 300), test
    /// evaluation every 10 epochs, seeds 0–4; the files under `data/cifar10-jpeg` (the JPEG
    /// copy `scripts/fetch-data.sh cifar10` unpacks; `--data-dir` for the official binary
    /// release). MR²-family rows use `ℓ_s̄` as printed.
    Cifar,
    /// The paper's CIFAR recipe (App. C.2, "following Cao et al.") on Table 14's setting: 10%
    /// of each CIFAR-10 training class (5 000 images, seeded), ResNet-32, crop + flip, SGD lr
    /// 0.1 momentum 0.9, weight decay 5e-4, batch 128, cosine decay **without warm-up** (C.2
    /// names none; Cao et al.'s code warms up 5 epochs), **300 epochs**; the test set evaluated
    /// every 10 epochs and after each of the last 30 (last and best epoch recorded); seeds
    /// 0–4; the JPEG copy in `data/cifar10-jpeg`. MR²-family rows use the released code's
    /// `ℓ_s̄` (Eq. 2 as printed does not train ResNet-32 at λ = 0.5) with p = 2, EMA 0.9 kept
    /// across epochs, s̄ estimated; c̄ and λ from `experiments tune` (`--param`).
    PaperCifar,
    /// CIFAR-10's whole training set, ResNet-32, 200 epochs, SGD lr 0.1 cosine, weight decay
    /// 5e-4, crop + flip, batch 128, c̄ = 2, λ = 0.5 (needs the CIFAR-10 files and a GPU);
    /// `paper` is an older name for it.
    #[value(alias = "paper")]
    CifarFull,
}

/// Which MR² the MR²-family rows of a grid (`gamma-ce`, `rep`, `mr2`, `la-mr2`) use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    /// The preset's: the paper's c̄ = 2, λ = 0.5, p = 2 and the preset's `ℓ_s̄` form (cpu,
    /// paper-cifar and cifar-full: the released code's `ℓ_s̄`, [`RepScaling::Released`]).
    #[default]
    Preset,
    /// Eq. 2 as printed: c̄ = 2, λ = 0.5, p = 2, `ℓ_s̄` unscaled, batch mean.
    Printed,
    /// The released configuration ([`Mr2Params::released`]): p = 5, λ = 0.1, γ with mean 1,
    /// the released code's `ℓ_s̄`, the EMA restarted every epoch, s̄ = 0 on CIFAR.
    Released,
}

impl Variant {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Preset => "preset",
            Self::Printed => "printed",
            Self::Released => "released",
        }
    }

    /// Apply to an MR²-family method (other methods are left alone). `cifar`: the dataset is
    /// one the released code's CIFAR scripts run (they set s̄ = 0).
    pub fn apply(self, m: &mut Method, cifar: bool) {
        let r = Mr2Params::released(cifar);
        match (self, m) {
            (Self::Preset, _) => {}
            (Self::Printed, Method::Mr2(p) | Method::Rep(p)) => p.rep_scaling = RepScaling::Printed,
            (Self::Printed, Method::LaMr2(p)) => p.mr2.rep_scaling = RepScaling::Printed,
            (Self::Released, Method::Mr2(p)) => *p = r,
            (Self::Released, Method::LaMr2(p)) => p.mr2 = r,
            (Self::Released, Method::GammaCe(p)) => {
                (p.c_bar, p.p, p.ema_reset) = (r.c_bar, r.p, r.ema_reset);
            }
            (Self::Released, Method::Rep(p)) => {
                (p.lambda, p.s_bar_zero) = (r.lambda, r.s_bar_zero);
                (p.rep_scaling, p.ema_reset) = (r.rep_scaling, r.ema_reset);
            }
            _ => {}
        }
    }
}

/// A preset's base configuration and seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct PresetSettings {
    /// Every run starts from this configuration.
    pub base: TrainConfig,
    /// Seeds of each row.
    pub seeds: Vec<u64>,
    /// Parameters every MR²-family objective gets (the ℓ_s̄ scaling).
    pub mr2_params: Vec<(String, Value)>,
    /// Which MR² the MR²-family rows use.
    pub variant: Variant,
}

impl Preset {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Quick => "quick",
            Self::Cpu => "cpu",
            Self::Cifar => "cifar",
            Self::PaperCifar => "paper-cifar",
            Self::CifarFull => "cifar-full",
        }
    }

    /// The preset's settings.
    pub fn settings(self) -> PresetSettings {
        match self {
            Self::Quick => {
                let mut c = TrainConfig::defaults_for(DatasetName::Synthetic);
                c.data.synthetic.train_per_class = 100;
                c.data.synthetic.test_per_class = 100;
                c.model.width = 32;
                c.epochs = 4;
                c.batch_size = 32;
                PresetSettings {
                    base: c,
                    seeds: vec![0],
                    mr2_params: vec![],
                    variant: Variant::Preset,
                }
            }
            Self::Cpu => {
                let mut c = TrainConfig::defaults_for(DatasetName::FashionMnist);
                c.model.arch = Arch::Cnn;
                c.epochs = 8;
                PresetSettings {
                    base: c,
                    seeds: vec![0, 1, 2],
                    // ℓ_s̄ as printed collapses the CNN's features at λ = 0.5 (docs/training.md); the
                    // authors' released code scales the exponent and sums per-class means.
                    mr2_params: vec![("rep_scaling".into(), RepScaling::Released.name().into())],
                    variant: Variant::Preset,
                }
            }
            Self::Cifar => {
                let mut c = TrainConfig::defaults_for(DatasetName::Cifar10);
                c.data.dir = Some(DatasetName::Cifar10.default_dir());
                c.data.subset = Some(0.1);
                c.data.augment = true;
                c.model.arch = Arch::Resnet32;
                c.epochs = CIFAR_EPOCHS;
                c.optim.lr = 0.1;
                c.optim.weight_decay = 5e-4;
                c.optim.warmup_epochs = 5;
                c.eval_every = 10;
                PresetSettings {
                    base: c,
                    seeds: vec![0, 1, 2, 3, 4],
                    mr2_params: vec![],
                    variant: Variant::Preset,
                }
            }
            Self::PaperCifar => {
                let mut c = Self::Cifar.settings().base;
                c.epochs = PAPER_CIFAR_EPOCHS;
                c.optim.warmup_epochs = 0;
                c.eval_every = 10;
                c.eval_last = PAPER_CIFAR_EPOCHS / 10;
                PresetSettings {
                    base: c,
                    seeds: vec![0, 1, 2, 3, 4],
                    mr2_params: vec![("rep_scaling".into(), RepScaling::Released.name().into())],
                    variant: Variant::Preset,
                }
            }
            Self::CifarFull => {
                let mut c = TrainConfig::defaults_for(DatasetName::Cifar10);
                c.model.arch = Arch::Resnet32;
                c.epochs = 200;
                c.optim.lr = 0.1;
                c.optim.weight_decay = 5e-4;
                c.data.augment = true;
                PresetSettings {
                    base: c,
                    seeds: vec![0, 1, 2],
                    mr2_params: vec![("rep_scaling".into(), RepScaling::Released.name().into())],
                    variant: Variant::Preset,
                }
            }
        }
    }
}

impl PresetSettings {
    /// `m` with the preset's MR²-family parameters that it has (`None` when it has none of
    /// them).
    ///
    /// # Errors
    /// A preset parameter the method cannot take (a bug in the preset).
    pub(super) fn family_params(&self, m: &Method) -> Result<Option<Method>> {
        let family: Vec<(String, Value)> = self
            .mr2_params
            .iter()
            .filter(|(k, _)| m.params().iter().any(|(pk, _)| pk == k))
            .cloned()
            .collect();
        if family.is_empty() {
            return Ok(None);
        }
        m.with_params(&family, "preset").map(Some)
    }

    /// One line describing the settings (printed and saved in `plan.json`), read from `c`:
    /// the configuration of the plan's reference row, which is what the rows share unless a
    /// row changes it (an experiment may change the preset's base, e.g. `long-tail`'s
    /// imbalance, schedule and weight decay).
    pub fn describe(&self, preset: Preset, seeds: &[u64], c: &TrainConfig) -> String {
        let imbalance = match c.data.imbalance {
            Some(Imbalance::LongTail { ratio }) => format!(" (long-tailed, ρ = {ratio})"),
            Some(Imbalance::LongTailLdam { ratio }) => {
                format!(" (long-tailed, ρ = {ratio}, LDAM-DRW's own subset)")
            }
            Some(Imbalance::Step { ratio }) => format!(" (step imbalance, ρ = {ratio})"),
            None => String::new(),
        };
        let mut phases = Vec::new();
        if c.optim.warmup_epochs > 0 {
            phases.push(format!("{} warm-up epochs", c.optim.warmup_epochs));
        }
        if c.optim.schedule == ScheduleKind::Step {
            phases.push(format!(
                "×{} at epochs {:?}",
                c.optim.step_factor, c.optim.milestones
            ));
        }
        let schedule = if phases.is_empty() {
            String::new()
        } else {
            format!(" ({})", phases.join(", "))
        };
        let mut evaluated = match c.eval_every {
            1 => "test evaluated every epoch".to_string(),
            n => format!("test evaluated every {n} epochs"),
        };
        if c.eval_last > 0 && c.eval_every > 1 {
            evaluated = format!("{evaluated} and after each of the last {}", c.eval_last);
        }
        let params = if self.mr2_params.is_empty() {
            "none".to_string()
        } else {
            self.mr2_params
                .iter()
                .map(|(k, v)| format!("{k} = {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let variant = match self.mr2_effective(c.data.name.is_cifar()) {
            Some(p) => format!("{} ({})", self.variant.name(), p.summary()),
            None => self.variant.name().to_string(),
        };
        let differs = match preset {
            Preset::PaperCifar => "; differs from the paper's recipe (App. C.2) in the data (CIFAR-10 JPEG copy, Table 14's 10% subset), the backbone (ResNet-32: Table 14 names none) and c̄, λ (set by `experiments tune` on a 10% validation split, via --param)",
            _ => "",
        };
        format!(
            "preset {}: {:?}{}{}{}, {:?}, {} epochs, batch {}, {:?} lr {} weight decay {} {:?} schedule{}, augment {}, {}, seeds {:?}; MR²-family parameters {}, variant {}{differs}",
            preset.name(),
            c.data.name,
            c.data.dir.as_ref().map_or(String::new(), |d| format!(" in {}", d.display())),
            c.data.subset.map_or(String::new(), |f| format!(" ({}% of each training class)", 100.0 * f)),
            imbalance,
            c.model.arch,
            c.epochs,
            c.batch_size,
            c.optim.kind,
            c.optim.lr,
            c.optim.weight_decay,
            c.optim.schedule,
            schedule,
            c.data.augment,
            evaluated,
            seeds,
            params,
            variant
        )
    }

    /// The MR² parameters the grid's `mr2` rows train with: the method's defaults, the preset's
    /// MR²-family parameters, then the variant (`cifar`: the data is CIFAR, where the released
    /// code sets s̄ = 0). `None` if the preset's parameters do not apply (a bug in the preset).
    pub fn mr2_effective(&self, cifar: bool) -> Option<Mr2Params> {
        // The dataset's defaults first (λ = 0.1 on the synthetic mixture), as the grid builds
        // its rows.
        let m = TrainConfig::default_method(Method::Mr2(Mr2Params::default()), self.base.data.name);
        let mut m = self.family_params(&m).ok()?.unwrap_or(m);
        self.variant.apply(&mut m, cifar);
        match m {
            Method::Mr2(p) => Some(p),
            _ => None,
        }
    }
}
