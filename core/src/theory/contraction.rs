//! Rademacher complexities of finite function classes, computed exactly, for the contraction
//! steps of Lemma 1's proof (B.3, Eq. 30–40). A finite class is a list of score matrices
//! `h ∈ ℝ^{N×K}` (`h[i][y] = f(x_i, y)`).

use super::margin::{margin, ramp};

/// `(1/N) E_σ max_h Σ_i σ_i v_h[i]` for a finite set of vectors `v_h ∈ ℝ^N`, exactly.
///
/// # Panics
/// If the vectors have different lengths or N > 24 (callers keep N tiny).
pub fn rademacher_finite(values: &[Vec<f64>]) -> f64 {
    let n = values[0].len();
    assert!(super::enumerable(n).is_ok(), "N too large for enumeration");
    assert!(values.iter().all(|v| v.len() == n), "ragged class");
    let total = 1u64 << n;
    let mut acc = 0.0;
    for mask in 0..total {
        let best = values
            .iter()
            .map(|v| {
                v.iter()
                    .enumerate()
                    .map(|(i, x)| if mask >> i & 1 == 1 { *x } else { -*x })
                    .sum::<f64>()
            })
            .fold(f64::NEG_INFINITY, f64::max);
        acc += best;
    }
    acc / total as f64 / n as f64
}

/// [`rademacher_finite`] by Monte Carlo over `draws` sign vectors (for N too large to
/// enumerate).
pub fn rademacher_finite_mc(values: &[Vec<f64>], draws: usize, rng: &mut impl rand::Rng) -> f64 {
    let n = values[0].len();
    let mut acc = 0.0;
    let mut sigma = vec![0.0; n];
    for _ in 0..draws {
        sigma
            .iter_mut()
            .for_each(|s| *s = if rng.random::<bool>() { 1.0 } else { -1.0 });
        acc += values
            .iter()
            .map(|v| v.iter().zip(&sigma).map(|(x, s)| x * s).sum::<f64>())
            .fold(f64::NEG_INFINITY, f64::max);
    }
    acc / draws.max(1) as f64 / n as f64
}

/// `R̂_D(G)` of Eq. 30–31: `G = {ℓ_γ ∘ h}`, the γ-margin losses of the class.
pub fn margin_loss_complexity(class: &[Vec<Vec<f64>>], labels: &[usize], gamma: &[f64]) -> f64 {
    let vals: Vec<Vec<f64>> = class
        .iter()
        .map(|h| {
            labels
                .iter()
                .enumerate()
                .map(|(i, &y)| ramp(margin(&h[i], y), gamma[y]))
                .collect()
        })
        .collect();
    rademacher_finite(&vals)
}

/// The right-hand side of Eq. 32: `(1/N) E_σ max_h Σ_i σ_i Ψ_i(h)`, `Ψ_i = margin/γ_{y_i}` (Eq. 33).
pub fn scaled_margin_complexity(class: &[Vec<Vec<f64>>], labels: &[usize], gamma: &[f64]) -> f64 {
    let vals: Vec<Vec<f64>> = class
        .iter()
        .map(|h| {
            labels
                .iter()
                .enumerate()
                .map(|(i, &y)| margin(&h[i], y) / gamma[y])
                .collect()
        })
        .collect();
    rademacher_finite(&vals)
}

/// Def. 2 for a finite class: `(1/N) E_ε max_h Σ_i Σ_y ε_{iy} h[i][y]/γ_{y_i}`.
pub fn gamma_margin_complexity_finite(
    class: &[Vec<Vec<f64>>],
    labels: &[usize],
    gamma: &[f64],
) -> f64 {
    let n = labels.len();
    let vals: Vec<Vec<f64>> = class
        .iter()
        .map(|h| {
            labels
                .iter()
                .enumerate()
                .flat_map(|(i, &y)| h[i].iter().map(move |v| v / gamma[y]))
                .collect()
        })
        .collect();
    // rademacher_finite divides by the number of signs (N·K); Def. 2 divides by N.
    let k = class[0][0].len();
    rademacher_finite(&vals) * (n * k) as f64 / n as f64
}
