//! What each experiment trains, under each preset.

pub use super::experiment::Experiment;
use super::experiment::ABLATION_ROWS;
pub use super::presets::{Preset, PresetSettings, Variant};
use super::{Plan, RunSpec};
use crate::data::{DatasetName, Imbalance};
use crate::error::{invalid, Result};
use crate::loss::mr2::{LaOrder, Mr2Params};
use crate::loss::{Method, RepScaling};
use crate::settings::Value;
use crate::train::{ScheduleKind, TrainConfig};

/// LDAM-DRW's schedule on CIFAR (Cao et al. 2019, its code): epochs, warm-up epochs and the
/// milestones where the learning rate is multiplied by 0.01; `long-tail` scales them to the
/// preset's epochs (the same shape).
pub const LT_EPOCHS: usize = 200;
/// See [`LT_EPOCHS`].
pub const LT_WARMUP: usize = 5;
/// See [`LT_EPOCHS`].
pub const LT_MILESTONES: [usize; 2] = [160, 180];

/// The held-out share of the training set in every `regularization-audit` run.
pub const AUDIT_VALIDATION: f64 = 0.1;
/// The weight decays `regularization-audit` sweeps (besides none).
pub const AUDIT_WEIGHT_DECAY: [f64; 4] = [1e-4, 5e-4, 1e-3, 5e-3];
/// The crop paddings (augmentation strengths, with flip) `regularization-audit` sweeps.
pub const AUDIT_CROP_PAD: [usize; 3] = [1, 2, 4];
/// Axis name of the weight-decay rows (`"weight decay (ERM)"`, …).
pub const AUDIT_WD_AXIS: &str = "weight decay";
/// Axis name of the augmentation rows.
pub const AUDIT_AUG_AXIS: &str = "crop padding";

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
    /// The grid under `preset`, with `seeds` replacing the preset's when given, and the
    /// preset's own MR² ([`Variant::Preset`]).
    ///
    /// # Errors
    /// Empty or duplicated seeds; a parameter a method does not have (a bug in the grid).
    pub fn plan(self, preset: Preset, seeds: Option<&[u64]>) -> Result<Plan> {
        self.plan_variant(preset, seeds, Variant::Preset)
    }

    /// [`Experiment::plan`] with the MR²-family rows in `variant` (the `fidelity` grid sets its
    /// rows' variants itself).
    ///
    /// # Errors
    /// As [`Experiment::plan`].
    pub fn plan_variant(
        self,
        preset: Preset,
        seeds: Option<&[u64]>,
        variant: Variant,
    ) -> Result<Plan> {
        self.plan_on(preset, seeds, variant, None)
    }

    /// [`Experiment::plan_variant`] on another image dataset than the preset's (`dataset`;
    /// its default directory, the preset's model and schedule), e.g. MNIST for Table 6.
    ///
    /// # Errors
    /// As [`Experiment::plan`]; a dataset for the `quick` preset (its MLP needs the synthetic
    /// mixture) or the synthetic mixture for an image preset.
    pub fn plan_on(
        self,
        preset: Preset,
        seeds: Option<&[u64]>,
        variant: Variant,
        dataset: Option<DatasetName>,
    ) -> Result<Plan> {
        self.plan_with(preset, seeds, variant, dataset, &[])
    }

    /// [`Experiment::plan_on`] with MR²-family parameters set on every MR²-family row after the
    /// preset and the variant (a row that defines a parameter — a sweep's axis, the ablation's
    /// switches — keeps its own): e.g. the c̄ and λ `tune` chose.
    ///
    /// # Errors
    /// As [`Experiment::plan`]; a parameter MR² does not have (named, with the closest name).
    pub fn plan_with(
        self,
        preset: Preset,
        seeds: Option<&[u64]>,
        variant: Variant,
        dataset: Option<DatasetName>,
        params: &[(String, Value)],
    ) -> Result<Plan> {
        if self != self.grid() {
            return self
                .grid()
                .plan_with(preset, seeds, variant, dataset, params);
        }
        if !params.is_empty() {
            Method::Mr2(Mr2Params::default()).with_params(params, "--param")?;
        }
        let mut s = preset.settings();
        s.variant = variant;
        if let Some(d) = dataset.filter(|d| *d != s.base.data.name) {
            if !s.base.data.name.is_image() || !d.is_image() {
                return Err(invalid(
                    "--dataset",
                    format!("{d:?}"),
                    "the quick preset runs the synthetic mixture only, and the image presets need an image dataset",
                ));
            }
            s.base.data.name = d;
            s.base.data.dir = None;
        }
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
            params,
        };
        let mr2 = |kv: &[(&str, Value)]| -> Vec<(String, Value)> {
            kv.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
        };
        match self {
            // Planned as its grid (above).
            Self::BoundsVsError => {}
            Self::Baselines => {
                for (row, m, sam) in BASELINES {
                    // FairDRO as in its code gives a class a negative weight at K = 10 and
                    // diverges; the grid uses its simplex projection (docs/training.md, Objectives).
                    let kv = match *m {
                        "fair-dro" => mr2(&[("nonnegative", true.into())]),
                        // The paper's row is LDAM-DRW: deferred re-weighting from 80% of
                        // training (uniform weights under balanced classes).
                        "ldam" => mr2(&[("drw", true.into())]),
                        _ => vec![],
                    };
                    g.add(row, None, m, &kv, |c| c.optim.sam_rho = sam.unwrap_or(0.0))?;
                }
            }
            Self::Ablation => {
                // Each row sets the switch that defines it, after the variant: the released
                // configuration's s̄ = 0 on CIFAR must not turn row (e) into row (d).
                let r = ABLATION_ROWS;
                let rows: [Row; 6] = [
                    (r[0], "ce", vec![]),
                    (r[1], "gamma-ce", mr2(&[("uniform_gamma", true.into())])),
                    (r[2], "gamma-ce", mr2(&[("uniform_gamma", false.into())])),
                    (r[3], "rep", mr2(&[("s_bar_zero", true.into())])),
                    (r[4], "rep", mr2(&[("s_bar_zero", false.into())])),
                    (r[5], "mr2", vec![]),
                ];
                for (row, m, kv) in &rows {
                    g.add(row, None, m, kv, |_| ())?;
                }
            }
            Self::Sweep => {
                g.add("ERM", None, "ce", &[], |_| ())?;
                // One axis per parameter: its key names the rows, the axis and the override.
                let axes: [(&str, &[f64]); 2] = [
                    ("p", &[1.0, 3.0, 5.0, 7.0, 9.0]),
                    ("c_bar", &[0.5, 1.0, 2.0, 3.0, 5.0]),
                ];
                for (key, values) in axes {
                    for &v in values {
                        g.add(
                            &format!("{key}={v}"),
                            Some((key, v)),
                            "mr2",
                            &mr2(&[(key, v.into())]),
                            |_| (),
                        )?;
                    }
                }
                for scaling in [RepScaling::Released, RepScaling::Printed] {
                    let scaling = scaling.name();
                    for l in [0.01, 0.1, 0.3, 0.5, 0.7, 0.9] {
                        let kv = mr2(&[("lambda", l.into()), ("rep_scaling", scaling.into())]);
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
            Self::Fidelity => {
                g.add("ERM", None, "ce", &[], |_| ())?;
                for v in [Variant::Printed, Variant::Preset, Variant::Released] {
                    let mut m = Method::Mr2(Mr2Params::default());
                    if let Some(family) = s.family_params(&m)? {
                        m = family;
                    }
                    v.apply(&mut m, s.base.data.name.is_cifar());
                    g.add(&format!("MR2 {}", v.name()), None, "mr2", &[], |c| {
                        c.loss = m.clone();
                    })?;
                }
            }
            Self::PerClass => {
                for (row, m) in [("ERM", "ce"), ("MR2", "mr2")] {
                    g.add(row, None, m, &[], |c| c.data.subset = Some(0.1))?;
                }
                if preset == Preset::Cifar {
                    // Table 14 on CIFAR-10: MR² as printed (the row above) and as released.
                    let mut m = Method::Mr2(Mr2Params::default());
                    Variant::Released.apply(&mut m, true);
                    g.add("MR2 released", None, "mr2", &[], |c| {
                        c.data.subset = Some(0.1);
                        c.loss = m.clone();
                    })?;
                }
            }
            Self::Imbalanced => {
                let lt = |c: &mut TrainConfig| {
                    // The long tail is drawn from the whole training set.
                    c.data.subset = None;
                    c.data.imbalance = Some(Imbalance::LongTail { ratio: 100.0 })
                };
                for (row, m) in [("ERM", "ce"), ("LA", "la"), ("LA + MR2", "la-mr2")] {
                    g.add(row, None, m, &[], lt)?;
                }
                g.add("LA + MR2, shift before ÷γ", None, "la-mr2", &[], |c| {
                    lt(c);
                    if let Method::LaMr2(p) = &mut c.loss {
                        p.la_order = LaOrder::BeforeGamma;
                    }
                })?;
            }
            Self::LongTail => {
                // LDAM-DRW's CIFAR recipe (its code, cifar_train.py) scaled to the preset's
                // epochs E: 5 warm-up epochs of 200, ×0.01 at 160 and 180 of 200, weight decay
                // 2e-4, DRW from 160 of 200 (LDAM's and MM's `drw_start` = 0.8).
                let e = s.base.epochs;
                let lt = move |c: &mut TrainConfig| {
                    c.data.subset = None;
                    c.data.imbalance = Some(Imbalance::LongTail { ratio: 100.0 });
                    c.optim.schedule = ScheduleKind::Step;
                    c.optim.warmup_epochs = LT_WARMUP * e / LT_EPOCHS;
                    c.optim.milestones = LT_MILESTONES.iter().map(|m| m * e / LT_EPOCHS).collect();
                    c.optim.step_factor = 0.01;
                    c.optim.weight_decay = 2e-4;
                };
                let drw = || mr2(&[("drw", true.into())]);
                let rows: [Row; 7] = [
                    ("ERM", "ce", vec![]),
                    ("LDAM-DRW", "ldam", drw()),
                    ("LA", "la", vec![]),
                    ("MM", "mm", vec![]),
                    ("MM-DRW", "mm", drw()),
                    ("MR2", "mr2", vec![]),
                    ("LA + MR2", "la-mr2", vec![]),
                ];
                for (row, m, kv) in &rows {
                    g.add(row, None, m, kv, lt)?;
                }
            }
            Self::JpegEffect => {
                // The same images in the same order, official pixels and JPEG copy; the
                // whole 4 000-image subset (no further subset), the preset's model and schedule.
                use super::jpeg_effect::{jpeg_dir_for, EXACT_DIR, ROW_JPEG, ROW_OFFICIAL};
                let exact = std::path::PathBuf::from(EXACT_DIR);
                for (row, dir) in [
                    (ROW_OFFICIAL, exact.clone()),
                    (ROW_JPEG, jpeg_dir_for(&exact)),
                ] {
                    g.add(row, None, "ce", &[], |c| {
                        c.data.name = DatasetName::Cifar10;
                        c.data.dir = Some(dir.clone());
                        c.data.subset = None;
                    })?;
                }
            }
            Self::Tune => {
                use super::tune::{row, C_BAR, LAMBDA, VALIDATION};
                let val = |c: &mut TrainConfig| c.data.val_fraction = Some(VALIDATION);
                g.add("ERM", None, "ce", &[], val)?;
                for cb in C_BAR {
                    for l in LAMBDA {
                        // The paper's configuration: p = 2, EMA 0.9 kept, s̄ estimated (the
                        // method's defaults), with the released code's ℓ_s̄ (Eq. 2 as printed
                        // does not train ResNet-32 at λ = 0.5).
                        let kv = mr2(&[
                            ("c_bar", cb.into()),
                            ("lambda", l.into()),
                            ("rep_scaling", RepScaling::Released.name().into()),
                        ]);
                        g.add(
                            &row(cb, l),
                            Some((&format!("lambda (c̄ = {cb})"), l)),
                            "mr2",
                            &kv,
                            val,
                        )?;
                    }
                }
            }
            Self::Spread | Self::Margins => {
                for (row, m) in [("ERM", "ce"), ("MR2", "mr2")] {
                    g.add(row, None, m, &[], |_| ())?;
                }
            }
            Self::RegularizationAudit => {
                // As Balestriero et al.: every row holds out 10% of the training set; each
                // regulariser is swept alone from "none" (no weight decay, no augmentation), the
                // report picks the strength with the best mean validation accuracy and shows
                // which classes lose at that strength against none.
                let none = |c: &mut TrainConfig| {
                    c.data.val_fraction = Some(AUDIT_VALIDATION);
                    c.optim.weight_decay = 0.0;
                    c.data.augment = false;
                };
                for (name, m) in [("ERM", "ce"), ("MR2", "mr2")] {
                    g.add(&format!("{name}, none"), None, m, &[], none)?;
                    for wd in AUDIT_WEIGHT_DECAY {
                        let axis = format!("{AUDIT_WD_AXIS} ({name})");
                        g.add(
                            &format!("{name}, wd={wd}"),
                            Some((&axis, wd)),
                            m,
                            &[],
                            |c| {
                                none(c);
                                c.optim.weight_decay = wd;
                            },
                        )?;
                    }
                    // Crop + flip needs images (not the quick preset's synthetic mixture).
                    if s.base.data.name.is_image() {
                        for pad in AUDIT_CROP_PAD {
                            let axis = format!("{AUDIT_AUG_AXIS} ({name})");
                            let row = format!("{name}, crop pad {pad}");
                            g.add(&row, Some((&axis, pad as f64)), m, &[], |c| {
                                none(c);
                                c.data.augment = true;
                                c.data.augment_pad = pad;
                            })?;
                        }
                    }
                }
            }
        }
        if self == Self::JpegEffect {
            // Seed by seed (official, JPEG): `--shard 0/2` and `1/2` then train the two rows
            // side by side and finish whole seeds first.
            g.runs.sort_by_key(|r| r.seed);
        }
        // Only the contrasts whose two rows the grid has.
        let contrasts = {
            let rows: Vec<&str> = g.runs.iter().map(|r| r.row.as_str()).collect();
            self.contrasts()
                .into_iter()
                .filter(|(_, a, b)| rows.contains(&a.as_str()) && rows.contains(&b.as_str()))
                .collect()
        };
        let mut settings = s.describe(preset, &seeds, &g.runs[0].config);
        if !params.is_empty() {
            let kv: Vec<String> = params.iter().map(|(k, v)| format!("{k} = {v}")).collect();
            settings = format!("{settings}; --param {}", kv.join(", "));
        }
        Ok(Plan {
            experiment: self.name().into(),
            preset: preset.name().into(),
            settings,
            reference_row: g.runs[0].row.clone(),
            runs: g.runs,
            paper: super::paper::paper_table(self),
            contrasts,
        })
    }
}

/// An ablation row: label, method, parameters.
type Row<'a> = (&'a str, &'a str, Vec<(String, Value)>);

struct Grid<'a> {
    s: &'a PresetSettings,
    seeds: &'a [u64],
    runs: Vec<RunSpec>,
    /// `--param`: set on MR²-family rows after the variant, before the row's own.
    params: &'a [(String, Value)],
}

impl Grid<'_> {
    /// Add one row: `method` with the preset's MR²-family parameters (for the methods that have
    /// them), then `kv`, then `edit` on the configuration; one run per seed.
    fn add(
        &mut self,
        row: &str,
        axis: Option<(&str, f64)>,
        method: &str,
        kv: &[(String, Value)],
        edit: impl Fn(&mut TrainConfig),
    ) -> Result<()> {
        let name = self.s.base.data.name;
        let mut m = TrainConfig::default_method(Method::from_name(method)?, name);
        if let Some(family) = self.s.family_params(&m)? {
            m = family;
        }
        self.s.variant.apply(&mut m, name.is_cifar());
        let own: Vec<(String, Value)> = self
            .params
            .iter()
            .filter(|(k, _)| m.params().iter().any(|(pk, _)| pk == k))
            .cloned()
            .collect();
        if !own.is_empty() {
            m = m.with_params(&own, "--param")?;
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
