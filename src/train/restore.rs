//! A finished or interrupted run read back from its directory: its configuration, its latest
//! verified checkpoint's model (evaluation mode) and what that checkpoint is.

use std::path::Path;

use burn::module::Module;

use super::checkpoint::{holds_run, latest_verified, CheckpointState};
use crate::error::{checkpoint_err, Result};
use crate::model::{Model, Net};

/// A run's latest verified model.
pub struct Restored {
    /// The net in evaluation mode, on the CPU.
    pub net: Net,
    /// The checkpoint's state (configuration, epoch, objective, history).
    pub state: CheckpointState,
    /// Whether the checkpoint is the last epoch of the run.
    pub finished: bool,
    /// "checkpoint of epoch E of T (the finished run)" or "… an intermediate model".
    pub provenance: String,
    /// The run's data, loaded and transformed as its configuration says.
    pub splits: crate::data::Splits,
}

/// Read back the latest verified checkpoint of the run in `dir` (a directory `train --out`
/// wrote), with its data.
///
/// # Errors
/// A missing directory, a grid's directory, a directory without a run or without a
/// checkpoint, a corrupt checkpoint (as [`latest_verified`]), data errors, a model file that
/// does not load.
pub fn restore(dir: &Path) -> Result<Restored> {
    if !dir.exists() {
        return Err(checkpoint_err(dir, "does not exist"));
    }
    if dir.join("plan.json").is_file() {
        return Err(checkpoint_err(
            dir,
            "is an experiments grid, not a run: give one of its runs (DIR/runs/ID)",
        ));
    }
    if !holds_run(dir) {
        return Err(checkpoint_err(
            dir,
            "holds no run of `train` (no config.json or checkpoints/)",
        ));
    }
    let Some((ck, state)) = latest_verified(dir)? else {
        return Err(checkpoint_err(
            dir,
            "holds no checkpoint (checkpoints are not committed: train the run again, or evaluate on the machine that trained it)",
        ));
    };
    let total = state.config.total_epochs();
    let finished = state.epoch >= total;
    let provenance = if finished {
        format!(
            "checkpoint of epoch {} of {total} (the finished run)",
            state.epoch
        )
    } else {
        format!(
            "checkpoint of epoch {} of {total}: the run has not finished, this is an intermediate model",
            state.epoch
        )
    };
    let cfg = &state.config;
    let splits = cfg.data.load(cfg.seed)?;
    let dev = super::device();
    // The checkpoint holds the whole training model (with LfF's or DRL's extras).
    let model = Model::new_seeded(
        &cfg.model,
        splits.train.shape,
        splits.train.classes,
        cfg.loss.head(),
        cfg.loss.extras(),
        &dev,
        cfg.seed,
    )?
    .try_load_file(ck.join("model.bpk"))
    .map_err(|e| {
        checkpoint_err(
            ck.join("model.bpk"),
            format!("the model does not load: {e}"),
        )
    })?;
    Ok(Restored {
        net: model.net.valid(),
        state,
        finished,
        provenance,
        splits,
    })
}
