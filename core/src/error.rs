//! The one error type of mr2 (theory core, trainer, bounds and binaries' library parts).

use thiserror::Error;

/// Errors raised by the theory core, the claim registry, the trainer and the reports.
///
/// Every variant names the input it rejects (parameter, file, class) so that a binary can print
/// it as one line.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// A hyper-parameter or argument is outside its documented range.
    #[error("invalid parameter `{name}` = {value}: {reason}")]
    InvalidParameter {
        /// Name of the parameter as it appears in the paper or CLI (e.g. `c_bar`, `p`, `delta`).
        name: &'static str,
        /// The rejected value, formatted.
        value: String,
        /// What the valid range is.
        reason: &'static str,
    },
    /// Two inputs that must agree in size do not.
    #[error("shape mismatch for `{what}`: expected {expected}, got {got}")]
    Shape {
        /// Which input.
        what: &'static str,
        /// Expected size.
        expected: usize,
        /// Actual size.
        got: usize,
    },
    /// A class has no samples where the formula needs at least one.
    #[error("{} has no samples; {context}", match class { Some(k) => format!("class {k}"), None => "the class".to_string() })]
    EmptyClass {
        /// Class index, when the caller knows it.
        class: Option<usize>,
        /// What needed it.
        context: &'static str,
    },
    /// Exact enumeration was asked for a problem that is too large.
    #[error(
        "exact enumeration over 2^{n} sign vectors is too large (limit 2^{limit}); use Monte Carlo"
    )]
    TooLarge {
        /// Number of signs requested.
        n: usize,
        /// Largest allowed.
        limit: usize,
    },
    /// A data file is missing, truncated or malformed.
    #[error("{path}: {reason}")]
    Data {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A configuration file (TOML / JSON) is malformed or names a setting that does not exist.
    #[error("{path}: {reason}")]
    Config {
        /// The file (or `command line`).
        path: String,
        /// What is wrong, with the closest valid name when a key is unknown.
        reason: String,
    },
    /// A checkpoint or run directory is incomplete, corrupt, or belongs to another run.
    #[error("{path}: {reason}")]
    Checkpoint {
        /// The file or directory.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Another process holds the run directory.
    #[error(
        "{path} is in use by another `train` process (it holds {path}/.lock); wait for it to finish or choose another --out"
    )]
    Locked {
        /// The run directory.
        path: String,
    },
    /// Training produced a non-finite quantity (loss, parameters or EMA statistics).
    #[error("training stopped: {what} became non-finite at epoch {epoch}{}; {kept}", match batch { Some(b) => format!(", batch {b}"), None => String::new() })]
    Diverged {
        /// What went non-finite (`the loss (NaN)`, `the model parameters`, …).
        what: String,
        /// Epoch (1-based) in which it happened.
        epoch: usize,
        /// Batch within the epoch, when known.
        batch: Option<usize>,
        /// What exists on disk: the last checkpoint, or that none was written.
        kept: String,
    },
    /// A tensor could not be read back from the compute backend.
    #[error("reading {what} from the backend failed: {reason}")]
    Backend {
        /// Which tensor.
        what: &'static str,
        /// The backend's message.
        reason: String,
    },
    /// The compute device asked for cannot be used (not compiled in, or not present).
    #[error("device {device}: {reason}")]
    Device {
        /// The device as given (`cuda:0`, `wgpu`).
        device: String,
        /// Why it cannot be used and what to do.
        reason: String,
    },
    /// Writing a plot failed.
    #[error("plotting {path}: {reason}")]
    Plot {
        /// The file.
        path: String,
        /// The plotting library's message.
        reason: String,
    },
    /// An input (a file's header, a setting) asks for more memory than the machine has.
    #[error(
        "{what} would need {}, more than the {} this machine has available; pass --allow-large (or set MR2_ALLOW_LARGE=1) if you mean it",
        human_bytes(*needed),
        human_bytes(u128::from(*limit))
    )]
    Memory {
        /// What would be allocated (`the synthetic training set (…)`, `entry train_features of X`).
        what: String,
        /// Bytes it would need.
        needed: u128,
        /// Bytes available (or the limit in force).
        limit: u64,
    },
    /// I/O while reading or writing files.
    #[error("{path}: {source}")]
    Io {
        /// File involved.
        path: String,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// `bytes` in B, KiB, MiB, GiB or TiB (one decimal above B).
pub fn human_bytes(bytes: u128) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Build an [`Error::InvalidParameter`].
pub fn invalid(name: &'static str, value: impl std::fmt::Display, reason: &'static str) -> Error {
    Error::InvalidParameter {
        name,
        value: value.to_string(),
        reason,
    }
}

/// Build an [`Error::Data`].
pub fn data_err(path: impl AsRef<std::path::Path>, reason: impl Into<String>) -> Error {
    Error::Data {
        path: path.as_ref().display().to_string(),
        reason: reason.into(),
    }
}

/// Build an [`Error::Checkpoint`].
pub fn checkpoint_err(path: impl AsRef<std::path::Path>, reason: impl Into<String>) -> Error {
    Error::Checkpoint {
        path: path.as_ref().display().to_string(),
        reason: reason.into(),
    }
}

/// `x` as pretty JSON for the file `path` (a serialisation failure is reported as an I/O error
/// on that file, never written as an empty file).
///
/// # Errors
/// `x` cannot be represented in JSON (e.g. a map with non-string keys).
pub fn json_for(path: impl AsRef<std::path::Path>, x: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string_pretty(x).map_err(|e| io_err(path, e.into()))
}

/// Build an [`Error::Io`]: an I/O error on `path`.
pub fn io_err(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Error {
    Error::Io {
        path: path.as_ref().display().to_string(),
        source,
    }
}
