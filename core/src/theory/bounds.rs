//! The generalisation bounds assembled from measured quantities: Lemma 1 (Eq. 11/25), Prop. 1
//! (Eq. 13) and the per-class bound of Eq. 15 / Eq. 87, each as printed and as corrected. Every
//! bound is returned by its terms ([`BoundTerms`]: empirical, complexity, confidence) so that
//! reports show them without recovering one by subtraction.

use crate::error::{invalid, Result};

/// The confidence term `3 √(ln(2/δ) / (2N))` of Eq. 11 / Eq. 27.
///
/// # Errors
/// `δ ∉ (0, 1)` (the paper writes "δ > 0"; for δ ≥ 2 the term is undefined or zero and the
/// statement vacuous), or `N = 0`.
///
/// # Examples
/// ```
/// use mr2_core::theory::bounds::confidence_term;
/// // δ = 2/e² makes ln(2/δ) = 2: 3·√(2/(2·100)) = 0.3.
/// let c = confidence_term(100, 2.0 / std::f64::consts::E.powi(2)).unwrap();
/// assert!((c - 0.3).abs() < 1e-12);
/// ```
pub fn confidence_term(n: usize, delta: f64) -> Result<f64> {
    super::check_delta(delta)?;
    if n == 0 {
        return Err(invalid("N", n, "need at least one sample"));
    }
    Ok(3.0 * ((2.0 / delta).ln() / (2.0 * n as f64)).sqrt())
}

/// The uniform deviation bound of B.3, Eq. 27 (Mohri et al. 2018, Thm 3.3) by terms, for a class
/// `G ⊂ [0,1]^X`: `E g ≤ Ê g + 2R̂_D(G) + 3√(ln(2/δ)/(2N))`. Pass `empirical = 0` for the bound on
/// the deviation `sup_g (E g − Ê g)` itself.
///
/// # Errors
/// As [`confidence_term`].
///
/// # Examples
/// ```
/// use mr2_core::theory::bounds::eq27_terms;
/// // δ = 2/e² makes the confidence term 3·√(2/(2·100)) = 0.3; the complexity term is 2·0.25.
/// let t = eq27_terms(0.125, 0.25, 100, 2.0 / std::f64::consts::E.powi(2)).unwrap();
/// assert_eq!(t.complexity, 0.5);
/// assert!((t.total() - 0.925).abs() < 1e-12);
/// ```
pub fn eq27_terms(empirical: f64, rademacher: f64, n: usize, delta: f64) -> Result<BoundTerms> {
    Ok(BoundTerms {
        empirical,
        complexity: 2.0 * rademacher,
        confidence: confidence_term(n, delta)?,
    })
}

/// A bound as the sum of its three terms.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BoundTerms {
    /// The empirical term (ramp risk, the CE surrogate divided by ln 2, or Ê g in Eq. 27).
    pub empirical: f64,
    /// The complexity term (its constant included).
    pub complexity: f64,
    /// The confidence term `3√(ln(2/δ)/(2N))`.
    pub confidence: f64,
}

impl BoundTerms {
    /// The bound: the sum of the terms.
    pub fn total(&self) -> f64 {
        self.empirical + self.complexity + self.confidence
    }
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

/// The sample a bound is stated for: its size `n` (`N`, or `N_k` for a per-class bound), the
/// number of classes `K` and the confidence `1 − δ`. Named fields, so that `N` and `K` cannot
/// trade places.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Sample size (`N`, or `N_k`).
    pub n: usize,
    /// Classes `K`.
    pub classes: usize,
    /// `δ ∈ (0, 1)`.
    pub delta: f64,
}

/// Lemma 1 (Eq. 11) by terms: `R̂^γ + c·R̂^γ_D(F) + 3√(ln(2/δ)/2N)`.
///
/// # Errors
/// As [`confidence_term`].
pub fn lemma1_terms(
    emp_margin_risk: f64,
    complexity: f64,
    s: Sample,
    c: Lemma1Constant,
) -> Result<BoundTerms> {
    Ok(BoundTerms {
        empirical: emp_margin_risk,
        complexity: c.value(s.classes) * complexity,
        confidence: confidence_term(s.n, s.delta)?,
    })
}

/// Lemma 1 (Eq. 11): the total of [`lemma1_terms`].
///
/// # Errors
/// As [`confidence_term`].
pub fn lemma1_bound(
    emp_margin_risk: f64,
    complexity: f64,
    s: Sample,
    c: Lemma1Constant,
) -> Result<f64> {
    Ok(lemma1_terms(emp_margin_risk, complexity, s, c)?.total())
}

/// Prop. 1 (Eq. 13) by terms, with the `O(1/√N)` term made explicit as Lemma 1's confidence
/// term and the γ-margin complexity given: `R̂^{γ,ce}/ln 2 + c·R̂^γ_D(F) + 3√(ln(2/δ)/2N)`. Pass
/// Lemma 2's bound ([`crate::theory::rademacher::lemma2_corrected`]) for the printed Prop. 1, or
/// a measured complexity for the measured-complexity variant.
///
/// # Errors
/// As [`confidence_term`].
pub fn prop1_terms(
    emp_ce_risk: f64,
    complexity: f64,
    s: Sample,
    c: Lemma1Constant,
) -> Result<BoundTerms> {
    Ok(BoundTerms {
        empirical: emp_ce_risk / std::f64::consts::LN_2,
        complexity: c.value(s.classes) * complexity,
        confidence: confidence_term(s.n, s.delta)?,
    })
}

/// Prop. 1 (Eq. 13) with Lemma 2's (corrected) complexity bound:
/// `R̂^{γ,ce}/ln 2 + c·Λ√(K/N)·√(Σ α_k/γ_k²) + 3√(ln(2/δ)/2N)`; with `c = 4√(2K)` this is the
/// printed `4√2 Λ K/√N · √(Σ α_k/γ_k²)`.
///
/// # Errors
/// As [`confidence_term`]; `alpha` and `gamma` not of `s.classes` entries.
pub fn prop1_bound(
    emp_ce_risk: f64,
    alpha: &[f64],
    gamma: &[f64],
    weight_norm: f64,
    s: Sample,
    c: Lemma1Constant,
) -> Result<f64> {
    if alpha.len() != s.classes || gamma.len() != s.classes {
        return Err(invalid(
            "alpha, gamma",
            format!("{} and {} entries", alpha.len(), gamma.len()),
            "need one entry per class",
        ));
    }
    let cplx = super::rademacher::lemma2_corrected(alpha, gamma, s.n, weight_norm);
    Ok(prop1_terms(emp_ce_risk, cplx, s, c)?.total())
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

/// Per-class bound (Eq. 15) by terms: `R̂^{γ,ce}_{D_k}/ln 2 + coeff·R̂_k(F) + 3√(ln(2/δ)/(2N_k))`.
///
/// # Errors
/// As [`confidence_term`] (with `N_k`).
pub fn per_class_terms(
    emp_ce_risk_k: f64,
    class_complexity: f64,
    gamma_k: f64,
    s: Sample,
    c: PerClassConstant,
) -> Result<BoundTerms> {
    Ok(BoundTerms {
        empirical: emp_ce_risk_k / std::f64::consts::LN_2,
        complexity: c.value(gamma_k, s.classes) * class_complexity,
        confidence: confidence_term(s.n, s.delta)?,
    })
}

/// Per-class bound (Eq. 15): the total of [`per_class_terms`].
///
/// # Errors
/// As [`confidence_term`].
pub fn per_class_bound(
    emp_ce_risk_k: f64,
    class_complexity: f64,
    gamma_k: f64,
    s: Sample,
    c: PerClassConstant,
) -> Result<f64> {
    Ok(per_class_terms(emp_ce_risk_k, class_complexity, gamma_k, s, c)?.total())
}
