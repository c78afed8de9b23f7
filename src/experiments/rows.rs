//! The rows each experiment trains ([`add_rows`], one function per experiment) and the
//! [`Grid`] they are added to; [`super::grids`] plans with them.

use super::experiment::{Experiment, ABLATION_ROWS};
use super::presets::{Preset, PresetSettings, Variant};
use super::RunSpec;
use crate::data::{DatasetName, Imbalance};
use crate::error::Result;
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

/// Parameters as a row's overrides.
fn kv(pairs: &[(&str, Value)]) -> Vec<(String, Value)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// Add `e`'s rows under `preset` to `g` (`bounds-vs-error` plans its grid's, so none).
///
/// # Errors
/// A parameter a method does not have (a bug in a grid).
pub(super) fn add_rows(e: Experiment, preset: Preset, g: &mut Grid) -> Result<()> {
    match e {
        Experiment::BoundsVsError => Ok(()),
        Experiment::Baselines => baselines(g),
        Experiment::Ablation => ablation(g),
        Experiment::Sweep => sweep(g),
        Experiment::Fidelity => fidelity(g),
        Experiment::PerClass => per_class(g, preset),
        Experiment::Imbalanced => imbalanced(g),
        Experiment::LongTail => long_tail(g),
        Experiment::JpegEffect => jpeg_effect(g),
        Experiment::Tune => tune(g),
        Experiment::Spread | Experiment::Margins => erm_and_mr2(g),
        Experiment::RegularizationAudit => regularization_audit(g),
    }
}

/// `Baselines`'s rows.
fn baselines(g: &mut Grid) -> Result<()> {
    for (row, m, sam) in BASELINES {
        // FairDRO as in its code gives a class a negative weight at K = 10 and
        // diverges; the grid uses its simplex projection (docs/training.md, Objectives).
        let kv = match *m {
            "fair-dro" => kv(&[("nonnegative", true.into())]),
            // The paper's row is LDAM-DRW: deferred re-weighting from 80% of
            // training (uniform weights under balanced classes).
            "ldam" => kv(&[("drw", true.into())]),
            _ => vec![],
        };
        g.add(row, None, m, &kv, |c| c.optim.sam_rho = sam.unwrap_or(0.0))?;
    }
    Ok(())
}

/// `Ablation`'s rows.
fn ablation(g: &mut Grid) -> Result<()> {
    // Each row sets the switch that defines it, after the variant: the released
    // configuration's s̄ = 0 on CIFAR must not turn row (e) into row (d).
    let r = ABLATION_ROWS;
    let rows: [Row; 6] = [
        (r[0], "ce", vec![]),
        (r[1], "gamma-ce", kv(&[("uniform_gamma", true.into())])),
        (r[2], "gamma-ce", kv(&[("uniform_gamma", false.into())])),
        (r[3], "rep", kv(&[("s_bar_zero", true.into())])),
        (r[4], "rep", kv(&[("s_bar_zero", false.into())])),
        (r[5], "mr2", vec![]),
    ];
    for (row, m, kv) in &rows {
        g.add(row, None, m, kv, |_| ())?;
    }
    Ok(())
}

/// `Sweep`'s rows.
fn sweep(g: &mut Grid) -> Result<()> {
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
                &kv(&[(key, v.into())]),
                |_| (),
            )?;
        }
    }
    for scaling in [RepScaling::Released, RepScaling::Printed] {
        let scaling = scaling.name();
        for l in [0.01, 0.1, 0.3, 0.5, 0.7, 0.9] {
            let kv = kv(&[("lambda", l.into()), ("rep_scaling", scaling.into())]);
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
    Ok(())
}

/// `Fidelity`'s rows.
fn fidelity(g: &mut Grid) -> Result<()> {
    let s = g.s;
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
    Ok(())
}

/// `PerClass`'s rows.
fn per_class(g: &mut Grid, preset: Preset) -> Result<()> {
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
    Ok(())
}

/// `Imbalanced`'s rows.
fn imbalanced(g: &mut Grid) -> Result<()> {
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
    Ok(())
}

/// `LongTail`'s rows.
fn long_tail(g: &mut Grid) -> Result<()> {
    let s = g.s;
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
    let drw = || kv(&[("drw", true.into())]);
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
    Ok(())
}

/// `JpegEffect`'s rows.
fn jpeg_effect(g: &mut Grid) -> Result<()> {
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
    Ok(())
}

/// `Tune`'s rows.
fn tune(g: &mut Grid) -> Result<()> {
    use super::tune::{row, C_BAR, LAMBDA, VALIDATION};
    let val = |c: &mut TrainConfig| c.data.val_fraction = Some(VALIDATION);
    g.add("ERM", None, "ce", &[], val)?;
    for cb in C_BAR {
        for l in LAMBDA {
            // The paper's configuration: p = 2, EMA 0.9 kept, s̄ estimated (the
            // method's defaults), with the released code's ℓ_s̄ (Eq. 2 as printed
            // does not train ResNet-32 at λ = 0.5).
            let kv = kv(&[
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
    Ok(())
}

/// `Spread and Margins`'s rows.
fn erm_and_mr2(g: &mut Grid) -> Result<()> {
    for (row, m) in [("ERM", "ce"), ("MR2", "mr2")] {
        g.add(row, None, m, &[], |_| ())?;
    }
    Ok(())
}

/// `RegularizationAudit`'s rows.
fn regularization_audit(g: &mut Grid) -> Result<()> {
    let s = g.s;
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
    Ok(())
}

/// An ablation row: label, method, parameters.
type Row<'a> = (&'a str, &'a str, Vec<(String, Value)>);

/// The runs of a grid as they are added, with what every row shares.
pub(super) struct Grid<'a> {
    pub(super) s: &'a PresetSettings,
    pub(super) seeds: &'a [u64],
    pub(super) runs: Vec<RunSpec>,
    /// `--param`: set on MR²-family rows after the variant, before the row's own.
    pub(super) params: &'a [(String, Value)],
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
