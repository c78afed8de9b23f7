//! `bounds --certify --seeds S,…`: one directory of certificates per seed, reused only when it
//! was computed with the same settings (recorded beside it), and the paired table across seeds.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::pac_bayes::Certificates;
use crate::error::{data_err, invalid, io_err, Result};

/// What a seed's certificates depend on besides the seed (`OUT/seed-S/settings.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedSettings {
    /// Dataset of the quick models.
    pub dataset: String,
    /// Their epochs (`None`: the default).
    pub epochs: Option<usize>,
    /// Their training subset (`None`: the default).
    pub subset: Option<f64>,
    /// Confidence level δ.
    pub delta: f64,
    /// Monte Carlo draws of the Rademacher complexities.
    pub mc_samples: usize,
    /// The Prop. 2 exponent.
    pub p: f64,
    /// Weight draws of the Gibbs classifier.
    pub draws: usize,
}

/// The seeds, checked: at least one, none repeated (a repeated seed would count one sample
/// twice and narrow the interval to nothing).
///
/// # Errors
/// No seed, or a repeated one (named).
pub fn check_seeds(seeds: &[u64]) -> Result<()> {
    if seeds.is_empty() {
        return Err(invalid("--seeds", "[]", "give at least one seed"));
    }
    for (i, s) in seeds.iter().enumerate() {
        if seeds[..i].contains(s) {
            return Err(invalid(
                "--seeds",
                format!("{seeds:?}"),
                "a seed is repeated: one sample would count twice",
            ));
        }
    }
    Ok(())
}

/// The certificates already in `dir` if they were computed with `want`; `None` when the
/// directory has none yet.
///
/// # Errors
/// Certificates recorded with other settings (both values named), or without a settings
/// record (computed by an older mr2), or unreadable files.
pub fn reusable(dir: &Path, want: &SeedSettings) -> Result<Option<Vec<Certificates>>> {
    let certs = dir.join("certificates.json");
    if !certs.is_file() {
        return Ok(None);
    }
    let path = dir.join("settings.json");
    let text = std::fs::read_to_string(&path).map_err(|_| {
        data_err(
            &path,
            "missing beside certificates.json (written by an older mr2): remove the directory to recompute it",
        )
    })?;
    let have: SeedSettings =
        serde_json::from_str(&text).map_err(|e| data_err(&path, e.to_string()))?;
    if have != *want {
        return Err(data_err(
            &path,
            format!(
                "these certificates were computed with {have:?}, this run asks for {want:?}: use another --out, or remove the directory to recompute"
            ),
        ));
    }
    let text = std::fs::read_to_string(&certs).map_err(|e| io_err(&certs, e))?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| data_err(&certs, e.to_string()))
}

/// Record `s` in `dir` (after its certificates are written).
///
/// # Errors
/// I/O.
pub fn record(dir: &Path, s: &SeedSettings) -> Result<()> {
    let path = dir.join("settings.json");
    let text = serde_json::to_string_pretty(s).map_err(|e| data_err(&path, e.to_string()))?;
    std::fs::write(&path, text).map_err(|e| io_err(&path, e))
}
