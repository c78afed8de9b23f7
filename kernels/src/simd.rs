//! Run-time choice of the instruction set for the element-wise and reduction loops.
//!
//! The loops of [`crate::batch_norm`] and [`crate::pool`] are plain Rust over slices; run
//! through `dispatch`, they are compiled once per level — AVX-512 (x86-64-v4), AVX2 + FMA
//! (x86-64-v3) and the baseline — and the best level the CPU has is taken at run time (`pulp`
//! detects it), so one binary runs on any x86-64 and uses the wide registers where they exist.
//!
//! The levels give **bit-identical** results: every loop fixes its order of operations (lane
//! accumulators, no reassociation) and Rust never fuses a multiply and an add on its own, so a
//! wider register only does the same operations more at a time. [`force`] pins a level (for the
//! tests that check this, and for measuring what each level buys; `MR2_SIMD=baseline|v3|v4` in
//! the environment does the same for a whole process).

use std::sync::atomic::{AtomicU8, Ordering};

/// An instruction-set level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Baseline x86-64 (SSE2) or the non-x86 scalar path.
    Baseline,
    /// AVX2 + FMA (x86-64-v3).
    V3,
    /// AVX-512 (x86-64-v4).
    V4,
}

static FORCED: AtomicU8 = AtomicU8::new(0);
static FROM_ENV: std::sync::Once = std::sync::Once::new();

/// The level named by `MR2_SIMD` (`baseline`, `v3`, `v4`; anything else: the best), read once
/// before the first kernel call so that A/B runs need no rebuild.
fn level_from_env() {
    FROM_ENV.call_once(|| {
        let lv = match std::env::var("MR2_SIMD").as_deref() {
            Ok("baseline") => Some(Level::Baseline),
            Ok("v3") => Some(Level::V3),
            Ok("v4") => Some(Level::V4),
            _ => None,
        };
        store(lv);
    });
}

/// Pin the level used by every later kernel call in the process (`None`: the best the CPU
/// has). A level the CPU lacks falls back to the best one below it.
pub fn force(level: Option<Level>) {
    // An explicit choice wins over the environment, also if it comes first.
    FROM_ENV.call_once(|| {});
    store(level);
}

fn store(level: Option<Level>) {
    let v = match level {
        None => 0,
        Some(Level::Baseline) => 1,
        Some(Level::V3) => 2,
        Some(Level::V4) => 3,
    };
    FORCED.store(v, Ordering::Relaxed);
}

/// The `pulp` architecture of the current level (for operations written as `pulp::WithSimd`).
pub(crate) fn arch() -> pulp::Arch {
    level_from_env();
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        use pulp::x86::{V3, V4};
        let v4 = || V4::try_new().map(pulp::Arch::V4);
        let v3 = || V3::try_new().map(pulp::Arch::V3);
        match FORCED.load(Ordering::Relaxed) {
            1 => pulp::Arch::Scalar,
            2 => v3().unwrap_or(pulp::Arch::Scalar),
            _ => v4().or_else(v3).unwrap_or(pulp::Arch::Scalar),
        }
    }
    #[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
    {
        pulp::Arch::new()
    }
}

/// The level `dispatch` uses now.
pub fn level() -> Level {
    match arch() {
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        pulp::Arch::V4(_) => Level::V4,
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        pulp::Arch::V3(_) => Level::V3,
        _ => Level::Baseline,
    }
}

/// Run `f` compiled for the current level. Whatever `f` inlines is compiled for that level
/// too, so the loops it calls are marked `#[inline(always)]`; call it inside each parallel
/// task (a rayon worker does not inherit the caller's level).
#[inline(always)]
pub(crate) fn dispatch<R>(f: impl FnOnce() -> R) -> R {
    arch().dispatch(f)
}
