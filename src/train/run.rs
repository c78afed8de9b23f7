//! The training loop: per epoch, the objective's epoch plan, the batches (forward, objective,
//! backward, optimiser or SAM step), evaluation, the epoch hooks, the finiteness checks and the
//! checkpoint.

use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::checkpoint::{write_atomic, CheckpointState, RunDir};
use super::config::TrainConfig;
use super::hooks::{EpochEnd, EpochHook};
use super::metrics::{csv_bytes, EpochMetrics};
use super::optim::OptimConfig;
use super::optim::{all_finite, sam_perturbed};
use crate::data::{transform, Dataset, Splits};
use crate::error::{Error, Result};
use crate::eval::{self, Groups, Predictions};
use crate::loss::tensor::{scalar, to_vec_int};
use crate::loss::{Batch, EpochStart, Objective, TrainingSet};
use crate::model::{Model, Net};

/// A finished (or resumed-and-finished) run.
pub struct Trained {
    /// The objective's name.
    pub method: String,
    /// The evaluated net (plain device, no autodiff).
    pub model: Net,
    /// The objective and its final state.
    pub objective: Objective,
    /// Per-epoch metrics.
    pub history: Vec<EpochMetrics>,
    /// Data used.
    pub splits: Splits,
    /// Device the model lives on.
    pub device: Device,
}

/// Options that do not change results.
#[derive(Default)]
pub struct RunOptions {
    /// Write `config.json`, `metrics.csv` and checkpoints here.
    pub out: Option<std::path::PathBuf>,
    /// Continue from the latest verified checkpoint in `out`.
    pub resume: bool,
    /// Stop after this many epochs in this invocation (simulates an interruption in tests).
    pub stop_after: Option<usize>,
    /// Called after each epoch (progress lines, warnings, experiment observers).
    pub hooks: Vec<Box<dyn EpochHook>>,
    /// Show a per-batch progress bar.
    pub progress_bar: bool,
}

/// The compute device: Flex on CPU (CUDA with the `cuda` feature and `MR2_DEVICE=cuda`).
pub fn device() -> Device {
    #[cfg(feature = "cuda")]
    if std::env::var("MR2_DEVICE").as_deref() == Ok("cuda") {
        return Device::cuda(0);
    }
    Device::flex()
}

fn rng_for(seed: u64, epoch: usize, stream: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(stream.wrapping_mul(1_000_003).wrapping_add(epoch as u64));
    r
}

fn new_model(cfg: &TrainConfig, splits: &Splits, dev: &Device, seed: u64) -> Result<Model> {
    Model::new_seeded(
        &cfg.model,
        splits.train.shape,
        splits.train.classes,
        cfg.loss.head(),
        cfg.loss.extras(),
        dev,
        seed,
    )
}

/// Train according to `cfg`: load the data, then [`train_on`].
///
/// # Errors
/// As [`train_on`], and data errors.
pub fn train(cfg: &TrainConfig, opts: RunOptions) -> Result<Trained> {
    cfg.validate()?;
    let splits = cfg.data.load(cfg.seed)?;
    train_on(cfg, splits, opts)
}

/// Train on data already loaded. With `opts.out`, takes the directory's lock, writes
/// `config.json` first, then `metrics.csv` and a verified checkpoint every epoch; with
/// `opts.resume`, continues from the latest verified checkpoint and ends with the same metrics
/// as an uninterrupted run.
///
/// # Errors
/// Invalid configuration; a non-finite loss, parameters or objective state ([`Error::Diverged`],
/// saying what is on disk); a directory held by another process or already holding a run
/// without `resume`; a corrupt or foreign checkpoint; I/O.
pub fn train_on(cfg: &TrainConfig, splits: Splits, mut opts: RunOptions) -> Result<Trained> {
    cfg.validate()?;
    let dev = device();
    let ad = dev.clone().autodiff();
    let k = splits.train.classes;
    let set = TrainingSet {
        counts: splits.train.class_counts(),
        labels: splits.train.y.clone(),
        seed: cfg.seed,
    };
    let mut model = new_model(cfg, &splits, &ad, cfg.seed)?;
    let mut opt: ModuleOptimizer = cfg.optim.build();
    let mut state = CheckpointState {
        epoch: 0,
        objective: Objective::new(&cfg.loss, &set)?,
        history: vec![],
        config: cfg.clone(),
        files: Default::default(),
    };
    let run = match &opts.out {
        Some(out) => {
            let (run, resumed) = open_run(out, opts.resume, cfg, k, model.clone(), opt.clone())?;
            if let Some((m, o, s)) = resumed {
                (model, opt, state) = (m, o, s);
            }
            Some(run)
        }
        None => None,
    };
    let saved = || match &run {
        Some(r) => r.describe_saved(),
        None => "nothing was saved (no output directory)".to_string(),
    };
    let total = cfg.total_epochs();
    let stage1 = cfg.loss.extra_epochs();
    let mut ran = 0;
    if !opts.hooks.is_empty() && state.epoch < total {
        let p = eval::predict(&model.net, &splits.test, 256, &dev)?;
        opts.hooks.iter_mut().for_each(|h| h.on_start(&p));
    }
    while state.epoch < total {
        if opts.stop_after.is_some_and(|s| ran >= s) {
            break;
        }
        let epoch = state.epoch;
        let t0 = std::time::Instant::now();
        let plan = {
            let mut train_preds = || eval::predict(&model.net, &splits.train, 256, &dev);
            state.objective.on_epoch_start(&mut EpochStart {
                epoch,
                epochs: total,
                train_predictions: &mut train_preds,
            })?
        };
        if plan.reset_model {
            model = new_model(cfg, &splits, &ad, cfg.seed.wrapping_add(1))?;
            opt = cfg.optim.build();
        }
        // The learning-rate schedule restarts after JTT's identification stage.
        let phase = if epoch < stage1 {
            (epoch, stage1)
        } else {
            (epoch - stage1, cfg.epochs)
        };
        let batches = Batches {
            train: &splits.train,
            order: epoch_order(plan.repeats.as_deref(), splits.train.len(), cfg.seed, epoch),
            batch_size: cfg.batch_size,
            augment: cfg.data.augment,
            seed: cfg.seed,
            epoch,
            device: &ad,
        };
        let bar = progress_bar(opts.progress_bar, &batches, total);
        let (next, sums) = batches
            .train(
                model,
                &mut opt,
                &cfg.optim,
                phase,
                &mut state.objective,
                &bar,
            )
            .map_err(|e| match e {
                BatchError::Diverged { loss, batch } => Error::Diverged {
                    what: format!("the loss ({loss})"),
                    epoch: epoch + 1,
                    batch: Some(batch),
                    kept: saved(),
                },
                BatchError::Other(e) => e,
            })?;
        bar.finish_and_clear();
        model = next;
        let test_p = eval::predict(&model.net, &splits.test, 256, &dev)?;
        let val_acc = match &splits.val {
            Some(v) => eval::predict(&model.net, v, 256, &dev)?.accuracy(),
            None => f64::NAN,
        };
        let m = epoch_metrics(
            epoch,
            sums,
            val_acc,
            &test_p,
            &state.objective,
            k,
            t0.elapsed().as_secs_f64(),
        );
        for hook in opts.hooks.iter_mut() {
            hook.on_epoch_end(&EpochEnd {
                metrics: &m,
                test: &test_p,
                epochs: total,
                config: cfg,
            });
        }
        if let Some(what) = non_finite(&model, &test_p, &state.objective, k)? {
            return Err(Error::Diverged {
                what,
                epoch: epoch + 1,
                batch: None,
                kept: saved(),
            });
        }
        state.history.push(m);
        state.epoch += 1;
        ran += 1;
        if let Some(r) = &run {
            write_atomic(&r.root().join("metrics.csv"), &csv_bytes(&state.history)?)?;
            r.save(&model, &opt, &mut state)?;
        }
    }
    Ok(Trained {
        method: cfg.loss.name().to_string(),
        model: burn::module::Module::valid(&model.net),
        objective: state.objective,
        history: state.history,
        splits,
        device: dev,
    })
}

/// A model, its optimiser and the checkpoint state read back from a run directory.
type Resumed = (Model, ModuleOptimizer, CheckpointState);

/// Take `out`'s lock; with `resume`, read back its latest verified checkpoint, otherwise (or when
/// it has none yet) write `config.json`.
fn open_run(
    out: &std::path::Path,
    resume: bool,
    cfg: &TrainConfig,
    k: usize,
    model: Model,
    opt: ModuleOptimizer,
) -> Result<(RunDir, Option<Resumed>)> {
    let run = RunDir::open(out, resume)?;
    let resumed = run.resume(cfg, k, model, opt)?;
    match &resumed {
        Some((_, _, s)) => eprintln!("resuming {} after epoch {}", out.display(), s.epoch),
        None => {
            if resume && out.join("config.json").exists() {
                eprintln!(
                    "{}: no checkpoint yet; starting from epoch 1",
                    out.display()
                );
            }
            run.write_config(cfg)?;
        }
    }
    Ok((run, resumed))
}

/// The epoch's sample order: each sample `repeats[i]` times (once without), shuffled by a
/// stream derived from `(seed, epoch)` so a resumed run sees the same order.
fn epoch_order(repeats: Option<&[usize]>, n: usize, seed: u64, epoch: usize) -> Vec<usize> {
    let mut order: Vec<usize> = match repeats {
        Some(r) => (0..n).flat_map(|i| std::iter::repeat_n(i, r[i])).collect(),
        None => (0..n).collect(),
    };
    order.shuffle(&mut rng_for(seed, epoch, 1));
    order
}

fn progress_bar(shown: bool, b: &Batches<'_>, total: usize) -> indicatif::ProgressBar {
    if !shown {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(b.count() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg} eta {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_prefix(format!("epoch {}/{total}", b.epoch + 1));
    bar
}

/// What an epoch's batches add up to.
#[derive(Debug, Clone, Copy)]
struct EpochSums {
    loss_sum: f64,
    seen: usize,
    correct: usize,
    /// The learning rate of the last step.
    lr: f64,
}

/// Why an epoch's batches stopped.
enum BatchError {
    /// A non-finite loss on batch `batch` (the caller says what is on disk).
    Diverged {
        loss: f64,
        batch: usize,
    },
    Other(Error),
}

impl From<Error> for BatchError {
    fn from(e: Error) -> Self {
        Self::Other(e)
    }
}

/// One epoch's batches over the training set.
struct Batches<'a> {
    train: &'a Dataset,
    order: Vec<usize>,
    batch_size: usize,
    augment: bool,
    seed: u64,
    epoch: usize,
    device: &'a Device,
}

impl Batches<'_> {
    fn count(&self) -> usize {
        self.order.len().div_ceil(self.batch_size)
    }

    /// The images of `chunk` (cropped and flipped with `augment` on images).
    fn input(&self, chunk: &[usize], rng: &mut ChaCha8Rng) -> Tensor<4> {
        let [c, h, w] = self.train.shape;
        let image = h > 1 && w > 1;
        let mut xb = Vec::with_capacity(chunk.len() * c * h * w);
        for &i in chunk {
            if self.augment && image {
                xb.extend(transform::crop_flip(
                    self.train.sample(i),
                    self.train.shape,
                    4,
                    rng,
                ));
            } else {
                xb.extend_from_slice(self.train.sample(i));
            }
        }
        Tensor::<4>::from_data(TensorData::new(xb, [chunk.len(), c, h, w]), self.device)
    }

    /// Forward, objective, backward and an optimiser (or SAM) step per batch; batches of one
    /// sample are skipped. `phase` is `(epoch, epochs)` within the schedule's stage.
    fn train(
        &self,
        mut model: Model,
        opt: &mut ModuleOptimizer,
        optim: &OptimConfig,
        phase: (usize, usize),
        objective: &mut Objective,
        bar: &indicatif::ProgressBar,
    ) -> std::result::Result<(Model, EpochSums), BatchError> {
        let mut aug_rng = rng_for(self.seed, self.epoch, 2);
        let per_epoch = self.count();
        let mut sums = EpochSums {
            loss_sum: 0.0,
            seen: 0,
            correct: 0,
            lr: optim.lr,
        };
        for (it, chunk) in self.order.chunks(self.batch_size).enumerate() {
            if chunk.len() < 2 {
                continue;
            }
            let x = self.input(chunk, &mut aug_rng);
            let yb: Vec<usize> = chunk.iter().map(|&i| self.train.y[i]).collect();
            let batch_loss = |m: &Model, obj: &mut Objective| -> Result<(Tensor<1>, Tensor<2>)> {
                let f = m.net.features(x.clone());
                let logits = m.net.logits(f.clone());
                let biased_logits = m.biased.as_ref().map(|b| b.forward(x.clone()).0);
                let terms = obj.loss(&Batch {
                    logits: logits.clone(),
                    features: f,
                    labels: &yb,
                    indices: chunk,
                    model: m,
                    biased_logits,
                })?;
                Ok((terms.total, logits))
            };
            let (total_loss, logits) = batch_loss(&model, objective)?;
            let preds = to_vec_int(logits.detach().argmax(1), "predictions")?;
            sums.correct += preds
                .iter()
                .zip(&yb)
                .filter(|(p, y)| **p as usize == **y)
                .count();
            let lv = scalar(total_loss.clone(), "loss")?;
            if !lv.is_finite() {
                bar.finish_and_clear();
                return Err(BatchError::Diverged {
                    loss: lv,
                    batch: it,
                });
            }
            sums.loss_sum += lv * chunk.len() as f64;
            sums.seen += chunk.len();
            sums.lr = optim.lr_at(phase.0, it, per_epoch, phase.1);
            let grads = GradientsParams::from_grads(total_loss.backward(), &model);
            let grads = if optim.sam_rho > 0.0 {
                // SAM: the gradient at the perturbed weights, on the same batch; the objective's
                // state is not advanced a second time.
                let perturbed = sam_perturbed(&model, &grads, optim.sam_rho)?;
                let mut probe = objective.clone();
                let (l2, _) = batch_loss(&perturbed, &mut probe)?;
                GradientsParams::from_grads(l2.backward(), &perturbed)
            } else {
                grads
            };
            model = opt.step(sums.lr, model, grads);
            bar.inc(1);
            bar.set_message(format!("loss {:.4}", sums.loss_sum / sums.seen as f64));
        }
        Ok((model, sums))
    }
}

/// After an epoch: the parameters, the test outputs and the objective's state must be finite;
/// `Ok(Some(what))` names what is not.
///
/// # Errors
/// Reading the parameters failed.
fn non_finite(
    model: &Model,
    test: &Predictions,
    objective: &Objective,
    k: usize,
) -> Result<Option<String>> {
    let outputs_finite = test
        .logits
        .iter()
        .chain(&test.features)
        .all(|v| v.is_finite());
    if !all_finite(model)? || !outputs_finite {
        return Ok(Some(if outputs_finite {
            "the model parameters".into()
        } else {
            "the model's outputs on the test set (the parameters overflow)".into()
        }));
    }
    Ok(objective
        .validate_state(k)
        .err()
        .map(|e| format!("the objective's state ({e})")))
}

fn epoch_metrics(
    epoch: usize,
    sums: EpochSums,
    val_acc: f64,
    test: &Predictions,
    objective: &Objective,
    k: usize,
    seconds: f64,
) -> EpochMetrics {
    let pc = test.per_class_accuracy();
    let groups = Groups::from_accuracy(&pc);
    let (easy, medium, hard) = groups.means(&pc);
    let spread: Vec<f64> = test
        .class_feature_stats()
        .iter()
        .map(|s| s.map_or(f64::NAN, |s| s.1))
        .collect();
    let (se, sm, sh) = groups.means(&spread);
    let g = objective.gamma_used(k);
    let gmax = g.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let gmin = g.iter().cloned().fold(f64::INFINITY, f64::min);
    EpochMetrics {
        epoch: epoch + 1,
        lr: sums.lr,
        train_loss: sums.loss_sum / sums.seen.max(1) as f64,
        train_acc: sums.correct as f64 / sums.seen.max(1) as f64,
        val_acc,
        test_acc: test.accuracy(),
        easy,
        medium,
        hard,
        gamma_mean: g.iter().sum::<f64>() / g.len() as f64,
        gamma_range: gmax - gmin,
        s_bar: objective.s_bar().unwrap_or(f64::NAN),
        spread_easy: se,
        spread_medium: sm,
        spread_hard: sh,
        seconds,
    }
}
