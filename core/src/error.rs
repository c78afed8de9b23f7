//! The library's one error type.

use thiserror::Error;

/// Errors raised by the theory core, the claim registry and the binaries' library parts.
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
    #[error("class {class} has no samples; {context}")]
    EmptyClass {
        /// Class index.
        class: usize,
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
    /// Training diverged or could not continue.
    #[error("training stopped: {0}")]
    Training(String),
    /// I/O while writing reports.
    #[error("{path}: {source}")]
    Io {
        /// File involved.
        path: String,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
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

/// Build an [`Error::Io`].
pub fn io_err(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Error {
    Error::Io {
        path: path.as_ref().display().to_string(),
        source,
    }
}
