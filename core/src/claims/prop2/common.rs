//! What the Prop. 2 checks share: the balanced instance's sizes, the decoders of the
//! searched inputs (rows v_i and p), one-hot starts, σ_j and the radius sums.

use ndarray::Array2;

use crate::claims::engine::decode::{matrix, show_m};
use crate::claims::engine::{assess, Alt, Evidence, Relation, Searched};
use crate::search::{squash, Budget};
use crate::theory::khintchine::rademacher_moment_exact;
use crate::theory::lp_norm;

pub(super) const FILE: &str = "proofs/prop2.rs";
pub(super) const K: usize = 2;
pub(super) const NK: usize = 3;
pub(super) const N: usize = K * NK;
pub(super) const D: usize = 3;

/// Rows v_i (N × D) and p ∈ [1, 8] (decoded with p < 2 and p > 2 both reachable).
pub(super) fn vp(x: &[f64]) -> (Array2<f64>, f64) {
    (matrix(x, N, D), squash(x[N * D], 1.0, 8.0))
}

pub(super) fn describe_vp(x: &[f64]) -> String {
    let (v, p) = vp(x);
    format!("v = {}, p = {p:.4}", show_m(&v))
}

/// A search start of `len` coordinates: one-hot rows (row i along axis i mod D), 0 elsewhere,
/// and `p_param` at coordinate `p_at` (the coordinate the decoder turns into p).
pub(super) fn one_hot(len: usize, p_at: usize, p_param: f64) -> Vec<f64> {
    let mut x = vec![0.0; len];
    for i in 0..N {
        x[i * D + i % D] = 1.0;
    }
    x[p_at] = p_param;
    x
}

/// The one-hot start for `vp` (p at coordinate N·D).
pub(super) fn one_hot_seed(p_param: f64) -> Vec<f64> {
    one_hot(N * D + 1, N * D, p_param)
}

pub(super) fn column_moments(v: &Array2<f64>, p: f64) -> f64 {
    (0..v.ncols())
        .map(|j| {
            rademacher_moment_exact(&v.column(j).to_vec(), p)
                .expect("small")
                .powf(p)
        })
        .sum::<f64>()
        .powf(1.0 / p)
}

pub(super) fn sigma(v: &Array2<f64>) -> Vec<f64> {
    (0..v.ncols())
        .map(|j| v.column(j).iter().map(|a| a * a).sum::<f64>().sqrt())
        .collect()
}

pub(super) fn searched<'a>(
    b: Budget,
    seed: u64,
    rel: Relation,
    printed: crate::claims::engine::FormFn<'a>,
    alt: Option<Alt<'a>>,
    seeds: Vec<Vec<f64>>,
    note: &'a str,
) -> Evidence {
    assess(
        Searched::new(N * D + 1, rel, printed, b, seed)
            .describe(&describe_vp)
            .scale(1.5)
            .starts(seeds)
            .alt(alt)
            .note(note),
    )
}

/// Σ_i ‖v_i‖_p²: the rows' squared L_p radii (the right side of Eq. 80 and of Eq. 84's σ step).
pub(super) fn radius_sum(v: &Array2<f64>, p: f64) -> f64 {
    v.rows()
        .into_iter()
        .map(|r| lp_norm(&r.to_vec(), p).powi(2))
        .sum()
}
