//! What happens after training: the run's summary ([`summarize`]), and what a finished run
//! writes next to its checkpoints — `summary.json`, the per-class and training-curve plots, and
//! optionally the penultimate features (in the format `bounds --features` reads). The top
//! room below the binaries and the experiment runner: it reads a [`Trained`] model, evaluates
//! it ([`crate::eval`]) and exports with [`crate::bounds::files`].

use std::path::Path;

use crate::error::{invalid, io_err, Result};
use crate::eval::{
    classifier_margin_degrees, predict, ClassResult, GroupSummary, GroupValues, Groups,
    Predictions, Summary,
};
use crate::report::plot;
use crate::train::Trained;

/// Summarise a trained model: test predictions, and training features for the per-class
/// statistics. `ranking` groups the classes by another model's thirds (e.g. the baseline's).
///
/// # Errors
/// Backend failures; a ranking for another number of classes.
pub fn summarize(
    t: &Trained,
    ranking: Option<&Groups>,
) -> Result<(Summary, Predictions, Predictions)> {
    let test = predict(&t.model, &t.splits.test, 256, &t.device)?;
    let trainp = predict(&t.model, &t.splits.train, 256, &t.device)?;
    let pc = test.per_class_accuracy();
    if let Some(g) = ranking {
        let n = g.easy.len() + g.medium.len() + g.hard.len();
        if n != test.k
            || [&g.easy, &g.medium, &g.hard]
                .iter()
                .any(|v| v.iter().any(|&c| c >= test.k))
        {
            return Err(invalid(
                "ranking",
                n,
                "the ranking's classes do not match this model's",
            ));
        }
    }
    let groups = ranking
        .cloned()
        .unwrap_or_else(|| Groups::from_accuracy(&pc));
    let accuracy = groups.means(&pc);
    let om = test.output_margins(t.objective.logit_scale());
    let mut per_class_margin = vec![Vec::new(); test.k];
    for (i, &y) in test.labels.iter().enumerate() {
        per_class_margin[y].push(om[i]);
    }
    let class_mean: Vec<f64> = per_class_margin
        .iter()
        .map(|v| {
            if v.is_empty() {
                f64::NAN
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            }
        })
        .collect();
    let margin_thirds = groups.means(&class_mean);
    let stats = trainp.class_feature_stats();
    let per_class = (0..test.k)
        .map(|k| ClassResult {
            id: k,
            name: t.splits.test.class_name(k),
            accuracy: pc[k],
            mean_norm: stats[k].map_or(f64::NAN, |s| s.0),
            spread: stats[k].map_or(f64::NAN, |s| s.1),
            output_margin: class_mean[k],
        })
        .collect();
    let s = Summary {
        method: t.method.clone(),
        overall: test.accuracy(),
        per_class,
        groups: GroupSummary {
            accuracy,
            members: groups,
        },
        output_margin: GroupValues {
            avg: om.iter().sum::<f64>() / om.len().max(1) as f64,
            thirds: margin_thirds,
        },
        classifier_margin_deg: classifier_margin_degrees(&t.model.head_weights()?),
        gamma: t.objective.gamma_used(test.k),
        s_bar: t.objective.s_bar(),
        train_error: 1.0 - trainp.accuracy(),
        best: crate::train::metrics::best_epoch(&t.history),
    };
    Ok((s, test, trainp))
}

/// Summarise `trained`, write the plots and then (last, atomically) `summary.json` into `out` (and, with
/// `export_features`, `out/features/` in the format `bounds --features` reads); `baseline` adds its per-class accuracy to the bar plot and,
/// with `rank_by_baseline`, its easy/medium/hard thirds group this run's classes.
///
/// # Errors
/// I/O, plotting and backend failures.
pub fn write_outputs(
    trained: &Trained,
    out: &Path,
    baseline: Option<&Summary>,
    export_features: bool,
) -> Result<Summary> {
    let ranking: Option<&Groups> = baseline.map(|b| &b.groups.members);
    if let Some(b) = baseline {
        let names = b.class_names();
        let ours: Vec<String> = (0..trained.splits.test.classes)
            .map(|k| trained.splits.test.class_name(k))
            .collect();
        if names != ours {
            return Err(invalid(
                "ranking_from",
                format!("{names:?}"),
                "the baseline summary's classes differ from this run's",
            ));
        }
    }
    let (summary, test, trainp) = summarize(trained, ranking)?;
    // `summary.json` is what marks a run finished (the experiment runner reuses such runs), so
    // it is written last and atomically: a failure while exporting or plotting (a full disk)
    // leaves no summary and the run is redone, never counted with a truncated plot.
    let p = out.join("summary.json");
    let summary_text = crate::error::json_for(&p, &summary)?;
    if p.exists() {
        std::fs::remove_file(&p).map_err(|e| io_err(&p, e))?;
    }
    if export_features {
        crate::bounds::files::export(
            &out.join("features"),
            &trained.model.linear_head()?,
            &trainp,
            &test,
            &summary.gamma,
            &summary.class_names(),
        )?;
    }
    let names = summary.class_names();
    let mut series = vec![(
        format!("{} ({:.1}%)", summary.method, 100.0 * summary.overall),
        summary
            .per_class
            .iter()
            .map(|c| c.accuracy)
            .collect::<Vec<_>>(),
    )];
    if let Some(b) = baseline {
        series.push((
            format!("baseline {} ({:.1}%)", b.method, 100.0 * b.overall),
            b.per_class.iter().map(|c| c.accuracy).collect(),
        ));
    }
    plot::per_class_bars(
        &out.join("per_class_accuracy"),
        &format!("Per-class test accuracy — {}", out.display()),
        &names,
        &series,
    )?;
    let h = &trained.history;
    let curve = |f: fn(&crate::train::EpochMetrics) -> f64| -> Vec<(f64, f64)> {
        h.iter().map(|m| (m.epoch as f64, f(m))).collect()
    };
    plot::lines(
        &out.join("curves_accuracy"),
        "Accuracy per epoch",
        "epoch",
        "accuracy (%)",
        &[
            ("train".into(), curve(|m| 100.0 * m.train_acc)),
            ("test".into(), curve(|m| 100.0 * m.test_acc)),
            ("test, hard third".into(), curve(|m| 100.0 * m.hard)),
        ],
    )?;
    plot::lines(
        &out.join("curves_loss"),
        "Training objective per epoch",
        "epoch",
        "loss",
        &[("train loss".into(), curve(|m| m.train_loss))],
    )?;
    crate::train::checkpoint::write_atomic(&p, summary_text.as_bytes())?;
    Ok(summary)
}

/// The per-class table and the closing line `train` prints.
pub fn summary_table(s: &Summary) -> String {
    let mut t = format!(
        "\n{:<24} {:>8} {:>8} {:>8}\n",
        "class", "acc %", "‖μ̂‖", "‖ŝ‖"
    );
    for c in &s.per_class {
        t += &format!(
            "{:<24} {:>8.2} {:>8.3} {:>8.3}\n",
            c.name,
            100.0 * c.accuracy,
            c.mean_norm,
            c.spread
        );
    }
    t += &format!(
        "\noverall {:.2}%  easy {:.2}%  medium {:.2}%  hard {:.2}%  output margin {:.3}  classifier margin {:.1}°  training error {:.2}%",
        100.0 * s.overall,
        100.0 * s.groups.accuracy.easy,
        100.0 * s.groups.accuracy.medium,
        100.0 * s.groups.accuracy.hard,
        s.output_margin.avg,
        s.classifier_margin_deg,
        100.0 * s.train_error
    );
    t
}
