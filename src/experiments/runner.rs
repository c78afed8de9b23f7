//! Running a plan: the missing runs of (a slice of) the grid, several at once if asked, each in
//! its own locked run directory — finished runs (a `summary.json`) are skipped and interrupted
//! ones continue from their last verified checkpoint. A run missing here that a sibling grid
//! (`RunnerOptions::reuse_from`) finished with the same configuration is copied instead of
//! trained.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use super::{Plan, RunSpec};
use crate::error::{invalid, io_err, Result};
use crate::outputs::write_outputs;
use crate::train::{train, RunOptions};

/// Where a run stands on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    /// `summary.json` exists.
    Done,
    /// A run directory without a summary (interrupted, or running elsewhere).
    Started,
    /// Nothing on disk.
    Missing,
}

/// How to run a plan.
#[derive(Debug, Clone)]
pub struct RunnerOptions {
    /// The experiment's directory (`results/NAME`).
    pub root: PathBuf,
    /// Runs trained at once, each on its own thread pool of `cores / jobs` threads (so that
    /// `--jobs 2` on 2 cores behaves like two one-thread processes side by side; results do
    /// not depend on it: the kernels are thread-count independent).
    pub jobs: usize,
    /// `(i, n)`: only the runs whose index in the plan is ≡ i (mod n), 0 ≤ i < n.
    pub shard: Option<(usize, usize)>,
    /// No per-run lines.
    pub quiet: bool,
    /// Retrain finished runs whose recorded configuration differs from the plan's (their
    /// directory is kept as `ID.stale`, `ID.stale-2`, …) instead of refusing.
    pub rerun_mismatched: bool,
    /// Train on this device (default the CPU; [`crate::train::DeviceChoice::open`] opens the
    /// others).
    pub device: crate::train::OpenedDevice,
    /// Sibling grids' roots: a run with no directory here whose ID one of them finished with
    /// the same configuration ([`config_difference`]) is copied from the first such root (its
    /// files, without checkpoints) instead of trained.
    pub reuse_from: Vec<PathBuf>,
}

/// The first difference between a finished run's recorded configuration and the plan's:
/// `(field path, recorded value, planned value)`, or `None` when they are equal. Both are
/// compared as JSON after a round trip through [`crate::train::TrainConfig`], so defaults and
/// aliases (`"reference"` → `"scaled-mean"`) are resolved.
pub fn config_difference(
    recorded: &crate::train::TrainConfig,
    planned: &crate::train::TrainConfig,
) -> Option<(String, String, String)> {
    fn walk(
        path: &str,
        a: &serde_json::Value,
        b: &serde_json::Value,
    ) -> Option<(String, String, String)> {
        use serde_json::Value;
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
                keys.sort();
                keys.dedup();
                keys.into_iter().find_map(|k| {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    match (x.get(k), y.get(k)) {
                        (Some(u), Some(v)) => walk(&p, u, v),
                        (u, v) => Some((p, show(u), show(v))),
                    }
                })
            }
            _ if a == b => None,
            _ => Some((path.to_string(), a.to_string(), b.to_string())),
        }
    }
    fn show(v: Option<&serde_json::Value>) -> String {
        v.map_or_else(|| "(absent)".into(), ToString::to_string)
    }
    let a = serde_json::to_value(recorded).ok()?;
    let b = serde_json::to_value(planned).ok()?;
    walk("", &a, &b)
}

/// The first difference ([`config_difference`]) between the configuration `r` was trained with
/// (its `config.json` under `root`) and the plan's.
///
/// # Errors
/// An unreadable `config.json`.
pub(super) fn recorded_difference(
    r: &RunSpec,
    root: &Path,
) -> Result<Option<(String, String, String)>> {
    let recorded = crate::train::checkpoint::read_config(&Plan::run_dir(root, r))?;
    Ok(config_difference(&recorded, &r.config))
}

/// Check a finished run against the plan: `Ok(true)` when it can be reused, `Ok(false)` when
/// it differs and `rerun` is set (its directory has been moved aside to be retrained).
///
/// # Errors
/// Its configuration differs (and `rerun` is not set), naming the run, the field and both
/// values; an unreadable `config.json`.
fn reusable(r: &RunSpec, root: &Path, rerun: bool) -> Result<bool> {
    let dir = Plan::run_dir(root, r);
    let Some((field, was, now)) = recorded_difference(r, root)? else {
        return Ok(true);
    };
    if !rerun {
        return Err(crate::error::data_err(
            dir.join("config.json"),
            format!(
                "run {} finished with another configuration than the plan's: {field} = {was} there, {now} in the plan; choose another --out, or pass --rerun-mismatched to retrain it (the old directory is kept as {}.stale)",
                r.id, r.id
            ),
        ));
    }
    let mut n = 1;
    let stale = loop {
        let name = match n {
            1 => format!("{}.stale", r.id),
            n => format!("{}.stale-{n}", r.id),
        };
        let p = dir.with_file_name(name);
        if !p.exists() {
            break p;
        }
        n += 1;
    };
    std::fs::rename(&dir, &stale).map_err(|e| io_err(&dir, e))?;
    eprintln!(
        "{}: {field} = {was} there, {now} in the plan: retraining (old run kept at {})",
        r.id,
        stale.display()
    );
    Ok(false)
}

/// Copy run `r` from the sibling grid `other` into `root` if `other` finished it with the plan's
/// configuration: every file of its directory but the lock (checkpoints are not copied), written
/// under `ID.copying` and renamed into place. `Ok(false)`: `other` has no finished run `r`, or
/// one with another configuration.
///
/// # Errors
/// An unreadable `config.json` there; copying or renaming fails.
fn copy_from_sibling(r: &RunSpec, root: &Path, other: &Path) -> Result<bool> {
    let src = Plan::run_dir(other, r);
    if !src.join("summary.json").is_file() || recorded_difference(r, other)?.is_some() {
        return Ok(false);
    }
    let dst = Plan::run_dir(root, r);
    let tmp = dst.with_file_name(format!("{}.copying", r.id));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| io_err(&tmp, e))?;
    }
    std::fs::create_dir_all(&tmp).map_err(|e| io_err(&tmp, e))?;
    for entry in std::fs::read_dir(&src).map_err(|e| io_err(&src, e))? {
        let entry = entry.map_err(|e| io_err(&src, e))?;
        let from = entry.path();
        if from.is_file() && entry.file_name() != ".lock" {
            std::fs::copy(&from, tmp.join(entry.file_name())).map_err(|e| io_err(&from, e))?;
        }
    }
    std::fs::rename(&tmp, &dst).map_err(|e| io_err(&dst, e))?;
    Ok(true)
}

/// Copy into `root` each of `runs` that has no directory there and that one of `siblings` (the
/// first that has it) finished with the plan's configuration; returns the copied runs' IDs with
/// the sibling each came from.
///
/// # Errors
/// As [`copy_from_sibling`].
pub fn copy_from_siblings(
    runs: &[&RunSpec],
    root: &Path,
    siblings: &[PathBuf],
) -> Result<Vec<(String, PathBuf)>> {
    let mut copied = Vec::new();
    for r in runs {
        if Plan::run_dir(root, r).exists() {
            continue;
        }
        for other in siblings {
            if copy_from_sibling(r, root, other)? {
                copied.push((r.id.clone(), other.clone()));
                break;
            }
        }
    }
    Ok(copied)
}

/// The state of every run of `plan` under `root`.
pub fn status(plan: &Plan, root: &Path) -> Vec<RunState> {
    plan.runs
        .iter()
        .map(|r| {
            let d = Plan::run_dir(root, r);
            if d.join("summary.json").is_file() {
                RunState::Done
            } else if d.exists() {
                RunState::Started
            } else {
                RunState::Missing
            }
        })
        .collect()
}

/// Threads of each job's pool: the cores (`RAYON_NUM_THREADS` if set, else the machine's)
/// divided among `jobs`, at least one.
pub fn threads_per_job(jobs: usize) -> usize {
    let cores = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1);
    (cores / jobs.max(1)).max(1)
}

/// Parse `I/N` (0 ≤ I < N).
///
/// # Errors
/// Not of that form, N = 0 or I ≥ N (named).
pub fn parse_shard(s: &str) -> Result<(usize, usize)> {
    let bad = |why: &'static str| invalid("--shard", s, why);
    let (i, n) = s
        .split_once('/')
        .ok_or_else(|| bad("expected I/N, e.g. 0/4 (I counts from 0)"))?;
    let i: usize = i.trim().parse().map_err(|_| bad("I is not a number"))?;
    let n: usize = n.trim().parse().map_err(|_| bad("N is not a number"))?;
    if n == 0 || i >= n {
        return Err(bad("need 0 ≤ I < N"));
    }
    Ok((i, n))
}

/// The runs of `plan` in the slice `shard`.
pub fn shard_of(plan: &Plan, shard: Option<(usize, usize)>) -> Vec<&RunSpec> {
    plan.runs
        .iter()
        .enumerate()
        .filter(|(j, _)| shard.is_none_or(|(i, n)| j % n == i))
        .map(|(_, r)| r)
        .collect()
}

/// What [`execute`] did.
#[derive(Debug, Default)]
pub struct Executed {
    /// Runs trained (or finished) now.
    pub trained: Vec<String>,
    /// Runs already done.
    pub skipped: Vec<String>,
    /// Runs copied from a sibling grid (`RunnerOptions::reuse_from`), with its root.
    pub copied: Vec<(String, PathBuf)>,
    /// Runs that failed, with the error.
    pub failed: Vec<(String, String)>,
    /// Runs another process is training now (their run lock is held): left to it.
    pub busy: Vec<String>,
}

/// Train the missing runs of `plan` (in `opts.shard`), writing `ROOT/plan.json` first. A run
/// that fails (e.g. diverges) is reported and the others continue. A finished run is reused
/// only if its recorded configuration equals the plan's ([`config_difference`]); so is a
/// sibling grid's (`opts.reuse_from`), which is copied here.
///
/// # Errors
/// `jobs = 0`; a finished run with another configuration (unless `opts.rerun_mismatched`);
/// the root cannot be written.
pub fn execute(plan: &Plan, opts: &RunnerOptions) -> Result<Executed> {
    if opts.jobs == 0 {
        return Err(invalid("--jobs", 0, "need at least one job"));
    }
    let runs = shard_of(plan, opts.shard);
    // Every finished run is checked before anything is trained (and, without
    // `rerun_mismatched`, before anything is written).
    let mut finished = vec![false; runs.len()];
    for (f, r) in finished.iter_mut().zip(&runs) {
        if Plan::run_dir(&opts.root, r).join("summary.json").is_file() {
            *f = reusable(r, &opts.root, opts.rerun_mismatched)?;
        }
    }
    plan.save(&opts.root)?;
    let total = runs.len();
    let mut done = Executed {
        copied: copy_from_siblings(&runs, &opts.root, &opts.reuse_from)?,
        ..Executed::default()
    };
    let mut queue = VecDeque::new();
    for (pos, (r, f)) in runs.into_iter().zip(finished).enumerate() {
        if done.copied.iter().any(|(id, _)| *id == r.id) {
            continue;
        }
        if f {
            done.skipped.push(r.id.clone());
        } else {
            queue.push_back((pos + 1, r));
        }
    }
    if !opts.quiet && !done.skipped.is_empty() {
        eprintln!(
            "{}: {} of {total} runs already done",
            plan.experiment,
            done.skipped.len()
        );
    }
    let queue = Mutex::new(queue);
    let out = Mutex::new(done);
    let workers = opts.jobs.min(total.max(1));
    let threads = threads_per_job(workers);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let next = queue.lock().unwrap_or_else(|p| p.into_inner()).pop_front();
                let Some((pos, r)) = next else { break };
                let t0 = Instant::now();
                let res = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .map_err(|_| {
                        invalid("--jobs", opts.jobs, "could not start a thread pool for a job")
                    })
                    .and_then(|pool| {
                        // A panic in one run (a bug) is that run's failure, not the grid's.
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            pool.install(|| run_one(r, &opts.root, opts.device.clone()))
                        }))
                        .unwrap_or_else(|p| {
                            let what = p
                                .downcast_ref::<String>()
                                .cloned()
                                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                                .unwrap_or_else(|| "a panic".into());
                            Err(crate::error::data_err(
                                Plan::run_dir(&opts.root, r),
                                format!("the run panicked (a bug; please report it): {what}"),
                            ))
                        })
                    });
                let mut o = out.lock().unwrap_or_else(|p| p.into_inner());
                match res {
                    Ok(None) => {
                        if !opts.quiet {
                            eprintln!(
                                "[{pos}/{total}] {} {}: every epoch already trained (by another process, or before an interruption): not counted as trained now",
                                plan.experiment, r.id
                            );
                        }
                        o.skipped.push(r.id.clone());
                    }
                    Ok(Some(acc)) => {
                        if !opts.quiet {
                            eprintln!(
                                "[{pos}/{total}] {} {}: {:.2}% in {:.0} s",
                                plan.experiment,
                                r.id,
                                100.0 * acc,
                                t0.elapsed().as_secs_f64()
                            );
                        }
                        o.trained.push(r.id.clone());
                    }
                    Err(crate::Error::Locked { .. }) => {
                        if !opts.quiet {
                            eprintln!(
                                "[{pos}/{total}] {} {}: another process is training it; left to that one",
                                plan.experiment, r.id
                            );
                        }
                        o.busy.push(r.id.clone());
                    }
                    Err(e) => {
                        eprintln!("[{pos}/{total}] {} {}: FAILED: {e}", plan.experiment, r.id);
                        o.failed.push((r.id.clone(), e.to_string()));
                    }
                }
            });
        }
    });
    Ok(out.into_inner().unwrap_or_else(|p| p.into_inner()))
}

/// Train one run into its directory (resuming what is there) and write its outputs; returns
/// the overall test accuracy.
/// Train one run and write its outputs; `Ok(None)` when another process finished it after
/// this one planned its queue: its summary is there, or every epoch was already trained (the
/// outputs are then written only if missing — a run interrupted after its last epoch).
fn run_one(r: &RunSpec, root: &Path, device: crate::train::OpenedDevice) -> Result<Option<f64>> {
    let dir = Plan::run_dir(root, r);
    if dir.join("summary.json").is_file() {
        return Ok(None);
    }
    let trained = train(
        &r.config,
        RunOptions {
            out: Some(dir.clone()),
            resume: true,
            device,
            ..Default::default()
        },
    )?;
    if trained.epochs_run == 0 {
        if !dir.join("summary.json").is_file() {
            write_outputs(&trained, &dir, None, false)?;
        }
        return Ok(None);
    }
    Ok(Some(write_outputs(&trained, &dir, None, false)?.overall))
}

/// How [`plan_commands`] writes each `train` command: everything a run's result or its
/// execution depends on besides the configuration file travels with it.
#[derive(Debug, Clone)]
pub struct CommandLine {
    /// The `train` binary (quoted when needed).
    pub train_bin: String,
    /// The device every run trains on (`--device`, written unless it is the CPU).
    pub device: crate::train::DeviceChoice,
    /// `--allow-large` (the memory check lifted).
    pub allow_large: bool,
    /// The directory the commands run in (`cd DIR && …`): the run directories and the
    /// configurations' data directories are relative to it. `None` leaves it out.
    pub cwd: Option<PathBuf>,
}

impl CommandLine {
    /// The plain `train` command of the tests: no `cd`, the CPU.
    pub fn plain(train_bin: &str) -> Self {
        Self {
            train_bin: train_bin.into(),
            device: crate::train::DeviceChoice::Cpu,
            allow_large: false,
            cwd: None,
        }
    }
}

/// Write each run's configuration to `root/configs/ID.json` (and `plan.json`) and return one
/// self-contained `train` command per run of the shard: `[cd DIR && ]TRAIN --config … --out …
/// --resume --quiet [--device D] [--allow-large]`.
///
/// # Errors
/// I/O.
pub fn plan_commands(
    plan: &Plan,
    root: &Path,
    shard: Option<(usize, usize)>,
    line: &CommandLine,
) -> Result<Vec<String>> {
    plan.save(root)?;
    let cfg_dir = root.join("configs");
    std::fs::create_dir_all(&cfg_dir).map_err(|e| io_err(&cfg_dir, e))?;
    let mut tail = String::new();
    if line.device != crate::train::DeviceChoice::Cpu {
        tail.push_str(&format!(" --device {}", line.device));
    }
    if line.allow_large {
        tail.push_str(" --allow-large");
    }
    let cd = line.cwd.as_ref().map_or(String::new(), |d| {
        format!("cd {} && ", shell_quote(&d.display().to_string()))
    });
    let mut cmds = Vec::new();
    for r in shard_of(plan, shard) {
        let p = cfg_dir.join(format!("{}.json", r.id));
        let text = crate::error::json_for(&p, &r.config)?;
        crate::train::checkpoint::write_atomic(&p, text.as_bytes())?;
        cmds.push(format!(
            "{cd}{} --config {} --out {} --resume --quiet{tail}",
            shell_quote(&line.train_bin),
            shell_quote(&p.display().to_string()),
            shell_quote(&Plan::run_dir(root, r).display().to_string())
        ));
    }
    Ok(cmds)
}

/// Quote for a POSIX shell when needed.
fn shell_quote(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
