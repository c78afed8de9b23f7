//! Memory limits: every allocation whose size comes from a file's header or from a setting is
//! checked here first, against the memory this machine has available (`MemAvailable` of
//! `/proc/meminfo`; 16 GiB where that cannot be read), so that a malformed header or a typo in a
//! configuration is refused with a message instead of exhausting the machine.
//!
//! Users who mean it lift the check with `--allow-large` (the binaries call [`allow_large`]) or
//! `MR2_ALLOW_LARGE=1`.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};

static ALLOW_LARGE: AtomicBool = AtomicBool::new(false);

/// The limit used where `/proc/meminfo` cannot be read.
pub const FALLBACK_LIMIT: u64 = 16 << 30;

/// Lift (or restore) the memory check for this process.
pub fn allow_large(on: bool) {
    ALLOW_LARGE.store(on, Ordering::Relaxed);
}

/// Whether the check is lifted (by [`allow_large`] or `MR2_ALLOW_LARGE=1`).
pub fn large_allowed() -> bool {
    ALLOW_LARGE.load(Ordering::Relaxed)
        || env_allows(std::env::var("MR2_ALLOW_LARGE").ok().as_deref())
}

/// Whether a value of `MR2_ALLOW_LARGE` lifts the check: `1` or `true`.
pub fn env_allows(value: Option<&str>) -> bool {
    matches!(value, Some("1" | "true"))
}

/// `MemAvailable` from a `/proc/meminfo` text, in bytes.
pub fn parse_meminfo(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let mut it = line["MemAvailable:".len()..].split_whitespace();
    let kib: u64 = it.next()?.parse().ok()?;
    match it.next() {
        Some("kB") | None => kib.checked_mul(1024),
        Some(_) => None,
    }
}

/// Bytes of memory available now (`MemAvailable`), where the OS says.
pub fn available_memory() -> Option<u64> {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .as_deref()
        .and_then(parse_meminfo)
}

/// The limit in force: the available memory (or [`FALLBACK_LIMIT`]), `u64::MAX` when lifted.
pub fn budget() -> u64 {
    if large_allowed() {
        u64::MAX
    } else {
        available_memory().unwrap_or(FALLBACK_LIMIT)
    }
}

/// Refuse `needed` bytes for `what` when they exceed `limit`.
///
/// # Errors
/// [`Error::Memory`] naming `what`, the bytes and the limit.
pub fn check_within(what: impl FnOnce() -> String, needed: u128, limit: u64) -> Result<()> {
    if needed > u128::from(limit) {
        return Err(Error::Memory {
            what: what(),
            needed,
            limit,
        });
    }
    Ok(())
}

/// Refuse `needed` bytes for `what` when they exceed [`budget`].
///
/// # Errors
/// As [`check_within`].
pub fn check(what: impl FnOnce() -> String, needed: u128) -> Result<()> {
    check_within(what, needed, budget())
}

/// `a × b × …` in `u128`, saturating (sizes computed from untrusted numbers never wrap).
pub fn product(factors: &[u128]) -> u128 {
    factors.iter().fold(1u128, |p, &f| p.saturating_mul(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meminfo_is_read_in_bytes() {
        let t = "MemTotal:       24000000 kB\nMemFree:  1 kB\nMemAvailable:   2048 kB\n";
        assert_eq!(parse_meminfo(t), Some(2048 * 1024));
        assert_eq!(parse_meminfo("MemTotal: 5 kB\n"), None);
        assert_eq!(parse_meminfo("MemAvailable: x kB\n"), None);
    }

    #[test]
    fn the_environment_lifts_the_check_with_1_or_true() {
        assert!(env_allows(Some("1")) && env_allows(Some("true")));
        assert!(!env_allows(Some("0")) && !env_allows(Some("")) && !env_allows(None));
        assert_eq!(FALLBACK_LIMIT, 17_179_869_184, "16 GiB");
    }

    #[test]
    fn the_budget_is_the_available_memory_unless_lifted() {
        if std::env::var("MR2_ALLOW_LARGE").is_ok() {
            return; // the environment lifts the check; nothing to test
        }
        let b = budget();
        assert!((1 << 20..u64::MAX).contains(&b), "budget {b}");
        if cfg!(target_os = "linux") {
            let a = available_memory();
            assert!(a.is_some_and(|m| m > 1 << 20), "MemAvailable {a:?}");
        }
        assert!(check(|| "everything".into(), u128::MAX).is_err());
        assert!(check(|| "a byte".into(), 1).is_ok());
        allow_large(true);
        assert_eq!(budget(), u64::MAX);
        assert!(check(|| "everything".into(), u128::from(u64::MAX)).is_ok());
        allow_large(false);
        assert!(budget() < u64::MAX);
    }

    #[test]
    fn a_size_over_the_limit_is_refused_naming_it() {
        assert!(check_within(|| "x".into(), 100, 100).is_ok());
        let e = check_within(|| "the synthetic training set".into(), 101, 100).unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains("the synthetic training set") && m.contains("101 B"),
            "{m}"
        );
        assert!(m.contains("--allow-large"), "{m}");
        assert_eq!(product(&[u128::MAX, 2]), u128::MAX);
        assert_eq!(product(&[3, 4, 5]), 60);
    }
}
