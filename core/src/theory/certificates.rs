//! Certificates: upper bounds on a classifier's true error that hold with probability
//! `≥ 1 − δ`, as plain f64 functions.
//!
//! - the test-set bound (Langford 2005, "Tutorial on practical prediction theory", Thm. 3.3):
//!   the exact inversion of the binomial tail, [`binomial_tail_upper`];
//! - the PAC-Bayes-kl bound (Seeger 2002; Maurer 2004's `2√n`):
//!   `kl(ê(Q) ‖ e(Q)) ≤ (KL(Q‖P) + ln(2√n/δ)) / n`, [`pac_bayes_kl`];
//! - the sampling correction of a Gibbs classifier's empirical error estimated from `m` weight
//!   draws (Langford & Caruana 2001, as Dziugaite & Roy 2017 use it):
//!   `kl(ê(Q̂) ‖ ê(Q)) ≤ ln(2/δ′)/m`, [`sampled_error_upper`];
//! - the KL divergence between isotropic Gaussians, [`gaussian_kl`].
//!
//! Every inversion is by bisection to machine precision on a function monotone in `p`.

use statrs::distribution::{Binomial, DiscreteCDF};

use crate::error::{invalid, Result};

/// Binary relative entropy `kl(q ‖ p) = q ln(q/p) + (1−q) ln((1−q)/(1−p))` (0 ln 0 = 0).
pub fn kl_bernoulli(q: f64, p: f64) -> f64 {
    let term = |a: f64, b: f64| {
        if a <= 0.0 {
            0.0
        } else if b <= 0.0 {
            f64::INFINITY
        } else {
            a * (a / b).ln()
        }
    };
    term(q, p) + term(1.0 - q, 1.0 - p)
}

fn check_unit(name: &'static str, v: f64) -> Result<()> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(invalid(name, v, "must lie in [0, 1]"))
    }
}

fn check_delta(delta: f64) -> Result<()> {
    super::check_delta(delta)
}

/// Largest `p ∈ [q, 1]` with `kl(q ‖ p) ≤ c` (the upper inverse of the binary kl).
///
/// # Errors
/// `q ∉ [0, 1]`, `c` negative or NaN.
pub fn kl_inv_upper(q: f64, c: f64) -> Result<f64> {
    check_unit("q", q)?;
    if c.is_nan() || c < 0.0 {
        return Err(invalid("c", c, "the kl budget must be >= 0"));
    }
    if q >= 1.0 || kl_bernoulli(q, 1.0) <= c {
        return Ok(1.0);
    }
    let (mut lo, mut hi) = (q, 1.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if kl_bernoulli(q, mid) <= c {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= f64::EPSILON * hi {
            break;
        }
    }
    Ok(lo)
}

/// The test-set bound: the largest true error `p` under which seeing at most `errors` mistakes
/// in `n` independent samples still has probability `≥ δ`,
/// `sup { p : P[Bin(n, p) ≤ errors] ≥ δ }`. With probability `≥ 1 − δ` over the sample the
/// true error is at most this.
///
/// # Errors
/// `n = 0`, `errors > n`, `δ ∉ (0, 1)`.
pub fn binomial_tail_upper(errors: u64, n: u64, delta: f64) -> Result<f64> {
    check_delta(delta)?;
    if n == 0 {
        return Err(invalid(
            "n",
            0,
            "a test-set bound needs at least one sample",
        ));
    }
    if errors > n {
        return Err(invalid(
            "errors",
            errors,
            "cannot exceed the number of samples",
        ));
    }
    if errors == n {
        return Ok(1.0);
    }
    let cdf = |p: f64| Binomial::new(p, n).map_or(0.0, |b| b.cdf(errors));
    let (mut lo, mut hi) = (errors as f64 / n as f64, 1.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if cdf(mid) >= delta {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 4.0 * f64::EPSILON * hi {
            break;
        }
    }
    Ok(lo)
}

/// `KL(N(μ_Q, σ_Q² I_D) ‖ N(μ_P, σ_P² I_D))
///  = ½ [D σ_Q²/σ_P² + ‖μ_Q − μ_P‖²/σ_P² − D + D ln(σ_P²/σ_Q²)]`, given the squared distance
/// of the means and the dimension `D`.
///
/// # Errors
/// Non-positive or non-finite standard deviations, a negative distance.
pub fn gaussian_kl(mean_dist_sq: f64, dim: usize, sigma_q: f64, sigma_p: f64) -> Result<f64> {
    for (n, s) in [("sigma_q", sigma_q), ("sigma_p", sigma_p)] {
        if !(s.is_finite() && s > 0.0) {
            return Err(invalid(n, s, "a standard deviation must be finite and > 0"));
        }
    }
    if mean_dist_sq.is_nan() || mean_dist_sq < 0.0 {
        return Err(invalid("mean_dist_sq", mean_dist_sq, "must be >= 0"));
    }
    let d = dim as f64;
    let r = (sigma_q / sigma_p).powi(2);
    Ok(0.5 * (d * r + mean_dist_sq / sigma_p.powi(2) - d - d * r.ln()))
}

/// The PAC-Bayes-kl bound on the Gibbs classifier's true error: the largest `e` with
/// `kl(emp ‖ e) ≤ (KL + ln(2√n/δ)) / n`, where `emp` is `Q`'s empirical error on the `n`
/// samples (or an upper bound on it, e.g. [`sampled_error_upper`]).
///
/// # Errors
/// `n = 0`, `emp ∉ [0, 1]`, a negative KL, `δ ∉ (0, 1)`.
pub fn pac_bayes_kl(emp: f64, kl: f64, n: u64, delta: f64) -> Result<f64> {
    check_delta(delta)?;
    if n == 0 {
        return Err(invalid(
            "n",
            0,
            "a PAC-Bayes bound needs at least one sample",
        ));
    }
    if kl.is_nan() || kl < 0.0 {
        return Err(invalid("kl", kl, "KL(Q‖P) must be >= 0"));
    }
    let n = n as f64;
    kl_inv_upper(emp, (kl + (2.0 * n.sqrt() / delta).ln()) / n)
}

/// Upper bound on the Gibbs classifier's empirical error `ê(Q)` from its mean `est` over `m`
/// independent weight draws: the largest `e` with `kl(est ‖ e) ≤ ln(2/δ)/m`.
///
/// # Errors
/// `m = 0`, `est ∉ [0, 1]`, `δ ∉ (0, 1)`.
pub fn sampled_error_upper(est: f64, m: u64, delta: f64) -> Result<f64> {
    check_delta(delta)?;
    if m == 0 {
        return Err(invalid("m", 0, "need at least one weight draw"));
    }
    kl_inv_upper(est, (2.0 / delta).ln() / m as f64)
}
