//! The generalisation bounds assembled from measured quantities: Lemma 1 (Eq. 11/25), Prop. 1
//! (Eq. 13) and the per-class bound of Eq. 15 / Eq. 87, each as printed and as corrected.

use crate::error::{invalid, Result};

/// The confidence term `3 √(ln(2/δ) / (2N))` of Eq. 11 / Eq. 27.
///
/// # Errors
/// `δ ∉ (0, 1)` (the paper writes "δ > 0"; for δ ≥ 2 the term is undefined or zero and the
/// statement vacuous), or `N = 0`.
pub fn confidence_term(n: usize, delta: f64) -> Result<f64> {
    if !(delta > 0.0 && delta < 1.0) {
        return Err(invalid(
            "delta",
            delta,
            "the confidence level δ must lie in (0, 1)",
        ));
    }
    if n == 0 {
        return Err(invalid("N", n, "need at least one sample"));
    }
    Ok(3.0 * ((2.0 / delta).ln() / (2.0 * n as f64)).sqrt())
}

/// Which constant multiplies the γ-margin complexity in Lemma 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Lemma1Constant {
    /// `4√(2K)`, as printed (Lipschitz constant `2√K/γ` of Ψ_i, B.3 Eq. 38).
    Printed,
    /// `4`, from the exact Lipschitz constant `√2/γ` of Ψ_i in ℓ₂ (the same vector contraction
    /// lemma, Cortes et al. 2016 Lemma 5).
    Tight,
}

impl Lemma1Constant {
    /// The numeric constant for `K` classes.
    pub fn value(self, k: usize) -> f64 {
        match self {
            Self::Printed => 4.0 * (2.0 * k as f64).sqrt(),
            Self::Tight => 4.0,
        }
    }
}

/// Lemma 1: `R̂^γ + c·R̂^γ_D(F) + 3√(ln(2/δ)/2N)`.
pub fn lemma1_bound(
    emp_margin_risk: f64,
    complexity: f64,
    k: usize,
    n: usize,
    delta: f64,
    c: Lemma1Constant,
) -> Result<f64> {
    Ok(emp_margin_risk + c.value(k) * complexity + confidence_term(n, delta)?)
}

/// Prop. 1 (Eq. 13) with the `O(1/√N)` term made explicit as Lemma 1's confidence term:
/// `R̂^{γ,ce}/ln 2 + c·Λ√(K/N)·√(Σ α_k/γ_k²) + 3√(ln(2/δ)/2N)`; with `c = 4√(2K)` this is the
/// printed `4√2 Λ K/√N · √(Σ α_k/γ_k²)`.
pub fn prop1_bound(
    emp_ce_risk: f64,
    alpha: &[f64],
    gamma: &[f64],
    n: usize,
    lambda: f64,
    delta: f64,
    c: Lemma1Constant,
) -> Result<f64> {
    let k = alpha.len();
    let cplx = super::rademacher::lemma2_corrected(alpha, gamma, n, lambda);
    Ok(emp_ce_risk / std::f64::consts::LN_2 + c.value(k) * cplx + confidence_term(n, delta)?)
}

/// The complexity coefficient in front of `R̂_k(F)` in the per-class bound (Eq. 15 / 87).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum PerClassConstant {
    /// `4/γ_k`, as printed.
    Printed,
    /// `4√(2K)·K/γ_k`: Lemma 1 applied to class k, using `R̂^γ_{D_k}(F) = (K/γ_k) R̂_k(F)`.
    Derived,
    /// `4K/γ_k`: the same with the exact Lipschitz constant.
    DerivedTight,
}

impl PerClassConstant {
    /// Coefficient for class margin `gamma_k` and `K` classes.
    pub fn value(self, gamma_k: f64, k: usize) -> f64 {
        let kf = k as f64;
        match self {
            Self::Printed => 4.0 / gamma_k,
            Self::Derived => 4.0 * (2.0 * kf).sqrt() * kf / gamma_k,
            Self::DerivedTight => 4.0 * kf / gamma_k,
        }
    }
}

/// Per-class bound (Eq. 15): `R̂^{γ,ce}_{D_k}/ln 2 + coeff·R̂_k(F) + 3√(ln(2/δ)/(2N_k))`.
pub fn per_class_bound(
    emp_ce_risk_k: f64,
    class_complexity: f64,
    gamma_k: f64,
    k: usize,
    n_k: usize,
    delta: f64,
    c: PerClassConstant,
) -> Result<f64> {
    Ok(emp_ce_risk_k / std::f64::consts::LN_2
        + c.value(gamma_k, k) * class_complexity
        + confidence_term(n_k, delta)?)
}
