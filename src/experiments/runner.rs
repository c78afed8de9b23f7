//! Running a plan: the missing runs of (a slice of) the grid, several at once if asked, each in
//! its own locked run directory — finished runs (a `summary.json`) are skipped and interrupted
//! ones continue from their last verified checkpoint.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use super::{Plan, RunSpec};
use crate::error::{invalid, io_err, Result};
use crate::train::{train, write_outputs, RunOptions};

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
    /// Runs trained at once (threads in this process).
    pub jobs: usize,
    /// `(i, n)`: only the runs whose index in the plan is ≡ i (mod n), 0 ≤ i < n.
    pub shard: Option<(usize, usize)>,
    /// No per-run lines.
    pub quiet: bool,
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
    /// Runs that failed, with the error.
    pub failed: Vec<(String, String)>,
}

/// Train the missing runs of `plan` (in `opts.shard`), writing `ROOT/plan.json` first. A run
/// that fails (e.g. diverges) is reported and the others continue.
///
/// # Errors
/// `jobs = 0`; the root cannot be written.
pub fn execute(plan: &Plan, opts: &RunnerOptions) -> Result<Executed> {
    if opts.jobs == 0 {
        return Err(invalid("--jobs", 0, "need at least one job"));
    }
    plan.save(&opts.root)?;
    let runs = shard_of(plan, opts.shard);
    let total = runs.len();
    let mut done = Executed::default();
    let mut queue = VecDeque::new();
    for (pos, r) in runs.into_iter().enumerate() {
        if Plan::run_dir(&opts.root, r).join("summary.json").is_file() {
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
    std::thread::scope(|s| {
        for _ in 0..opts.jobs.min(total.max(1)) {
            s.spawn(|| loop {
                let next = queue.lock().unwrap_or_else(|p| p.into_inner()).pop_front();
                let Some((pos, r)) = next else { break };
                let t0 = Instant::now();
                let res = run_one(r, &opts.root);
                let mut o = out.lock().unwrap_or_else(|p| p.into_inner());
                match res {
                    Ok(acc) => {
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
fn run_one(r: &RunSpec, root: &Path) -> Result<f64> {
    let dir = Plan::run_dir(root, r);
    let trained = train(
        &r.config,
        RunOptions {
            out: Some(dir.clone()),
            resume: true,
            ..Default::default()
        },
    )?;
    Ok(write_outputs(&trained, &dir, None, false)?.overall)
}

/// One self-contained `train` command per run of the slice (for GNU parallel or a job
/// array), after writing each run's configuration to `ROOT/configs/ID.json`: `train --config
/// ROOT/configs/ID.json --out ROOT/runs/ID --resume --quiet`. `train` is the path of the
/// `train` binary to print.
///
/// # Errors
/// The configurations cannot be written.
pub fn plan_commands(
    plan: &Plan,
    root: &Path,
    shard: Option<(usize, usize)>,
    train: &str,
) -> Result<Vec<String>> {
    plan.save(root)?;
    let cfg_dir = root.join("configs");
    std::fs::create_dir_all(&cfg_dir).map_err(|e| io_err(&cfg_dir, e))?;
    let mut cmds = Vec::new();
    for r in shard_of(plan, shard) {
        let p = cfg_dir.join(format!("{}.json", r.id));
        let text = crate::error::json_for(&p, &r.config)?;
        crate::train::checkpoint::write_atomic(&p, text.as_bytes())?;
        cmds.push(format!(
            "{train} --config {} --out {} --resume --quiet",
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
