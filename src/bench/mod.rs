//! Training-step timing: forward, objective, backward and optimiser step of one model on a
//! fixed random batch (what `bench` reports).

use std::time::Instant;

use burn::optim::GradientsParams;
use burn::tensor::{Tensor, TensorData};

use crate::error::Result;
use crate::loss::{Batch, Method, Objective, TrainingSet};
use crate::model::{Arch, Model, ModelConfig};
use crate::train::OptimConfig;

pub mod ceiling;
pub mod input;
pub mod ops;
pub mod parity;
pub mod pipeline;
pub mod suite;

/// Bytes a training step holds per sample at most, for the memory check of [`check_sizes`]:
/// ResNet-32 on a 3×32×32 image keeps ≈ 12 MB of activations and gradients per sample at
/// batch 128 (measured RSS / batch); 16 MiB covers every model `bench` times.
pub const STEP_BYTES_PER_SAMPLE: u128 = 16 << 20;

/// The sizes of a timing, checked before anything is allocated: a batch, step and round count
/// of at least 1 (a zero printed ms/step figures of no work), and a batch whose step fits the
/// memory limit (`bench --batch 100000000` grew towards 313 GB).
///
/// # Errors
/// A zero (named) or a batch over the memory limit ([`crate::limits`]).
pub fn check_sizes(batch: usize, steps: usize, rounds: usize) -> Result<()> {
    for (name, v) in [("--batch", batch), ("--steps", steps), ("--rounds", rounds)] {
        if v == 0 {
            return Err(crate::error::invalid(
                name,
                0,
                "must be at least 1: a timing of no work means nothing",
            ));
        }
    }
    crate::limits::check(
        || format!("a training step at batch {batch} (≈ 16 MiB per sample)"),
        (batch as u128).saturating_mul(STEP_BYTES_PER_SAMPLE),
    )
}

/// Milliseconds per training step, and its phases.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct StepTimes {
    /// Whole step.
    pub total: f64,
    /// Forward pass and objective.
    pub forward: f64,
    /// Backward pass (gradients).
    pub backward: f64,
    /// Optimiser update.
    pub optimizer: f64,
}

/// One timing: the architecture, input shape and objective, batch size and step counts.
#[derive(Debug, Clone)]
pub struct StepTiming {
    /// Architecture.
    pub arch: Arch,
    /// Input shape `[c, h, w]`.
    pub shape: [usize; 3],
    /// Objective.
    pub method: Method,
    /// Batch size.
    pub batch: usize,
    /// Timed steps.
    pub steps: usize,
    /// Untimed warm-up steps.
    pub warmup: usize,
    /// The device (default the CPU).
    pub device: crate::train::OpenedDevice,
    /// The batch (`None`: N(0, 1) draws, [`input::normal_batch`]); it must hold `batch` samples
    /// of `shape` with labels below 10.
    pub input: Option<crate::data::Dataset>,
}

impl StepTiming {
    /// Milliseconds per training step (SGD, momentum 0.9, dampening 0; 10 classes; MLP width
    /// 256).
    ///
    /// # Errors
    /// Model or objective construction, backend failures; an `input` batch of another size or
    /// shape, or with a label outside the 10 classes.
    pub fn ms_per_step(&self) -> Result<f64> {
        Ok(self.times()?.total)
    }

    /// [`StepTiming::ms_per_step`] with the forward / backward / optimiser split.
    ///
    /// # Errors
    /// As [`StepTiming::ms_per_step`].
    pub fn times(&self) -> Result<StepTimes> {
        let dev = self.device.device().clone().autodiff();
        let cfg = ModelConfig {
            arch: self.arch,
            width: 256,
            depth: 16,
            ..ModelConfig::default()
        };
        let k = 10;
        let mut model = Model::new_seeded(
            &cfg,
            self.shape,
            k,
            self.method.head(),
            self.method.extras(),
            &dev,
            0,
        )?;
        let mut opt = OptimConfig {
            weight_decay: 0.0,
            ..OptimConfig::default()
        }
        .build();
        let [c, h, w] = self.shape;
        let batch = match &self.input {
            Some(b) => b.clone(),
            None => input::normal_batch(self.batch, self.shape, k)?,
        };
        if batch.len() != self.batch || batch.shape != self.shape {
            return Err(crate::error::invalid(
                "input batch",
                format!("{} samples of {:?}", batch.len(), batch.shape),
                "the model's step needs --batch samples of its input shape",
            ));
        }
        if batch.y.iter().any(|&l| l >= k) {
            return Err(crate::error::invalid(
                "input batch",
                format!("{} classes", batch.classes),
                "bench's models have 10 classes: every label must be below 10",
            ));
        }
        let y = batch.y;
        let idx: Vec<usize> = (0..self.batch).collect();
        let mut obj = Objective::new(
            &self.method,
            &TrainingSet {
                counts: vec![self.batch / k + 1; k],
                labels: y.clone(),
                seed: 0,
            },
        )?;
        let x = Tensor::<4>::from_data(TensorData::new(batch.x, [self.batch, c, h, w]), &dev);
        let mut phases = [0.0f64; 3];
        let mut step =
            |model: Model, obj: &mut Objective, phases: &mut [f64; 3]| -> Result<Model> {
                let t0 = Instant::now();
                let f = model.net.features(x.clone());
                let logits = model.net.logits(f.clone());
                let biased_logits = model.biased.as_ref().map(|b| b.forward(x.clone()).0);
                let t = obj.loss(&Batch {
                    logits,
                    features: f,
                    labels: &y,
                    indices: &idx,
                    model: &model,
                    biased_logits,
                })?;
                let t1 = Instant::now();
                let grads = GradientsParams::from_grads(t.total.backward(), &model);
                let t2 = Instant::now();
                let model = opt.step(0.01, model, grads);
                let t3 = Instant::now();
                for (p, (a, b)) in phases.iter_mut().zip([(t0, t1), (t1, t2), (t2, t3)]) {
                    *p += (b - a).as_secs_f64() * 1e3;
                }
                Ok(model)
            };
        for _ in 0..self.warmup {
            model = step(model, &mut obj, &mut [0.0; 3])?;
        }
        let t0 = Instant::now();
        for _ in 0..self.steps {
            model = step(model, &mut obj, &mut phases)?;
        }
        // Wait for the device's queued work (a GPU runs asynchronously) before stopping the
        // clock: reading the parameters back does.
        let _ = crate::train::optim::all_finite(&model)?;
        let n = self.steps.max(1) as f64;
        Ok(StepTimes {
            total: t0.elapsed().as_secs_f64() * 1e3 / n,
            forward: phases[0] / n,
            backward: phases[1] / n,
            optimizer: phases[2] / n,
        })
    }
}

/// One epoch of the `cifar` preset's ERM run (seed 0) on `device`, with the
/// CIFAR-10 files in `dir`, written to `out` (replaced): its metrics, with the epoch's split
/// into training steps, data pipeline and evaluation.
///
/// # Errors
/// Data, device and training errors.
pub fn train_epoch(
    dir: &std::path::Path,
    out: &std::path::Path,
    device: crate::train::OpenedDevice,
) -> Result<crate::train::EpochMetrics> {
    let mut c = crate::experiments::Preset::Cifar.settings().base;
    c.epochs = 1;
    c.optim.warmup_epochs = 0;
    c.loss = Method::from_name("ce")?;
    c.data.dir = Some(dir.to_path_buf());
    if out.exists() {
        std::fs::remove_dir_all(out).map_err(|e| crate::error::io_err(out, e))?;
    }
    let t = crate::train::train(
        &c,
        crate::train::RunOptions {
            out: Some(out.to_path_buf()),
            device,
            ..Default::default()
        },
    )?;
    crate::outputs::write_outputs(&t, out, None, false)?;
    t.history
        .last()
        .cloned()
        .ok_or_else(|| crate::error::invalid("epochs", 0, "the run recorded no epoch"))
}

/// The benchmarked models: name, architecture, input shape.
pub const MODELS: [(&str, Arch, [usize; 3]); 4] = [
    ("mlp", Arch::Mlp, [1, 28, 28]),
    ("cnn", Arch::Cnn, [1, 28, 28]),
    ("resnet20", Arch::Resnet20, [3, 32, 32]),
    ("resnet32", Arch::Resnet32, [3, 32, 32]),
];

/// The objective a benchmark names: `ce`, or `mr2` with the reference ℓ_s̄ scaling (what the
/// Fashion-MNIST runs use).
///
/// # Errors
/// An unknown name.
pub fn bench_method(loss: &str) -> Result<Method> {
    let m = Method::from_name(loss)?;
    if loss == "mr2" {
        m.with_params(&[("rep_scaling".into(), "reference".into())], "bench")
    } else {
        Ok(m)
    }
}

/// One measurement in a comparison.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Measurement {
    /// `mlp`, `cnn`, `resnet20` or `resnet32`.
    pub model: String,
    /// `ce` or `mr2`.
    pub loss: String,
    /// Milliseconds per training step.
    pub ms_per_step: f64,
    /// `mr2` or `pytorch`.
    pub engine: String,
    /// What the batch held (`--compare-pytorch` fills it in: N(0, 1) draws or the images' folder).
    #[serde(default)]
    pub input: String,
}

/// One configuration of a comparison: model, loss, timed steps, and the batch file both
/// engines read ([`input::write_batch`]).
#[derive(Debug, Clone)]
pub struct CompareConfig {
    /// Model name.
    pub model: String,
    /// `ce` or `mr2`.
    pub loss: String,
    /// Timed steps.
    pub steps: usize,
    /// The batch file passed to both engines as `--input`.
    pub input: std::path::PathBuf,
    /// What the batch holds, for the table and the JSON.
    pub input_label: String,
}

/// Median of a non-empty sample.
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// mr2 against PyTorch: `rounds` alternating rounds, each configuration measured in a fresh
/// process of each engine (`mr2_cmd` and `torch_cmd` are the command prefixes; `--model`,
/// `--loss`, `--steps`, `--warmup` and `--input` are appended, and each prints one JSON
/// [`Measurement`] line). Both engines step on the same bytes: the configuration's batch file.
/// Returns every measurement.
///
/// # Errors
/// A process that fails or prints no measurement (its stderr is included).
pub fn compare(
    mr2_cmd: &[String],
    torch_cmd: &[String],
    configs: &[CompareConfig],
    rounds: usize,
    warmup: usize,
) -> Result<Vec<Measurement>> {
    let run = |cmd: &[String], c: &CompareConfig| -> Result<Measurement> {
        let out = std::process::Command::new(&cmd[0])
            .args(&cmd[1..])
            .args([
                "--model",
                &c.model,
                "--loss",
                &c.loss,
                "--steps",
                &c.steps.to_string(),
                "--warmup",
                &warmup.to_string(),
            ])
            .arg("--input")
            .arg(&c.input)
            .output()
            .map_err(|e| crate::error::io_err(&cmd[0], e))?;
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text.lines().rev().find(|l| l.trim_start().starts_with('{'));
        match (out.status.success(), line) {
            (true, Some(l)) => serde_json::from_str(l)
                .map_err(|e| crate::error::data_err(&cmd[0], format!("{e}: {l}"))),
            _ => Err(crate::error::data_err(
                &cmd[0],
                format!(
                    "benchmark process failed: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ),
            )),
        }
    };
    let mut all = Vec::new();
    for r in 0..rounds {
        for c in configs {
            // Alternate which engine goes first.
            let order: [&[String]; 2] = if r % 2 == 0 {
                [mr2_cmd, torch_cmd]
            } else {
                [torch_cmd, mr2_cmd]
            };
            for cmd in order {
                let mut m = run(cmd, c)?;
                m.input.clone_from(&c.input_label);
                m.engine = if std::ptr::eq(cmd, mr2_cmd) {
                    "mr2".into()
                } else {
                    "pytorch".into()
                };
                eprintln!(
                    "round {}/{rounds}: {:<8} {:<4} {:<8} {:>9.2} ms/step",
                    r + 1,
                    c.model,
                    c.loss,
                    m.engine,
                    m.ms_per_step
                );
                all.push(m);
            }
        }
    }
    Ok(all)
}

/// The comparison table: per configuration the median ms/step of each engine and their ratio.
pub fn comparison_table(all: &[Measurement]) -> String {
    let mut keys: Vec<(String, String)> = Vec::new();
    for m in all {
        let k = (m.model.clone(), m.loss.clone());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let mut t = String::from(
        "| model | loss | PyTorch ms/step | mr2 ms/step | mr2 / PyTorch |\n|---|---|---|---|---|\n",
    );
    for (model, loss) in keys {
        let pick = |engine: &str| {
            let mut v: Vec<f64> = all
                .iter()
                .filter(|m| m.model == model && m.loss == loss && m.engine == engine)
                .map(|m| m.ms_per_step)
                .collect();
            median(&mut v)
        };
        let (p, m) = (pick("pytorch"), pick("mr2"));
        t += &format!("| {model} | {loss} | {p:.2} | {m:.2} | {:.2} |\n", m / p);
    }
    t
}
