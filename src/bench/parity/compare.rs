//! The comparison: every model × objective on both sides, each stage against its tolerance,
//! and the table.

use burn::module::Module;

use super::tolerances::Tolerances;
use super::trace::{initial_model, trace, Side};
use super::CHAOS_FACTOR;
use crate::bench::MODELS;
use crate::error::{invalid, Result};
use crate::loss::Method;
use crate::model::Model;
use crate::train::DeviceChoice;

/// The objective `name` as the experiment grids run it: FairDRO with its simplex projection
/// (`nonnegative = true`; as in its code it gives a class a negative weight at K = 10 and
/// diverges, docs/training.md "Objectives"), every other with its defaults.
///
/// # Errors
/// An unknown name.
pub fn parity_method(name: &str) -> Result<Method> {
    let m = Method::from_name(name)?;
    if name == "fair-dro" {
        m.with_params(&[("nonnegative".into(), true.into())], "parity")
    } else {
        Ok(m)
    }
}

/// The reference and the candidate for a device given on the command line, with the
/// tolerances that apply: the CPU with mr2's kernels against the device (against the CPU with
/// burn's own layers for `cpu`).
///
/// # Errors
/// The device cannot be opened ([`DeviceChoice::open`]).
pub fn sides(device: DeviceChoice) -> Result<(Side, Side, Tolerances)> {
    let reference = Side {
        device: crate::train::device(),
        burn_layers: false,
    };
    Ok(match device {
        DeviceChoice::Cpu => (
            reference.clone(),
            Side {
                device: crate::train::device(),
                burn_layers: true,
            },
            Tolerances::CPU,
        ),
        d => (
            reference,
            Side {
                device: d.open()?.device().clone(),
                burn_layers: false,
            },
            Tolerances::GPU,
        ),
    })
}

/// The models and objectives to compare: the one named, or all.
pub fn names<'a>(model: Option<&'a str>, loss: Option<&'a str>) -> (Vec<&'a str>, Vec<&'a str>) {
    (
        model.map_or_else(|| MODELS.iter().map(|m| m.0).collect(), |m| vec![m]),
        loss.map_or_else(
            || crate::loss::METHODS.iter().map(|m| m.name).collect(),
            |l| vec![l],
        ),
    )
}

/// One compared quantity.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ParityRow {
    /// Model name ([`MODELS`], the benchmarked models).
    pub model: String,
    /// Objective name.
    pub objective: String,
    /// `logits`, `features`, `loss`, `gradients`, `step`, `run loss`, `run parameters`.
    pub check: String,
    /// ‖candidate − reference‖₂ / ‖reference‖₂.
    pub rel_diff: f64,
    /// The tolerance it is held to.
    pub tolerance: f64,
}

impl ParityRow {
    /// Within tolerance (and finite).
    pub fn pass(&self) -> bool {
        self.rel_diff.is_finite() && self.rel_diff <= self.tolerance
    }
}

/// ‖candidate − reference‖₂ / ‖reference‖₂ (∞ on a length mismatch or a non-finite value;
/// the absolute difference where the reference is all zeros).
pub fn rel_diff(reference: &[f32], candidate: &[f32]) -> f64 {
    if reference.len() != candidate.len() {
        return f64::INFINITY;
    }
    let num: f64 = reference
        .iter()
        .zip(candidate)
        .map(|(a, b)| f64::from(a - b).powi(2))
        .sum();
    let den: f64 = reference.iter().map(|a| f64::from(*a).powi(2)).sum();
    let d = if den > 0.0 {
        (num / den).sqrt()
    } else {
        num.sqrt()
    };
    if d.is_nan() {
        f64::INFINITY
    } else {
        d
    }
}

/// Compare `candidate` with `reference` for every model × objective named, on a batch of `n`.
///
/// # Errors
/// An unknown model or objective name (named), fewer than 2 samples, backend failures.
pub fn parity(
    reference: &Side,
    candidate: &Side,
    models: &[&str],
    objectives: &[&str],
    n: usize,
    tol: Tolerances,
) -> Result<Vec<ParityRow>> {
    if n < 2 {
        return Err(invalid("--batch", n, "parity needs at least 2 samples"));
    }
    let mut rows = Vec::new();
    for name in models {
        let Some(&(_, arch, shape)) = MODELS.iter().find(|m| m.0 == *name) else {
            return Err(invalid(
                "--model",
                name,
                "must be one of mlp, cnn, resnet20, resnet32",
            ));
        };
        for o in objectives {
            let method = parity_method(o)?;
            let tol = tol.for_objective(o);
            // Every trace starts from one record loaded into a fresh model. Rebuilding from
            // the seed would trust burn's process-global RNG to be untouched in between (a
            // concurrent unlocked draw changes the weights), and a clone would share the
            // batch-norm running statistics, which training updates in place.
            let record = initial_model(&reference.device, arch, shape, &method)?.into_record();
            let start = || -> Result<Model> {
                Ok(initial_model(&reference.device, arch, shape, &method)?
                    .load_record(record.clone()))
            };
            let a = trace(reference, &start, shape, &method, n, false)?;
            let b = trace(candidate, &start, shape, &method, n, false)?;
            // The 20-step run's own sensitivity: the reference again with every input one
            // ulp away. Steps through ReLU kinks amplify any rounding difference; the
            // candidate may drift up to CHAOS_FACTOR times as far as this.
            let z = trace(reference, &start, shape, &method, n, true)?;
            let floor_loss = rel_diff(&[a.run_loss], &[z.run_loss]);
            let floor_params = rel_diff(&a.run_params, &z.run_params);
            let run_tol = |floor: f64| tol.run.max(CHAOS_FACTOR * floor);
            let mut row = |check: &str, d: f64, t: f64| {
                rows.push(ParityRow {
                    model: name.to_string(),
                    objective: o.to_string(),
                    check: check.into(),
                    rel_diff: d,
                    tolerance: t,
                })
            };
            row("logits", rel_diff(&a.logits, &b.logits), tol.forward);
            row("features", rel_diff(&a.features, &b.features), tol.forward);
            row("loss", rel_diff(&[a.loss], &[b.loss]), tol.loss);
            row(
                "gradients",
                rel_diff(&a.gradients, &b.gradients),
                tol.gradients,
            );
            row("step", rel_diff(&a.step, &b.step), tol.step);
            row(
                "run loss",
                rel_diff(&[a.run_loss], &[b.run_loss]),
                run_tol(floor_loss),
            );
            row(
                "run parameters",
                rel_diff(&a.run_params, &b.run_params),
                run_tol(floor_params),
            );
        }
    }
    Ok(rows)
}

/// The comparison as a table, one line per model × objective (the worst ratio of difference
/// to tolerance, and every check's difference), and a last line with the verdict.
pub fn parity_table(rows: &[ParityRow]) -> String {
    let checks = [
        "logits",
        "features",
        "loss",
        "gradients",
        "step",
        "run loss",
        "run parameters",
    ];
    let mut t = format!("{:<9} {:<15}", "model", "objective");
    for c in checks {
        t.push_str(&format!(" {c:>14}"));
    }
    t.push_str("  verdict\n");
    let mut keys: Vec<(&str, &str)> = Vec::new();
    for r in rows {
        if !keys.contains(&(r.model.as_str(), r.objective.as_str())) {
            keys.push((&r.model, &r.objective));
        }
    }
    for (m, o) in &keys {
        let mine: Vec<&ParityRow> = rows
            .iter()
            .filter(|r| r.model == *m && r.objective == *o)
            .collect();
        t.push_str(&format!("{m:<9} {o:<15}"));
        for c in checks {
            match mine.iter().find(|r| r.check == c) {
                Some(r) => t.push_str(&format!(" {:>14.2e}", r.rel_diff)),
                None => t.push_str(&format!(" {:>14}", "—")),
            }
        }
        let ok = mine.iter().all(|r| r.pass());
        t.push_str(if ok { "  ok\n" } else { "  FAIL\n" });
    }
    let failed = rows.iter().filter(|r| !r.pass()).count();
    t.push_str(&format!(
        "{} of {} checks within tolerance{}\n",
        rows.len() - failed,
        rows.len(),
        if failed == 0 { "" } else { " — FAILED" }
    ));
    t
}
