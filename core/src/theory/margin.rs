//! Margins, the ramp `Φ_γ`, the multi-class γ-margin loss (Def. 1, Eq. 8–9) and the γ-margin
//! cross-entropy in its two printed forms (Eq. 1 and Eq. 5).

use super::lse::logsumexp;

/// Margin of a logit vector at label `y` (Eq. 8): `z_y − max_{y'≠y} z_{y'}`.
pub fn margin(z: &[f64], y: usize) -> f64 {
    let runner = z
        .iter()
        .enumerate()
        .filter(|&(k, _)| k != y)
        .map(|(_, v)| *v)
        .fold(f64::NEG_INFINITY, f64::max);
    z[y] - runner
}

/// The ramp `Φ_γ(u) = min(1, max(0, 1 − u/γ))` (Def. 1).
pub fn ramp(u: f64, gamma: f64) -> f64 {
    (1.0 - u / gamma).clamp(0.0, 1.0)
}

/// Multi-class γ-margin loss (Eq. 9): `Φ_{γ_y}(margin(z, y))`.
pub fn gamma_margin_loss(z: &[f64], y: usize, gamma_y: f64) -> f64 {
    ramp(margin(z, y), gamma_y)
}

/// 0-1 loss: 1 unless `y` is the unique arg-max (a tie counts as an error, matching `margin ≤ 0`).
pub fn zero_one(z: &[f64], y: usize) -> f64 {
    if margin(z, y) > 0.0 {
        0.0
    } else {
        1.0
    }
}

/// γ-margin cross-entropy as printed in Eq. 1: `−ln softmax(z / γ_y)_y`.
pub fn gamma_ce_softmax(z: &[f64], y: usize, gamma_y: f64) -> f64 {
    let s: Vec<f64> = z.iter().map(|v| v / gamma_y).collect();
    logsumexp(&s) - s[y]
}

/// γ-margin cross-entropy as printed in Eq. 5: `ln[1 + Σ_{y'≠y} exp((z_{y'} − z_y)/γ_y)]`
/// (a LogSumExp with a 0 entry).
pub fn gamma_ce_pairwise(z: &[f64], y: usize, gamma_y: f64) -> f64 {
    let mut t = vec![0.0];
    t.extend(
        z.iter()
            .enumerate()
            .filter(|&(k, _)| k != y)
            .map(|(_, v)| (v - z[y]) / gamma_y),
    );
    logsumexp(&t)
}

/// Plain cross-entropy `−ln softmax(z)_y`.
pub fn cross_entropy(z: &[f64], y: usize) -> f64 {
    logsumexp(z) - z[y]
}

/// `ln(1 + e^x)` computed without overflow.
pub fn softplus(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// The right-hand side of Lemma 4: `log₂(1 + exp(−u/γ))`.
pub fn lemma4_rhs(u: f64, gamma: f64) -> f64 {
    softplus(-u / gamma) / std::f64::consts::LN_2
}

/// Output-level margin of Table 4: `P(y|x) − max_{y'≠y} P(y'|x)` from logits.
pub fn output_margin(z: &[f64], y: usize) -> f64 {
    let l = logsumexp(z);
    let p: Vec<f64> = z.iter().map(|v| (v - l).exp()).collect();
    margin(&p, y)
}
