//! `train` — train one model with MR², an ablation or a baseline, and report per-class results.
//!
//! Expected outcome: on the embedded synthetic mixture (`--dataset synthetic`, the default) a
//! run finishes in seconds and `results/<run>/summary.json` shows the hard classes (largest
//! spread) with the lowest accuracy.

use std::path::PathBuf;

use anyhow::Result;
use clap::Parser;
use mr2::data::DatasetName;
use mr2::eval::Summary;
use mr2::loss::{RepScaling, METHODS};
use mr2::model::{Arch, Init};
use mr2::outputs::{summary_table, write_outputs};
use mr2::settings::{parse_value, Value};
use mr2::train::{
    train, CollapseWarning, EpochHook, OptimKind, Overrides, ProgressLog, RunOptions, ScheduleKind,
    TrainConfig,
};

/// Train a classifier with MR² (Eq. 4), its ablations or a baseline, on CPU, and write
/// `results/<run>/{config.json, metrics.csv, summary.json, checkpoints/, plots}`.
///
/// Settings: the defaults of the dataset (see docs/training.md), then `--config FILE` (TOML or
/// JSON, the fields of `config.json`; unknown keys are refused), then the flags. The objective
/// is `--loss NAME` with `--param KEY=VALUE` for its parameters (`--list-losses` shows every
/// method, its formula, source and parameters). An interrupted run continues with `--resume`
/// and ends with the same metrics as an uninterrupted one.
#[derive(Parser, Debug)]
#[command(version, about, long_about = None, allow_negative_numbers = true)]
struct Args {
    /// TOML or JSON configuration file (same fields as the `config.json` a run writes).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Dataset (default synthetic).
    #[arg(long, value_enum)]
    dataset: Option<DatasetName>,
    /// Directory of the dataset files (default data/DATASET).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Model (default: mlp on synthetic data, cnn on images).
    #[arg(long, value_enum)]
    model: Option<Arch>,
    /// MLP width / WRN widen factor.
    #[arg(long)]
    width: Option<usize>,
    /// WRN depth (6n+4).
    #[arg(long)]
    depth: Option<usize>,
    /// Weight initialisation: default (burn's = PyTorch's layer defaults) or kaiming-normal
    /// (LDAM-DRW's: every convolution and linear weight N(0, 2/fan_in)).
    #[arg(long, value_enum)]
    init: Option<Init>,
    /// Objective by name (default mr2); see --list-losses.
    #[arg(long, value_name = "NAME")]
    loss: Option<String>,
    /// A parameter of the objective, KEY=VALUE (repeatable), e.g. --param max_margin=0.5.
    #[arg(long = "param", value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// List the objectives with their formula, source and parameters, and exit.
    #[arg(long)]
    list_losses: bool,
    /// MR² family: mean margin c̄ > 0 (Eq. 1; paper ≈ 2). Same as --param c_bar=….
    #[arg(long)]
    c_bar: Option<f64>,
    /// MR² family: weight λ ≥ 0 of ℓ_s̄ (Eq. 4; default 0.5, 0.1 on synthetic data). Same as --param lambda=….
    #[arg(long)]
    lambda: Option<f64>,
    /// MR² family: L_p exponent p ≥ 1 for γ (Eq. 17).
    #[arg(long)]
    p: Option<f64>,
    /// MR² family: EMA decay in [0, 1).
    #[arg(long)]
    decay: Option<f64>,
    /// MR² family: uniform margins γ_k = c̄ (Table 3 row b).
    #[arg(long)]
    uniform_gamma: bool,
    /// MR² family: s̄ = 0 in ℓ_s̄ (Table 3 row d).
    #[arg(long)]
    s_bar_zero: bool,
    /// MR² family: the form of ℓ_s̄ — printed (Eq. 2 as printed, the default; `paper` is its
    /// old name), released (the released code's ℓ_s̄: the exponent ÷ 10D, per-class means
    /// summed, × D/(10K)), released-compiled, scaled-mean (`reference`: mr2's superseded
    /// batch-mean reading). The whole released configuration is `experiments --variant
    /// released`.
    #[arg(long, value_enum)]
    rep_scaling: Option<RepScaling>,
    /// Epochs (default 15 on synthetic data, 10 on images).
    #[arg(long)]
    epochs: Option<usize>,
    /// Batch size (default 128).
    #[arg(long)]
    batch_size: Option<usize>,
    /// Optimiser (default sgd).
    #[arg(long, value_enum)]
    optimizer: Option<OptimKind>,
    /// Learning rate (default 0.05).
    #[arg(long)]
    lr: Option<f64>,
    /// Weight decay (default 5e-4).
    #[arg(long)]
    weight_decay: Option<f64>,
    /// Schedule (default cosine).
    #[arg(long, value_enum)]
    schedule: Option<ScheduleKind>,
    /// Warm-up epochs (cosine schedule).
    #[arg(long)]
    warmup_epochs: Option<usize>,
    /// Sharpness-aware minimisation with radius ρ (Foret et al.; 0.05 is their default).
    #[arg(long, value_name = "RHO")]
    sam: Option<f64>,
    /// Keep this stratified fraction of the training set (e.g. 0.1).
    #[arg(long)]
    subset: Option<f64>,
    /// Hold out this fraction of the training set for validation.
    #[arg(long)]
    val_fraction: Option<f64>,
    /// Long-tailed imbalance ratio ρ ≥ 1 for the training set.
    #[arg(long)]
    long_tail: Option<f64>,
    /// Step imbalance ratio ρ ≥ 1: the last ⌊K/2⌋ classes keep n_max/ρ samples.
    #[arg(long, conflicts_with = "long_tail")]
    step_imbalance: Option<f64>,
    /// Random crop (pad 4) + flip (image datasets only; an error on the synthetic mixture).
    #[arg(long)]
    augment: bool,
    /// Seed (default 0).
    #[arg(long)]
    seed: Option<u64>,
    /// Evaluate on the test set every N epochs and after the last (default 1; the test
    /// evaluation of ResNet-32 on CIFAR-10 costs ~40% of a 10%-subset epoch on 2 cores).
    #[arg(long, value_name = "N")]
    eval_every: Option<usize>,
    /// Also evaluate the test set after each of the last N epochs (default 0), so that
    /// summary.json records the best test accuracy over them beside the last epoch's (the
    /// "Best Prec@1" of LDAM-DRW's and the released MR² code; test-set selection, for
    /// comparison with the literature only).
    #[arg(long, value_name = "N")]
    eval_last: Option<usize>,
    /// Compute device: cpu (burn Flex with mr2's kernels), cuda, cuda:N (the `cuda` feature,
    /// scripts/build-gpu.sh) or wgpu[:N] (the `wgpu` feature, Vulkan). A device this binary
    /// lacks or that does not answer is an error, never a silent CPU run.
    #[arg(long, default_value_t = mr2::train::DeviceChoice::default(), value_name = "DEVICE")]
    device: mr2::train::DeviceChoice,
    /// Output directory (default results/DATASET-MODEL-METHOD-sSEED).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Continue an interrupted run from OUT's latest verified checkpoint.
    #[arg(long)]
    resume: bool,
    /// Group classes by this summary.json's easy/medium/hard split (e.g. the ERM baseline's).
    #[arg(long, value_name = "SUMMARY")]
    ranking_from: Option<PathBuf>,
    /// Export penultimate features and labels as .npy.
    #[arg(long)]
    export_features: bool,
    /// No progress bar or per-epoch lines.
    #[arg(long)]
    quiet: bool,
    /// Lift the memory check on data and model sizes (see docs/reliability.md; also
    /// MR2_ALLOW_LARGE=1).
    #[arg(long)]
    allow_large: bool,
}

fn overrides(a: &Args) -> Result<Overrides> {
    let mut o = Overrides::default();
    for p in &a.params {
        let (k, v) = p
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--param {p:?}: expected KEY=VALUE"))?;
        o.add_param(k.trim(), parse_value(v.trim()), "--param")?;
    }
    // A parameter given twice (`--param c_bar=2 --c-bar 3`) is refused rather than one of the
    // two silently winning.
    let own: [(&str, &str, Option<Value>); 7] = [
        ("c_bar", "--c-bar", a.c_bar.map(Value::from)),
        ("lambda", "--lambda", a.lambda.map(Value::from)),
        ("p", "--p", a.p.map(Value::from)),
        ("decay", "--decay", a.decay.map(Value::from)),
        (
            "uniform_gamma",
            "--uniform-gamma",
            a.uniform_gamma.then_some(Value::from(true)),
        ),
        (
            "s_bar_zero",
            "--s-bar-zero",
            a.s_bar_zero.then_some(Value::from(true)),
        ),
        (
            "rep_scaling",
            "--rep-scaling",
            a.rep_scaling.map(|r| Value::from(r.name())),
        ),
    ];
    for (key, flag, v) in own {
        if let Some(v) = v {
            o.add_param(key, v, flag)?;
        }
    }
    Ok(Overrides {
        dataset: a.dataset,
        data_dir: a.data_dir.clone(),
        model: a.model,
        width: a.width,
        depth: a.depth,
        init: a.init,
        loss: a.loss.clone(),
        epochs: a.epochs,
        batch_size: a.batch_size,
        optimizer: a.optimizer,
        lr: a.lr,
        weight_decay: a.weight_decay,
        schedule: a.schedule,
        warmup_epochs: a.warmup_epochs,
        sam_rho: a.sam,
        subset: a.subset,
        val_fraction: a.val_fraction,
        long_tail: a.long_tail,
        step_imbalance: a.step_imbalance,
        augment: a.augment,
        no_standardize: false,
        seed: a.seed,
        eval_every: a.eval_every,
        eval_last: a.eval_last,
        ..o
    })
}

fn main() -> std::process::ExitCode {
    mr2::cli::exit_code(run())
}

fn run() -> Result<()> {
    let a = Args::parse();
    mr2::limits::allow_large(a.allow_large);
    if a.list_losses {
        for m in METHODS {
            let params = mr2::loss::Method::from_name(m.name)?.params();
            let p: Vec<String> = params.iter().map(|(k, v)| format!("{k} = {v}")).collect();
            println!(
                "{:<16} {:<15} {}\n{:<16} source: {}; parameters: {}",
                m.name,
                m.family,
                m.formula,
                "",
                m.source,
                if p.is_empty() {
                    "none".into()
                } else {
                    p.join(", ")
                }
            );
        }
        return Ok(());
    }
    let cfg = TrainConfig::resolve(a.config.as_deref(), &overrides(&a)?)?;
    for note in cfg.notes() {
        eprintln!("note: {note}");
    }
    let out = a.out.clone().unwrap_or_else(|| cfg.default_out());
    let baseline = a.ranking_from.as_deref().map(Summary::read).transpose()?;
    let t0 = std::time::Instant::now();
    let mut hooks: Vec<Box<dyn EpochHook>> = vec![Box::new(CollapseWarning::default())];
    if !a.quiet {
        hooks.push(Box::new(ProgressLog));
    }
    let trained = train(
        &cfg,
        RunOptions {
            out: Some(out.clone()),
            resume: a.resume,
            hooks,
            progress_bar: !a.quiet,
            device: a.device.open()?,
            ..Default::default()
        },
    )?;
    let summary = write_outputs(&trained, &out, baseline.as_ref(), a.export_features)?;
    println!(
        "{}  ({:.1} s)",
        summary_table(&summary),
        t0.elapsed().as_secs_f64()
    );
    println!("results in {}", out.display());
    Ok(())
}
