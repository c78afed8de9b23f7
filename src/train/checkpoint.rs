//! Run directories and checkpoints.
//!
//! Layout of `OUT/`: `config.json` (written before training), `metrics.csv`, `.lock`, and
//! `checkpoints/epoch-NNNN/{model.bpk, optim.bpk, state.json}`. Guarantees:
//!
//! - **Atomic checkpoints.** A checkpoint is written to `epoch-NNNN.tmp/`, every file synced,
//!   then renamed to `epoch-NNNN/` in one step; the previous checkpoint is deleted only after
//!   that. A crash at any point leaves the last complete checkpoint intact; `*.tmp` directories
//!   are incomplete and ignored.
//! - **Verified checkpoints.** `state.json` records the SHA-256 of `model.bpk` and `optim.bpk`
//!   and the configuration; resuming recomputes them and refuses a mismatch, naming the file
//!   (a flipped byte or an optimiser file from another run is an error, never a silent change).
//! - **Validated state.** The epoch must match the history and the run's length, the
//!   configuration must equal the run's, and the objective's stored state (EMA statistics,
//!   DRO weights, …) must be finite and of the right size.
//! - **One writer.** A run holds `OUT/.lock` (an OS file lock, released when the process ends,
//!   also by a crash); a second `train` on the same directory is refused.
//! - **Exact floats.** JSON is written with shortest round-trip formatting and read with
//!   serde_json's exact parser (`float_roundtrip`), so every f64 reads back bit-identical.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::optim::ModuleOptimizer;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::config::TrainConfig;
use super::metrics::EpochMetrics;
use crate::error::{checkpoint_err, io_err, Error, Result};
use crate::loss::Objective;
use crate::model::Model;

/// Subdirectory holding the checkpoints.
pub const CHECKPOINTS: &str = "checkpoints";

/// The files a checkpoint holds besides `state.json`.
pub const FILES: [&str; 2] = ["model.bpk", "optim.bpk"];

/// What `state.json` stores.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointState {
    /// Completed epochs.
    pub epoch: usize,
    /// The objective and its state.
    pub objective: Objective,
    /// Metrics so far (one row per completed epoch).
    pub history: Vec<EpochMetrics>,
    /// The run's configuration.
    pub config: TrainConfig,
    /// SHA-256 (hex) of each file of the checkpoint.
    pub files: BTreeMap<String, String>,
}

/// SHA-256 of a file, hex.
///
/// # Errors
/// The file cannot be read.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut f = File::open(path).map_err(|e| io_err(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(|e| io_err(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Write `bytes` to `path` atomically (temporary file, sync, rename). The temporary file's
/// name is unique to this process and call, so concurrent writers of one path (two
/// `experiments` on one `--out` writing `plan.json`) never rename each other's file away.
///
/// # Errors
/// I/O.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}-{n}.tmp", std::process::id()));
    let tmp = path.with_file_name(name);
    let written = File::create(&tmp)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            f.sync_all()
        })
        .map_err(|e| io_err(&tmp, e))
        .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| io_err(path, e)));
    if written.is_err() {
        // A full disk must not leave partial temporary files behind.
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

fn sync(path: &Path) -> Result<()> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| io_err(path, e))
}

/// Whether `root` holds a run (a configuration or checkpoints).
pub fn holds_run(root: &Path) -> bool {
    root.join("config.json").exists() || root.join(CHECKPOINTS).exists()
}

/// Complete checkpoints under `root/checkpoints`, oldest first, as `(epoch, dir)`.
///
/// # Errors
/// The directory cannot be listed.
pub fn complete_checkpoints(root: &Path) -> Result<Vec<(usize, PathBuf)>> {
    let dir = root.join(CHECKPOINTS);
    if !dir.exists() {
        return Ok(vec![]);
    }
    let mut out = vec![];
    for e in std::fs::read_dir(&dir).map_err(|e| io_err(&dir, e))? {
        let e = e.map_err(|e| io_err(&dir, e))?;
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(n) = name
            .strip_prefix("epoch-")
            .and_then(|n| n.parse::<usize>().ok())
        {
            out.push((n, e.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// Read the run's `config.json`.
///
/// # Errors
/// Missing or malformed file (named).
pub fn read_config(root: &Path) -> Result<TrainConfig> {
    let p = root.join("config.json");
    let s = std::fs::read_to_string(&p).map_err(|e| io_err(&p, e))?;
    serde_json::from_str(&s).map_err(|e| checkpoint_err(&p, e.to_string()))
}

/// The latest complete checkpoint of `root`, verified: its `state.json` parses, the checksums
/// of its files match, its epoch matches its directory name and its history, and its
/// configuration equals `config.json`. `Ok(None)` when the run has no checkpoint yet.
///
/// # Errors
/// Any check failing, naming the file; a run of an older mr2 layout.
pub fn latest_verified(root: &Path) -> Result<Option<(PathBuf, CheckpointState)>> {
    if root.join("checkpoint").exists() {
        return Err(checkpoint_err(
            root.join("checkpoint"),
            "a checkpoint in the layout of an older mr2 (checkpoint/); start a new --out",
        ));
    }
    let mut all = complete_checkpoints(root)?;
    let Some((n, dir)) = all.pop() else {
        return Ok(None);
    };
    match verify(root, n, &dir) {
        Ok(state) => Ok(Some((dir, state))),
        Err(e) => {
            // Offer the newest earlier checkpoint that verifies (never used silently: the
            // damage may mean the run directory is not what the user thinks it is).
            let intact = all.iter().rev().find(|(m, d)| verify(root, *m, d).is_ok());
            Err(match (e, intact) {
                (Error::Checkpoint { path, reason }, Some((_, good))) => Error::Checkpoint {
                    path,
                    reason: format!(
                        "{reason}; the earlier checkpoint {} is intact: move {} aside to resume (or bound) from it",
                        good.display(),
                        dir.display()
                    ),
                },
                (e, _) => e,
            })
        }
    }
}

/// The key of an MR²-family objective's parameters ([`crate::loss::Mr2::spec`]) in
/// `state.json`. Not written: the configuration stored beside the objective holds them, and
/// the objective's part holds only its running statistics. Read where present (a checkpoint
/// of an mr2 before 2026-12-07 wrote it), and then compared with the configuration on resume.
const OBJECTIVE_PARAMS: &str = "spec";

/// `state.json`'s bytes: the state without the objective's copy of its parameters.
fn state_json(state: &CheckpointState) -> serde_json::Result<Vec<u8>> {
    let mut v = serde_json::to_value(state)?;
    if let Some(o) = v
        .get_mut("objective")
        .and_then(serde_json::Value::as_object_mut)
    {
        o.remove(OBJECTIVE_PARAMS);
    }
    serde_json::to_vec_pretty(&v)
}

/// A state read from `state.json`: an MR²-family objective without its parameters gets them
/// from the configuration stored in the same file; one with them (older checkpoints) keeps
/// its own, for [`RunDir::resume`] to compare.
fn parse_state(bytes: &[u8]) -> std::result::Result<CheckpointState, String> {
    let mut v: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let needs_params = v["objective"]
        .as_object()
        .is_some_and(|o| !o.contains_key(OBJECTIVE_PARAMS));
    if needs_params {
        // Only the configuration's method is read here; the whole state is read once, below.
        let method: crate::loss::Method = serde_json::from_value(v["config"]["loss"].clone())
            .map_err(|e| format!("its configuration's method: {e}"))?;
        if let Some(spec) = method.mr2_spec().map_err(|e| e.to_string())? {
            v["objective"][OBJECTIVE_PARAMS] =
                serde_json::to_value(spec).map_err(|e| e.to_string())?;
        }
    }
    serde_json::from_value(v).map_err(|e| e.to_string())
}

/// Verify the checkpoint `dir` of epoch `n` of the run `root` (see [`latest_verified`]).
fn verify(root: &Path, n: usize, dir: &Path) -> Result<CheckpointState> {
    let sp = dir.join("state.json");
    let bytes = std::fs::read(&sp)
        .map_err(|e| checkpoint_err(&sp, format!("cannot read the checkpoint's state: {e}")))?;
    let state = parse_state(&bytes)
        .map_err(|e| checkpoint_err(&sp, format!("malformed checkpoint state: {e}")))?;
    for f in FILES {
        let p = dir.join(f);
        let want = state
            .files
            .get(f)
            .ok_or_else(|| checkpoint_err(&sp, format!("no checksum recorded for {f}")))?;
        if !p.exists() {
            return Err(checkpoint_err(&p, "missing from the checkpoint"));
        }
        if sha256_file(&p)? != *want {
            return Err(checkpoint_err(
                &p,
                "checksum mismatch: the file was changed or replaced after the checkpoint was written",
            ));
        }
    }
    if state.epoch != n || state.history.len() != n || n == 0 {
        return Err(checkpoint_err(
            &sp,
            format!(
                "epoch {} with {} history rows in directory epoch-{n:04}",
                state.epoch,
                state.history.len()
            ),
        ));
    }
    if state
        .history
        .iter()
        .enumerate()
        .any(|(i, m)| m.epoch != i + 1)
    {
        return Err(checkpoint_err(&sp, "the history's epochs are not 1, 2, …"));
    }
    if n > state.config.total_epochs() {
        return Err(checkpoint_err(
            &sp,
            format!(
                "epoch {n} is beyond the run's {} epochs",
                state.config.total_epochs()
            ),
        ));
    }
    let on_disk = read_config(root)?;
    if on_disk != state.config {
        return Err(checkpoint_err(
            root.join("config.json"),
            format!("differs from the configuration stored in {}", sp.display()),
        ));
    }
    Ok(state)
}

/// A run directory held by this process.
pub struct RunDir {
    root: PathBuf,
    _lock: File,
}

/// How long [`RunDir::open`] retries a busy lock before refusing the directory.
pub const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

impl RunDir {
    /// Take `root` for a run: create it, take its lock, and — unless `resume` — refuse a
    /// directory that already holds a run.
    ///
    /// # Errors
    /// [`Error::Locked`] when another process holds it (after [`LOCK_PATIENCE`]); an existing
    /// run without `resume`; I/O.
    pub fn open(root: &Path, resume: bool) -> Result<Self> {
        std::fs::create_dir_all(root).map_err(|e| io_err(root, e))?;
        let lp = root.join(".lock");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lp)
            .map_err(|e| io_err(&lp, e))?;
        // A lock that is busy is tried again for up to LOCK_PATIENCE: a process that starts a
        // child holds a copy of every open descriptor (and so of a just-released lock) until
        // the child's exec closes it, milliseconds later. A run that holds the lock for real is
        // still refused, LOCK_PATIENCE later.
        let start = std::time::Instant::now();
        loop {
            match lock.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < LOCK_PATIENCE => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(Error::Locked {
                        path: root.display().to_string(),
                    })
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(io_err(&lp, e)),
            }
        }
        if !resume && holds_run(root) {
            return Err(checkpoint_err(
                root,
                "already holds a run (config.json or checkpoints/); pass --resume to continue it or choose another --out",
            ));
        }
        Ok(Self {
            root: root.to_path_buf(),
            _lock: lock,
        })
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Write `config.json`.
    ///
    /// # Errors
    /// I/O.
    pub fn write_config(&self, cfg: &TrainConfig) -> Result<()> {
        let js = serde_json::to_vec_pretty(cfg)
            .map_err(|e| checkpoint_err(&self.root, e.to_string()))?;
        write_atomic(&self.root.join("config.json"), &js)
    }

    /// Load the latest verified checkpoint into `model` and `opt` for a run of `cfg` with `k`
    /// classes; `Ok(None)` when none exists yet.
    ///
    /// # Errors
    /// As [`latest_verified`], a configuration that differs from `cfg`, an invalid objective
    /// state, files burn cannot load.
    pub fn resume(
        &self,
        cfg: &TrainConfig,
        k: usize,
        model: Model,
        opt: ModuleOptimizer,
    ) -> Result<Option<(Model, ModuleOptimizer, CheckpointState)>> {
        let Some((dir, state)) = latest_verified(&self.root)? else {
            return Ok(None);
        };
        if state.config != *cfg {
            return Err(checkpoint_err(
                dir.join("state.json"),
                "the checkpoint was written with a different configuration; resume with the run's config.json (train --config OUT/config.json --resume) or choose a new --out",
            ));
        }
        // The objective's stored parameters must be the configuration's too: a checkpoint of an
        // older mr2 keeps both (state.json now holds only the configuration's), and a
        // hand-edited or foreign state could hold another c̄ or λ.
        if let (crate::loss::Objective::Mr2(o), Ok(Some(want))) =
            (&state.objective, cfg.loss.mr2_spec())
        {
            if o.spec != want {
                return Err(checkpoint_err(
                    dir.join("state.json"),
                    format!(
                        "the objective's stored parameters ({}) differ from the configuration's ({}): a foreign or edited checkpoint; choose a new --out",
                        o.spec.params().summary(),
                        want.params().summary()
                    ),
                ));
            }
        }
        state
            .objective
            .validate_state(k)
            .map_err(|e| checkpoint_err(dir.join("state.json"), e.to_string()))?;
        let model = model
            .try_load_file(dir.join("model.bpk"))
            .map_err(|e| checkpoint_err(dir.join("model.bpk"), format!("{e:?}")))?;
        let opt = opt
            .load(dir.join("optim.bpk"))
            .map_err(|e| checkpoint_err(dir.join("optim.bpk"), format!("{e:?}")))?;
        Ok(Some((model, opt, state)))
    }

    /// Write a checkpoint for `state.epoch` (see the module documentation for the protocol) and
    /// keep only it and the one before.
    ///
    /// # Errors
    /// I/O, or burn failing to save.
    pub fn save(
        &self,
        model: &Model,
        opt: &ModuleOptimizer,
        state: &mut CheckpointState,
    ) -> Result<()> {
        let base = self.root.join(CHECKPOINTS);
        std::fs::create_dir_all(&base).map_err(|e| io_err(&base, e))?;
        let name = format!("epoch-{:04}", state.epoch);
        let tmp = base.join(format!("{name}.tmp"));
        let fin = base.join(&name);
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(|e| io_err(&tmp, e))?;
        }
        std::fs::create_dir_all(&tmp).map_err(|e| io_err(&tmp, e))?;
        model
            .clone()
            .save_file(tmp.join("model.bpk"))
            .map_err(|e| {
                checkpoint_err(tmp.join("model.bpk"), format!("saving the model: {e:?}"))
            })?;
        opt.save(tmp.join("optim.bpk")).map_err(|e| {
            checkpoint_err(
                tmp.join("optim.bpk"),
                format!("saving the optimiser: {e:?}"),
            )
        })?;
        state.files.clear();
        for f in FILES {
            sync(&tmp.join(f))?;
            state
                .files
                .insert(f.to_string(), sha256_file(&tmp.join(f))?);
        }
        let js = state_json(state).map_err(|e| checkpoint_err(&tmp, e.to_string()))?;
        write_atomic(&tmp.join("state.json"), &js)?;
        sync(&tmp)?;
        if fin.exists() {
            std::fs::remove_dir_all(&fin).map_err(|e| io_err(&fin, e))?;
        }
        std::fs::rename(&tmp, &fin).map_err(|e| io_err(&fin, e))?;
        sync(&base)?;
        // Keep this checkpoint and the previous one; drop older ones and stale temporaries.
        let done = complete_checkpoints(&self.root)?;
        for (n, d) in &done {
            if *n + 1 < state.epoch {
                std::fs::remove_dir_all(d).map_err(|e| io_err(d, e))?;
            }
        }
        for e in std::fs::read_dir(&base)
            .map_err(|e| io_err(&base, e))?
            .flatten()
        {
            if e.file_name().to_string_lossy().ends_with(".tmp") {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
        Ok(())
    }

    /// What exists on disk, for messages: the latest complete checkpoint or "no checkpoint".
    pub fn describe_saved(&self) -> String {
        match complete_checkpoints(&self.root)
            .ok()
            .and_then(|mut v| v.pop())
        {
            Some((n, d)) => format!("the last checkpoint on disk is epoch {n} ({})", d.display()),
            None => format!("no checkpoint was written to {}", self.root.display()),
        }
    }
}
