//! Mean ± standard deviation of several runs' summaries (e.g. over seeds) and paired
//! differences between two groups — what `compare` prints.

use super::summary::Summary;
use crate::error::{invalid, Result};

/// Mean and sample standard deviation (NaN for fewer than two values).
pub fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let sd = if v.len() > 1 {
        (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        f64::NAN
    };
    (m, sd)
}

type Metric = (&'static str, fn(&Summary) -> f64);

/// The compared metrics.
pub const METRICS: [Metric; 6] = [
    ("overall %", |s| 100.0 * s.overall),
    ("easy %", |s| 100.0 * s.groups.accuracy.easy),
    ("medium %", |s| 100.0 * s.groups.accuracy.medium),
    ("hard %", |s| 100.0 * s.groups.accuracy.hard),
    ("output margin", |s| s.output_margin.avg),
    ("classifier margin °", |s| s.classifier_margin_deg),
];

/// The comparison table of named groups of summaries: per metric, each group's mean ± sd, and
/// with two groups of equal size the paired difference (second − first, paired in order); then
/// the per-class mean accuracy.
///
/// # Errors
/// An empty group, or summaries whose class names differ (classes are paired by index, so
/// summaries of different datasets must not be mixed).
pub fn compare(groups: &[(String, Vec<Summary>)]) -> Result<String> {
    if let Some((name, _)) = groups.iter().find(|g| g.1.is_empty()) {
        return Err(invalid(
            "group",
            name,
            "a group needs at least one summary.json",
        ));
    }
    let Some(first) = groups.first().and_then(|g| g.1.first()) else {
        return Err(invalid("groups", 0, "give at least one group"));
    };
    let names = first.class_names();
    for (g, ss) in groups {
        for (i, s) in ss.iter().enumerate() {
            if s.class_names() != names {
                return Err(crate::error::Error::Config {
                    path: format!("group {g}, file {}", i + 1),
                    reason: format!(
                        "its classes {:?} differ from the first summary's {:?}; compare pairs classes by index, so all summaries must come from the same dataset",
                        s.class_names(),
                        names
                    ),
                });
            }
        }
    }
    let paired = groups.len() == 2 && groups[0].1.len() == groups[1].1.len();
    let mut out = format!("{:<22}", "metric");
    for (name, g) in groups {
        out += &format!(" {:>22}", format!("{name} (n={})", g.len()));
    }
    if paired {
        out += &format!(" {:>22}", format!("{} − {}", groups[1].0, groups[0].0));
    }
    out.push('\n');
    for (label, f) in METRICS {
        out += &format!("{label:<22}");
        for (_, g) in groups {
            let (m, sd) = mean_sd(&g.iter().map(f).collect::<Vec<_>>());
            out += &format!(" {:>22}", format!("{m:.3} ± {sd:.3}"));
        }
        if paired {
            let d: Vec<f64> = groups[0]
                .1
                .iter()
                .zip(&groups[1].1)
                .map(|(a, b)| f(b) - f(a))
                .collect();
            let (m, sd) = mean_sd(&d);
            out += &format!(" {:>22}", format!("{m:+.3} ± {sd:.3}"));
        }
        out.push('\n');
    }
    out += "\nper-class accuracy % (mean over runs)\n";
    for (c, name) in names.iter().enumerate() {
        out += &format!("{name:<22}");
        for (_, g) in groups {
            let (m, _) = mean_sd(
                &g.iter()
                    .map(|s| 100.0 * s.per_class[c].accuracy)
                    .collect::<Vec<_>>(),
            );
            out += &format!(" {m:>22.2}");
        }
        out.push('\n');
    }
    Ok(out)
}
