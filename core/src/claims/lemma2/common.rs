//! What the Lemma 2 checks share: the balanced instance's sizes, its decoder and search
//! starts, the class energies α_k and the exact complexity.

use ndarray::Array2;

use crate::claims::engine::decode::{matrix, show, show_m};
use crate::search::squash;
use crate::theory::moments::{class_moments, require_all};
use crate::theory::rademacher::{gamma_margin_complexity, Method};

pub(super) const FILE: &str = "proofs/lemma2.rs";
pub(super) const K: usize = 2;
pub(super) const NK: usize = 3;
pub(super) const N: usize = K * NK;
pub(super) const D: usize = 3;

/// Balanced data set: N × D features, labels (0,0,0,1,1,1), γ ∈ ℝ²₊, Λ > 0.
/// Entries in (−5, 5), γ_k and Λ in (0.1, 10): a box that keeps counterexamples readable.
pub(super) fn data(x: &[f64]) -> (Array2<f64>, Vec<usize>, Vec<f64>, f64) {
    let f = matrix(x, N, D).mapv(|v| squash(v, -5.0, 5.0));
    let y = (0..N).map(|i| i / NK).collect();
    let g = vec![squash(x[N * D], 0.1, 10.0), squash(x[N * D + 1], 0.1, 10.0)];
    (f, y, g, squash(x[N * D + 2], 0.1, 10.0))
}

pub(super) const DATA_DIM: usize = N * D + 3;

pub(super) fn describe(x: &[f64]) -> String {
    let (f, y, g, l) = data(x);
    format!(
        "features {}, labels {:?}, γ={}, Λ={l:.4}",
        show_m(&f),
        y,
        show(&g)
    )
}

/// A search start of one-hot rows: row i is ±scale along axis i mod D (+ in class 0, − in
/// class 1), so the rows of each class are mutually orthogonal. Not an equality case for the
/// whole set: rows i and i + D are antiparallel (the searches find the equality cases).
pub(super) fn orthogonal_seed(scale: f64) -> Vec<f64> {
    let mut x = vec![0.0; DATA_DIM];
    for i in 0..N {
        x[i * D + i % D] = scale * if i < D { 1.0 } else { -1.0 };
    }
    x
}

pub(super) fn alpha_of(f: &Array2<f64>, y: &[usize]) -> Vec<f64> {
    require_all(
        class_moments(f.view(), y, K, 2.0).expect("valid labels"),
        "balanced decode",
    )
    .expect("both classes present")
    .iter()
    .map(|s| s.alpha())
    .collect()
}

pub(super) fn exact(f: &Array2<f64>, y: &[usize], g: &[f64], l: f64, p: f64) -> f64 {
    gamma_margin_complexity(f.view(), y, g, l, p, Method::Exact)
        .expect("small N")
        .mean
}
