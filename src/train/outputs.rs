//! What a finished run writes next to its checkpoints: `summary.json`, the per-class and
//! training-curve plots, and optionally the penultimate features.

use std::path::Path;

use super::run::Trained;
use crate::error::{io_err, Result};
use crate::eval::{summarize, Groups, Summary};
use crate::report::plot;

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
            return Err(crate::error::invalid(
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
    let curve = |f: fn(&super::EpochMetrics) -> f64| -> Vec<(f64, f64)> {
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
    super::checkpoint::write_atomic(&p, summary_text.as_bytes())?;
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
        100.0 * s.groups.easy,
        100.0 * s.groups.medium,
        100.0 * s.groups.hard,
        s.output_margin.avg,
        s.classifier_margin_deg,
        100.0 * s.train_error
    );
    t
}
