//! Training: configuration (validated, serialisable to TOML/JSON), the loop with per-class EMA
//! statistics, SGD/AdamW with warm-up + cosine or step schedules, a checkpoint every epoch
//! (written atomically), `--resume`, NaN detection, and the per-epoch log line and CSV row.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamWConfig, GradientsParams, ModuleOptimizer, SgdConfig};
use burn::tensor::{Device, Tensor, TensorData};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::data::{self, transform, Dataset, SyntheticConfig};
use crate::error::{invalid, io_err, Error, Result};
use crate::eval::{self, Groups, Predictions};
use crate::loss::{batch_loss, LossConfig, MarginState};
use crate::model::{ModelConfig, Net};

/// Serialise non-finite floats as `null` and read `null` back as NaN (JSON has no NaN).
pub mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialise.
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else {
            s.serialize_none()
        }
    }

    /// Deserialise.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

/// Which dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum DatasetName {
    /// The embedded synthetic heteroscedastic mixture (no files).
    Synthetic,
    /// MNIST (IDX files under `dir`, default `data/mnist`).
    Mnist,
    /// Fashion-MNIST (IDX files under `dir`, default `data/fashion-mnist`).
    FashionMnist,
    /// CIFAR-10 binary files under `dir` (default `data/cifar-10-batches-bin`).
    Cifar10,
    /// CIFAR-100 binary files under `dir` (default `data/cifar-100-binary`).
    Cifar100,
}

/// Imbalance applied to the training set.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Imbalance {
    /// LDAM long tail `n_i = n_max ρ^{−i/(K−1)}`.
    LongTail {
        /// ρ ≥ 1.
        ratio: f64,
    },
    /// Half the classes reduced by ρ.
    Step {
        /// ρ ≥ 1.
        ratio: f64,
    },
}

/// Data settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DataConfig {
    /// Dataset.
    pub name: DatasetName,
    /// Directory of the files (real datasets).
    pub dir: Option<PathBuf>,
    /// Synthetic mixture settings.
    pub synthetic: SyntheticConfig,
    /// Keep this stratified fraction of the training set (e.g. 0.1).
    pub subset: Option<f64>,
    /// Hold out this stratified fraction of the training set for validation.
    pub val_fraction: Option<f64>,
    /// Training-set imbalance.
    pub imbalance: Option<Imbalance>,
    /// Per-channel standardisation fitted on the training set.
    pub standardize: bool,
    /// Random crop (pad 4) + horizontal flip for image datasets.
    pub augment: bool,
}

impl Default for DataConfig {
    fn default() -> Self {
        Self {
            name: DatasetName::Synthetic,
            dir: None,
            synthetic: SyntheticConfig::default(),
            subset: None,
            val_fraction: None,
            imbalance: None,
            standardize: true,
            augment: false,
        }
    }
}

/// Optimiser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum OptimKind {
    /// SGD with (PyTorch-style, dampening 0) momentum and L2 weight decay.
    Sgd,
    /// AdamW (ε = 1e-8 as in PyTorch).
    Adamw,
}

/// Learning-rate schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ScheduleKind {
    /// Linear warm-up then cosine decay to 0, per iteration.
    Cosine,
    /// Multiply by `step_factor` at each milestone epoch.
    Step,
    /// Constant.
    Constant,
}

/// Optimiser and schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OptimConfig {
    /// Optimiser.
    pub kind: OptimKind,
    /// Base learning rate.
    pub lr: f64,
    /// SGD momentum in [0, 1).
    pub momentum: f64,
    /// Weight decay ≥ 0.
    pub weight_decay: f64,
    /// Schedule.
    pub schedule: ScheduleKind,
    /// Warm-up epochs (cosine).
    pub warmup_epochs: usize,
    /// Milestone epochs (step).
    pub milestones: Vec<usize>,
    /// Factor at each milestone (step).
    pub step_factor: f64,
}

impl Default for OptimConfig {
    fn default() -> Self {
        Self {
            kind: OptimKind::Sgd,
            lr: 0.05,
            momentum: 0.9,
            weight_decay: 5e-4,
            schedule: ScheduleKind::Cosine,
            warmup_epochs: 0,
            milestones: vec![],
            step_factor: 0.1,
        }
    }
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainConfig {
    /// Data.
    pub data: DataConfig,
    /// Model.
    pub model: ModelConfig,
    /// Loss.
    pub loss: LossConfig,
    /// Optimiser.
    pub optim: OptimConfig,
    /// Epochs.
    pub epochs: usize,
    /// Mini-batch size.
    pub batch_size: usize,
    /// Seed for initialisation, shuffling, augmentation and the synthetic data.
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            data: DataConfig::default(),
            model: ModelConfig::default(),
            loss: LossConfig::default(),
            optim: OptimConfig::default(),
            epochs: 10,
            batch_size: 128,
            seed: 0,
        }
    }
}

impl TrainConfig {
    /// Validate every setting, naming the bad one.
    ///
    /// # Errors
    /// See each check.
    pub fn validate(&self) -> Result<()> {
        self.loss.validate()?;
        if self.epochs == 0 {
            return Err(invalid("epochs", 0, "train for at least one epoch"));
        }
        if self.batch_size < 2 {
            return Err(invalid(
                "batch_size",
                self.batch_size,
                "batches need at least 2 samples (ℓ_s̄ compares pairs)",
            ));
        }
        let o = &self.optim;
        if !(o.lr.is_finite() && o.lr > 0.0) {
            return Err(invalid(
                "lr",
                o.lr,
                "the learning rate must be finite and > 0",
            ));
        }
        if !(0.0..1.0).contains(&o.momentum) {
            return Err(invalid(
                "momentum",
                o.momentum,
                "momentum must lie in [0, 1)",
            ));
        }
        if !(o.weight_decay.is_finite() && o.weight_decay >= 0.0) {
            return Err(invalid(
                "weight_decay",
                o.weight_decay,
                "weight decay must be finite and >= 0",
            ));
        }
        if o.warmup_epochs >= self.epochs
            && o.schedule == ScheduleKind::Cosine
            && o.warmup_epochs > 0
        {
            return Err(invalid(
                "warmup_epochs",
                o.warmup_epochs,
                "warm-up must be shorter than training",
            ));
        }
        if !(o.step_factor.is_finite() && o.step_factor > 0.0) {
            return Err(invalid(
                "step_factor",
                o.step_factor,
                "the step factor must be finite and > 0",
            ));
        }
        Ok(())
    }

    /// Learning rate at iteration `it` of `per_epoch` iterations per epoch.
    pub fn lr_at(&self, epoch: usize, it: usize, per_epoch: usize) -> f64 {
        let o = &self.optim;
        match o.schedule {
            ScheduleKind::Constant => o.lr,
            ScheduleKind::Step => {
                o.lr * o
                    .step_factor
                    .powi(o.milestones.iter().filter(|&&m| epoch >= m).count() as i32)
            }
            ScheduleKind::Cosine => {
                let t = (epoch * per_epoch + it) as f64;
                let warm = (o.warmup_epochs * per_epoch) as f64;
                let total = (self.epochs * per_epoch) as f64;
                if t < warm {
                    o.lr * (t + 1.0) / warm
                } else {
                    0.5 * o.lr
                        * (1.0
                            + (std::f64::consts::PI * (t - warm) / (total - warm).max(1.0)).cos())
                }
            }
        }
    }
}

/// Training, validation and test sets after every transform.
pub struct Splits {
    /// Training set.
    pub train: Dataset,
    /// Validation set (if `val_fraction`).
    pub val: Option<Dataset>,
    /// Test set.
    pub test: Dataset,
}

/// Load and transform the configured data.
pub fn load_data(cfg: &TrainConfig) -> Result<Splits> {
    let d = &cfg.data;
    let dir = |default: &str| {
        d.dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("data").join(default))
    };
    let (mut train, mut test) = match d.name {
        DatasetName::Synthetic => data::synthetic(&SyntheticConfig {
            seed: cfg.seed,
            ..d.synthetic
        })?,
        DatasetName::Mnist => data::idx::load(&dir("mnist"), None)?,
        DatasetName::FashionMnist => data::idx::load(
            &dir("fashion-mnist"),
            Some(
                data::idx::FASHION_MNIST_CLASSES
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
            ),
        )?,
        DatasetName::Cifar10 => {
            data::cifar::load_dir(&dir("cifar-10-batches-bin"), data::cifar::Variant::Cifar10)?
        }
        DatasetName::Cifar100 => {
            data::cifar::load_dir(&dir("cifar-100-binary"), data::cifar::Variant::Cifar100)?
        }
    };
    if let Some(f) = d.subset {
        train = transform::subset(&train, f, cfg.seed)?;
    }
    match d.imbalance {
        Some(Imbalance::LongTail { ratio }) => {
            train = transform::long_tail(&train, ratio, cfg.seed)?
        }
        Some(Imbalance::Step { ratio }) => {
            train = transform::step_imbalance(&train, ratio, cfg.seed)?
        }
        None => {}
    }
    let mut val = None;
    if let Some(f) = d.val_fraction {
        let (t, v) = transform::split(&train, f, cfg.seed)?;
        train = t;
        val = Some(v);
    }
    if d.standardize {
        let s = transform::Standardizer::fit(&train);
        s.apply(&mut train);
        s.apply(&mut test);
        if let Some(v) = val.as_mut() {
            s.apply(v);
        }
    }
    if let Some((k, _)) = train
        .class_counts()
        .iter()
        .enumerate()
        .find(|(_, &c)| c == 0)
    {
        return Err(Error::EmptyClass {
            class: k,
            context: "the training set after subset/imbalance/split",
        });
    }
    Ok(Splits { train, val, test })
}

/// One epoch's metrics (a row of `metrics.csv`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    /// Epoch (1-based).
    pub epoch: usize,
    /// Learning rate at the end of the epoch.
    pub lr: f64,
    /// Mean training objective.
    #[serde(with = "nan_as_null")]
    pub train_loss: f64,
    /// Training accuracy (on the fly, augmented inputs).
    pub train_acc: f64,
    /// Validation accuracy (NaN without a validation set).
    #[serde(with = "nan_as_null")]
    pub val_acc: f64,
    /// Test accuracy.
    #[serde(with = "nan_as_null")]
    pub test_acc: f64,
    /// Mean test accuracy of the easy / medium / hard thirds (this epoch's ranking).
    #[serde(with = "nan_as_null")]
    pub easy: f64,
    /// Medium third.
    #[serde(with = "nan_as_null")]
    pub medium: f64,
    /// Hard third.
    #[serde(with = "nan_as_null")]
    pub hard: f64,
    /// Mean γ_k and its spread (max − min).
    pub gamma_mean: f64,
    /// max γ − min γ.
    pub gamma_range: f64,
    /// s̄ used at the end of the epoch.
    pub s_bar: f64,
    /// Seconds for the epoch.
    pub seconds: f64,
}

impl EpochMetrics {
    /// CSV header.
    pub const HEADER: &'static str = "epoch,lr,train_loss,train_acc,val_acc,test_acc,easy,medium,hard,gamma_mean,gamma_range,s_bar,seconds";
    /// CSV row.
    pub fn csv(&self) -> String {
        format!(
            "{},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.2}",
            self.epoch,
            self.lr,
            self.train_loss,
            self.train_acc,
            self.val_acc,
            self.test_acc,
            self.easy,
            self.medium,
            self.hard,
            self.gamma_mean,
            self.gamma_range,
            self.s_bar,
            self.seconds
        )
    }
    /// Fixed-width log line.
    pub fn log_line(&self, epochs: usize) -> String {
        format!(
            "epoch {:>3}/{epochs} lr {:.4} loss {:>8.4} train {:>6.2}% test {:>6.2}% easy {:>6.2}% med {:>6.2}% hard {:>6.2}% γ̄ {:.3} s̄ {:>8.4} ({:.1} s)",
            self.epoch,
            self.lr,
            self.train_loss,
            100.0 * self.train_acc,
            100.0 * self.test_acc,
            100.0 * self.easy,
            100.0 * self.medium,
            100.0 * self.hard,
            self.gamma_mean,
            self.s_bar,
            self.seconds
        )
    }
}

/// What a checkpoint stores besides the model and optimiser files.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckpointState {
    /// Completed epochs.
    pub epoch: usize,
    /// EMA statistics.
    pub margin_state: MarginState,
    /// Metrics so far.
    pub history: Vec<EpochMetrics>,
    /// The run's configuration (resume refuses a different one).
    pub config: TrainConfig,
}

/// A finished (or resumed-and-finished) run.
pub struct Trained {
    /// The model.
    pub model: Net,
    /// EMA state at the end.
    pub margin_state: MarginState,
    /// Per-epoch metrics.
    pub history: Vec<EpochMetrics>,
    /// Data used.
    pub splits: Splits,
    /// Device the model lives on (plain, no autodiff).
    pub device: Device,
}

/// Options that do not change results.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Write checkpoints, config and metrics here.
    pub out: Option<PathBuf>,
    /// Continue from `out/checkpoint` if it exists.
    pub resume: bool,
    /// Show a progress bar and log lines.
    pub progress: bool,
    /// Stop after this many epochs in this invocation (simulates an interruption in tests).
    pub stop_after: Option<usize>,
}

/// The compute device: Flex on CPU (CUDA with the `cuda` feature and `MR2_DEVICE=cuda`).
pub fn device() -> Device {
    #[cfg(feature = "cuda")]
    if std::env::var("MR2_DEVICE").as_deref() == Ok("cuda") {
        return Device::cuda(0);
    }
    Device::flex()
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| io_err(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| io_err(path, e))
}

fn rng_for(seed: u64, epoch: usize, stream: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(stream.wrapping_mul(1_000_003).wrapping_add(epoch as u64));
    r
}

fn save_checkpoint(
    out: &Path,
    model: &Net,
    opt: &ModuleOptimizer,
    state: &CheckpointState,
) -> Result<()> {
    let tmp = out.join("checkpoint.tmp");
    let fin = out.join("checkpoint");
    let old = out.join("checkpoint.old");
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| io_err(&tmp, e))?;
    model
        .clone()
        .save_file(tmp.join("model.bpk"))
        .map_err(|e| Error::Training(format!("saving model: {e:?}")))?;
    opt.save(tmp.join("optim.bpk"))
        .map_err(|e| Error::Training(format!("saving optimiser: {e:?}")))?;
    let js = serde_json::to_vec_pretty(state).map_err(|e| Error::Training(e.to_string()))?;
    std::fs::write(tmp.join("state.json"), js).map_err(|e| io_err(tmp.join("state.json"), e))?;
    let _ = std::fs::remove_dir_all(&old);
    if fin.exists() {
        std::fs::rename(&fin, &old).map_err(|e| io_err(&fin, e))?;
    }
    std::fs::rename(&tmp, &fin).map_err(|e| io_err(&tmp, e))?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

fn build_optimizer(cfg: &TrainConfig) -> ModuleOptimizer {
    let o = &cfg.optim;
    match o.kind {
        OptimKind::Sgd => SgdConfig::new()
            .with_weight_decay(
                (o.weight_decay > 0.0).then(|| WeightDecayConfig::new(o.weight_decay as f32)),
            )
            .with_momentum((o.momentum > 0.0).then(|| {
                MomentumConfig::new()
                    .with_momentum(o.momentum)
                    .with_dampening(0.0)
            }))
            .init(),
        OptimKind::Adamw => AdamWConfig::new()
            .with_weight_decay(o.weight_decay as f32)
            .with_epsilon(1e-8)
            .init(),
    }
}

/// Train according to `cfg`. With `opts.out`, writes `config.json` first, then `metrics.csv`
/// and a checkpoint every epoch; with `opts.resume`, continues from the checkpoint and ends with
/// the same metrics as an uninterrupted run.
///
/// # Errors
/// Invalid configuration, data errors, a non-finite loss (the last good checkpoint is kept), a
/// resume whose configuration differs from the checkpoint's, I/O.
pub fn train(cfg: &TrainConfig, opts: &RunOptions) -> Result<Trained> {
    cfg.validate()?;
    let splits = load_data(cfg)?;
    train_on(cfg, splits, opts)
}

/// [`train`] on data already loaded (e.g. one half of a training set).
///
/// # Errors
/// As [`train`].
pub fn train_on(cfg: &TrainConfig, splits: Splits, opts: &RunOptions) -> Result<Trained> {
    cfg.validate()?;
    let dev = device();
    let ad = dev.clone().autodiff();
    let k = splits.train.classes;
    let mut model = Net::new_seeded(&cfg.model, splits.train.shape, k, &ad, cfg.seed)?;
    let mut opt = build_optimizer(cfg);
    let mut state = CheckpointState {
        epoch: 0,
        margin_state: MarginState::new(k, cfg.loss.decay)?,
        history: vec![],
        config: cfg.clone(),
    };
    if let Some(out) = &opts.out {
        std::fs::create_dir_all(out).map_err(|e| io_err(out, e))?;
        let ck = out.join("checkpoint");
        if opts.resume && ck.join("state.json").exists() {
            let s = std::fs::read(ck.join("state.json"))
                .map_err(|e| io_err(ck.join("state.json"), e))?;
            let loaded: CheckpointState = serde_json::from_slice(&s)
                .map_err(|e| crate::error::data_err(ck.join("state.json"), e.to_string()))?;
            if loaded.config != *cfg {
                return Err(invalid("resume", out.display(), "the checkpoint was written with a different configuration; use the run's config.json or a new --out"));
            }
            model = model
                .try_load_file(ck.join("model.bpk"))
                .map_err(|e| crate::error::data_err(ck.join("model.bpk"), format!("{e:?}")))?;
            opt = opt
                .load(ck.join("optim.bpk"))
                .map_err(|e| crate::error::data_err(ck.join("optim.bpk"), format!("{e:?}")))?;
            state = loaded;
            if opts.progress {
                eprintln!("resuming {} after epoch {}", out.display(), state.epoch);
            }
        } else {
            let js = serde_json::to_vec_pretty(cfg).map_err(|e| Error::Training(e.to_string()))?;
            write_atomic(&out.join("config.json"), &js)?;
        }
    }
    let train = &splits.train;
    let [c, h, w] = train.shape;
    let dim = c * h * w;
    let per_epoch = train.len().div_ceil(cfg.batch_size);
    let image = h > 1 && w > 1;
    let mut ran = 0;
    let mut warned_collapse = false;
    let uses_rep = matches!(
        cfg.loss.kind,
        crate::loss::LossKind::Rep | crate::loss::LossKind::Mr2
    );
    let feature_energy = |p: &Predictions| {
        p.features
            .iter()
            .map(|v| f64::from(*v).powi(2))
            .sum::<f64>()
            / p.labels.len().max(1) as f64
    };
    // Reference scale for the collapse warning: the feature energy before this invocation trains.
    let energy0 = if uses_rep {
        feature_energy(&eval::predict(&model, &splits.test, 256, &dev))
    } else {
        0.0
    };
    while state.epoch < cfg.epochs {
        if opts.stop_after.is_some_and(|s| ran >= s) {
            break;
        }
        let epoch = state.epoch;
        let t0 = std::time::Instant::now();
        let mut order: Vec<usize> = (0..train.len()).collect();
        order.shuffle(&mut rng_for(cfg.seed, epoch, 1));
        let mut aug_rng = rng_for(cfg.seed, epoch, 2);
        let bar = if opts.progress {
            let b = indicatif::ProgressBar::new(per_epoch as u64);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{prefix} [{bar:30}] {pos}/{len} {msg} eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            b.set_prefix(format!("epoch {}/{}", epoch + 1, cfg.epochs));
            b
        } else {
            indicatif::ProgressBar::hidden()
        };
        let (mut loss_sum, mut seen, mut correct) = (0.0, 0usize, 0usize);
        let mut lr = cfg.optim.lr;
        for (it, chunk) in order.chunks(cfg.batch_size).enumerate() {
            if chunk.len() < 2 {
                continue;
            }
            let mut xb = Vec::with_capacity(chunk.len() * dim);
            for &i in chunk {
                if cfg.data.augment && image {
                    xb.extend(transform::crop_flip(
                        train.sample(i),
                        train.shape,
                        4,
                        &mut aug_rng,
                    ));
                } else {
                    xb.extend_from_slice(train.sample(i));
                }
            }
            let yb: Vec<usize> = chunk.iter().map(|&i| train.y[i]).collect();
            let x = Tensor::<4>::from_data(TensorData::new(xb, [chunk.len(), c, h, w]), &ad);
            let (logits, feats) = model.forward(x);
            let preds: Vec<i64> = logits
                .clone()
                .detach()
                .argmax(1)
                .into_data()
                .convert::<i64>()
                .try_to_vec::<i64>()
                .unwrap_or_default();
            correct += preds
                .iter()
                .zip(&yb)
                .filter(|(p, y)| **p as usize == **y)
                .count();
            let bl = batch_loss(&cfg.loss, &mut state.margin_state, logits, feats, &yb, &ad)?;
            let lv: f64 = f64::from(bl.total.clone().into_scalar::<f32>());
            if !lv.is_finite() {
                bar.finish_and_clear();
                return Err(Error::Training(format!(
                    "the loss became {lv} at epoch {}, batch {it}; the last good checkpoint (epoch {}) is kept{}",
                    epoch + 1,
                    state.epoch,
                    opts.out.as_ref().map(|o| format!(" in {}", o.join("checkpoint").display())).unwrap_or_default()
                )));
            }
            loss_sum += lv * chunk.len() as f64;
            seen += chunk.len();
            lr = cfg.lr_at(epoch, it, per_epoch);
            let grads = GradientsParams::from_grads(bl.total.backward(), &model);
            model = opt.step(lr, model, grads);
            bar.inc(1);
            bar.set_message(format!("loss {:.4}", loss_sum / seen as f64));
        }
        bar.finish_and_clear();
        let test_p = eval::predict(&model, &splits.test, 256, &dev);
        let val_acc = splits
            .val
            .as_ref()
            .map_or(f64::NAN, |v| eval::predict(&model, v, 256, &dev).accuracy());
        let pc = test_p.per_class_accuracy();
        let (easy, medium, hard) = Groups::from_accuracy(&pc).means(&pc);
        let g = if matches!(
            cfg.loss.kind,
            crate::loss::LossKind::GammaCe | crate::loss::LossKind::Mr2
        ) {
            state.margin_state.gamma(&cfg.loss)
        } else {
            vec![1.0; k]
        };
        let gmax = g.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let gmin = g.iter().cloned().fold(f64::INFINITY, f64::min);
        let m = EpochMetrics {
            epoch: epoch + 1,
            lr,
            train_loss: loss_sum / seen.max(1) as f64,
            train_acc: correct as f64 / seen.max(1) as f64,
            val_acc,
            test_acc: test_p.accuracy(),
            easy,
            medium,
            hard,
            gamma_mean: g.iter().sum::<f64>() / g.len() as f64,
            gamma_range: gmax - gmin,
            s_bar: if cfg.loss.s_bar_zero {
                0.0
            } else {
                state.margin_state.s_bar()
            },
            seconds: t0.elapsed().as_secs_f64(),
        };
        if opts.progress {
            eprintln!("{}", m.log_line(cfg.epochs));
        }
        // Mean squared feature norm on the test set (already computed for the metrics).
        let energy = feature_energy(&test_p);
        if uses_rep && energy < 1e-3 * energy0 && !warned_collapse {
            warned_collapse = true;
            eprintln!(
                "warning: the penultimate features have collapsed (mean ‖φ‖² on the test set fell from {energy0:.2e} to {energy:.2e}): ℓ_s̄'s gradient dominates at λ = {}; try a smaller --lambda or --rep-scaling reference",
                cfg.loss.lambda
            );
        }
        state.history.push(m);
        state.epoch += 1;
        ran += 1;
        if let Some(out) = &opts.out {
            let mut csv = String::from(EpochMetrics::HEADER);
            csv.push('\n');
            for r in &state.history {
                let _ = writeln!(csv, "{}", r.csv());
            }
            write_atomic(&out.join("metrics.csv"), csv.as_bytes())?;
            save_checkpoint(out, &model, &opt, &state)?;
        }
    }
    Ok(Trained {
        model: model.valid(),
        margin_state: state.margin_state,
        history: state.history,
        splits,
        device: dev,
    })
}

/// Per-class results of a model on a dataset, as written to `summary.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    /// Overall test accuracy.
    #[serde(with = "nan_as_null")]
    pub overall: f64,
    /// Per-class test accuracy, by class id.
    pub per_class: Vec<ClassResult>,
    /// Easy / medium / hard groups (by this model's per-class accuracy) and their accuracies.
    pub groups: GroupSummary,
    /// Output-level margin (Table 4): average and per group.
    pub output_margin: GroupValues,
    /// Classifier-level margin: min pairwise angle of the head rows, degrees.
    pub classifier_margin_deg: f64,
    /// γ at the end of training.
    pub gamma: Vec<f64>,
    /// s̄ at the end of training.
    pub s_bar: f64,
}

/// One class's row.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClassResult {
    /// Class id.
    pub id: usize,
    /// Name (id when the dataset has none).
    pub name: String,
    /// Test accuracy.
    #[serde(with = "nan_as_null")]
    pub accuracy: f64,
    /// ‖μ̂_k‖ of the training features.
    #[serde(with = "nan_as_null")]
    pub mean_norm: f64,
    /// ‖ŝ_k‖ of the training features.
    #[serde(with = "nan_as_null")]
    pub spread: f64,
}

/// Groups and their mean accuracy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupSummary {
    /// Mean accuracy of the easy third.
    #[serde(with = "nan_as_null")]
    pub easy: f64,
    /// Medium third.
    #[serde(with = "nan_as_null")]
    pub medium: f64,
    /// Hard third.
    #[serde(with = "nan_as_null")]
    pub hard: f64,
    /// Class ids in each third.
    pub members: Groups,
}

/// A value averaged overall and per group.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupValues {
    /// All samples.
    #[serde(with = "nan_as_null")]
    pub avg: f64,
    /// Easy classes.
    #[serde(with = "nan_as_null")]
    pub easy: f64,
    /// Medium classes.
    #[serde(with = "nan_as_null")]
    pub medium: f64,
    /// Hard classes.
    #[serde(with = "nan_as_null")]
    pub hard: f64,
}

/// Summarise a trained model: test predictions, training features for the spreads.
pub fn summarize(
    t: &Trained,
    cfg: &TrainConfig,
    ranking: Option<&Groups>,
) -> (Summary, Predictions, Predictions) {
    let test = eval::predict(&t.model, &t.splits.test, 256, &t.device);
    let trainp = eval::predict(&t.model, &t.splits.train, 256, &t.device);
    let pc = test.per_class_accuracy();
    let groups = ranking
        .cloned()
        .unwrap_or_else(|| Groups::from_accuracy(&pc));
    let (e, m, h) = groups.means(&pc);
    let om = test.output_margins();
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
    let (me, mm, mh) = groups.means(&class_mean);
    let stats = trainp.class_feature_stats();
    let per_class = (0..test.k)
        .map(|k| ClassResult {
            id: k,
            name: t.splits.test.class_name(k),
            accuracy: pc[k],
            mean_norm: stats[k].map_or(f64::NAN, |s| s.0),
            spread: stats[k].map_or(f64::NAN, |s| s.1),
        })
        .collect();
    let s = Summary {
        overall: test.accuracy(),
        per_class,
        groups: GroupSummary {
            easy: e,
            medium: m,
            hard: h,
            members: groups,
        },
        output_margin: GroupValues {
            avg: om.iter().sum::<f64>() / om.len().max(1) as f64,
            easy: me,
            medium: mm,
            hard: mh,
        },
        classifier_margin_deg: eval::classifier_margin_degrees(&t.model.head_weights()),
        gamma: t.margin_state.gamma(&cfg.loss),
        s_bar: t.margin_state.s_bar(),
    };
    (s, test, trainp)
}
