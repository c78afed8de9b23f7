//! `bounds-vs-error`: the class-sensitive bound that `bounds` computes, for every finished run of
//! an experiment's grid (the baselines by default), next to the run's observed error — per class
//! (does the bound rank a model's classes like their test error?) and across methods (does a
//! smaller bound go with a smaller error?).
//!
//! Each run's bound is computed once and kept in `OUT/runs/ID.json` with the settings it used;
//! an interrupted or repeated invocation reuses every run already computed with the same
//! settings.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::render::pm;
use super::runner::{status, RunState};
use super::Plan;
use crate::bounds::rank::{kendall, spearman};
use crate::bounds::{compute, BoundInputs, BoundSettings};
use crate::error::{io_err, json_for, Error, Result};
use crate::eval::compare::mean_sd;
use crate::report::plot;

/// One run's bound and error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunBound {
    /// Run id.
    pub id: String,
    /// Row (method).
    pub row: String,
    /// Seed.
    pub seed: u64,
    /// The settings the bound was computed with.
    pub settings: BoundSettings,
    /// Test error (%).
    pub test_error: f64,
    /// Training 0-1 error (%).
    pub train_error: f64,
    /// Prop. 1 corrected (constant 4, measured complexity): the model-level bound.
    pub bound: f64,
    /// Prop. 1 as printed.
    pub bound_printed: f64,
    /// The per-class bound (Eq. 15 with the exact Lipschitz constant, `bounds`' ranking), by
    /// class id.
    pub class_bound: Vec<f64>,
    /// Test error per class (%), by class id.
    pub class_error: Vec<f64>,
    /// Spearman ρ of `class_bound` with `class_error`.
    pub spearman: f64,
    /// Kendall τ-b of the same.
    pub kendall: f64,
    /// SHA-256 of the run's `summary.json` when the bound was computed (empty in bounds
    /// computed before it was recorded): a retrained run is bounded again.
    #[serde(default)]
    pub summary_sha256: String,
}

/// A row's runs summarised: `(mean, sd)` over its seeds.
#[derive(Debug, Clone, Serialize)]
pub struct RowBound {
    /// Row.
    pub row: String,
    /// Runs with a bound.
    pub runs: usize,
    /// Test error (%).
    pub test_error: (f64, f64),
    /// Prop. 1 corrected.
    pub bound: (f64, f64),
    /// Per-class Spearman ρ.
    pub spearman: (f64, f64),
    /// Per-class Kendall τ-b.
    pub kendall: (f64, f64),
}

/// The whole comparison.
#[derive(Debug, Clone, Serialize)]
pub struct BoundsVsError {
    /// The experiment whose runs were used.
    pub source: String,
    /// Bound settings.
    pub settings: BoundSettings,
    /// Per run.
    pub runs: Vec<RunBound>,
    /// Per row (method), in the plan's order.
    pub rows: Vec<RowBound>,
    /// Per seed: Spearman ρ, across the methods, of the model-level bound with the test error
    /// (`None` with fewer than 3 methods).
    pub across_methods: Vec<(u64, Option<f64>)>,
    /// Runs without a bound and why (not finished, no checkpoint, …).
    pub skipped: Vec<(String, String)>,
    /// The Markdown table (`table.md`).
    pub markdown: String,
}

/// The bound of one finished run directory.
///
/// # Errors
/// As [`BoundInputs::from_run`] and [`compute`].
pub fn run_bound(
    dir: &Path,
    id: &str,
    row: &str,
    seed: u64,
    settings: &BoundSettings,
) -> Result<RunBound> {
    let inputs = BoundInputs::from_run(dir)?;
    let r = compute(&inputs, settings)?;
    let class_bound: Vec<f64> = r.classes.iter().map(|c| c.tight.total()).collect();
    let class_error: Vec<f64> = r.classes.iter().map(|c| 100.0 * c.test_error).collect();
    Ok(RunBound {
        id: id.to_string(),
        row: row.to_string(),
        seed,
        settings: *settings,
        test_error: 100.0 * r.test_error,
        train_error: 100.0 * r.train_error,
        bound: r.prop1_corrected.total(),
        bound_printed: r.prop1_printed.total(),
        spearman: spearman(&class_bound, &class_error),
        kendall: kendall(&class_bound, &class_error),
        class_bound,
        class_error,
        summary_sha256: String::new(),
    })
}

/// Check, before anything is trained, that `source` (given with `--source`) is an existing
/// grid of `plan`'s experiment (its `plan.json` says so) and that `settings` are valid: a
/// mistyped path must not become a new grid, nor an ablation directory gain baselines runs.
///
/// # Errors
/// `source` missing, not a grid, or a grid of another experiment; invalid settings.
pub fn check_source(source: &Path, plan: &Plan, settings: &BoundSettings) -> Result<()> {
    settings.validate()?;
    let bad = |why: String| crate::error::data_err(source, why);
    if !source.is_dir() {
        return Err(bad(format!(
            "does not exist: --source must be an existing {} grid (leave it out to train the {} grid in its default directory)",
            plan.experiment, plan.experiment
        )));
    }
    let p = source.join("plan.json");
    let text = std::fs::read_to_string(&p).map_err(|_| {
        bad(format!(
            "holds no plan.json: not an experiments grid (expected a {} grid)",
            plan.experiment
        ))
    })?;
    let theirs: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| crate::error::data_err(&p, format!("malformed plan: {e}")))?;
    match theirs.get("experiment").and_then(|v| v.as_str()) {
        Some(e) if e == plan.experiment => Ok(()),
        Some(e) => Err(bad(format!(
            "is a grid of the {e} experiment; bounds-vs-error bounds a {} grid",
            plan.experiment
        ))),
        None => Err(crate::error::data_err(&p, "names no experiment")),
    }
}

/// The bounds of every finished run of `plan` under `source_root`, each computed once and kept
/// in `out/runs/ID.json` (reused when its settings and the run's test errors match);
/// `progress` is told about each run.
///
/// # Errors
/// Invalid settings; no run could be bounded; I/O on `out`.
pub fn compute_all(
    plan: &Plan,
    source_root: &Path,
    out: &Path,
    settings: &BoundSettings,
    progress: impl Fn(&str),
) -> Result<BoundsVsError> {
    settings.validate()?;
    let cache = out.join("runs");
    std::fs::create_dir_all(&cache).map_err(|e| io_err(&cache, e))?;
    let mut runs = Vec::new();
    let mut skipped = Vec::new();
    for (spec, state) in plan.runs.iter().zip(status(plan, source_root)) {
        if state != RunState::Done {
            skipped.push((spec.id.clone(), "not finished".to_string()));
            continue;
        }
        let cached = cache.join(format!("{}.json", spec.id));
        // Reused only for the same settings and the same run (the summary's SHA-256; for a
        // bound recorded without it, the same test errors), so a retrained run is bounded again.
        let summary_path = Plan::run_dir(source_root, spec).join("summary.json");
        let sha = crate::train::checkpoint::sha256_file(&summary_path)?;
        let kept = std::fs::read_to_string(&cached)
            .ok()
            .and_then(|t| serde_json::from_str::<RunBound>(&t).ok())
            .filter(|r| r.settings == *settings)
            .filter(|r| {
                if r.summary_sha256.is_empty() {
                    crate::eval::Summary::read(&summary_path).is_ok_and(|s| same_run(r, &s))
                } else {
                    r.summary_sha256 == sha
                }
            });
        if let Some(r) = kept {
            runs.push(r);
            continue;
        }
        let t0 = std::time::Instant::now();
        let dir = Plan::run_dir(source_root, spec);
        match run_bound(&dir, &spec.id, &spec.row, spec.seed, settings) {
            Ok(mut r) => {
                r.summary_sha256 = sha;
                crate::train::checkpoint::write_atomic(&cached, json_for(&cached, &r)?.as_bytes())?;
                progress(&format!(
                    "{}: bound {:.3}, test error {:.2}%, per-class ρ {:.2} ({:.1} s)",
                    spec.id,
                    r.bound,
                    r.test_error,
                    r.spearman,
                    t0.elapsed().as_secs_f64()
                ));
                runs.push(r);
            }
            Err(e) => {
                progress(&format!("{}: skipped ({e})", spec.id));
                skipped.push((spec.id.clone(), e.to_string()));
            }
        }
    }
    if runs.is_empty() {
        return Err(Error::Config {
            path: source_root.display().to_string(),
            reason: format!(
                "no finished run of `{}` could be bounded ({} skipped); train the grid first",
                plan.experiment,
                skipped.len()
            ),
        });
    }
    let rows = summarise_rows(plan, &runs);
    let across_methods = across_methods(&runs);
    let mut r = BoundsVsError {
        source: plan.experiment.clone(),
        settings: *settings,
        runs,
        rows,
        across_methods,
        skipped,
        markdown: String::new(),
    };
    r.markdown = markdown(&r);
    Ok(r)
}

fn summarise_rows(plan: &Plan, runs: &[RunBound]) -> Vec<RowBound> {
    plan.rows()
        .into_iter()
        .filter_map(|row| {
            let rs: Vec<&RunBound> = runs.iter().filter(|r| r.row == row).collect();
            if rs.is_empty() {
                return None;
            }
            let stat =
                |f: fn(&RunBound) -> f64| mean_sd(&rs.iter().map(|r| f(r)).collect::<Vec<_>>());
            Some(RowBound {
                runs: rs.len(),
                test_error: stat(|r| r.test_error),
                bound: stat(|r| r.bound),
                spearman: stat(|r| r.spearman),
                kendall: stat(|r| r.kendall),
                row,
            })
        })
        .collect()
}

/// Per seed, Spearman ρ across methods of the model-level bound with the test error.
pub fn across_methods(runs: &[RunBound]) -> Vec<(u64, Option<f64>)> {
    let mut seeds: Vec<u64> = runs.iter().map(|r| r.seed).collect();
    seeds.sort_unstable();
    seeds.dedup();
    seeds
        .into_iter()
        .map(|s| {
            let rs: Vec<&RunBound> = runs.iter().filter(|r| r.seed == s).collect();
            let b: Vec<f64> = rs.iter().map(|r| r.bound).collect();
            let e: Vec<f64> = rs.iter().map(|r| r.test_error).collect();
            (s, (rs.len() >= 3).then(|| spearman(&b, &e)))
        })
        .collect()
}

fn markdown(r: &BoundsVsError) -> String {
    let mut s = format!(
        "Bounds of the `{}` runs (δ = {}, {} Monte Carlo draws, seed {}). Bound: Prop. 1 corrected (constant 4, measured complexity), the model-level bound; ρ, τ: rank correlation of the per-class bound (Eq. 15, exact Lipschitz constant) with the per-class test error, per run.\n\n| method | runs | test error % | bound | per-class ρ | per-class τ |\n|---|---|---|---|---|---|\n",
        r.source, r.settings.delta, r.settings.mc_samples, r.settings.seed
    );
    for row in &r.rows {
        s += &format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            row.row,
            row.runs,
            pm(row.test_error.0, row.test_error.1, 2),
            pm(row.bound.0, row.bound.1, 3),
            pm(row.spearman.0, row.spearman.1, 2),
            pm(row.kendall.0, row.kendall.1, 2)
        );
    }
    s += "\nAcross methods (Spearman ρ of the bound with the test error):";
    for (seed, rho) in &r.across_methods {
        match rho {
            Some(v) => s += &format!(" seed {seed}: {v:.2};"),
            None => s += &format!(" seed {seed}: fewer than 3 methods;"),
        }
    }
    s += "\n";
    if !r.skipped.is_empty() {
        s += &format!("\nSkipped {} run(s):", r.skipped.len());
        for (id, why) in &r.skipped {
            s += &format!(" {id} ({why});");
        }
        s += "\n";
    }
    s
}

/// Write `table.md`, `results.json`, `results.csv` (one line per run and class) and the plot
/// `bound_vs_error.png` (each method's bound against its test error) into `out`.
///
/// # Errors
/// I/O and plotting.
pub fn write(out: &Path, r: &BoundsVsError) -> Result<()> {
    std::fs::create_dir_all(out).map_err(|e| io_err(out, e))?;
    let put = |name: &str, text: &str| {
        let p = out.join(name);
        crate::train::checkpoint::write_atomic(&p, text.as_bytes())
    };
    put("table.md", &r.markdown)?;
    put("results.json", &json_for(out.join("results.json"), r)?)?;
    let p = out.join("results.csv");
    let csv_err = |e: csv::Error| io_err(&p, std::io::Error::other(e.to_string()));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "id",
        "row",
        "seed",
        "test_error",
        "bound",
        "spearman",
        "kendall",
        "class",
        "class_bound",
        "class_error",
    ])
    .map_err(csv_err)?;
    for run in &r.runs {
        for (k, (b, e)) in run.class_bound.iter().zip(&run.class_error).enumerate() {
            w.write_record([
                run.id.clone(),
                run.row.clone(),
                run.seed.to_string(),
                run.test_error.to_string(),
                run.bound.to_string(),
                run.spearman.to_string(),
                run.kendall.to_string(),
                k.to_string(),
                b.to_string(),
                e.to_string(),
            ])
            .map_err(csv_err)?;
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|e| io_err(&p, std::io::Error::other(e.to_string())))?;
    crate::train::checkpoint::write_atomic(&p, &bytes)?;
    let points: Vec<plot::LabeledPoint> = r
        .rows
        .iter()
        .map(|row| (row.test_error.0, row.bound.0, row.row.clone()))
        .collect();
    plot::scatter_labeled(
        &out.join("bound_vs_error"),
        "Prop. 1 (corrected) against the test error, per method",
        "test error % (mean over seeds)",
        "bound (mean over seeds)",
        &[("methods".to_string(), points)],
        false,
        false,
    )
}

/// Whether a bound cached without a summary hash belongs to the run whose summary is `s`: the
/// same overall and per-class test errors (to rounding).
fn same_run(r: &RunBound, s: &crate::eval::Summary) -> bool {
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * (1.0 + a.abs());
    close(r.test_error, 100.0 * (1.0 - s.overall))
        && r.class_error.len() == s.per_class.len()
        && r.class_error
            .iter()
            .zip(&s.per_class)
            .all(|(e, c)| close(*e, 100.0 * (1.0 - c.accuracy)))
}
