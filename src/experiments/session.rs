//! One invocation of `experiments`, as the binary's flags describe it: where the grid's runs
//! and the report live, which runs to train (all, a shard, none), and what to aggregate —
//! the grid's report, or for `bounds-vs-error` the bounds of another grid's runs. The binary
//! only parses flags into an [`Invocation`] and prints what [`run`] returns.

use std::path::{Path, PathBuf};

use super::runner::{copy_from_siblings, shard_of};
use super::{
    aggregate, bounds_vs_error, execute, plan_commands, status, Experiment, Plan, Preset, RunState,
    RunnerOptions, Variant,
};
use crate::bounds::BoundSettings;
use crate::data::DatasetName;
use crate::error::{invalid, Result};
use crate::train::DeviceChoice;

/// What to do with the grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Train what is missing (of the shard), then aggregate.
    Train,
    /// Only aggregate what has finished.
    Report,
    /// Only print one `train` command per run (of the shard), naming this `train` binary.
    Commands,
}

/// An `experiments` invocation.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The experiment.
    pub experiment: Experiment,
    /// The preset.
    pub preset: Preset,
    /// Which MR² the MR²-family rows use.
    pub variant: Variant,
    /// Another dataset than the preset's.
    pub dataset: Option<DatasetName>,
    /// Another directory for the dataset's files.
    pub data_dir: Option<PathBuf>,
    /// Seeds instead of the preset's.
    pub seeds: Option<Vec<u64>>,
    /// Output directory ([`default_root`] when `None`).
    pub out: Option<PathBuf>,
    /// `bounds-vs-error`: the directory of the grid's runs (the baselines' default when
    /// `None`).
    pub source: Option<PathBuf>,
    /// The `I`-th of `N` slices.
    pub shard: Option<(usize, usize)>,
    /// What to do.
    pub mode: Mode,
    /// The `train` binary [`Mode::Commands`] names.
    pub train_bin: String,
    /// Runs trained at once.
    pub jobs: usize,
    /// No per-run progress lines.
    pub quiet: bool,
    /// Retrain runs whose configuration differs from the plan's.
    pub rerun_mismatched: bool,
    /// Sibling grids whose finished runs of the same configuration are copied instead of
    /// trained ([`RunnerOptions::reuse_from`]).
    pub reuse_from: Vec<PathBuf>,
    /// The device.
    pub device: DeviceChoice,
    /// `bounds-vs-error`'s bound settings.
    pub bounds: BoundSettings,
    /// `--allow-large`: carried into `--plan`'s commands.
    pub allow_large: bool,
    /// Long-tailed grids: LDAM-DRW's own subset instead of a seeded draw, evaluated every
    /// epoch after the first learning-rate decay and every 10th before it
    /// ([`Plan::with_ldam_subset`]).
    pub ldam_subset: bool,
    /// `--epochs N`: every run shortened to N epochs ([`Plan::with_epochs`]; its own directory).
    pub epochs: Option<usize>,
    /// `--param KEY=VALUE`: MR²-family parameters for every MR²-family row.
    pub params: Vec<(String, crate::settings::Value)>,
    /// `jpeg-effect`: the JPEG copy of CIFAR-10 (one folder per class) whose files pair with
    /// the official-pixel subset.
    pub jpeg_copy: PathBuf,
}

/// What an invocation did.
#[derive(Debug)]
pub enum Outcome {
    /// [`Mode::Commands`]: the `train` commands.
    Commands(Vec<String>),
    /// The shard holds no run of the grid (of `runs` runs): nothing was done.
    EmptyShard {
        /// The experiment.
        experiment: String,
        /// The grid's size.
        runs: usize,
    },
    /// Trained (where asked) and aggregated: the report's markdown, where it was written, and
    /// the runs that failed (`(id, error)`; the others were aggregated).
    Done {
        /// The report (the grid's `table.md`, or bounds-vs-error's).
        markdown: String,
        /// The output directory.
        out: PathBuf,
        /// Failed runs.
        failed: Vec<(String, String)>,
    },
}

/// `results/NAME` for the cpu preset, `results/NAME-PRESET` otherwise; `-DATASET` for a
/// dataset other than the preset's, `-VARIANT` for a variant other than the preset's.
pub fn default_root(
    preset: Preset,
    variant: Variant,
    dataset: Option<DatasetName>,
    name: &str,
) -> PathBuf {
    let mut dir = match preset {
        Preset::Cpu => name.to_string(),
        p => format!("{name}-{}", p.name()),
    };
    if let Some(d) = dataset {
        if d != preset.settings().base.data.name {
            let flag = clap::ValueEnum::to_possible_value(&d)
                .map_or_else(|| format!("{d:?}"), |v| v.get_name().to_string());
            dir = format!("{dir}-{flag}");
        }
    }
    if variant != Variant::Preset {
        dir = format!("{dir}-{}", variant.name());
    }
    PathBuf::from("results").join(dir)
}

impl Invocation {
    /// The plan, with the data directory applied.
    ///
    /// # Errors
    /// As [`Experiment::plan_on`] and [`Plan::with_data_dir`].
    pub fn plan(&self) -> Result<Plan> {
        let plan = self.experiment.plan_with(
            self.preset,
            self.seeds.as_deref(),
            self.variant,
            self.dataset,
            &self.params,
        )?;
        let plan = match &self.data_dir {
            Some(dir) if self.experiment == Experiment::JpegEffect => {
                super::jpeg_effect::with_exact_dir(plan, dir)?
            }
            Some(dir) => plan.with_data_dir(dir)?,
            None => plan,
        };
        let plan = match self.epochs {
            Some(n) => plan.with_epochs(n)?,
            None => plan,
        };
        if self.ldam_subset {
            return plan.with_ldam_subset();
        }
        Ok(plan)
    }

    fn root_of(&self, name: &str) -> PathBuf {
        let root = default_root(self.preset, self.variant, self.dataset, name);
        let mut n = root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if self.ldam_subset {
            n.push_str("-ldam");
        }
        if let Some(e) = self.epochs {
            n.push_str(&format!("-{e}ep"));
        }
        root.with_file_name(n)
    }

    /// Where the report goes, and where the grid's runs live: the same directory, or for
    /// `bounds-vs-error` the baselines' (or `source`, checked against the plan).
    ///
    /// # Errors
    /// `source` for another experiment; a `source` whose runs are not the plan's; invalid
    /// bound settings.
    pub fn directories(&self, plan: &Plan) -> Result<(PathBuf, PathBuf)> {
        let out = self
            .out
            .clone()
            .unwrap_or_else(|| self.root_of(self.experiment.name()));
        let bounding = self.experiment == Experiment::BoundsVsError;
        let root = match (&self.source, bounding) {
            (Some(s), true) => {
                bounds_vs_error::check_source(s, plan, &self.bounds)?;
                s.clone()
            }
            (None, true) => {
                self.bounds.validate()?;
                self.root_of(&plan.experiment)
            }
            (Some(s), false) => {
                return Err(invalid(
                    "--source",
                    s.display(),
                    "is for bounds-vs-error only",
                ))
            }
            (None, false) => out.clone(),
        };
        Ok((out, root))
    }
}

/// Carry out `inv`: plan, train what is missing (of the shard) unless only reporting, then
/// aggregate. `log` receives the progress lines (the plan's description, the runner's count,
/// each failure, bounds-vs-error's lines unless quiet).
///
/// # Errors
/// Planning, training set-up, aggregation and I/O failures. Runs that fail to train are
/// returned in [`Outcome::Done`]'s `failed`, after the others were aggregated.
pub fn run(inv: &Invocation, log: &dyn Fn(&str)) -> Result<Outcome> {
    let plan = inv.plan()?;
    let (out, root) = inv.directories(&plan)?;
    check_outputs(inv, &plan, &out, &root)?;
    if inv.shard.is_some() && shard_of(&plan, inv.shard).is_empty() {
        return Ok(Outcome::EmptyShard {
            experiment: plan.experiment.clone(),
            runs: plan.runs.len(),
        });
    }
    if inv.mode == Mode::Commands {
        let line = super::runner::CommandLine {
            train_bin: inv.train_bin.clone(),
            device: inv.device,
            allow_large: inv.allow_large,
            cwd: std::env::current_dir().ok(),
        };
        return Ok(Outcome::Commands(plan_commands(
            &plan, &root, inv.shard, &line,
        )?));
    }
    log(&format!(
        "{} ({} runs): {}",
        plan.experiment,
        plan.runs.len(),
        plan.settings
    ));
    let mut failed = Vec::new();
    if inv.experiment == Experiment::JpegEffect
        && super::jpeg_effect::ensure_prepared(&plan, &inv.jpeg_copy)?
    {
        let (_, jpeg) = super::jpeg_effect::directories(&plan)?;
        log(&format!(
            "jpeg-effect: wrote the JPEG counterpart of the official records to {} (from {})",
            jpeg.display(),
            inv.jpeg_copy.display()
        ));
    }
    if inv.mode == Mode::Report && !inv.reuse_from.is_empty() {
        let runs = shard_of(&plan, inv.shard);
        for (id, other) in copy_from_siblings(&runs, &root, &inv.reuse_from)? {
            log(&format!("copied: {id} from {}", other.display()));
        }
    }
    if inv.mode == Mode::Train {
        let done = execute(
            &plan,
            &RunnerOptions {
                root: root.clone(),
                jobs: inv.jobs,
                shard: inv.shard,
                quiet: inv.quiet,
                rerun_mismatched: inv.rerun_mismatched,
                device: inv.device.open()?,
                reuse_from: inv.reuse_from.clone(),
            },
        )?;
        for (id, e) in &done.failed {
            log(&format!("failed: {id}: {e}"));
        }
        let finished = status(&plan, &root)
            .iter()
            .filter(|s| **s == RunState::Done)
            .count();
        for (id, other) in &done.copied {
            log(&format!("copied: {id} from {}", other.display()));
        }
        let elsewhere = if done.busy.is_empty() {
            String::new()
        } else {
            format!(", {} being trained by another process", done.busy.len())
        };
        log(&format!(
            "{}: {} trained now, {} already done, {} copied{elsewhere}, {} failed; {finished}/{} of the grid finished",
            plan.experiment,
            done.trained.len(),
            done.skipped.len(),
            done.copied.len(),
            done.failed.len(),
            plan.runs.len()
        ));
        failed = done.failed;
    }
    let markdown = summarise(inv, &plan, &root, &out, log)?;
    Ok(Outcome::Done {
        markdown,
        out,
        failed,
    })
}

/// Aggregate the finished runs under `root` into `out`; for bounds-vs-error, bound them
/// instead (the grid's own report is left alone).
fn summarise(
    inv: &Invocation,
    plan: &Plan,
    root: &Path,
    out: &Path,
    log: &dyn Fn(&str),
) -> Result<String> {
    if inv.experiment == Experiment::JpegEffect {
        let grid = aggregate(plan, root)?.markdown;
        let (md, failed) = super::jpeg_effect::report(plan, root, out)?;
        for (id, e) in failed {
            log(&format!(
                "jpeg-effect: {id} not evaluated on both test copies: {e}"
            ));
        }
        return Ok(format!("{grid}\n{md}"));
    }
    if inv.experiment != Experiment::BoundsVsError {
        return Ok(aggregate(plan, root)?.markdown);
    }
    let quiet = inv.quiet;
    let r = bounds_vs_error::compute_all(plan, root, out, &inv.bounds, |line| {
        if !quiet {
            log(line);
        }
    })?;
    bounds_vs_error::write(out, &r)?;
    Ok(r.markdown)
}

/// What is already in the output directories must belong to this invocation (and every
/// `--reuse-from` directory must be a grid of the same experiment): a grid's
/// directory is never given to another experiment (its `table.md` and `plan.json` would be
/// replaced), `bounds-vs-error` never writes into a grid's directory (its report would replace
/// the grid's), and `--plan` never rewrites a grid whose planned runs have other
/// configurations (as training and `--report` already refuse, naming the run and the field).
///
/// # Errors
/// The first conflict, naming the directory, what it holds and what was asked.
pub fn check_outputs(inv: &Invocation, plan: &Plan, out: &Path, root: &Path) -> Result<()> {
    let existing = |dir: &Path| -> Result<Option<Plan>> {
        let p = dir.join("plan.json");
        if !p.is_file() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&p).map_err(|e| crate::error::io_err(&p, e))?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| crate::error::data_err(&p, format!("not a grid's plan: {e}")))
    };
    let bad = |dir: &Path, why: String| crate::error::data_err(dir.join("plan.json"), why);
    for other in &inv.reuse_from {
        match existing(other)? {
            None => {
                return Err(crate::error::data_err(
                    other,
                    "--reuse-from: not a grid's directory (no plan.json); nothing could be copied from it",
                ))
            }
            Some(p) if p.experiment != plan.experiment => {
                return Err(bad(
                    other,
                    format!(
                        "--reuse-from: holds the {} grid, not {}",
                        p.experiment, plan.experiment
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    if inv.experiment == Experiment::BoundsVsError {
        if let Some(p) = existing(out)? {
            return Err(bad(
                out,
                format!(
                    "holds the {} grid: bounds-vs-error would replace its table.md and results; give another --out",
                    p.experiment
                ),
            ));
        }
        return Ok(());
    }
    let Some(old) = existing(root)? else {
        return Ok(());
    };
    if old.experiment != plan.experiment {
        return Err(bad(
            root,
            format!(
                "holds the {} grid, not {}: give another --out",
                old.experiment, plan.experiment
            ),
        ));
    }
    if inv.mode == Mode::Commands && !inv.rerun_mismatched {
        for r in &plan.runs {
            let Some(o) = old.runs.iter().find(|o| o.id == r.id) else {
                continue;
            };
            if let Some((field, was, now)) = super::runner::config_difference(&o.config, &r.config)
            {
                return Err(bad(
                    root,
                    format!(
                        "plans run {} with {field} = {was}; this --plan would write {now} (another preset or variant?): give another --out, or --rerun-mismatched to replace the plan",
                        r.id
                    ),
                ));
            }
        }
    }
    Ok(())
}
