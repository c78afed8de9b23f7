//! `experiments` — the paper's tables as grids of `train` runs, run (resumably, in slices) and
//! aggregated into `results/NAME/` (table.md, results.csv, results.json, plots).

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Parser;
use mr2::experiments::runner::parse_shard;
use mr2::experiments::{
    aggregate, execute, plan_commands, status, Experiment, Preset, RunState, RunnerOptions,
};

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
    /// 5–6), per-class (Table 14), imbalanced (Table 7), spread (Fig. 7 / 1b, synthetic data),
    /// regularization-audit (weight decay and augmentation per class, Balestriero et al.).
    #[arg(value_enum)]
    experiment: Experiment,
    /// quick (seconds, synthetic data; what the tests run), cpu (Fashion-MNIST small CNN, 8
    /// epochs, 3 seeds), paper (CIFAR-10 ResNet-32, 200 epochs; needs the data and a GPU).
    #[arg(long, value_enum, default_value = "cpu")]
    preset: Preset,
    /// Seeds instead of the preset's, e.g. --seeds 0 or --seeds 0,1,2.
    #[arg(long, value_delimiter = ',')]
    seeds: Option<Vec<u64>>,
    /// Output directory (default results/NAME, or results/NAME-PRESET for quick and paper).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Runs trained at once (threads; the two cores are shared).
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// Only the I-th of N slices of the grid (0 ≤ I < N).
    #[arg(long, value_name = "I/N")]
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
}

fn main() -> std::process::ExitCode {
    mr2::cli::exit_code(run())
}

fn run() -> Result<()> {
    let a = Args::parse();
    let plan = a.experiment.plan(a.preset, a.seeds.as_deref())?;
    let root = a.out.clone().unwrap_or_else(|| {
        let dir = match a.preset {
            Preset::Cpu => plan.experiment.clone(),
            p => format!("{}-{}", plan.experiment, p.name()),
        };
        PathBuf::from("results").join(dir)
    });
    let shard = a.shard.as_deref().map(parse_shard).transpose()?;
    if a.plan {
        for c in plan_commands(&plan, &root, shard, &a.train_bin)? {
            println!("{c}");
        }
        return Ok(());
    }
    eprintln!(
        "{} ({} runs): {}",
        plan.experiment,
        plan.runs.len(),
        plan.settings
    );
    if !a.report {
        let done = execute(
            &plan,
            &RunnerOptions {
                root: root.clone(),
                jobs: a.jobs,
                shard,
                quiet: a.quiet,
            },
        )?;
        if !done.failed.is_empty() {
            for (id, e) in &done.failed {
                eprintln!("failed: {id}: {e}");
            }
        }
        let st = status(&plan, &root);
        let finished = st.iter().filter(|s| **s == RunState::Done).count();
        eprintln!(
            "{}: {} trained now, {} already done, {} failed; {finished}/{} of the grid finished",
            plan.experiment,
            done.trained.len(),
            done.skipped.len(),
            done.failed.len(),
            plan.runs.len()
        );
        let report = aggregate(&plan, &root)?;
        print!("{}", report.markdown);
        eprintln!("results in {}", root.display());
        if !done.failed.is_empty() {
            bail!("{} run(s) failed (listed above)", done.failed.len());
        }
        return Ok(());
    }
    let report = aggregate(&plan, &root)?;
    print!("{}", report.markdown);
    eprintln!("results in {}", root.display());
    Ok(())
}
