//! Khintchine constants: the paper's `C(p)` (Eq. 86 / Eq. 73) and Haagerup's (1981) sharp
//! upper constants `B_p`, with exact Rademacher-sum moments to test them.

use statrs::function::gamma::gamma;

/// `E|g|^p` for a standard Gaussian `g`: `2^{p/2} Γ((p+1)/2) / √π`.
pub fn gaussian_abs_moment(p: f64) -> f64 {
    2f64.powf(p / 2.0) * gamma((p + 1.0) / 2.0) / std::f64::consts::PI.sqrt()
}

/// The paper's constant (Eq. 86, Eq. 73): 1 for `p ≤ 2`, `2^{p/2} Γ((p+1)/2)/√π` for `p > 2`.
pub fn paper_constant(p: f64) -> f64 {
    if p <= 2.0 {
        1.0
    } else {
        gaussian_abs_moment(p)
    }
}

/// Haagerup's sharp upper Khintchine constant `B_p` such that
/// `(E|Σ a_i ε_i|^p)^{1/p} ≤ B_p ‖a‖₂`: 1 for `p ≤ 2`, `√2 (Γ((p+1)/2)/√π)^{1/p}` for `p > 2`
/// (Haagerup 1981, Studia Math. 70). Equals `(E|g|^p)^{1/p}`: the paper's constant is its
/// `p`-th power.
pub fn haagerup_upper(p: f64) -> f64 {
    if p <= 2.0 {
        1.0
    } else {
        gaussian_abs_moment(p).powf(1.0 / p)
    }
}

/// `(E|Σ_i a_i ε_i|^p)^{1/p}` by enumerating all sign vectors (`a.len() ≤ 24`).
pub fn rademacher_moment_exact(a: &[f64], p: f64) -> crate::Result<f64> {
    let n = a.len();
    super::enumerable(n)?;
    let mut acc = 0.0;
    let total = 1u64 << n;
    for mask in 0..total {
        let s: f64 = a
            .iter()
            .enumerate()
            .map(|(i, v)| if mask >> i & 1 == 1 { *v } else { -*v })
            .sum();
        acc += s.abs().powf(p);
    }
    Ok((acc / total as f64).powf(1.0 / p))
}
