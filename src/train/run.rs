//! The training loop: per epoch, the objective's epoch plan, the batches (forward, objective,
//! backward, optimiser or SAM step), evaluation, the epoch hooks, the finiteness checks and the
//! checkpoint.

use burn::optim::ModuleOptimizer;
use burn::tensor::Device;

use super::batches::{epoch_order, progress_bar, BatchError, Batches, EpochSums};
use super::checkpoint::{write_atomic, CheckpointState, RunDir};
use super::config::TrainConfig;
use super::hooks::{EpochEnd, EpochHook};
use super::metrics::{csv_bytes, EpochMetrics};
use super::optim::all_finite;
use crate::data::Splits;
use crate::error::{Error, Result};
use crate::eval::{self, Groups, Predictions, Thirds};
use crate::loss::{EpochStart, Objective, TrainingSet};
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
    /// Epochs trained by this call (0 when it resumed a run whose every epoch was done).
    pub epochs_run: usize,
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
    /// Train (and evaluate) on this device (default the CPU; [`super::DeviceChoice::open`]
    /// opens the others).
    pub device: super::OpenedDevice,
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
    cfg.validate()?; // once, before the data are read
    let splits = cfg.data.load(cfg.seed)?;
    train_validated(cfg, splits, opts)
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
pub fn train_on(cfg: &TrainConfig, splits: Splits, opts: RunOptions) -> Result<Trained> {
    cfg.validate()?;
    train_validated(cfg, splits, opts)
}

/// [`train_on`] for a configuration [`TrainConfig::validate`] accepted.
fn train_validated(cfg: &TrainConfig, splits: Splits, mut opts: RunOptions) -> Result<Trained> {
    let dev = opts.device.device().clone();
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
            augment: cfg.data.augment.then_some(cfg.data.augment_pad),
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
        let evaluate = cfg.evaluates_after(epoch + 1);
        let t_eval = std::time::Instant::now();
        let test_p = match evaluate {
            true => Some(eval::predict(&model.net, &splits.test, 256, &dev)?),
            false => None,
        };
        let val_acc = match (&splits.val, evaluate) {
            (Some(v), true) => eval::predict(&model.net, v, 256, &dev)?.accuracy(),
            _ => f64::NAN,
        };
        let times = EpochTimes {
            total: t0.elapsed().as_secs_f64(),
            eval: t_eval.elapsed().as_secs_f64(),
        };
        let m = epoch_metrics(
            epoch,
            sums,
            val_acc,
            test_p.as_ref(),
            &state.objective,
            k,
            times,
        );
        for hook in opts.hooks.iter_mut() {
            hook.on_epoch_end(&EpochEnd {
                metrics: &m,
                test: test_p.as_ref(),
                epochs: total,
                config: cfg,
            });
        }
        if let Some(what) = non_finite(&model, test_p.as_ref(), &state.objective, k)? {
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
        epochs_run: ran,
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

/// After an epoch: the parameters, the test outputs and the objective's state must be finite;
/// `Ok(Some(what))` names what is not.
///
/// # Errors
/// Reading the parameters failed.
fn non_finite(
    model: &Model,
    test: Option<&Predictions>,
    objective: &Objective,
    k: usize,
) -> Result<Option<String>> {
    let outputs_finite =
        test.is_none_or(|t| t.logits.iter().chain(&t.features).all(|v| v.is_finite()));
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

/// Wall-clock seconds of an epoch: the whole of it, and its evaluation (test and validation
/// predictions).
struct EpochTimes {
    total: f64,
    eval: f64,
}

fn epoch_metrics(
    epoch: usize,
    sums: EpochSums,
    val_acc: f64,
    test: Option<&Predictions>,
    objective: &Objective,
    k: usize,
    times: EpochTimes,
) -> EpochMetrics {
    let (accuracy, spread) = test.map_or((Thirds::NAN, Thirds::NAN), |test| {
        let pc = test.per_class_accuracy();
        let groups = Groups::from_accuracy(&pc);
        let spread: Vec<f64> = test
            .class_feature_stats()
            .iter()
            .map(|s| s.map_or(f64::NAN, |s| s.1))
            .collect();
        (groups.means(&pc), groups.means(&spread))
    });
    let g = objective.gamma_used(k);
    let gmax = g.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let gmin = g.iter().cloned().fold(f64::INFINITY, f64::min);
    EpochMetrics {
        epoch: epoch + 1,
        lr: sums.lr,
        train_loss: sums.loss_sum / sums.seen.max(1) as f64,
        train_acc: sums.correct as f64 / sums.seen.max(1) as f64,
        val_acc,
        test_acc: test.map_or(f64::NAN, Predictions::accuracy),
        easy: accuracy.easy,
        medium: accuracy.medium,
        hard: accuracy.hard,
        gamma_mean: g.iter().sum::<f64>() / g.len() as f64,
        gamma_range: gmax - gmin,
        s_bar: objective.s_bar().unwrap_or(f64::NAN),
        spread_easy: spread.easy,
        spread_medium: spread.medium,
        spread_hard: spread.hard,
        seconds: times.total,
        step_seconds: sums.seconds - sums.data_seconds,
        data_seconds: sums.data_seconds,
        eval_seconds: times.eval,
        test_per_class: test.map_or_else(String::new, |t| {
            EpochMetrics::join_per_class(&t.per_class_accuracy())
        }),
    }
}
