//! What each experiment trains, under each preset.

use serde::{Deserialize, Serialize};

use super::{Plan, RunSpec};
use crate::data::{DatasetName, Imbalance};
use crate::error::{invalid, Result};
use crate::loss::Method;
use crate::model::Arch;
use crate::train::TrainConfig;

/// How large the runs are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum Preset {
    /// Seconds: the synthetic mixture (100 samples per class), an MLP of width 32, 4 epochs,
    /// batch 32, one seed (what the tests run).
    Quick,
    /// What a 2-core CPU runs: Fashion-MNIST, the small CNN, 8 epochs, seeds 0, 1, 2.
    Cpu,
    /// The paper's CIFAR setting: ResNet-32, 200 epochs, SGD lr 0.1 cosine, weight decay 5e-4,
    /// crop + flip, batch 128, c̄ = 2, λ = 0.5 (needs the CIFAR-10 files and a GPU).
    Paper,
}

/// A preset's base configuration and seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct PresetSettings {
    /// Every run starts from this configuration.
    pub base: TrainConfig,
    /// Seeds of each row.
    pub seeds: Vec<u64>,
    /// Parameters every MR²-family objective gets (the ℓ_s̄ scaling).
    pub mr2_params: Vec<(String, String)>,
}

impl Preset {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Quick => "quick",
            Self::Cpu => "cpu",
            Self::Paper => "paper",
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
                }
            }
            Self::Cpu => {
                let mut c = TrainConfig::defaults_for(DatasetName::FashionMnist);
                c.model.arch = Arch::Cnn;
                c.epochs = 8;
                PresetSettings {
                    base: c,
                    seeds: vec![0, 1, 2],
                    // ℓ_s̄ as printed collapses the CNN's features at λ = 0.5 (README); the
                    // authors' code scales the exponent.
                    mr2_params: vec![("rep_scaling".into(), "\"reference\"".into())],
                }
            }
            Self::Paper => {
                let mut c = TrainConfig::defaults_for(DatasetName::Cifar10);
                c.model.arch = Arch::Resnet32;
                c.epochs = 200;
                c.optim.lr = 0.1;
                c.optim.weight_decay = 5e-4;
                c.data.augment = true;
                PresetSettings {
                    base: c,
                    seeds: vec![0, 1, 2],
                    mr2_params: vec![("rep_scaling".into(), "\"reference\"".into())],
                }
            }
        }
    }
}

impl PresetSettings {
    /// One line describing the settings (printed and saved in `plan.json`).
    pub fn describe(&self, preset: Preset, seeds: &[u64]) -> String {
        let c = &self.base;
        format!(
            "preset {}: {:?}, {:?}, {} epochs, batch {}, {:?} lr {} weight decay {} {:?} schedule, augment {}, seeds {:?}; MR²-family parameters {:?}",
            preset.name(),
            c.data.name,
            c.model.arch,
            c.epochs,
            c.batch_size,
            c.optim.kind,
            c.optim.lr,
            c.optim.weight_decay,
            c.optim.schedule,
            c.data.augment,
            seeds,
            self.mr2_params
        )
    }
}

/// The experiments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Experiment {
    /// Table 1: ERM, every baseline and MR²; overall / easy / medium / hard by ERM's thirds.
    Baselines,
    /// Table 3 rows (a)–(f): CE; ℓ_γ,ce with uniform γ; ℓ_γ,ce; CE + λℓ_s̄ with s̄ = 0;
    /// CE + λℓ_s̄; MR².
    Ablation,
    /// Tables 8, 12, 13, Figs. 5–6: p, c̄ and λ (λ under both ℓ_s̄ scalings) one at a time.
    Sweep,
    /// Table 14: 10% of the training set, per-class accuracy ERM vs MR², sorted, with Δ.
    PerClass,
    /// Table 7: long-tailed training set (ρ = 100) with ERM, LA and LA + MR².
    Imbalanced,
    /// Fig. 7 / Fig. 1b: per-class spread ‖ŝ_y‖ of the easy / medium / hard thirds over
    /// training, ERM vs MR², on the synthetic mixture (a figure about the theory).
    Spread,
    /// Table 4: output-level margins (average and by ERM's easy / medium / hard thirds) and
    /// the classifier-level margin, ERM vs MR².
    Margins,
    /// Balestriero et al. (2022): the per-class accuracy change caused by weight decay and by
    /// augmentation, for ERM and for MR² — which classes each regulariser sacrifices.
    RegularizationAudit,
    /// The per-class bound of `bounds` for every run of the baselines grid, against the
    /// per-class and the per-method test error (rank correlations). Trains the baselines grid
    /// where it is missing (in the baselines' directory) and computes bounds; not in
    /// [`Experiment::ALL`], which lists the training grids.
    BoundsVsError,
}

/// The methods of `baselines` (row label, method name, extra parameters, SAM radius).
const BASELINES: &[(&str, &str, Option<f64>)] = &[
    ("ERM", "ce", None),
    ("label-smoothing", "label-smoothing", None),
    ("focal", "focal", None),
    ("LDAM-DRW", "ldam", None),
    ("EQL", "eql", None),
    ("LA", "la", None),
    ("MM", "mm", None),
    ("group-DRO", "group-dro", None),
    ("FairDRO", "fair-dro", None), // with nonnegative weights, see `add`
    ("SupCon", "supcon", None),
    ("center (DFL)", "center", None),
    ("DRL", "drl", None),
    ("L-GM", "lgm", None),
    ("CSR", "csr", None),
    ("JTT", "jtt", None),
    ("LfF", "lff", None),
    ("SAM", "ce", Some(0.05)),
    ("LM-softmax", "lm-softmax", None),
    ("sample-margin", "sample-margin", None),
    ("MR2", "mr2", None),
];

impl Experiment {
    /// Name as typed (`per-class`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::Baselines => "baselines",
            Self::Ablation => "ablation",
            Self::Sweep => "sweep",
            Self::PerClass => "per-class",
            Self::Imbalanced => "imbalanced",
            Self::Spread => "spread",
            Self::Margins => "margins",
            Self::RegularizationAudit => "regularization-audit",
            Self::BoundsVsError => "bounds-vs-error",
        }
    }

    /// The training grid whose runs the experiment uses: its own, except `bounds-vs-error`,
    /// which bounds the baselines' runs.
    pub fn grid(self) -> Experiment {
        match self {
            Self::BoundsVsError => Self::Baselines,
            e => e,
        }
    }

    /// Every training grid (`bounds-vs-error` reuses the baselines').
    pub const ALL: [Experiment; 8] = [
        Self::Baselines,
        Self::Ablation,
        Self::Sweep,
        Self::PerClass,
        Self::Imbalanced,
        Self::Spread,
        Self::Margins,
        Self::RegularizationAudit,
    ];

    /// Per-class differences the report tabulates: `(label, from row, to row)`, Δ = to − from.
    pub fn contrasts(self) -> Vec<(String, String, String)> {
        let c = |l: &str, a: &str, b: &str| (l.to_string(), a.to_string(), b.to_string());
        match self {
            Self::PerClass | Self::Spread | Self::Margins => vec![c("MR2 − ERM", "ERM", "MR2")],
            Self::Imbalanced => vec![c("LA + MR2 − LA", "LA", "LA + MR2")],
            Self::RegularizationAudit => vec![
                c("weight decay (ERM)", "ERM, no weight decay", "ERM"),
                c("augmentation (ERM)", "ERM", "ERM + augmentation"),
                c("weight decay (MR2)", "MR2, no weight decay", "MR2"),
                c("augmentation (MR2)", "MR2", "MR2 + augmentation"),
                c("MR2 − ERM", "ERM", "MR2"),
            ],
            Self::Baselines | Self::Ablation | Self::Sweep | Self::BoundsVsError => vec![],
        }
    }

    /// The grid under `preset`, with `seeds` replacing the preset's when given.
    ///
    /// # Errors
    /// Empty or duplicated seeds; a parameter a method does not have (a bug in the grid).
    pub fn plan(self, preset: Preset, seeds: Option<&[u64]>) -> Result<Plan> {
        if self != self.grid() {
            return self.grid().plan(preset, seeds);
        }
        let mut s = preset.settings();
        if self == Self::Spread && preset != Preset::Quick {
            // A figure about the theory: the synthetic mixture and its MLP whatever the preset.
            s.base = TrainConfig::defaults_for(DatasetName::Synthetic);
            s.mr2_params.clear();
        }
        let seeds: Vec<u64> = seeds.map_or_else(|| s.seeds.clone(), <[u64]>::to_vec);
        if seeds.is_empty() {
            return Err(invalid("seeds", "[]", "give at least one seed"));
        }
        let mut sorted = seeds.clone();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted.len() != seeds.len() {
            return Err(invalid("seeds", format!("{seeds:?}"), "seeds repeat"));
        }
        let mut g = Grid {
            s: &s,
            seeds: &seeds,
            runs: vec![],
        };
        let mr2 = |kv: &[(&str, &str)]| -> Vec<(String, String)> {
            kv.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        match self {
            // Planned as its grid (above).
            Self::BoundsVsError => {}
            Self::Baselines => {
                for (row, m, sam) in BASELINES {
                    // FairDRO as in its code gives a class a negative weight at K = 10 and
                    // diverges; the grid uses its simplex projection (README, Objectives).
                    let kv = if *m == "fair-dro" {
                        mr2(&[("nonnegative", "true")])
                    } else {
                        vec![]
                    };
                    g.add(row, None, m, &kv, |c| c.optim.sam_rho = sam.unwrap_or(0.0))?;
                }
            }
            Self::Ablation => {
                let rows: [Row; 6] = [
                    ("(a) CE", "ce", vec![]),
                    (
                        "(b) gamma-ce, uniform gamma",
                        "gamma-ce",
                        mr2(&[("uniform_gamma", "true")]),
                    ),
                    ("(c) gamma-ce", "gamma-ce", vec![]),
                    (
                        "(d) CE + rep, s_bar = 0",
                        "rep",
                        mr2(&[("s_bar_zero", "true")]),
                    ),
                    ("(e) CE + rep", "rep", vec![]),
                    ("(f) MR2", "mr2", vec![]),
                ];
                for (row, m, kv) in &rows {
                    g.add(row, None, m, kv, |_| ())?;
                }
            }
            Self::Sweep => {
                g.add("ERM", None, "ce", &[], |_| ())?;
                for p in [1.0, 3.0, 5.0, 7.0, 9.0] {
                    g.add(
                        &format!("p={p}"),
                        Some(("p", p)),
                        "mr2",
                        &mr2(&[("p", &fmt(p))]),
                        |_| (),
                    )?;
                }
                for c in [0.5, 1.0, 2.0, 3.0, 5.0] {
                    let kv = mr2(&[("c_bar", &fmt(c))]);
                    g.add(
                        &format!("c_bar={c}"),
                        Some(("c_bar", c)),
                        "mr2",
                        &kv,
                        |_| (),
                    )?;
                }
                for scaling in ["reference", "paper"] {
                    for l in [0.01, 0.1, 0.3, 0.5, 0.7, 0.9] {
                        let q = format!("\"{scaling}\"");
                        let kv = mr2(&[("lambda", &fmt(l)), ("rep_scaling", &q)]);
                        let axis = format!("lambda ({scaling})");
                        g.add(
                            &format!("lambda={l} {scaling}"),
                            Some((&axis, l)),
                            "mr2",
                            &kv,
                            |_| (),
                        )?;
                    }
                }
            }
            Self::PerClass => {
                for (row, m) in [("ERM", "ce"), ("MR2", "mr2")] {
                    g.add(row, None, m, &[], |c| c.data.subset = Some(0.1))?;
                }
            }
            Self::Imbalanced => {
                let lt = |c: &mut TrainConfig| {
                    c.data.imbalance = Some(Imbalance::LongTail { ratio: 100.0 })
                };
                for (row, m) in [("ERM", "ce"), ("LA", "la"), ("LA + MR2", "la-mr2")] {
                    g.add(row, None, m, &[], lt)?;
                }
            }
            Self::Spread | Self::Margins => {
                for (row, m) in [("ERM", "ce"), ("MR2", "mr2")] {
                    g.add(row, None, m, &[], |_| ())?;
                }
            }
            Self::RegularizationAudit => {
                for (name, m) in [("ERM", "ce"), ("MR2", "mr2")] {
                    g.add(name, None, m, &[], |_| ())?;
                    g.add(&format!("{name}, no weight decay"), None, m, &[], |c| {
                        c.optim.weight_decay = 0.0
                    })?;
                    // Crop + flip needs images (not the quick preset's synthetic mixture).
                    if s.base.data.name.is_image() {
                        g.add(&format!("{name} + augmentation"), None, m, &[], |c| {
                            c.data.augment = true
                        })?;
                    }
                }
            }
        }
        // Only the contrasts whose two rows the grid has.
        let contrasts = {
            let rows: Vec<&str> = g.runs.iter().map(|r| r.row.as_str()).collect();
            self.contrasts()
                .into_iter()
                .filter(|(_, a, b)| rows.contains(&a.as_str()) && rows.contains(&b.as_str()))
                .collect()
        };
        Ok(Plan {
            experiment: self.name().into(),
            preset: preset.name().into(),
            settings: s.describe(preset, &seeds),
            reference_row: g.runs[0].row.clone(),
            runs: g.runs,
            paper: super::paper::paper_table(self),
            contrasts,
        })
    }
}

/// An ablation row: label, method, parameters.
type Row<'a> = (&'a str, &'a str, Vec<(String, String)>);

/// A parameter value as TOML.
fn fmt(v: f64) -> String {
    format!("{v:?}")
}

struct Grid<'a> {
    s: &'a PresetSettings,
    seeds: &'a [u64],
    runs: Vec<RunSpec>,
}

impl Grid<'_> {
    /// Add one row: `method` with the preset's MR²-family parameters (for the methods that have
    /// them), then `kv`, then `edit` on the configuration; one run per seed.
    fn add(
        &mut self,
        row: &str,
        axis: Option<(&str, f64)>,
        method: &str,
        kv: &[(String, String)],
        edit: impl Fn(&mut TrainConfig),
    ) -> Result<()> {
        let name = self.s.base.data.name;
        let mut m = TrainConfig::default_method(Method::from_name(method)?, name);
        let family: Vec<(String, String)> = self
            .s
            .mr2_params
            .iter()
            .filter(|(k, _)| m.params().iter().any(|(pk, _)| pk == k))
            .cloned()
            .collect();
        if !family.is_empty() {
            m = m.with_params(&family, "preset")?;
        }
        if !kv.is_empty() {
            m = m.with_params(kv, &format!("experiment row {row}"))?;
        }
        for &seed in self.seeds {
            let mut c = self.s.base.clone();
            c.loss = m.clone();
            c.seed = seed;
            edit(&mut c);
            c.validate()?;
            self.runs.push(RunSpec {
                id: format!("{}-s{seed}", slug(row)),
                row: row.to_string(),
                seed,
                axis: axis.map(|(k, v)| (k.to_string(), v)),
                config: c,
            });
        }
        Ok(())
    }
}

/// A file-name-safe version of a row label.
pub fn slug(row: &str) -> String {
    let mut s = String::new();
    for ch in row.chars() {
        if ch.is_ascii_alphanumeric() || ch == '.' {
            s.push(ch.to_ascii_lowercase());
        } else if !s.ends_with('-') {
            s.push('-');
        }
    }
    s.trim_matches('-').to_string()
}
