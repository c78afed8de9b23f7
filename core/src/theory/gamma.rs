//! The per-class margins γ: Cor. 1's closed form (Eq. 1, 14, 65, 70), its L_p variant (Eq. 17),
//! the objective it minimises (Eq. 66) and the Lagrangian steps of B.6 (Eq. 68, 69).

use crate::error::{invalid, Result};

/// `γ_k = c̄·K·α_k^{1/3} / Σ_j α_j^{1/3}` (Eq. 1 / 14 / 65 / 70). With `α_k = r²_{k,p}` this is
/// Eq. 17. The mean of the result is `c̄`.
///
/// # Errors
/// `c̄ ≤ 0` or non-finite, an empty `alpha`, or an `α_k` that is not finite and positive (a
/// class with zero feature energy would get `γ_k = 0` and an infinite loss).
///
/// # Examples
/// γ from the per-class statistics of a feature set (class 0: ‖μ̂‖² + ‖ŝ‖² = 1, class 1: 8):
/// ```
/// use mr2_core::theory::{gamma::optimal_gamma, moments::class_moments};
/// let f = ndarray::array![[1.0, 0.0], [-1.0, 0.0], [2.0, 2.0], [2.0, -2.0]];
/// let stats = class_moments(f.view(), &[0, 0, 1, 1], 2, 2.0).unwrap();
/// let alpha: Vec<f64> = stats.iter().map(|s| s.as_ref().unwrap().alpha()).collect();
/// assert_eq!(alpha, vec![1.0, 8.0]);
/// let g = optimal_gamma(&alpha, 2.0).unwrap(); // ∝ α^{1/3} = (1, 2), mean 2
/// assert!((g[0] - 4.0 / 3.0).abs() < 1e-12 && (g[1] - 8.0 / 3.0).abs() < 1e-12);
/// ```
pub fn optimal_gamma(alpha: &[f64], c_bar: f64) -> Result<Vec<f64>> {
    check_c_bar(c_bar)?;
    check_alpha(alpha)?;
    Ok(gamma_of(alpha, c_bar))
}

/// [`optimal_gamma`] for a `c̄` already validated (the objective checks it once, at
/// construction): `None` when some `α_k` is not finite and positive (a class whose features
/// are all zero), which the training objective answers with uniform margins (documented).
pub fn optimal_gamma_of_valid_c_bar(alpha: &[f64], c_bar: f64) -> Option<Vec<f64>> {
    check_alpha(alpha).ok()?;
    Some(gamma_of(alpha, c_bar))
}

/// `γ_k = c̄ K α_k^{1/3} / Σ_j α_j^{1/3}` (Eq. 70), on checked inputs.
fn gamma_of(alpha: &[f64], c_bar: f64) -> Vec<f64> {
    let k = alpha.len() as f64;
    let cube: Vec<f64> = alpha.iter().map(|a| a.cbrt()).collect();
    let s: f64 = cube.iter().sum();
    cube.iter().map(|c| c_bar * k * c / s).collect()
}

/// Uniform margins `γ_k = c̄` (the ablation of Table 3 row b).
pub fn uniform_gamma(k: usize, c_bar: f64) -> Result<Vec<f64>> {
    check_c_bar(c_bar)?;
    Ok(vec![c_bar; k])
}

/// The complexity objective of Eq. 66: `Σ_k α_k / γ_k²`.
pub fn complexity_objective(alpha: &[f64], gamma: &[f64]) -> f64 {
    alpha.iter().zip(gamma).map(|(a, g)| a / (g * g)).sum()
}

/// Eq. 68: the stationary point for multiplier `v`: `γ_k = (2α_k / v)^{1/3}`.
pub fn gamma_from_multiplier(alpha: &[f64], v: f64) -> Vec<f64> {
    alpha.iter().map(|a| (2.0 * a / v).cbrt()).collect()
}

/// Eq. 69 as printed: `v^{1/3} = (2 Σ_k α_k)^{1/3} / (c̄K)`.
pub fn multiplier_printed(alpha: &[f64], c_bar: f64) -> f64 {
    let k = alpha.len() as f64;
    let s: f64 = alpha.iter().sum();
    ((2.0 * s).cbrt() / (c_bar * k)).powi(3)
}

/// Eq. 69 as the constraint actually gives: `v^{1/3} = 2^{1/3} Σ_k α_k^{1/3} / (c̄K)`.
pub fn multiplier_corrected(alpha: &[f64], c_bar: f64) -> f64 {
    let k = alpha.len() as f64;
    let s: f64 = alpha.iter().map(|a| a.cbrt()).sum();
    (2.0_f64.cbrt() * s / (c_bar * k)).powi(3)
}

/// Validate `c̄ > 0`.
pub fn check_c_bar(c_bar: f64) -> Result<()> {
    if !(c_bar.is_finite() && c_bar > 0.0) {
        return Err(invalid(
            "c_bar",
            c_bar,
            "the mean margin c̄ must be finite and > 0",
        ));
    }
    Ok(())
}

fn check_alpha(alpha: &[f64]) -> Result<()> {
    if alpha.is_empty() {
        return Err(invalid("K", 0, "need at least one class"));
    }
    if let Some(a) = alpha.iter().find(|a| !(a.is_finite() && **a > 0.0)) {
        return Err(invalid(
            "alpha",
            a,
            "every class needs finite, positive feature energy ‖μ̂‖²+‖ŝ‖²",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The objective's per-batch γ equals the checked one wherever α is valid, and is `None`
    /// (uniform margins, documented) exactly where a class has no feature energy.
    #[test]
    fn the_unchecked_c_bar_path_equals_the_checked_one() {
        let alpha = [1.0, 8.0, 27.0];
        assert_eq!(
            optimal_gamma_of_valid_c_bar(&alpha, 2.0),
            Some(optimal_gamma(&alpha, 2.0).unwrap())
        );
        // γ ∝ α^{1/3} = (1, 2, 3), mean 2: (1, 2, 3).
        assert_eq!(
            optimal_gamma_of_valid_c_bar(&alpha, 2.0),
            Some(vec![1.0, 2.0, 3.0])
        );
        assert_eq!(optimal_gamma_of_valid_c_bar(&[1.0, 0.0], 2.0), None);
        assert_eq!(optimal_gamma_of_valid_c_bar(&[1.0, f64::NAN], 2.0), None);
        assert_eq!(optimal_gamma_of_valid_c_bar(&[], 2.0), None);
    }
}
