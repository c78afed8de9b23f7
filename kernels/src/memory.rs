//! The allocator policy of the training step, when mimalloc is the global allocator (mr2's
//! default feature `mimalloc`).
//!
//! Every step frees and allocates the same multi-MiB activations and gradients. mimalloc
//! returns freed memory to the OS after a delay (1 s), and on Linux a returned region comes
//! back as fresh pages that the kernel zeroes on first touch (transparent huge pages: 2 MiB at
//! a time): on ResNet-20 `perf` put that zeroing at 12–27% of a step's CPU samples. Setting the
//! purge delay to "never" keeps the memory mapped for the next step; the process's resident
//! size stays at the step's peak instead of shrinking between steps.

/// `mi_option_purge_delay` in the `mi_option_e` enum of mimalloc 3's `mimalloc.h` (the
/// version `libmimalloc-sys` 0.1.49 builds); `libmimalloc-sys` has no named constant for it.
/// The tests check the index against the option's documented default (1000 ms).
#[cfg(feature = "mimalloc")]
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Keep memory freed by mimalloc mapped instead of returning it to the OS (purge delay −1).
/// Returns whether the setting applied: `false` when built without the `mimalloc` feature.
/// Idempotent; safe to call from any thread at any time.
pub fn retain_freed_memory() -> bool {
    #[cfg(feature = "mimalloc")]
    {
        // SAFETY: `mi_option_set` writes one atomic option slot; any option index below
        // `_mi_option_last` is valid, and the value −1 is documented ("no purging at all").
        unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, -1) };
        true
    }
    #[cfg(not(feature = "mimalloc"))]
    false
}

/// The purge delay in force (milliseconds; −1 = never), or `None` without mimalloc.
pub fn purge_delay() -> Option<i64> {
    #[cfg(feature = "mimalloc")]
    {
        // SAFETY: reads one option slot (initialising it from the environment the first time).
        #[allow(clippy::useless_conversion)] // `c_long` is i64 here, i32 on Windows
        Some(i64::from(unsafe {
            libmimalloc_sys::mi_option_get(PURGE_DELAY)
        }))
    }
    #[cfg(not(feature = "mimalloc"))]
    None
}

#[cfg(all(test, feature = "mimalloc"))]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_index_is_mimallocs_and_the_setting_sticks() {
        // This test binary's process has not changed the option (no other test calls
        // `retain_freed_memory`); mimalloc's default purge delay is 1000 ms unless the
        // environment overrides it.
        let default = match std::env::var("MIMALLOC_PURGE_DELAY") {
            Ok(v) => v.parse().expect("MIMALLOC_PURGE_DELAY is an integer"),
            Err(_) => 1000,
        };
        assert_eq!(purge_delay(), Some(default), "option 15 is the purge delay");
        assert!(retain_freed_memory());
        assert_eq!(purge_delay(), Some(-1));
    }
}
