//! LogSumExp and the representation-margin loss `ℓ_s̄` with its hinge form `ℓ̂_s̄` (Eq. 2, 3,
//! 18–21, proof B.1).

/// Numerically stable `ln Σ_j exp(z_j)`; `-∞` for an empty slice.
pub fn logsumexp(z: &[f64]) -> f64 {
    let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    // Empty or all −∞ (−∞), any +∞ (+∞), all NaN (NaN): the maximum is the answer.
    if !m.is_finite() {
        return m;
    }
    m + z.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
}

/// Representation-margin loss of one sample (Eq. 2 / Eq. 18):
/// `ℓ_s̄ = ln[1 + Σ_j exp(‖φ(x) − φ(x_j⁺)‖² − 2 s̄)]`, computed as a LogSumExp with a 0 entry.
/// `sq_dists` are the squared distances to the other same-class samples; with none the loss is
/// `ln 1 = 0`.
pub fn rep_margin_loss(sq_dists: &[f64], s_bar: f64) -> f64 {
    let mut z = Vec::with_capacity(sq_dists.len() + 1);
    z.push(0.0);
    z.extend(sq_dists.iter().map(|d| d - 2.0 * s_bar));
    logsumexp(&z)
}

/// The hinge form it relaxes (Eq. 3 / Eq. 19): `max[0, max_j (‖φ(x) − φ(x_j⁺)‖² − 2 s̄)]`.
pub fn rep_margin_hinge(sq_dists: &[f64], s_bar: f64) -> f64 {
    sq_dists
        .iter()
        .map(|d| d - 2.0 * s_bar)
        .fold(0.0_f64, f64::max)
}

/// Per-sample `ℓ_s̄` over a batch: for each sample, the same-class other samples of the batch
/// are its positives. `features` is row-major `n × d`.
pub fn rep_margin_losses(features: &[Vec<f64>], labels: &[usize], s_bar: f64) -> Vec<f64> {
    rep_margin_losses_scaled(features, labels, s_bar, 1.0)
}

/// Per-sample `ℓ_s̄` with the exponent divided by `divisor`:
/// `ln(1 + Σ_{j≠i, y_j=y_i} exp((‖φ_i − φ_j‖² − 2s̄)/divisor))` (the released code uses
/// `divisor = 10·D`; `divisor = 1` is [`rep_margin_losses`]).
pub fn rep_margin_losses_scaled(
    features: &[Vec<f64>],
    labels: &[usize],
    s_bar: f64,
    divisor: f64,
) -> Vec<f64> {
    // [`rep_margin_loss`] on distances and s̄ divided by `divisor` (exact for `divisor = 1`).
    (0..features.len())
        .map(|i| {
            let d: Vec<f64> = (0..features.len())
                .filter(|&j| j != i && labels[j] == labels[i])
                .map(|j| sq_dist(&features[i], &features[j]) / divisor)
                .collect();
            rep_margin_loss(&d, s_bar / divisor)
        })
        .collect()
}

/// The released code's reduction of per-sample losses: for every class with at least two
/// samples, the mean of its samples' losses; these means summed over the classes (classes with
/// one sample or none contribute nothing).
pub fn class_mean_sum(losses: &[f64], labels: &[usize]) -> f64 {
    let mut by_class: std::collections::BTreeMap<usize, (f64, usize)> = Default::default();
    for (l, &y) in losses.iter().zip(labels) {
        let e = by_class.entry(y).or_insert((0.0, 0));
        e.0 += l;
        e.1 += 1;
    }
    by_class
        .values()
        .filter(|(_, n)| *n >= 2)
        .map(|(s, n)| s / *n as f64)
        .sum()
}

/// `‖a − b‖²`.
pub fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}
