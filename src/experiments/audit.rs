//! `regularization-audit` as Balestriero et al. run it: per regulariser and method, the
//! strength with the best validation accuracy, and the per-class change it causes against no
//! regularisation.

use serde::Serialize;

use super::contrasts::differences;
use super::figures::RunFigures;
use super::Plan;
use crate::stats::{paired, Paired};

/// One regulariser of the audit for one method: the strength picked by validation accuracy
/// and the per-class change it causes against no regularisation (same seeds).
#[derive(Debug, Clone, Serialize)]
pub struct Selection {
    /// The sweep's axis (`"weight decay (ERM)"`, …).
    pub axis: String,
    /// The row without any regularisation.
    pub none: String,
    /// Its mean validation accuracy (%).
    pub none_val: f64,
    /// `(row, strength, mean validation %, mean test %)` of every finished strength.
    pub candidates: Vec<(String, f64, f64, f64)>,
    /// The row with the best mean validation accuracy among the strengths (> 0).
    pub picked: String,
    /// Test accuracy, picked − none (points).
    pub overall: Paired,
    /// Per class, picked − none.
    pub per_class: Vec<Paired>,
    /// Classes whose 95% interval lies wholly below 0 at the picked strength.
    pub sacrificed: Vec<String>,
    /// Classes whose 95% interval lies wholly above 0.
    pub helped: Vec<String>,
}

/// The audit's selections: for each axis of the plan, the finished strength with the best mean
/// validation accuracy, against the `"METHOD, none"` row of the same method.
pub(super) fn audit_selections(
    plan: &Plan,
    runs: &[RunFigures],
    classes: &[String],
) -> Vec<Selection> {
    let mean = |v: Vec<f64>| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let mut axes: Vec<String> = Vec::new();
    for r in &plan.runs {
        if let Some((a, _)) = &r.axis {
            if !axes.contains(a) {
                axes.push(a.clone());
            }
        }
    }
    let mut out = Vec::new();
    for axis in axes {
        // "weight decay (ERM)" → "ERM, none".
        let method = axis
            .rsplit_once(" (")
            .map_or("", |(_, m)| m.trim_end_matches(')'));
        let none = format!("{method}, none");
        let row_runs =
            |row: &str| -> Vec<&RunFigures> { runs.iter().filter(|r| r.row == row).collect() };
        if row_runs(&none).is_empty() {
            continue;
        }
        let none_val = mean(row_runs(&none).iter().map(|r| r.val_acc).collect());
        let mut candidates: Vec<(String, f64, f64, f64)> = Vec::new();
        for row in plan.rows() {
            let Some(v) = plan
                .runs
                .iter()
                .find(|r| r.row == row)
                .and_then(|r| r.axis.as_ref())
                .filter(|(a, _)| *a == axis)
                .map(|a| a.1)
            else {
                continue;
            };
            let mine = row_runs(&row);
            if mine.is_empty() {
                continue;
            }
            let val = mean(mine.iter().map(|r| r.val_acc).collect());
            let test = mean(mine.iter().map(|r| r.overall).collect());
            candidates.push((row, v, val, test));
        }
        // Ties go to the weaker strength (the first in the sweep's order).
        let Some(best) = candidates.iter().filter(|c| c.2.is_finite()).fold(
            None,
            |best: Option<&(String, f64, f64, f64)>, c| match best {
                Some(b) if b.2 >= c.2 => Some(b),
                _ => Some(c),
            },
        ) else {
            continue;
        };
        let picked = best.0.clone();
        let per_class: Vec<Paired> = (0..classes.len())
            .map(|c| paired(&differences(runs, &none, &picked, |r| r.per_class[c])))
            .collect();
        let named = |f: fn(&Paired) -> bool| -> Vec<String> {
            per_class
                .iter()
                .zip(classes)
                .filter(|(p, _)| p.n >= 2 && f(p))
                .map(|(_, c)| c.clone())
                .collect()
        };
        out.push(Selection {
            overall: paired(&differences(runs, &none, &picked, |r| r.overall)),
            sacrificed: named(|p| p.hi < 0.0),
            helped: named(|p| p.lo > 0.0),
            axis,
            none,
            none_val,
            candidates,
            picked,
            per_class,
        });
    }
    out
}
