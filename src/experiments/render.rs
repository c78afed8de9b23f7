//! Rendering an experiment's [`Report`]: `table.md`, `results.csv`, `results.json` and plots.

use std::fmt::Write as _;
use std::path::Path;

use super::audit::Selection;
use super::contrasts::ContrastFigures;
use super::figures::{RowFigures, RunFigures, SpreadCurve};
use super::render_contrasts::{contrasts_markdown, interval, selections_markdown};
use super::report::Report;
use super::Plan;
use crate::error::{io_err, Result};
use crate::eval::compare::mean_sd;
use crate::report::plot;
use crate::stats::Paired;

/// The spread table: each row's thirds, first → last epoch.
fn spread_markdown(t: &mut String, spread: &[SpreadCurve]) {
    if spread.is_empty() {
        return;
    }
    let _ = writeln!(
        t,
        "\nMean ‖ŝ_y‖ of the test features over each third (thirds by that epoch's accuracy), first → last epoch:\n\n| row | easy | medium | hard |\n|---|---|---|---|"
    );
    for c in spread {
        let cell = |v: &[(f64, f64)]| match (v.first(), v.last()) {
            (Some(a), Some(b)) => format!("{:.3} → {:.3}", a.1, b.1),
            _ => "—".into(),
        };
        let _ = writeln!(
            t,
            "| {} | {} | {} | {} |",
            c.row,
            cell(&c.thirds[0]),
            cell(&c.thirds[1]),
            cell(&c.thirds[2])
        );
    }
}

/// What the paper's figures under a table are good for (written under every such table).
const PAPER_CAVEAT: &str =
    "compare the direction — the level only where its dataset, model and schedule are the settings line's";

/// The `margins` experiment's Table 4: per row the output-level margin (average and by the
/// reference model's thirds) and the classifier-level margin, mean ± sd over seeds, with the
/// paper's figures under it.
fn margins_markdown(t: &mut String, rows: &[RowFigures], runs: &[RunFigures]) {
    let _ = writeln!(
        t,
        "\nTable 4 — output-level margin P(y|x) − max_{{y′≠y}} P(y′|x) of the test samples (average and by the thirds above) and classifier-level margin (smallest angle between two head rows):\n\n| row | output avg | output easy | output medium | output hard | classifier ° |\n|---|---|---|---|---|---|"
    );
    for r in rows.iter().filter(|r| r.finished > 0) {
        let mine: Vec<&RunFigures> = runs.iter().filter(|x| x.row == r.row).collect();
        let cell = |f: &dyn Fn(&RunFigures) -> f64, d: usize| {
            let (m, s) = mean_sd(&mine.iter().map(|x| f(x)).collect::<Vec<_>>());
            pm(m, s, d)
        };
        let _ = writeln!(
            t,
            "| {} | {} | {} | {} | {} | {} |",
            r.row,
            cell(&|x| x.output_margin, 3),
            cell(&|x| x.output_margin_thirds[0], 3),
            cell(&|x| x.output_margin_thirds[1], 3),
            cell(&|x| x.output_margin_thirds[2], 3),
            cell(&|x| x.classifier_margin_deg, 1),
        );
    }
    let _ = writeln!(
        t,
        "\nTable 6 — neural-collapse ratio Avg_y ‖ŝ_y‖/‖μ̂_y‖ of the training features (the paper: 7.5e-4 for a ResNet-18 on MNIST, 0.3285 on ImageNet; a ratio near 0 means the classes have collapsed to their means):\n\n| row | ratio |\n|---|---|"
    );
    for r in rows.iter().filter(|r| r.finished > 0) {
        let v: Vec<f64> = runs
            .iter()
            .filter(|x| x.row == r.row)
            .map(|x| x.collapse_ratio)
            .collect();
        let (m, s) = mean_sd(&v);
        let _ = writeln!(t, "| {} | {} |", r.row, pm(m, s, 4));
    }
    let (source, paper) = super::paper::TABLE4;
    let _ = writeln!(
        t,
        "\nThe paper ({source}; {PAPER_CAVEAT}):\n\n| row | output avg | output easy | output medium | output hard | classifier ° |\n|---|---|---|---|---|---|"
    );
    for (row, v) in paper {
        let _ = writeln!(
            t,
            "| {row} | {:.3} | {:.3} | {:.3} | {:.3} | {:.1} |",
            v[0], v[1], v[2], v[3], v[4]
        );
    }
}

/// `m ± s` (just `m` for one value, `—` for none).
pub(super) fn pm(m: f64, s: f64, digits: usize) -> String {
    if m.is_nan() {
        "—".into()
    } else if s.is_nan() {
        format!("{m:.digits$}")
    } else {
        format!("{m:.digits$} ± {s:.digits$}")
    }
}

/// How long the finished runs took: their number, the total and the median per run (each run's
/// epoch times from its `metrics.csv`, as measured).
pub(super) fn compute_line(runs: &[RunFigures]) -> String {
    let mut secs: Vec<f64> = runs.iter().map(|r| r.seconds).collect();
    secs.sort_by(f64::total_cmp);
    let total: f64 = secs.iter().sum();
    let median = match secs.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => secs[n / 2],
        n => 0.5 * (secs[n / 2 - 1] + secs[n / 2]),
    };
    let all = if total < 120.0 {
        format!("{total:.1} s")
    } else {
        format!("{:.1} min", total / 60.0)
    };
    format!(
        "Compute: {} finished run(s), {all} in all, median {median:.1} s per run (the sum of each \
         run's epoch times in its `metrics.csv`, training and evaluation, as measured — on a \
         shared machine they include the other work's slowdown).",
        runs.len(),
    )
}

/// `table.md`: the row table, the paper's figures, per-class contrasts and spreads.
pub(super) fn markdown(
    plan: &Plan,
    rows: &[RowFigures],
    runs: &[RunFigures],
    classes: &[String],
    spread: &[SpreadCurve],
    contrasts: &[ContrastFigures],
    selections: &[Selection],
) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "**{}** — {}\n", plan.experiment, plan.settings);
    // The best-epoch column only where some run recorded it (summaries before 2026-12-07 did
    // not): test-set selection, beside the last epoch on which everything is judged.
    let best = rows
        .iter()
        .any(|r| r.stats.get(7).is_some_and(|s| s.1.is_finite()));
    let _ = writeln!(
        t,
        "| row | runs | overall % | easy % | medium % | hard % | Δ overall | Δ hard | output margin | classifier margin ° | train error % |{}\n|---|---|---|---|---|---|---|---|---|---|---|{}",
        if best { " best epoch % (test-set selection) |" } else { "" },
        if best { "---|" } else { "" }
    );
    for r in rows {
        let s = |i: usize, d: usize| pm(r.stats[i].1, r.stats[i].2, d);
        let _ = write!(
            t,
            "| {} | {}/{} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.row,
            r.finished,
            r.planned,
            s(0, 2),
            s(1, 2),
            s(2, 2),
            s(3, 2),
            if r.row == plan.reference_row {
                "(reference)".into()
            } else {
                interval(&r.delta_overall)
            },
            if r.row == plan.reference_row {
                "(reference)".into()
            } else {
                interval(&r.delta_hard)
            },
            s(4, 3),
            s(5, 1),
            s(6, 2)
        );
        let _ = writeln!(
            t,
            "{}",
            if best {
                format!(" {} |", s(7, 2))
            } else {
                String::new()
            }
        );
    }
    if let Some(p) = &plan.paper {
        let _ = writeln!(
            t,
            "\nThe paper ({}; {PAPER_CAVEAT}):\n\n| row | overall % | easy % | medium % | hard % | Δ hard |\n|---|---|---|---|---|---|",
            p.source
        );
        let base = p.rows.first().map(|r| r.1[3]);
        // "—" where the source publishes no figure (NaN).
        let f = |v: f64, sign: bool| match (v.is_finite(), sign) {
            (false, _) => "—".to_string(),
            (true, true) => format!("{v:+.1}"),
            (true, false) => format!("{v:.1}"),
        };
        for (row, v) in &p.rows {
            let _ = writeln!(
                t,
                "| {row} | {} | {} | {} | {} | {} |",
                f(v[0], false),
                f(v[1], false),
                f(v[2], false),
                f(v[3], false),
                f(v[3] - base.unwrap_or(v[3]), true)
            );
        }
    }
    let own = runs.iter().filter(|r| !r.reference_groups).count();
    let _ = writeln!(
        t,
        "\nMean ± sd over seeds (sd needs two). Easy / medium / hard: thirds of the classes by the \
         `{}` model's per-class accuracy with the same seed; Δ = paired difference to `{}` \
         (same seeds), mean [95% t-interval] in points; train error: the final model's error on \
         its un-augmented training set (— where a run predates it).{}",
        plan.reference_row,
        plan.reference_row,
        if own > 0 {
            format!(" {own} run(s) grouped by their own thirds (reference run of their seed not finished).")
        } else {
            String::new()
        }
    );
    let _ = writeln!(t, "\n{}", compute_line(runs));
    let contrasts: Vec<&ContrastFigures> = contrasts.iter().filter(|c| c.overall.n > 0).collect();
    contrasts_markdown(&mut t, &contrasts);
    if let (Some(base), false) = (
        rows.first().filter(|r| r.finished > 0),
        contrasts.is_empty(),
    ) {
        let mut order: Vec<usize> = (0..classes.len()).collect();
        order.sort_by(|&x, &y| base.per_class[x].total_cmp(&base.per_class[y]));
        let _ = write!(
            t,
            "\nPer class (mean over seeds; hardest first by `{}`). Each Δ column is {} tests, one \
             per class: an interval marked † survives Holm's correction for them at family-wise \
             level 0.05 (on paired-t p-values); an unmarked interval that excludes 0 is one of {} \
             looks.\n\n| class | {} % |",
            base.row,
            classes.len(),
            classes.len(),
            base.row
        );
        for c in &contrasts {
            let _ = write!(t, " Δ {} [95%] |", c.label);
        }
        let _ = write!(t, "\n|---|---|");
        for _ in &contrasts {
            let _ = write!(t, "---|");
        }
        let _ = writeln!(t);
        let holm: Vec<Vec<bool>> = contrasts
            .iter()
            .map(|x| {
                crate::stats::holm(
                    &x.per_class.iter().map(Paired::p_t).collect::<Vec<_>>(),
                    0.05,
                )
            })
            .collect();
        for c in order {
            let _ = write!(t, "| {} | {:.2} |", classes[c], base.per_class[c]);
            for (x, h) in contrasts.iter().zip(&holm) {
                let mark = if h[c] { " †" } else { "" };
                let _ = write!(t, " {}{mark} |", interval(&x.per_class[c]));
            }
            let _ = writeln!(t);
        }
    }
    spread_markdown(&mut t, spread);
    selections_markdown(&mut t, selections, classes);
    if plan.experiment == "margins" {
        margins_markdown(&mut t, rows, runs);
    }
    t
}

/// Write `table.md`, `results.json`, `results.csv` and the plots.
pub(super) fn write(r: &Report, root: &Path) -> Result<()> {
    let put = |name: &str, text: &str| {
        crate::train::checkpoint::write_atomic(&root.join(name), text.as_bytes())
    };
    put("table.md", &r.markdown)?;
    put("results.json", &crate::error::json_for("results.json", r)?)?;
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
        "output_margin_easy",
        "output_margin_medium",
        "output_margin_hard",
        "classifier_margin_deg",
        "train_error",
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
        rec.extend(x.output_margin_thirds.iter().map(|v| format!("{v:?}")));
        rec.push(format!("{:?}", x.classifier_margin_deg));
        rec.push(format!("{:?}", x.train_error));
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
