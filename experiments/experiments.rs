//! `experiments` — the paper's tables as grids of `train` runs, run (resumably, in slices) and
//! aggregated into `results/NAME/` (table.md, results.csv, results.json, plots).

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Parser;
use mr2::bounds::BoundSettings;
use mr2::data::DatasetName;
use mr2::experiments::runner::parse_shard;
use mr2::experiments::session::{self, Invocation, Mode, Outcome};
use mr2::experiments::{Experiment, Preset, Variant};

/// Run an experiment: plan its grid (method × hyper-parameters × seed), train the runs that
/// are missing (finished runs are skipped, interrupted ones resume from their last verified
/// checkpoint), then aggregate everything finished into `results/NAME/` — `table.md`,
/// `results.csv` (one line per run, per-class accuracies), `results.json`, PNG/SVG plots and
/// `plan.json` (the preset's settings and every run's configuration).
///
/// On a cluster: `--plan` prints one self-contained `train` command per run (for GNU parallel
/// or a job array), `--shard I/N` runs the I-th of N slices (I from 0, e.g.
/// $SLURM_ARRAY_TASK_ID), and `--report` aggregates whatever has finished.
#[derive(Parser, Debug)]
#[command(version, about, long_about)]
struct Args {
    /// The experiment: baselines (Table 1), ablation (Table 3), sweep (Tables 8/12/13, Figs.
    /// 5–6), per-class (Table 14), imbalanced (Table 7), long-tail (LDAM-DRW's long-tailed
    /// CIFAR-10 anchors and MR² on them), spread (Fig. 7 / 1b, synthetic data),
    /// margins (Table 4: output- and classifier-level margins, ERM vs MR²), regularization-audit (weight decay and augmentation per class, Balestriero et al.),
    /// bounds-vs-error (the class-sensitive bound of every baselines run against its error;
    /// trains the baselines grid where it is missing), jpeg-effect (ERM on 4 000 CIFAR-10
    /// images with the official pixels and on their JPEG copy, each tested on both copies of
    /// 1 000 test images: what the JPEG copy costs; use --preset cifar), tune (the paper's
    /// choice of c̄ and λ on a 10% validation split).
    #[arg(value_enum)]
    experiment: Experiment,
    /// quick (seconds, synthetic data; what the tests run), cpu (Fashion-MNIST small CNN, 8
    /// epochs, 3 seeds), cifar (10% of CIFAR-10, ResNet-32, crop + flip, 100 epochs, 5 seeds,
    /// ≈ 40–70 min a run on 2 cores; data in data/cifar10-jpeg), paper-cifar (the paper's own
    /// CIFAR recipe on that subset: 300 epochs, best and last epoch), cifar-full (CIFAR-10's
    /// whole training set, 200 epochs; needs the data and a GPU; `paper` is its old name).
    #[arg(long, value_enum, default_value = "cpu")]
    preset: Preset,
    /// Which MR² the MR²-family rows use: preset (the paper's c̄ = 2, λ = 0.5, p = 2 with the
    /// preset's ℓ_s̄: the released code's for cpu, paper-cifar and cifar-full), printed (Eq. 2
    /// as printed: ℓ_s̄ unscaled), released (the released configuration: p = 5, λ = 0.1, γ with
    /// mean 1, the released code's ℓ_s̄, EMA restarted each epoch, s̄ = 0 on CIFAR). Output goes to results/NAME-VARIANT unless
    /// --out is given.
    #[arg(long, value_enum, default_value = "preset")]
    variant: Variant,
    /// Retrain finished runs whose recorded configuration differs from the plan's (the old
    /// run directory is kept as ID.stale); without it such a grid is refused, naming the run
    /// and the field.
    #[arg(long)]
    rerun_mismatched: bool,
    /// A sibling grid's directory (repeatable): a run with no directory here that DIR has
    /// finished with the same configuration is copied from it (without checkpoints) instead of
    /// trained — e.g. the rows without MR² parameters, which `--variant` does not change.
    /// With --report it only copies, then reports; not with --plan.
    #[arg(long, value_name = "DIR", conflicts_with = "plan")]
    reuse_from: Vec<std::path::PathBuf>,
    /// Another image dataset than the preset's (its files under data/NAME), with the
    /// preset's model and schedule, e.g. --dataset mnist for Table 6. Output goes to
    /// results/NAME-DATASET unless --out is given.
    #[arg(long, value_enum)]
    dataset: Option<DatasetName>,
    /// The dataset's directory instead of the preset's (e.g. the official CIFAR-10 binary
    /// release, data/cifar-10-batches-bin, for the cifar preset, which reads CIFAR-10's one
    /// default folder, data/cifar10-jpeg, where scripts/fetch-data.sh unpacks the JPEG copy).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Compute device: cpu (burn Flex with mr2's kernels), cuda, cuda:N (the `cuda` feature,
    /// scripts/build-gpu.sh) or wgpu[:N] (the `wgpu` feature, Vulkan). A device this binary
    /// lacks or that does not answer is an error, never a silent CPU run.
    #[arg(long, default_value_t = mr2::train::DeviceChoice::default(), value_name = "DEVICE")]
    device: mr2::train::DeviceChoice,
    /// Seeds instead of the preset's, e.g. --seeds 0 or --seeds 0,1,2.
    #[arg(long, value_delimiter = ',')]
    seeds: Option<Vec<u64>>,
    /// Output directory (default results/NAME, or results/NAME-PRESET for quick and paper).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Runs trained at once, each on its own pool of cores/N threads (--jobs 2 on 2 cores: two
    /// one-thread runs side by side). Results do not depend on it.
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// Only the I-th of N slices of the grid (0 ≤ I < N).
    #[arg(long, value_name = "I/N", allow_hyphen_values = true)]
    shard: Option<String>,
    /// Print one `train` command per run (of the shard) and exit; writes OUT/configs/.
    #[arg(long, conflicts_with = "report")]
    plan: bool,
    /// Only aggregate what has finished (no training).
    #[arg(long)]
    report: bool,
    /// The `train` binary named in --plan's commands.
    #[arg(long, default_value = "target/release/train")]
    train_bin: String,
    /// No per-run progress lines.
    #[arg(long)]
    quiet: bool,
    /// bounds-vs-error: the directory of the grid's runs (default: the baselines' results
    /// directory for the preset).
    #[arg(long, value_name = "DIR")]
    source: Option<PathBuf>,
    /// bounds-vs-error: Monte Carlo draws for the Rademacher complexities (default 300).
    #[arg(long)]
    mc: Option<usize>,
    /// bounds-vs-error: confidence δ of the bounds (default 0.05).
    #[arg(long)]
    delta: Option<f64>,
    /// long-tail, imbalanced: draw LDAM-DRW's own long-tailed subset (numpy's RandomState(0),
    /// class by class, as its IMBALANCECIFAR10 does; the data must list each class's images in
    /// the official order, as the binary batches and the JPEG copy's folders do) instead of a
    /// seeded draw, and evaluate every epoch from the first learning-rate decay (every 10th
    /// before it) so the best epoch is recorded beside the last. Output goes to
    /// results/NAME-…-ldam.
    #[arg(long)]
    ldam_subset: bool,
    /// Shorten every run to N epochs: a smoke test or a timing slice of the grid (e.g. the
    /// --jobs measurement, scripts/jobs-gain.sh), never a result. Output goes to the grid's
    /// directory with -Nep appended unless --out is given.
    #[arg(long, value_name = "N")]
    epochs: Option<usize>,
    /// An MR²-family parameter for every MR²-family row, KEY=VALUE (repeatable; after the
    /// preset and --variant, before a row's own, e.g. a sweep's axis): e.g. the c̄ and λ that
    /// `experiments tune` chose, --param c_bar=2 --param lambda=0.5.
    #[arg(long = "param", value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// jpeg-effect: the JPEG copy of CIFAR-10 (one folder per class) whose files the
    /// official-pixel subset's index files name. The subset itself is --data-dir (default
    /// data/cifar10-exact-subset); its JPEG counterpart is written to DATA_DIR-jpeg once.
    #[arg(long, value_name = "DIR")]
    jpeg_copy: Option<PathBuf>,
    /// Lift the memory check on data and model sizes (see docs/reliability.md; also
    /// MR2_ALLOW_LARGE=1).
    #[arg(long)]
    allow_large: bool,
}

fn main() -> std::process::ExitCode {
    mr2::cli::exit_code(run())
}

fn run() -> Result<()> {
    let a = Args::parse();
    if a.experiment != Experiment::BoundsVsError {
        for (flag, given) in [("--mc", a.mc.is_some()), ("--delta", a.delta.is_some())] {
            if given {
                bail!(
                    "{flag} is an option of bounds-vs-error, not of {}",
                    a.experiment.name()
                );
            }
        }
    }
    mr2::limits::allow_large(a.allow_large);
    let mode = match (a.plan, a.report) {
        (true, _) => Mode::Commands,
        (false, true) => Mode::Report,
        (false, false) => Mode::Train,
    };
    let inv = Invocation {
        experiment: a.experiment,
        preset: a.preset,
        variant: a.variant,
        dataset: a.dataset,
        data_dir: a.data_dir,
        seeds: a.seeds,
        out: a.out,
        source: a.source,
        shard: a.shard.as_deref().map(parse_shard).transpose()?,
        mode,
        train_bin: a.train_bin,
        jobs: a.jobs,
        quiet: a.quiet,
        rerun_mismatched: a.rerun_mismatched,
        reuse_from: a.reuse_from,
        device: a.device,
        bounds: BoundSettings {
            delta: a.delta.unwrap_or(0.05),
            mc_samples: a.mc.unwrap_or(300),
            ..BoundSettings::default()
        },
        jpeg_copy: a
            .jpeg_copy
            .unwrap_or_else(|| DatasetName::Cifar10.default_dir()),
        ldam_subset: a.ldam_subset,
        epochs: a.epochs,
        allow_large: a.allow_large,
        params: a
            .params
            .iter()
            .map(|p| {
                p.split_once('=')
                    .map(|(k, v)| (k.trim().to_string(), mr2::settings::parse_value(v.trim())))
                    .ok_or_else(|| anyhow::anyhow!("--param {p:?}: expected KEY=VALUE"))
            })
            .collect::<Result<_>>()?,
    };
    match session::run(&inv, &|line| eprintln!("{line}"))? {
        Outcome::Commands(commands) => {
            for c in commands {
                println!("{c}");
            }
        }
        Outcome::EmptyShard { experiment, runs } => {
            let (i, n) = inv.shard.unwrap_or((0, 1));
            eprintln!(
                "shard {i}/{n} of the {runs}-run {experiment} grid holds no run: nothing to do"
            );
        }
        Outcome::Done {
            markdown,
            out,
            failed,
        } => {
            print!("{markdown}");
            eprintln!("results in {}", out.display());
            if !failed.is_empty() {
                bail!("{} run(s) failed (listed above)", failed.len());
            }
        }
    }
    Ok(())
}
