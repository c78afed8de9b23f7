//! The MR² training objective of a batch (Eq. 4) in plain `f64`: the reference the trainer's
//! tensor implementation is tested against.

use super::lse::rep_margin_losses;
use super::margin::gamma_ce_softmax;

/// The two terms of Eq. 4 on a batch and their weighted sum.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Mr2Terms {
    /// `(1/B) Σ_i ℓ_γ,ce(z_i, y_i)` (Eq. 1).
    pub gamma_ce: f64,
    /// `(1/B) Σ_i ℓ_s̄(φ_i)` (Eq. 2), positives the same-class others of the batch.
    pub rep: f64,
    /// `gamma_ce + λ·rep` (Eq. 4).
    pub total: f64,
}

/// Eq. 4 on a batch: logits `z_i`, features `φ_i`, labels, per-class margins γ, `s̄`, `λ`.
///
/// # Formula
/// `(1/B) Σ_i [ −ln softmax(z_i/γ_{y_i})_{y_i} + λ ln(1 + Σ_{j≠i, y_j=y_i} exp(‖φ_i−φ_j‖² − 2s̄)) ]`
///
/// # Examples
/// ```
/// use mr2_core::theory::objective::mr2_batch;
/// // Two samples of one class, equal logits: ℓ_γ,ce = ln 2 each; ‖φ₁−φ₂‖² = 1, s̄ = 0.5 → ℓ_s̄ = ln 2.
/// let t = mr2_batch(&[vec![0.0, 0.0], vec![0.0, 0.0]], &[vec![0.0], vec![1.0]], &[0, 0], &[1.0, 1.0], 0.5, 0.5);
/// assert!((t.total - 1.5 * std::f64::consts::LN_2).abs() < 1e-12);
/// ```
pub fn mr2_batch(
    logits: &[Vec<f64>],
    features: &[Vec<f64>],
    labels: &[usize],
    gamma: &[f64],
    s_bar: f64,
    lambda: f64,
) -> Mr2Terms {
    let b = labels.len().max(1) as f64;
    let gamma_ce = logits
        .iter()
        .zip(labels)
        .map(|(z, &y)| gamma_ce_softmax(z, y, gamma[y]))
        .sum::<f64>()
        / b;
    let rep = rep_margin_losses(features, labels, s_bar)
        .iter()
        .sum::<f64>()
        / b;
    Mr2Terms {
        gamma_ce,
        rep,
        total: gamma_ce + lambda * rep,
    }
}
