//! Aggregating whatever runs of a plan have finished: per row mean ± sd over seeds of overall /
//! easy / medium / hard accuracy (thirds of the reference row's model with the same seed) and
//! the Table 4 margins, the paired difference to the reference row, per-class tables and plots.

use std::path::Path;

use serde::Serialize;

use super::render;
use super::Plan;
use crate::error::Result;
use crate::eval::compare::mean_sd;
use crate::eval::{Groups, Summary};

/// One finished run's figures.
#[derive(Debug, Clone, Serialize)]
pub struct RunFigures {
    /// Run id.
    pub id: String,
    /// Row.
    pub row: String,
    /// Seed.
    pub seed: u64,
    /// Swept value, if any.
    pub axis: Option<(String, f64)>,
    /// Overall test accuracy (%).
    pub overall: f64,
    /// Easy / medium / hard mean accuracy (%), by the reference model's thirds.
    pub easy: f64,
    /// Medium third.
    pub medium: f64,
    /// Hard third.
    pub hard: f64,
    /// Whether the thirds came from the reference run of this seed (else from this run).
    pub reference_groups: bool,
    /// Output-level margin (average).
    pub output_margin: f64,
    /// Output-level margin of the easy / medium / hard thirds (the same thirds as the
    /// accuracies; NaN when the summary has no per-class margins).
    pub output_margin_thirds: [f64; 3],
    /// Classifier-level margin (degrees).
    pub classifier_margin_deg: f64,
    /// Per-class accuracy (%), by class id.
    pub per_class: Vec<f64>,
    /// Seconds the run took: the sum of its epochs' `seconds` in `metrics.csv` (training and
    /// evaluation; as measured, on whatever else the machine was doing).
    pub seconds: f64,
}

/// A row's mean ± sd over its finished seeds.
#[derive(Debug, Clone, Serialize)]
pub struct RowFigures {
    /// Row.
    pub row: String,
    /// Finished runs / planned runs.
    pub finished: usize,
    /// Planned runs.
    pub planned: usize,
    /// `(mean, sd)` of overall, easy, medium, hard, output margin, classifier margin.
    pub stats: Vec<(String, f64, f64)>,
    /// Paired (same seed) difference to the reference row of overall and hard accuracy:
    /// `(mean, sd, pairs)`.
    pub delta_overall: (f64, f64, usize),
    /// Paired difference of hard-third accuracy.
    pub delta_hard: (f64, f64, usize),
    /// Per-class mean accuracy (%).
    pub per_class: Vec<f64>,
}

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
    /// The markdown table (`table.md`).
    pub markdown: String,
}

/// One row's spread curves.
#[derive(Debug, Clone, Serialize)]
pub struct SpreadCurve {
    /// Row.
    pub row: String,
    /// `(epoch, mean spread)` of the easy, medium and hard thirds.
    pub thirds: [Vec<(f64, f64)>; 3],
}

const STATS: [&str; 6] = [
    "overall %",
    "easy %",
    "medium %",
    "hard %",
    "output margin",
    "classifier margin °",
];

/// Read the finished runs of `plan` under `root`, aggregate them and write `table.md`,
/// `results.csv`, `results.json` and the plots into `root`.
///
/// # Errors
/// No run has finished; unreadable summaries; summaries of different class sets; I/O.
pub fn aggregate(plan: &Plan, root: &Path) -> Result<Report> {
    let mut summaries: Vec<(usize, Summary)> = Vec::new();
    for (i, r) in plan.runs.iter().enumerate() {
        let p = Plan::run_dir(root, r).join("summary.json");
        if p.is_file() {
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
            let seconds = metrics_columns(&metrics, &["seconds"])?
                .iter()
                .filter_map(|rec| rec[0])
                .sum();
            let a = acc(s);
            let (groups, from_ref) = match reference_groups(spec.seed) {
                Some(g) => (g, true),
                None => (Groups::from_accuracy(&a), false),
            };
            let (e, m, h) = groups.means(&a);
            let margins: Vec<f64> = s.per_class.iter().map(|c| c.output_margin).collect();
            let (me, mm, mh) = groups.means(&margins);
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
                output_margin_thirds: [me, mm, mh],
                classifier_margin_deg: s.classifier_margin_deg,
                per_class: a.iter().map(|v| 100.0 * v).collect(),
                seconds,
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
    let markdown = render::markdown(plan, &rows, &runs, &classes, &spread);
    let report = Report {
        experiment: plan.experiment.clone(),
        settings: plan.settings.clone(),
        reference_row: plan.reference_row.clone(),
        classes,
        rows,
        runs,
        spread,
        markdown,
    };
    render::write(&report, root)?;
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
    let fs: [fn(&RunFigures) -> f64; 6] = [
        |r| r.overall,
        |r| r.easy,
        |r| r.medium,
        |r| r.hard,
        |r| r.output_margin,
        |r| r.classifier_margin_deg,
    ];
    let stats = STATS
        .iter()
        .zip(fs)
        .map(|(n, f)| {
            let (m, s) = metric(f);
            (n.to_string(), m, s)
        })
        .collect();
    let paired = |f: fn(&RunFigures) -> f64| {
        let d: Vec<f64> = mine
            .iter()
            .filter_map(|r| {
                runs.iter()
                    .find(|b| b.row == plan.reference_row && b.seed == r.seed)
                    .map(|b| f(r) - f(b))
            })
            .collect();
        let (m, s) = mean_sd(&d);
        (m, s, d.len())
    };
    let per_class = (0..k)
        .map(|c| mean_sd(&mine.iter().map(|r| r.per_class[c]).collect::<Vec<_>>()).0)
        .collect();
    RowFigures {
        row: row.to_string(),
        finished: mine.len(),
        planned: plan.runs.iter().filter(|r| r.row == row).count(),
        stats,
        delta_overall: paired(|r| r.overall),
        delta_hard: paired(|r| r.hard),
        per_class,
    }
}
