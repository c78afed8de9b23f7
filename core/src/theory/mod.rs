//! The paper's mathematical objects as plain `f64` functions (no autodiff).
//!
//! Each function names the equation it implements. The trainer's tensor losses are tested
//! against these (one definition of each formula).

pub mod bounds;
pub mod certificates;
pub mod contraction;
pub mod gamma;
pub mod khintchine;
pub mod lse;
pub mod margin;
pub mod moments;
pub mod objective;
pub mod rademacher;

/// Largest number of signs enumerated exactly (2^24 ≈ 1.7e7 sign vectors) — shared by the
/// exact Rademacher averages ([`rademacher`]) and the exact Khintchine expectations
/// ([`khintchine`]), so neither module depends on the other.
pub const MAX_EXACT: usize = 24;

/// `Ok` when `signs` Rademacher signs can be enumerated exactly (`signs ≤ MAX_EXACT`), else
/// [`crate::Error::TooLarge`] — the one limit check of every exact enumeration.
pub fn enumerable(signs: usize) -> crate::Result<()> {
    if signs > MAX_EXACT {
        return Err(crate::Error::TooLarge {
            n: signs,
            limit: MAX_EXACT,
        });
    }
    Ok(())
}

/// An estimate with its Monte Carlo standard error (0 for exact values).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Estimate {
    /// Point estimate.
    pub mean: f64,
    /// Standard error of the mean (0 when computed exactly).
    pub se: f64,
}

impl Estimate {
    /// An exact value.
    pub fn exact(v: f64) -> Self {
        Self { mean: v, se: 0.0 }
    }

    /// The sample mean of `v` and its standard error `√(s²/n)`, `s²` the variance with
    /// Bessel's correction (divided by `n − 1`); `v` needs two values.
    pub fn of_sample(v: &[f64]) -> Self {
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
        Self {
            mean,
            se: (var / n).sqrt(),
        }
    }
}

/// `‖v‖_p` for `p ∈ [1, ∞]` (`f64::INFINITY` for the max norm).
// Exact comparisons pick exact fast paths for p = 1, 2; the general branch is also correct there.
#[allow(clippy::float_cmp)]
pub fn lp_norm(v: &[f64], p: f64) -> f64 {
    if p.is_infinite() {
        v.iter().fold(0.0_f64, |m, x| m.max(x.abs()))
    } else if p == 1.0 {
        v.iter().map(|x| x.abs()).sum()
    } else if p == 2.0 {
        v.iter().map(|x| x * x).sum::<f64>().sqrt()
    } else {
        let m = v.iter().fold(0.0_f64, |m, x| m.max(x.abs()));
        if m == 0.0 {
            return 0.0;
        }
        m * v
            .iter()
            .map(|x| (x.abs() / m).powf(p))
            .sum::<f64>()
            .powf(1.0 / p)
    }
}

/// The conjugate exponent `q` with `1/p + 1/q = 1`.
// p = 1 exactly is the one exponent whose conjugate is ∞.
#[allow(clippy::float_cmp)]
pub fn conjugate(p: f64) -> f64 {
    if p == 1.0 {
        f64::INFINITY
    } else if p.is_infinite() {
        1.0
    } else {
        p / (p - 1.0)
    }
}

/// Check `p ∈ [1, ∞]`.
pub fn check_p(p: f64) -> crate::Result<()> {
    if p.is_nan() || p < 1.0 {
        return Err(crate::error::invalid(
            "p",
            p,
            "the L_p exponent must satisfy p >= 1",
        ));
    }
    Ok(())
}

/// The smallest confidence level δ accepted: every bound takes `ln(c/δ)` with a union-bound
/// factor `c` (2 in the confidence term, up to `2√n·K·G` in the certificates); below 1e-300
/// the ratio overflows to ∞ for the factors in use (≤ 1e7) and a bound would be infinite.
pub const MIN_DELTA: f64 = 1e-300;

/// Check the confidence level `δ ∈ [`[`MIN_DELTA`]`, 1)` — the one check of δ, used by every
/// bound and certificate.
pub fn check_delta(delta: f64) -> crate::Result<()> {
    if !(delta.is_finite() && delta < 1.0) || delta < MIN_DELTA {
        return Err(crate::error::invalid(
            "delta",
            delta,
            "the confidence level δ must lie in [1e-300, 1): below 1e-300 its logarithm overflows the bounds",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delta_is_checked_once_with_its_floor() {
        for ok in [MIN_DELTA, 0.05, 0.999] {
            check_delta(ok).unwrap();
        }
        for bad in [0.0, 1e-310, 1.0, 1.5, -0.1, f64::NAN, f64::INFINITY] {
            assert!(check_delta(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn enumeration_stops_exactly_past_the_limit() {
        assert!(enumerable(0).is_ok());
        assert!(enumerable(MAX_EXACT).is_ok());
        match enumerable(MAX_EXACT + 1) {
            Err(crate::Error::TooLarge { n, limit }) => {
                assert_eq!((n, limit), (MAX_EXACT + 1, MAX_EXACT));
            }
            other => panic!("expected TooLarge, got {other:?}"),
        }
    }
}
