//! Aggregating whatever runs of a plan have finished: per row mean ± sd over seeds of overall /
//! easy / medium / hard accuracy (thirds of the reference row's model with the same seed) and
//! the Table 4 margins, the paired difference to the reference row, per-class tables and plots.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use super::Plan;
use crate::error::{io_err, Result};
use crate::eval::compare::mean_sd;
use crate::eval::{Groups, Summary};
use crate::report::plot;

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
    /// Classifier-level margin (degrees).
    pub classifier_margin_deg: f64,
    /// Per-class accuracy (%), by class id.
    pub per_class: Vec<f64>,
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
            let a = acc(s);
            let (groups, from_ref) = match reference_groups(spec.seed) {
                Some(g) => (g, true),
                None => (Groups::from_accuracy(&a), false),
            };
            let (e, m, h) = groups.means(&a);
            RunFigures {
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
                classifier_margin_deg: s.classifier_margin_deg,
                per_class: a.iter().map(|v| 100.0 * v).collect(),
            }
        })
        .collect();
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
    let mut markdown = markdown(plan, &rows, &runs, &classes);
    if !spread.is_empty() {
        let _ = writeln!(
            markdown,
            "\nMean ‖ŝ_y‖ of the test features over each third (thirds by that epoch's accuracy), first → last epoch:\n\n| row | easy | medium | hard |\n|---|---|---|---|"
        );
        for c in &spread {
            let cell = |v: &[(f64, f64)]| match (v.first(), v.last()) {
                (Some(a), Some(b)) => format!("{:.3} → {:.3}", a.1, b.1),
                _ => "—".into(),
            };
            let _ = writeln!(
                markdown,
                "| {} | {} | {} | {} |",
                c.row,
                cell(&c.thirds[0]),
                cell(&c.thirds[1]),
                cell(&c.thirds[2])
            );
        }
    }
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
    write(&report, root)?;
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
            let mut rd = csv::Reader::from_path(&p)
                .map_err(|e| crate::error::data_err(&p, e.to_string()))?;
            let head = rd
                .headers()
                .map_err(|e| crate::error::data_err(&p, e.to_string()))?
                .clone();
            let col = |name: &str| {
                head.iter()
                    .position(|h| h == name)
                    .ok_or_else(|| crate::error::data_err(&p, format!("no column {name}")))
            };
            let cols = [
                col("epoch")?,
                col("spread_easy")?,
                col("spread_medium")?,
                col("spread_hard")?,
            ];
            for rec in rd.records() {
                let rec = rec.map_err(|e| crate::error::data_err(&p, e.to_string()))?;
                let num = |i: usize| rec.get(cols[i]).and_then(|v| v.parse::<f64>().ok());
                let Some(epoch) = num(0) else { continue };
                let e = by_epoch.entry(epoch as usize).or_default();
                for (g, vals) in e.iter_mut().enumerate() {
                    if let Some(v) = num(g + 1).filter(|v| v.is_finite()) {
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

/// `m ± s` (just `m` for one value).
fn pm(m: f64, s: f64, digits: usize) -> String {
    if m.is_nan() {
        "—".into()
    } else if s.is_nan() {
        format!("{m:.digits$}")
    } else {
        format!("{m:.digits$} ± {s:.digits$}")
    }
}

fn signed(m: f64, s: f64, n: usize) -> String {
    if n == 0 || m.is_nan() {
        "—".into()
    } else if s.is_nan() {
        format!("{m:+.2}")
    } else {
        format!("{m:+.2} ± {s:.2}")
    }
}

fn markdown(plan: &Plan, rows: &[RowFigures], runs: &[RunFigures], classes: &[String]) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "**{}** — {}\n", plan.experiment, plan.settings);
    let _ = writeln!(
        t,
        "| row | runs | overall % | easy % | medium % | hard % | Δ overall | Δ hard | output margin | classifier margin ° |\n|---|---|---|---|---|---|---|---|---|---|"
    );
    for r in rows {
        let s = |i: usize, d: usize| pm(r.stats[i].1, r.stats[i].2, d);
        let _ = writeln!(
            t,
            "| {} | {}/{} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.row,
            r.finished,
            r.planned,
            s(0, 2),
            s(1, 2),
            s(2, 2),
            s(3, 2),
            signed(r.delta_overall.0, r.delta_overall.1, r.delta_overall.2),
            signed(r.delta_hard.0, r.delta_hard.1, r.delta_hard.2),
            s(4, 3),
            s(5, 1)
        );
    }
    if let Some(p) = &plan.paper {
        let _ = writeln!(
            t,
            "\nThe paper ({}; another dataset and scale — for direction, not level):\n\n| row | overall % | easy % | medium % | hard % | Δ hard |\n|---|---|---|---|---|---|",
            p.source
        );
        let base = p.rows.first().map(|r| r.1[3]);
        for (row, v) in &p.rows {
            let _ = writeln!(
                t,
                "| {row} | {:.1} | {:.1} | {:.1} | {:.1} | {:+.1} |",
                v[0],
                v[1],
                v[2],
                v[3],
                v[3] - base.unwrap_or(v[3])
            );
        }
    }
    let own = runs.iter().filter(|r| !r.reference_groups).count();
    let _ = writeln!(
        t,
        "\nMean ± sd over seeds (sd needs two). Easy / medium / hard: thirds of the classes by the \
         `{}` model's per-class accuracy with the same seed; Δ = paired difference to `{}` \
         (same seeds).{}",
        plan.reference_row,
        plan.reference_row,
        if own > 0 {
            format!(" {own} run(s) grouped by their own thirds (reference run of their seed not finished).")
        } else {
            String::new()
        }
    );
    let contrasts: Vec<(&String, &RowFigures, &RowFigures)> = plan
        .contrasts
        .iter()
        .filter_map(|(label, from, to)| {
            let find = |r: &String| rows.iter().find(|x| &x.row == r && x.finished > 0);
            Some((label, find(from)?, find(to)?))
        })
        .collect();
    if let (Some(base), false) = (
        rows.first().filter(|r| r.finished > 0),
        contrasts.is_empty(),
    ) {
        let mut order: Vec<usize> = (0..classes.len()).collect();
        order.sort_by(|&x, &y| base.per_class[x].total_cmp(&base.per_class[y]));
        let _ = write!(
            t,
            "\nPer class (mean over seeds; hardest first by `{}`):\n\n| class | {} % |",
            base.row, base.row
        );
        for (label, _, _) in &contrasts {
            let _ = write!(t, " Δ {label} |");
        }
        let _ = write!(t, "\n|---|---|");
        for _ in &contrasts {
            let _ = write!(t, "---|");
        }
        let _ = writeln!(t);
        for c in order {
            let _ = write!(t, "| {} | {:.2} |", classes[c], base.per_class[c]);
            for (_, a, b) in &contrasts {
                let _ = write!(t, " {:+.2} |", b.per_class[c] - a.per_class[c]);
            }
            let _ = writeln!(t);
        }
    }
    t
}

fn write(r: &Report, root: &Path) -> Result<()> {
    let put = |name: &str, text: &str| {
        crate::train::checkpoint::write_atomic(&root.join(name), text.as_bytes())
    };
    put("table.md", &r.markdown)?;
    put(
        "results.json",
        &serde_json::to_string_pretty(r).unwrap_or_default(),
    )?;
    let mut csv = csv::Writer::from_writer(Vec::new());
    let mut head = vec![
        "id",
        "row",
        "seed",
        "axis",
        "value",
        "overall",
        "easy",
        "medium",
        "hard",
        "reference_groups",
        "output_margin",
        "classifier_margin_deg",
    ]
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>();
    head.extend(r.classes.iter().map(|c| format!("acc {c}")));
    let csv_err = |e: csv::Error| io_err(root.join("results.csv"), std::io::Error::other(e));
    csv.write_record(&head).map_err(csv_err)?;
    for x in &r.runs {
        let mut rec = vec![
            x.id.clone(),
            x.row.clone(),
            x.seed.to_string(),
            x.axis.as_ref().map(|a| a.0.clone()).unwrap_or_default(),
            x.axis
                .as_ref()
                .map(|a| format!("{:?}", a.1))
                .unwrap_or_default(),
        ];
        for v in [x.overall, x.easy, x.medium, x.hard] {
            rec.push(format!("{v:?}"));
        }
        rec.push(x.reference_groups.to_string());
        rec.push(format!("{:?}", x.output_margin));
        rec.push(format!("{:?}", x.classifier_margin_deg));
        rec.extend(x.per_class.iter().map(|v| format!("{v:?}")));
        csv.write_record(&rec).map_err(csv_err)?;
    }
    let bytes = csv.into_inner().map_err(|e| {
        io_err(
            root.join("results.csv"),
            std::io::Error::other(e.to_string()),
        )
    })?;
    crate::train::checkpoint::write_atomic(&root.join("results.csv"), &bytes)?;
    plots(r, root)
}

fn plots(r: &Report, root: &Path) -> Result<()> {
    // Swept parameters: overall and hard accuracy against the value, one figure per axis.
    let mut axes: Vec<String> = Vec::new();
    for x in &r.runs {
        if let Some((a, _)) = &x.axis {
            if !axes.contains(a) {
                axes.push(a.clone());
            }
        }
    }
    for a in &axes {
        let mut series = Vec::new();
        for (label, f) in [
            (
                "overall",
                (|x: &RunFigures| x.overall) as fn(&RunFigures) -> f64,
            ),
            ("hard third", |x: &RunFigures| x.hard),
        ] {
            let mut pts: Vec<(f64, f64)> = Vec::new();
            let mut values: Vec<f64> = r
                .runs
                .iter()
                .filter_map(|x| x.axis.as_ref().filter(|(n, _)| n == a).map(|(_, v)| *v))
                .collect();
            values.sort_by(f64::total_cmp);
            values.dedup();
            for v in values {
                let ys: Vec<f64> = r
                    .runs
                    .iter()
                    .filter(|x| {
                        x.axis
                            .as_ref()
                            .is_some_and(|(n, w)| n == a && w.to_bits() == v.to_bits())
                    })
                    .map(f)
                    .collect();
                pts.push((v, mean_sd(&ys).0));
            }
            series.push((label.to_string(), pts));
        }
        let stem = root.join(format!("sweep-{}", super::grids::slug(a)));
        plot::lines(
            &stem,
            &format!("{}: accuracy vs {a}", r.experiment),
            a,
            "test accuracy (%)",
            &series,
        )?;
    }
    if !r.spread.is_empty() {
        let names = ["easy", "medium", "hard"];
        let series: Vec<(String, Vec<(f64, f64)>)> = r
            .spread
            .iter()
            .flat_map(|c| {
                (0..3).map(move |g| (format!("{} {}", c.row, names[g]), c.thirds[g].clone()))
            })
            .collect();
        plot::lines(
            &root.join("spread"),
            "per-class spread of the test features over training",
            "epoch",
            "mean ‖ŝ_y‖ over the third",
            &series,
        )?;
    }
    // Per-class accuracy of the reference row against the last row (MR² in every grid).
    if r.rows.len() >= 2 {
        let (a, b) = (&r.rows[0], &r.rows[r.rows.len() - 1]);
        if a.finished > 0 && b.finished > 0 {
            let series = [a, b]
                .iter()
                .map(|x| {
                    (
                        x.row.clone(),
                        x.per_class.iter().map(|v| v / 100.0).collect(),
                    )
                })
                .collect::<Vec<_>>();
            plot::per_class_bars(
                &root.join("per-class"),
                &format!(
                    "{}: per-class test accuracy (mean over seeds)",
                    r.experiment
                ),
                &r.classes,
                &series,
            )?;
        }
    }
    Ok(())
}
