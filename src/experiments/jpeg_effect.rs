//! `jpeg-effect`: what the JPEG copy of CIFAR-10 costs, measured on images whose official
//! pixels we have.
//!
//! Two rows train the same model with the same seeds on the same images in the same order:
//! "train official" on the official pixels (the shared subset's record files), "train JPEG" on
//! their JPEG-copy counterparts ([`crate::data::pairs::prepare`] writes them beside it, under
//! `DIR-jpeg`). After training, every finished run's last checkpoint is evaluated on *both*
//! test copies (standardised with its own training set's statistics, as in training), which
//! gives the 2 × 2 table: trained on official / JPEG × tested on official / JPEG. Its paired
//! differences over seeds say how many points the copy costs, and where.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::runner::{status, RunState};
use super::Plan;
use crate::data::pairs::{self, PixelDifference};
use crate::data::{cifar, transform::Standardizer, DataConfig};
use crate::error::{data_err, invalid, io_err, Result};
use crate::stats::{holm, paired, Paired};

/// The row trained on the official pixels.
pub const ROW_OFFICIAL: &str = "train official";
/// The row trained on the JPEG copy of the same images.
pub const ROW_JPEG: &str = "train JPEG";
/// The shared subset's directory after `tar -xzf` (its README: ../shared/data/README.md).
pub const EXACT_DIR: &str = "data/cifar10-exact-subset";
/// File each evaluated run gets: its accuracy on both test copies.
pub const CROSS_FILE: &str = "cross.json";

/// Where the JPEG counterpart of the record files in `exact` goes: `EXACT-jpeg` beside it.
pub fn jpeg_dir_for(exact: &Path) -> PathBuf {
    let name = exact.file_name().map_or_else(
        || "cifar10-exact".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    exact.with_file_name(format!("{name}-jpeg"))
}

/// Point the grid's rows at `exact` (the official-pixel record files) and its JPEG counterpart.
///
/// # Errors
/// A plan that is not `jpeg-effect`'s.
pub fn with_exact_dir(mut plan: Plan, exact: &Path) -> Result<Plan> {
    if plan.experiment != "jpeg-effect" {
        return Err(invalid(
            "experiment",
            &plan.experiment,
            "only jpeg-effect pairs two data directories",
        ));
    }
    for r in &mut plan.runs {
        r.config.data.dir = Some(match r.row.as_str() {
            ROW_OFFICIAL => exact.to_path_buf(),
            _ => jpeg_dir_for(exact),
        });
    }
    Ok(plan)
}

/// The two directories of the grid: `(official, jpeg)`.
///
/// # Errors
/// A plan without both rows.
pub fn directories(plan: &Plan) -> Result<(PathBuf, PathBuf)> {
    let dir = |row: &str| {
        plan.runs
            .iter()
            .find(|r| r.row == row)
            .map(|r| r.config.data.resolved_dir())
            .ok_or_else(|| {
                data_err(
                    format!("the {} plan", plan.experiment),
                    format!("has no row '{row}' (not a jpeg-effect grid)"),
                )
            })
    };
    Ok((dir(ROW_OFFICIAL)?, dir(ROW_JPEG)?))
}

/// Write the JPEG counterpart of the official record files unless it is there already
/// (every record file present and of the same size). Returns whether it was written.
///
/// # Errors
/// As [`pairs::prepare`]: a missing subset (with where to get it), a missing JPEG copy, an
/// index that does not pair.
pub fn ensure_prepared(plan: &Plan, jpeg_copy: &Path) -> Result<bool> {
    let (official, jpeg) = directories(plan)?;
    let (tr, te) = cifar::record_files(&official).map_err(|e| {
        data_err(
            &official,
            format!("{e}; the official-pixel subset is ../shared/data/cifar10-exact-subset.tar.gz, unpacked with `tar -xzf … -C data`"),
        )
    })?;
    let ready = tr.iter().chain(&te).all(|f| {
        let other = jpeg.join(f.file_name().unwrap_or_default());
        match (std::fs::metadata(f), std::fs::metadata(&other)) {
            (Ok(a), Ok(b)) => a.len() == b.len(),
            _ => false,
        }
    });
    if ready {
        return Ok(false);
    }
    pairs::prepare(&official, jpeg_copy, &jpeg)?;
    Ok(true)
}

/// A run's accuracy on both test copies (`cross.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cross {
    /// The checkpoint evaluated.
    pub provenance: String,
    /// Per-class accuracy on the official test pixels.
    pub official: Vec<f64>,
    /// Per-class accuracy on the JPEG test copy.
    pub jpeg: Vec<f64>,
    /// Overall accuracy on the official test pixels.
    pub official_overall: f64,
    /// Overall accuracy on the JPEG test copy.
    pub jpeg_overall: f64,
}

/// Evaluate the finished run in `dir` on the test sets of `official` and `jpeg`, each
/// standardised with the statistics of the run's own training set. The run's own test set
/// must give the accuracy its `summary.json` records (a check that the checkpoint is the
/// summarised model).
///
/// # Errors
/// No finished checkpoint (checkpoints are not committed), data errors, a checkpoint that does
/// not reproduce its summary.
pub fn evaluate(dir: &Path, official: &Path, jpeg: &Path) -> Result<Cross> {
    let r = crate::train::restore(dir)?;
    if !r.finished {
        return Err(data_err(dir, format!("not finished: {}", r.provenance)));
    }
    let cfg = &r.state.config;
    let raw = |d: &Path| DataConfig {
        dir: Some(d.to_path_buf()),
        standardize: false,
        ..cfg.data.clone()
    };
    let own = raw(&cfg.data.resolved_dir()).load(cfg.seed)?;
    let s = Standardizer::fit(&own.train);
    let dev = crate::train::device();
    let mut acc = Vec::new();
    for d in [official, jpeg] {
        let mut test = raw(d).load(cfg.seed)?.test;
        s.apply(&mut test);
        acc.push(crate::eval::predict(&r.net, &test, 256, &dev)?);
    }
    let summary = crate::eval::Summary::read(&dir.join("summary.json"))?;
    let own_dir = cfg.data.resolved_dir();
    let own_acc = if own_dir == official {
        &acc[0]
    } else {
        &acc[1]
    }
    .accuracy();
    if (own_acc - summary.overall).abs() > 1e-9 {
        return Err(data_err(
            dir,
            format!(
                "the checkpoint gives {own_acc} on its own test set, summary.json {}: not the summarised model",
                summary.overall
            ),
        ));
    }
    Ok(Cross {
        provenance: r.provenance,
        official: acc[0].per_class_accuracy(),
        jpeg: acc[1].per_class_accuracy(),
        official_overall: acc[0].accuracy(),
        jpeg_overall: acc[1].accuracy(),
    })
}

/// A run that could not be evaluated: its id and why.
pub type Failed = (String, String);

/// Evaluate every finished run of the grid that has no `cross.json` yet; returns the ids
/// evaluated. A finished run whose checkpoint is gone (trained elsewhere) is reported in the
/// error list, not evaluated.
///
/// # Errors
/// I/O writing `cross.json`.
pub fn evaluate_all(plan: &Plan, root: &Path) -> Result<(Vec<String>, Vec<Failed>)> {
    let (official, jpeg) = directories(plan)?;
    let mut done = Vec::new();
    let mut failed = Vec::new();
    for (spec, st) in plan.runs.iter().zip(status(plan, root)) {
        let dir = Plan::run_dir(root, spec);
        if st != RunState::Done || dir.join(CROSS_FILE).is_file() {
            continue;
        }
        match evaluate(&dir, &official, &jpeg) {
            Ok(c) => {
                let path = dir.join(CROSS_FILE);
                let text =
                    serde_json::to_string_pretty(&c).map_err(|e| data_err(&path, e.to_string()))?;
                std::fs::write(&path, text).map_err(|e| io_err(&path, e))?;
                done.push(spec.id.clone());
            }
            Err(e) => failed.push((spec.id.clone(), e.to_string())),
        }
    }
    Ok((done, failed))
}

/// The 2 × 2 table over seeds, its paired differences and the pixel statistics.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JpegTable {
    /// Seeds with both rows evaluated on both copies.
    pub seeds: Vec<u64>,
    /// Class names.
    pub classes: Vec<String>,
    /// Overall accuracy (%) per seed: `[train official/test official, official/JPEG,
    /// JPEG/official, JPEG/JPEG]`.
    pub cells: Vec<[f64; 4]>,
    /// Paired differences in points, labelled.
    pub differences: Vec<(String, Paired)>,
    /// Per class: train JPEG − train official on the official test pixels, with whether the
    /// interval survives Holm's correction over the classes.
    pub per_class: Vec<(String, Paired, bool)>,
    /// How the two copies' training images differ.
    pub pixels: PixelDifference,
    /// Per-channel mean and standard deviation (0–1 units) of the official and JPEG training
    /// images: what standardisation fits.
    pub channel_stats: [[Vec<f32>; 2]; 2],
}

/// Cell labels, in [`JpegTable::cells`] order.
pub const CELLS: [&str; 4] = [
    "train official, test official",
    "train official, test JPEG",
    "train JPEG, test official",
    "train JPEG, test JPEG",
];

/// The paired differences reported: `(label, from cell, to cell)`.
pub const DIFFERENCES: [(&str, usize, usize); 5] = [
    (
        "train JPEG − train official, tested on official pixels",
        0,
        2,
    ),
    ("train JPEG − train official, tested on the JPEG copy", 1, 3),
    (
        "test JPEG − test official, trained on official pixels",
        0,
        1,
    ),
    ("test JPEG − test official, trained on the JPEG copy", 2, 3),
    (
        "all JPEG − all official (our setting − the published one)",
        0,
        3,
    ),
];

/// Build the table from the runs' `cross.json` files.
///
/// # Errors
/// No seed with both rows evaluated; unreadable files.
pub fn table(plan: &Plan, root: &Path) -> Result<JpegTable> {
    let read = |row: &str, seed: u64| -> Result<Option<Cross>> {
        let Some(spec) = plan.runs.iter().find(|r| r.row == row && r.seed == seed) else {
            return Ok(None);
        };
        let path = Plan::run_dir(root, spec).join(CROSS_FILE);
        if !path.is_file() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path).map_err(|e| io_err(&path, e))?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| data_err(&path, e.to_string()))
    };
    let mut seeds: Vec<u64> = plan.runs.iter().map(|r| r.seed).collect();
    seeds.sort_unstable();
    seeds.dedup();
    let mut used = Vec::new();
    let mut cells = Vec::new();
    let mut per_class_d: Vec<Vec<f64>> = Vec::new();
    for s in seeds {
        let (Some(o), Some(j)) = (read(ROW_OFFICIAL, s)?, read(ROW_JPEG, s)?) else {
            continue;
        };
        used.push(s);
        cells.push([
            100.0 * o.official_overall,
            100.0 * o.jpeg_overall,
            100.0 * j.official_overall,
            100.0 * j.jpeg_overall,
        ]);
        per_class_d.push(
            o.official
                .iter()
                .zip(&j.official)
                .map(|(a, b)| 100.0 * (b - a))
                .collect(),
        );
    }
    if used.is_empty() {
        return Err(invalid(
            "jpeg-effect",
            root.display(),
            "no seed has both rows trained and evaluated on both test copies yet",
        ));
    }
    let differences = DIFFERENCES
        .iter()
        .map(|(l, a, b)| {
            let d: Vec<f64> = cells.iter().map(|c| c[*b] - c[*a]).collect();
            (l.to_string(), paired(&d))
        })
        .collect();
    let (official, jpeg) = directories(plan)?;
    let (train_o, _) = DataConfig {
        dir: Some(official.clone()),
        standardize: false,
        ..plan.runs[0].config.data.clone()
    }
    .load(0)
    .map(|s| (s.train, s.test))?;
    let train_j = DataConfig {
        dir: Some(jpeg.clone()),
        standardize: false,
        ..plan.runs[0].config.data.clone()
    }
    .load(0)?
    .train;
    let classes: Vec<String> = (0..train_o.classes)
        .map(|k| train_o.class_name(k))
        .collect();
    let k = classes.len();
    let per: Vec<Paired> = (0..k)
        .map(|c| paired(&per_class_d.iter().map(|d| d[c]).collect::<Vec<_>>()))
        .collect();
    let p: Vec<f64> = per.iter().map(Paired::p_t).collect();
    let keep = holm(&p, 0.05);
    let bytes = |d: &crate::data::Dataset| -> Vec<u8> {
        d.x.iter().map(|v| (v * 255.0).round() as u8).collect()
    };
    let pixels = pairs::pixel_difference(&bytes(&train_o), &bytes(&train_j));
    let so = Standardizer::fit(&train_o);
    let sj = Standardizer::fit(&train_j);
    Ok(JpegTable {
        seeds: used,
        classes: classes.clone(),
        cells,
        differences,
        per_class: classes
            .into_iter()
            .zip(per)
            .zip(keep)
            .map(|((c, p), h)| (c, p, h))
            .collect(),
        pixels,
        channel_stats: [[so.mean, so.std], [sj.mean, sj.std]],
    })
}

/// The table as Markdown.
pub fn markdown(t: &JpegTable, settings: &str) -> String {
    let n = t.seeds.len();
    let mean_sd = |i: usize| {
        let v: Vec<f64> = t.cells.iter().map(|c| c[i]).collect();
        let m = v.iter().sum::<f64>() / n as f64;
        let sd = if n > 1 {
            (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            f64::NAN
        };
        if sd.is_finite() {
            format!("{m:.2} ± {sd:.2}")
        } else {
            format!("{m:.2}")
        }
    };
    let mut s = format!(
        "# JPEG effect\n\n{settings}\n\nSeeds {:?} (n = {n}); test accuracy (%) of the last epoch, mean ± sd over seeds.\n\n",
        t.seeds
    );
    s += "| trained on \\ tested on | official pixels | JPEG copy |\n|---|---|---|\n";
    s += &format!("| official pixels | {} | {} |\n", mean_sd(0), mean_sd(1));
    s += &format!("| JPEG copy | {} | {} |\n\n", mean_sd(2), mean_sd(3));
    s += "Paired differences over seeds (points, 95% t-interval):\n\n| difference | Δ [95% interval] (n) | sign-flip p |\n|---|---|---|\n";
    for (l, p) in &t.differences {
        let pf = p.p_sign_flip.map_or("—".into(), |v| format!("{v:.3}"));
        s += &format!("| {l} | {} | {pf} |\n", p.display(2));
    }
    s += &format!(
        "\nPer class, train JPEG − train official on the official test pixels ({} tests: an interval marked † survives Holm's correction at family-wise level 0.05, on paired-t p-values):\n\n| class | Δ [95% interval] (n) |\n|---|---|\n",
        t.classes.len()
    );
    for (c, p, h) in &t.per_class {
        s += &format!("| {c} | {}{} |\n", p.display(2), if *h { " †" } else { "" });
    }
    let px = &t.pixels;
    let ch = |v: &[f32]| {
        v.iter()
            .map(|x| format!("{x:.4}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    s += &format!(
        "\nThe training images of the two copies: mean |Δ| {:.2} of 255 (R {:.2}, G {:.2}, B {:.2}), PSNR {:.1} dB, {:.1}% of values equal ({} values). Per-channel mean (R, G, B): official {}, JPEG {}; standard deviation: official {}, JPEG {} — the standardisation each run fits.\n",
        px.mean_abs,
        px.mean_abs_per_channel[0],
        px.mean_abs_per_channel[1],
        px.mean_abs_per_channel[2],
        px.psnr_db,
        100.0 * px.equal,
        px.values,
        ch(&t.channel_stats[0][0]),
        ch(&t.channel_stats[1][0]),
        ch(&t.channel_stats[0][1]),
        ch(&t.channel_stats[1][1]),
    );
    s
}

/// Evaluate what is missing, then write `jpeg-effect.md` and `jpeg-effect.json` into `out`.
/// Returns the Markdown and the runs that could not be evaluated.
///
/// # Errors
/// As [`evaluate_all`] and [`table`]; I/O.
pub fn report(plan: &Plan, root: &Path, out: &Path) -> Result<(String, Vec<Failed>)> {
    let (_, failed) = evaluate_all(plan, root)?;
    let t = table(plan, root)?;
    let md = markdown(&t, &plan.settings);
    std::fs::create_dir_all(out).map_err(|e| io_err(out, e))?;
    let path = out.join("jpeg-effect.md");
    std::fs::write(&path, &md).map_err(|e| io_err(&path, e))?;
    let path = out.join("jpeg-effect.json");
    let json = serde_json::to_string_pretty(&t).map_err(|e| data_err(&path, e.to_string()))?;
    std::fs::write(&path, json).map_err(|e| io_err(&path, e))?;
    Ok((md, failed))
}
