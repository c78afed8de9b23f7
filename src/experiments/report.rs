//! Aggregating whatever runs of a plan have finished: per row mean ± sd over seeds of overall /
//! easy / medium / hard accuracy (thirds of the reference row's model with the same seed) and
//! the Table 4 margins, the paired difference to the reference row, per-class tables and plots.

use std::path::Path;

use serde::Serialize;

use super::audit::{audit_selections, Selection};
use super::contrasts::{contrast_figures, differences, ContrastFigures};
use super::figures::{RowFigures, RunFigures, SpreadCurve};
use super::Plan;
use crate::error::Result;
use crate::eval::compare::mean_sd;
use crate::eval::{Groups, Summary};
use crate::stats::paired;

/// The aggregation of a plan.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Experiment.
    pub experiment: String,
    /// Preset settings.
    pub settings: String,
    /// Reference row.
    pub reference_row: String,
    /// Class names.
    pub classes: Vec<String>,
    /// Rows.
    pub rows: Vec<RowFigures>,
    /// Finished runs.
    pub runs: Vec<RunFigures>,
    /// For `spread`: per row, the mean over seeds of the easy / medium / hard thirds' mean
    /// ‖ŝ_y‖ (test features) after each epoch, from the runs' `metrics.csv`.
    pub spread: Vec<SpreadCurve>,
    /// The plan's contrasts with their paired intervals.
    pub contrasts: Vec<ContrastFigures>,
    /// `regularization-audit`: per method and regulariser, the strength validation picks.
    pub selections: Vec<Selection>,
    /// The markdown table (`table.md`).
    pub markdown: String,
}

const STATS: [&str; 8] = [
    "overall %",
    "easy %",
    "medium %",
    "hard %",
    "output margin",
    "classifier margin °",
    "train error %",
    "best overall %",
];

/// Read the finished runs of `plan` under `root` and aggregate them (the markdown is left
/// empty: [`super::aggregate`] renders and writes it).
///
/// # Errors
/// No run has finished; a finished run whose recorded configuration differs from the plan's;
/// unreadable summaries; summaries of different class sets; I/O.
pub fn collect(plan: &Plan, root: &Path) -> Result<Report> {
    let mut summaries: Vec<(usize, Summary)> = Vec::new();
    for (i, r) in plan.runs.iter().enumerate() {
        let p = Plan::run_dir(root, r).join("summary.json");
        if p.is_file() {
            if let Some((field, was, now)) = super::runner::recorded_difference(r, root)? {
                return Err(crate::error::data_err(
                    Plan::run_dir(root, r).join("config.json"),
                    format!(
                        "run {} was trained with {field} = {was}, the plan has {now}: its figures would be mislabelled (rerun it with --rerun-mismatched, or aggregate with the plan it was made for)",
                        r.id
                    ),
                ));
            }
            summaries.push((i, Summary::read(&p)?));
        }
    }
    let Some((_, first)) = summaries.first() else {
        return Err(crate::error::data_err(
            root,
            format!("no run of `{}` has finished here yet", plan.experiment),
        ));
    };
    let classes = first.class_names();
    if let Some((i, _)) = summaries.iter().find(|(_, s)| s.class_names() != classes) {
        return Err(crate::error::invalid(
            "run",
            &plan.runs[*i].id,
            "its classes differ from the other runs' (mixed datasets under one root)",
        ));
    }
    let acc = |s: &Summary| -> Vec<f64> { s.per_class.iter().map(|c| c.accuracy).collect() };
    let reference_groups = |seed: u64| -> Option<Groups> {
        summaries
            .iter()
            .find(|(i, _)| plan.runs[*i].row == plan.reference_row && plan.runs[*i].seed == seed)
            .map(|(_, s)| Groups::from_accuracy(&acc(s)))
    };
    let runs: Vec<RunFigures> = summaries
        .iter()
        .map(|(i, s)| {
            let spec = &plan.runs[*i];
            let metrics = Plan::run_dir(root, spec).join("metrics.csv");
            let cols = metrics_columns(&metrics, &["seconds", "val_acc"])?;
            let seconds = cols.iter().filter_map(|rec| rec[0]).sum();
            let val_acc = 100.0 * cols.last().and_then(|rec| rec[1]).unwrap_or(f64::NAN);
            let a = acc(s);
            let (groups, from_ref) = match reference_groups(spec.seed) {
                Some(g) => (g, true),
                None => (Groups::from_accuracy(&a), false),
            };
            let [e, m, h] = groups.means(&a).to_array();
            let margins: Vec<f64> = s.per_class.iter().map(|c| c.output_margin).collect();
            let margin_thirds = groups.means(&margins);
            Ok(RunFigures {
                id: spec.id.clone(),
                row: spec.row.clone(),
                seed: spec.seed,
                axis: spec.axis.clone(),
                overall: 100.0 * s.overall,
                easy: 100.0 * e,
                medium: 100.0 * m,
                hard: 100.0 * h,
                reference_groups: from_ref,
                output_margin: s.output_margin.avg,
                output_margin_thirds: margin_thirds.to_array(),
                classifier_margin_deg: s.classifier_margin_deg,
                per_class: a.iter().map(|v| 100.0 * v).collect(),
                val_acc,
                collapse_ratio: collapse_ratio(s),
                seconds,
                train_error: 100.0 * s.train_error,
                best: s.best.as_ref().map_or(f64::NAN, |b| 100.0 * b.overall),
            })
        })
        .collect::<Result<_>>()?;
    let rows: Vec<RowFigures> = plan
        .rows()
        .iter()
        .map(|row| row_figures(plan, row, &runs, classes.len()))
        .collect();
    let spread = if plan.experiment == "spread" {
        spread_curves(plan, root, &runs)?
    } else {
        vec![]
    };
    let contrasts = contrast_figures(plan, &runs, classes.len());
    let selections = if plan.experiment == "regularization-audit" {
        audit_selections(plan, &runs, &classes)
    } else {
        vec![]
    };
    let report = Report {
        experiment: plan.experiment.clone(),
        settings: plan.settings.clone(),
        reference_row: plan.reference_row.clone(),
        classes,
        rows,
        runs,
        spread,
        contrasts,
        selections,
        markdown: String::new(),
    };
    Ok(report)
}

/// The spread columns of each finished run's `metrics.csv`, averaged over seeds per epoch.
fn spread_curves(plan: &Plan, root: &Path, runs: &[RunFigures]) -> Result<Vec<SpreadCurve>> {
    let mut out = Vec::new();
    for row in plan.rows() {
        // epoch → per-third values over seeds
        let mut by_epoch: std::collections::BTreeMap<usize, [Vec<f64>; 3]> = Default::default();
        for r in runs.iter().filter(|r| r.row == row) {
            let spec = plan
                .runs
                .iter()
                .find(|s| s.id == r.id)
                .expect("run of the plan");
            let p = Plan::run_dir(root, spec).join("metrics.csv");
            let cols = ["epoch", "spread_easy", "spread_medium", "spread_hard"];
            for rec in metrics_columns(&p, &cols)? {
                let Some(epoch) = rec[0] else { continue };
                let e = by_epoch.entry(epoch as usize).or_default();
                for (g, vals) in e.iter_mut().enumerate() {
                    if let Some(v) = rec[g + 1].filter(|v| v.is_finite()) {
                        vals.push(v);
                    }
                }
            }
        }
        if by_epoch.is_empty() {
            continue;
        }
        let mut thirds: [Vec<(f64, f64)>; 3] = Default::default();
        for (epoch, vals) in &by_epoch {
            for (curve, v) in thirds.iter_mut().zip(vals) {
                if !v.is_empty() {
                    curve.push((*epoch as f64, mean_sd(v).0));
                }
            }
        }
        out.push(SpreadCurve { row, thirds });
    }
    Ok(out)
}

/// The named columns of a run's `metrics.csv`, one entry per epoch (`None` where a cell is
/// empty or not a number).
///
/// # Errors
/// An unreadable file or a missing column, naming the file.
fn metrics_columns(p: &Path, names: &[&str]) -> Result<Vec<Vec<Option<f64>>>> {
    let bad = |e: String| crate::error::data_err(p, e);
    let mut rd = csv::Reader::from_path(p).map_err(|e| bad(e.to_string()))?;
    let head = rd.headers().map_err(|e| bad(e.to_string()))?.clone();
    let cols = names
        .iter()
        .map(|name| {
            head.iter()
                .position(|h| h == *name)
                .ok_or_else(|| bad(format!("no column {name}")))
        })
        .collect::<Result<Vec<_>>>()?;
    rd.records()
        .map(|rec| {
            let rec = rec.map_err(|e| bad(e.to_string()))?;
            Ok(cols
                .iter()
                .map(|&i| rec.get(i).and_then(|v| v.parse::<f64>().ok()))
                .collect())
        })
        .collect()
}

fn row_figures(plan: &Plan, row: &str, runs: &[RunFigures], k: usize) -> RowFigures {
    let mine: Vec<&RunFigures> = runs.iter().filter(|r| r.row == row).collect();
    let metric =
        |f: fn(&RunFigures) -> f64| mean_sd(&mine.iter().map(|r| f(r)).collect::<Vec<_>>());
    let fs: [fn(&RunFigures) -> f64; 8] = [
        |r| r.overall,
        |r| r.easy,
        |r| r.medium,
        |r| r.hard,
        |r| r.output_margin,
        |r| r.classifier_margin_deg,
        |r| r.train_error,
        |r| r.best,
    ];
    let stats = STATS
        .iter()
        .zip(fs)
        .map(|(n, f)| {
            let (m, s) = metric(f);
            (n.to_string(), m, s)
        })
        .collect();
    let delta = |f: fn(&RunFigures) -> f64| paired(&differences(runs, &plan.reference_row, row, f));
    let per_class = (0..k)
        .map(|c| mean_sd(&mine.iter().map(|r| r.per_class[c]).collect::<Vec<_>>()).0)
        .collect();
    RowFigures {
        row: row.to_string(),
        finished: mine.len(),
        planned: plan.runs.iter().filter(|r| r.row == row).count(),
        stats,
        delta_overall: delta(|r| r.overall),
        delta_hard: delta(|r| r.hard),
        per_class,
    }
}

/// `Avg_y ‖ŝ_y‖/‖μ̂_y‖` over the classes of a summary (Table 6's ratio); NaN when any class
/// lacks its statistics or has `‖μ̂_y‖ = 0`.
pub fn collapse_ratio(s: &Summary) -> f64 {
    let r: Vec<f64> = s.per_class.iter().map(|c| c.spread / c.mean_norm).collect();
    if r.is_empty() || r.iter().any(|v| !v.is_finite()) {
        return f64::NAN;
    }
    r.iter().sum::<f64>() / r.len() as f64
}
