//! What the `bench` binary runs, as library calls: the per-operation report, the local
//! step-time measurements and their median table.

use super::{bench_method, input, median, CompareConfig, Measurement, StepTiming, MODELS};
use crate::data::Dataset;
use crate::error::{invalid, Result};
use crate::model::Arch;

/// A model of [`MODELS`]: name, architecture, input shape.
pub type BenchModel = (&'static str, Arch, [usize; 3]);

/// The models and losses selected by optional names.
///
/// # Errors
/// An unknown model or loss (named).
pub fn select(
    model: Option<&str>,
    loss: Option<&str>,
) -> Result<(Vec<BenchModel>, Vec<&'static str>)> {
    let models: Vec<BenchModel> = MODELS
        .iter()
        .filter(|m| model.is_none_or(|x| x == m.0))
        .copied()
        .collect();
    if models.is_empty() {
        return Err(invalid(
            "--model",
            model.unwrap_or(""),
            "must be one of mlp, cnn, resnet20, resnet32",
        ));
    }
    let losses: Vec<&'static str> = ["ce", "mr2"]
        .into_iter()
        .filter(|l| loss.is_none_or(|x| x == *l))
        .collect();
    if losses.is_empty() {
        return Err(invalid("--loss", loss.unwrap_or(""), "must be ce or mr2"));
    }
    Ok((models, losses))
}

/// Timed steps for a model: the ResNets get a third of them (at least 2).
pub fn steps_for(model: &str, steps: usize) -> usize {
    if model.starts_with("resnet") {
        (steps / 3).max(2)
    } else {
        steps
    }
}

/// Step settings shared by the measurements.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Batch size.
    pub batch: usize,
    /// Timed steps (before [`steps_for`]).
    pub steps: usize,
    /// Warm-up steps.
    pub warmup: usize,
    /// The device (default the CPU).
    pub device: crate::train::OpenedDevice,
    /// The batch every step is timed on (`None`: N(0, 1) draws); [`for_input`] keeps the
    /// models it fits.
    pub input: Option<Dataset>,
}

/// The models of `models` whose input shape is `shape` (a batch of real images fits only some).
///
/// # Errors
/// None fits (the error names the shape).
pub fn for_input(models: &[BenchModel], shape: [usize; 3]) -> Result<Vec<BenchModel>> {
    let keep: Vec<BenchModel> = models.iter().filter(|m| m.2 == shape).copied().collect();
    if keep.is_empty() {
        return Err(invalid(
            "--model",
            format!(
                "{} (the batch's images are {}×{}×{})",
                models.iter().map(|m| m.0).collect::<Vec<_>>().join(", "),
                shape[0],
                shape[1],
                shape[2]
            ),
            "mlp and cnn take 1×28×28 images, resnet20 and resnet32 3×32×32",
        ));
    }
    Ok(keep)
}

fn timing(m: &BenchModel, loss: &str, s: &Settings) -> Result<StepTiming> {
    Ok(StepTiming {
        arch: m.1,
        shape: m.2,
        method: bench_method(loss)?,
        batch: s.batch,
        steps: steps_for(m.0, s.steps),
        warmup: s.warmup,
        device: s.device.clone(),
        input: s.input.clone(),
    })
}

/// The per-operation tables (mr2 kernels vs burn ops, [`super::ops`]) and the step's forward /
/// backward / optimiser split of every convolutional model in `models`: the printed text and
/// the JSON value.
///
/// # Errors
/// Training-step failures.
pub fn ops_report(
    models: &[BenchModel],
    loss: &str,
    s: Settings,
) -> Result<(String, serde_json::Value)> {
    let mut text = String::new();
    let mut out = Vec::new();
    let rate = super::ceiling::gemm_rate(2048, 5);
    for m in models.iter().filter(|m| m.0 != "mlp") {
        let rows = super::ops::op_table(m.0, s.batch, s.steps.max(3));
        text.push_str(&super::ops::op_markdown(m.0, &rows));
        text.push('\n');
        let t = timing(m, loss, &s)?.times()?;
        text.push_str(&format!(
            "{} {loss} step: {:.1} ms = forward {:.1} + backward {:.1} + optimiser {:.1} (+ {:.1} other)\n",
            m.0,
            t.total,
            t.forward,
            t.backward,
            t.optimizer,
            t.total - t.forward - t.backward - t.optimizer
        ));
        text.push_str(&super::ceiling::ceiling_line(m.0, s.batch, t.total, rate));
        text.push('\n');
        let flops = super::ceiling::conv_flops(m.0, s.batch);
        out.push(serde_json::json!({"model": m.0, "ops": rows, "step": t,
            "conv_flops": flops, "gemm_2048_gflops": rate}));
    }
    Ok((text, serde_json::Value::Array(out)))
}

/// Milliseconds per step of each model × loss, `rounds` times in alternation (models outer,
/// rounds, then losses), in this process.
///
/// # Errors
/// Training-step failures.
pub fn measure(
    models: &[BenchModel],
    losses: &[&str],
    rounds: usize,
    s: Settings,
) -> Result<Vec<Measurement>> {
    let mut all = Vec::new();
    for m in models {
        for _ in 0..rounds.max(1) {
            for l in losses {
                all.push(Measurement {
                    model: m.0.to_string(),
                    loss: l.to_string(),
                    ms_per_step: timing(m, l, &s)?.ms_per_step()?,
                    engine: "mr2".into(),
                    input: String::new(),
                });
            }
        }
    }
    Ok(all)
}

/// The table of medians (ms/step and images/s) of [`measure`]'s measurements.
pub fn median_table(all: &[Measurement], batch: usize) -> String {
    let mut t = format!(
        "{:<10} {:>6} {:>10} {:>12}\n",
        "model", "loss", "ms/step", "images/s"
    );
    for (name, _, _) in MODELS {
        for l in ["ce", "mr2"] {
            let mut v: Vec<f64> = all
                .iter()
                .filter(|m| m.model == name && m.loss == l)
                .map(|m| m.ms_per_step)
                .collect();
            if v.is_empty() {
                continue;
            }
            let ms = median(&mut v);
            t.push_str(&format!(
                "{:<10} {:>6} {:>10.1} {:>12.0}\n",
                name,
                l,
                ms,
                batch as f64 / (ms / 1e3)
            ));
        }
    }
    t
}

/// The configurations of a comparison (every model × loss) and their batch files, written into
/// `dir`: `real` where given (every model must take its shape, [`for_input`]), otherwise one
/// N(0, 1) batch of `batch` samples per input shape ([`input::normal_batch`]).
///
/// # Errors
/// Writing the files; drawing the batch.
pub fn compare_configs(
    models: &[BenchModel],
    losses: &[&str],
    steps: usize,
    batch: usize,
    real: Option<(&Dataset, &str)>,
    dir: &std::path::Path,
) -> Result<Vec<CompareConfig>> {
    std::fs::create_dir_all(dir).map_err(|e| crate::error::io_err(dir, e))?;
    let mut out = Vec::new();
    let mut written = Vec::new();
    for m in models {
        let [c, h, w] = m.2;
        let path = dir.join(format!("batch-{c}x{h}x{w}.bin"));
        let label = match real {
            Some((d, label)) => {
                for_input(std::slice::from_ref(m), d.shape)?;
                if !written.contains(&path) {
                    input::write_batch(&path, d)?;
                }
                label.to_string()
            }
            None => {
                if !written.contains(&path) {
                    input::write_batch(&path, &input::normal_batch(batch, m.2, 10)?)?;
                }
                "N(0, 1)".to_string()
            }
        };
        written.push(path.clone());
        for l in losses {
            out.push(CompareConfig {
                model: m.0.to_string(),
                loss: l.to_string(),
                steps: steps_for(m.0, steps),
                input: path.clone(),
                input_label: label.clone(),
            });
        }
    }
    Ok(out)
}
