//! Empirical γ-margin Rademacher complexity (Def. 2, Eq. 10) of the linear class
//! `F_q = {(x, y) ↦ w_yᵀφ(x) : ‖w_y‖_q ≤ Λ}`, exact by enumeration of sign vectors or by Monte
//! Carlo, and the bounds on it: Lemma 2 (Eq. 12/41/51) as printed and corrected, Prop. 2
//! (Eq. 16/73) as printed and corrected, and the per-class complexity of B.8 (Eq. 88–95).
//!
//! # Formula
//! The sup over the weight ball is closed-form through the dual norm (Eq. 76, Hölder with
//! equality): `sup_{‖w‖_q ≤ Λ} wᵀu = Λ‖u‖_p`. The `K` label columns of `ε` are independent and
//! identically distributed, so (Eq. 46–47, 77)
//! `R̂^γ_D(F_q) = (KΛ/N) E_ε ‖Σ_i ε_i φ(x_i)/γ_{y_i}‖_p`, which needs only `N` signs.

use ndarray::{Array2, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{check_p, enumerable, khintchine, lp_norm, Estimate};
use crate::error::{invalid, Error, Result};

pub use super::MAX_EXACT;

/// How to evaluate an expectation over Rademacher signs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Method {
    /// Enumerate all sign vectors (N ≤ [`MAX_EXACT`]).
    Exact,
    /// Monte Carlo with this many draws and seed; reports a standard error.
    MonteCarlo {
        /// Number of sign vectors drawn.
        samples: usize,
        /// RNG seed.
        seed: u64,
    },
    /// Exact when N ≤ 20, otherwise Monte Carlo with the given draws and seed.
    Auto {
        /// Number of sign vectors drawn when Monte Carlo is used.
        samples: usize,
        /// RNG seed.
        seed: u64,
    },
}

/// `E_ε ‖Σ_i ε_i v_i‖_p` by enumerating the sign vectors (rows of `vs` are the `v_i`).
/// Uses the symmetry `ε → −ε` and a Gray-code walk, so the cost is `2^{N−1}·d`.
///
/// # Errors
/// `N > MAX_EXACT`, `p < 1`.
pub fn expected_norm_exact(vs: ArrayView2<f64>, p: f64) -> Result<f64> {
    check_p(p)?;
    let n = vs.nrows();
    enumerable(n)?;
    if n == 0 {
        return Ok(0.0);
    }
    let d = vs.ncols();
    // Fix ε_{n-1} = +1 (symmetry), walk the other n-1 signs in Gray-code order.
    let mut u = vec![0.0; d];
    for i in 0..n {
        for (j, uj) in u.iter_mut().enumerate() {
            *uj += vs[[i, j]];
        }
    }
    let mut signs = vec![1.0; n];
    let total: u64 = 1 << (n - 1);
    let mut acc = lp_norm(&u, p);
    for step in 1..total {
        let i = step.trailing_zeros() as usize;
        signs[i] = -signs[i];
        for (j, uj) in u.iter_mut().enumerate() {
            *uj += 2.0 * signs[i] * vs[[i, j]];
        }
        acc += lp_norm(&u, p);
    }
    Ok(acc / total as f64)
}

/// Monte Carlo estimate of `E_ε ‖Σ_i ε_i v_i‖_p` with its standard error.
pub fn expected_norm_mc(
    vs: ArrayView2<f64>,
    p: f64,
    samples: usize,
    seed: u64,
) -> Result<Estimate> {
    check_p(p)?;
    if samples < 2 {
        return Err(invalid(
            "samples",
            samples,
            "Monte Carlo needs at least 2 draws",
        ));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (n, d) = vs.dim();
    let mut s = 0.0;
    let mut s2 = 0.0;
    let mut u = vec![0.0; d];
    for _ in 0..samples {
        u.iter_mut().for_each(|x| *x = 0.0);
        for i in 0..n {
            let e = if rng.random::<bool>() { 1.0 } else { -1.0 };
            for (j, uj) in u.iter_mut().enumerate() {
                *uj += e * vs[[i, j]];
            }
        }
        let v = lp_norm(&u, p);
        s += v;
        s2 += v * v;
    }
    let m = s / samples as f64;
    let var = (s2 / samples as f64 - m * m).max(0.0) * samples as f64 / (samples - 1) as f64;
    Ok(Estimate {
        mean: m,
        se: (var / samples as f64).sqrt(),
    })
}

/// `E_ε ‖Σ ε_i v_i‖_p` with the chosen [`Method`].
pub fn expected_norm(vs: ArrayView2<f64>, p: f64, method: Method) -> Result<Estimate> {
    match method {
        Method::Exact => expected_norm_exact(vs, p).map(Estimate::exact),
        Method::MonteCarlo { samples, seed } => expected_norm_mc(vs, p, samples, seed),
        Method::Auto { samples, seed } => {
            if vs.nrows() <= 20 {
                expected_norm_exact(vs, p).map(Estimate::exact)
            } else {
                expected_norm_mc(vs, p, samples, seed)
            }
        }
    }
}

/// Rows `φ(x_i)/γ_{y_i}`.
pub fn scaled_rows(
    features: ArrayView2<f64>,
    labels: &[usize],
    gamma: &[f64],
) -> Result<Array2<f64>> {
    if labels.len() != features.nrows() {
        return Err(Error::Shape {
            what: "labels (one per feature row)",
            expected: features.nrows(),
            got: labels.len(),
        });
    }
    if let Some(g) = gamma.iter().find(|g| !(g.is_finite() && **g > 0.0)) {
        return Err(invalid("gamma", g, "margins must be finite and > 0"));
    }
    let mut v = features.to_owned();
    for (i, &y) in labels.iter().enumerate() {
        if y >= gamma.len() {
            return Err(invalid("label", y, "labels must lie in 0..K"));
        }
        v.row_mut(i).mapv_inplace(|x| x / gamma[y]);
    }
    Ok(v)
}

/// Empirical γ-margin Rademacher complexity (Def. 2) of `F_q`, `q` conjugate to `p`:
/// `(KΛ/N) E_ε ‖Σ_i ε_i φ(x_i)/γ_{y_i}‖_p`, with `K = gamma.len()`.
pub fn gamma_margin_complexity(
    features: ArrayView2<f64>,
    labels: &[usize],
    gamma: &[f64],
    weight_norm: f64,
    p: f64,
    method: Method,
) -> Result<Estimate> {
    check_weight_norm(weight_norm)?;
    let n = features.nrows();
    if n == 0 {
        return Err(invalid("N", 0, "need at least one sample"));
    }
    let v = scaled_rows(features, labels, gamma)?;
    let e = expected_norm(v.view(), p, method)?;
    let c = gamma.len() as f64 * weight_norm / n as f64;
    Ok(Estimate {
        mean: c * e.mean,
        se: c * e.se,
    })
}

/// Def. 2 evaluated literally: all `2^{NK}` sign matrices `ε_{iy}`, the sup over each `w_y`
/// taken through the dual norm column by column. Only for tiny `N·K`; it checks the
/// factorisation used by [`gamma_margin_complexity`].
pub fn gamma_margin_complexity_bruteforce(
    features: ArrayView2<f64>,
    labels: &[usize],
    gamma: &[f64],
    weight_norm: f64,
    p: f64,
) -> Result<f64> {
    let n = features.nrows();
    let k = gamma.len();
    enumerable(n * k)?;
    let v = scaled_rows(features, labels, gamma)?;
    let d = v.ncols();
    let total = 1u64 << (n * k);
    let mut acc = 0.0;
    for mask in 0..total {
        let mut sup = 0.0;
        for y in 0..k {
            let mut u = vec![0.0; d];
            for i in 0..n {
                let e = if mask >> (i * k + y) & 1 == 1 {
                    1.0
                } else {
                    -1.0
                };
                for (j, uj) in u.iter_mut().enumerate() {
                    *uj += e * v[[i, j]];
                }
            }
            sup += weight_norm * lp_norm(&u, p);
        }
        acc += sup;
    }
    Ok(acc / total as f64 / n as f64)
}

/// `S = Σ_k α_k / γ_k²`.
fn s_term(alpha: &[f64], gamma: &[f64]) -> f64 {
    super::gamma::complexity_objective(alpha, gamma)
}

/// Lemma 2 as printed (Eq. 12 / 41 / 51): `Λ √( (K/N) · √(Σ_k α_k/γ_k²) )` — the square root
/// nests around the sum.
pub fn lemma2_printed(alpha: &[f64], gamma: &[f64], n: usize, weight_norm: f64) -> f64 {
    let k = alpha.len() as f64;
    weight_norm * ((k / n as f64) * s_term(alpha, gamma).sqrt()).sqrt()
}

/// Lemma 2 as its derivation (Eq. 50) gives: `Λ √(K/N) √(Σ_k α_k/γ_k²)` (balanced classes) —
/// Prop. 2's bound at `p = 2`, whose constant is 1 ([`prop2_shape`] with `r²_{k,2} = α_k`).
pub fn lemma2_corrected(alpha: &[f64], gamma: &[f64], n: usize, weight_norm: f64) -> f64 {
    prop2_shape(alpha, gamma, n, weight_norm)
}

/// Eq. 50 without the balance hypothesis: `(KΛ/N) √(Σ_k N_k α_k/γ_k²)`.
pub fn lemma2_general(counts: &[usize], alpha: &[f64], gamma: &[f64], weight_norm: f64) -> f64 {
    let n: usize = counts.iter().sum();
    let k = alpha.len() as f64;
    let s: f64 = counts
        .iter()
        .zip(alpha)
        .zip(gamma)
        .map(|((c, a), g)| *c as f64 * a / (g * g))
        .sum();
    k * weight_norm / n as f64 * s.sqrt()
}

/// The constant of Prop. 2 as printed (Eq. 73): `√(2 log d)` for `p = ∞`, `C(p)` of Eq. 86
/// otherwise.
pub fn prop2_constant_printed(p: f64, d: usize) -> f64 {
    if p.is_infinite() {
        (2.0 * (d as f64).ln()).sqrt()
    } else {
        khintchine::paper_constant(p)
    }
}

/// A constant that makes Prop. 2 true, from the corrected derivation:
/// `d^{1/p − 1/2}` for `1 ≤ p < 2` (ℓ_p has no type-2 constant independent of `d`; attained by
/// one-hot features), 1 for `p = 2`, Haagerup's `B_p` for `2 < p < ∞` (Jensen, Khintchine and
/// Minkowski in `L_{p/2}`), and `√(2 log 2d)` for `p = ∞` (the maximal inequality over the
/// `2d` variables `±u_j`).
pub fn prop2_constant_corrected(p: f64, d: usize) -> f64 {
    if p.is_infinite() {
        (2.0 * (2.0 * d as f64).ln()).sqrt()
    } else if p < 2.0 {
        (d as f64).powf(1.0 / p - 0.5)
    } else {
        khintchine::haagerup_upper(p)
    }
}

/// `Λ_q √(K/N) √(Σ_k r²_{k,p}/γ_k²)` — Prop. 2's bound without its constant.
pub fn prop2_shape(r2p: &[f64], gamma: &[f64], n: usize, weight_norm: f64) -> f64 {
    let k = r2p.len() as f64;
    weight_norm * (k / n as f64).sqrt() * s_term(r2p, gamma).sqrt()
}

/// Which constant of Prop. 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prop2Constant {
    /// As printed ([`prop2_constant_printed`]).
    Printed,
    /// As corrected ([`prop2_constant_corrected`]).
    Corrected,
}

/// Prop. 2's bound (Eq. 16): `C(p) Λ_q √(K/N) √(Σ_k r²_{k,p}/γ_k²)` with the printed or the
/// corrected constant for dimension `d` — the one definition `bounds` reports and the claims
/// check.
pub fn prop2_bound(
    constant: Prop2Constant,
    p: f64,
    d: usize,
    r2p: &[f64],
    gamma: &[f64],
    n: usize,
    weight_norm: f64,
) -> f64 {
    let c = match constant {
        Prop2Constant::Printed => prop2_constant_printed(p, d),
        Prop2Constant::Corrected => prop2_constant_corrected(p, d),
    };
    c * prop2_shape(r2p, gamma, n, weight_norm)
}

/// Per-class complexity of B.8 (Eq. 88–90): `(Λ/N_k) E_ε ‖Σ_{i∈I_k} ε_i φ(x_i)‖_p` for the
/// rows of one class.
pub fn class_complexity(
    points: ArrayView2<f64>,
    weight_norm: f64,
    p: f64,
    method: Method,
) -> Result<Estimate> {
    check_weight_norm(weight_norm)?;
    let n = points.nrows();
    if n == 0 {
        return Err(Error::EmptyClass {
            class: None,
            context: "the per-class complexity needs the class's samples",
        });
    }
    let e = expected_norm(points, p, method)?;
    let c = weight_norm / n as f64;
    Ok(Estimate {
        mean: c * e.mean,
        se: c * e.se,
    })
}

/// B.8's final line as printed: `R̂_k ≤ Λ √(‖μ̂_k‖² + ‖ŝ_k‖²)`.
pub fn b8_printed(alpha_k: f64, weight_norm: f64) -> f64 {
    weight_norm * alpha_k.sqrt()
}

/// What Eq. 95 gives: `R̂_k ≤ Λ √((‖μ̂_k‖² + ‖ŝ_k‖²)/N_k)`.
pub fn b8_corrected(alpha_k: f64, n_k: usize, weight_norm: f64) -> f64 {
    weight_norm * (alpha_k / n_k as f64).sqrt()
}

/// Validate `Λ ≥ 0`.
pub fn check_weight_norm(weight_norm: f64) -> Result<()> {
    if !(weight_norm.is_finite() && weight_norm >= 0.0) {
        return Err(invalid(
            "Lambda (weight_norm)",
            weight_norm,
            "the weight-norm bound Λ must be finite and >= 0",
        ));
    }
    Ok(())
}
