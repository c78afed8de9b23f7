//! B.4's remaining steps: the factorisation over classes, Jensen, the second moment, Eq. 50
//! on unbalanced classes and the decomposition.

use ndarray::Array2;

use super::common::*;
use crate::claims::engine::decode::{matrix, pos, show, show_m};
use crate::claims::engine::{assess, Evidence, Relation, Searched};
use crate::search::{squash, Budget};
use crate::theory::moments::{class_moments, require_all};
use crate::theory::rademacher::{self};

/// Tiny data set for the 2^{NK} brute force: N = 4, K = 2, d = 2, p.
pub(super) fn tiny(x: &[f64]) -> (Array2<f64>, Vec<usize>, Vec<f64>, f64, f64) {
    let f = matrix(x, 4, 2);
    let p = if x[8] > 3.0 {
        f64::INFINITY
    } else {
        squash(x[8], 1.0, 5.0)
    };
    (
        f,
        vec![0, 1, 0, 1],
        vec![pos(x[9]), pos(x[10])],
        pos(x[11]),
        p,
    )
}

pub(super) fn factorisation(b: Budget) -> Evidence {
    let f = |x: &[f64]| {
        let (f, y, g, l, p) = tiny(x);
        (
            rademacher::gamma_margin_complexity_bruteforce(f.view(), &y, &g, l, p).expect("tiny"),
            exact(&f, &y, &g, l, p),
        )
    };
    assess(
        Searched::new(12, Relation::Eq, &f, b, 54)
            .describe(&|x| {
                let (f, y, g, l, p) = tiny(x);
                format!(
                    "features {}, labels {:?}, γ={}, Λ={l:.4}, p={p:.4}",
                    show_m(&f),
                    y,
                    show(&g)
                )
            })
            .scale(1.5)
            .note("Brute force over all 2^{NK} = 256 sign matrices vs the factorised N-sign form."),
    )
}

pub(super) fn sq_norm_moment(v: &Array2<f64>) -> f64 {
    let n = v.nrows();
    let total = 1u64 << n;
    let mut acc = 0.0;
    for mask in 0..total {
        let mut u = vec![0.0; v.ncols()];
        for i in 0..n {
            let e = if mask >> i & 1 == 1 { 1.0 } else { -1.0 };
            for (j, uj) in u.iter_mut().enumerate() {
                *uj += e * v[[i, j]];
            }
        }
        acc += u.iter().map(|a| a * a).sum::<f64>();
    }
    acc / total as f64
}

pub(super) fn jensen(b: Budget) -> Evidence {
    let f = |x: &[f64]| {
        let v = matrix(x, N, D);
        (
            rademacher::expected_norm_exact(v.view(), 2.0).expect("small"),
            sq_norm_moment(&v).sqrt(),
        )
    };
    assess(
        Searched::new(N * D, Relation::Le, &f, b, 55)
            .describe(&|x| format!("v = {}", show_m(&matrix(x, N, D))))
            .scale(1.5)
            .starts(vec![orthogonal_seed(1.0)[..N * D].to_vec()])
            .note("Equality when ‖Σ ε_i v_i‖ does not depend on ε, e.g. mutually orthogonal v_i."),
    )
}

pub(super) fn second_moment(b: Budget) -> Evidence {
    let f = |x: &[f64]| {
        let v = matrix(x, N, D);
        (sq_norm_moment(&v), v.iter().map(|a| a * a).sum::<f64>())
    };
    assess(
        Searched::new(N * D, Relation::Eq, &f, b, 56)
            .describe(&|x| format!("v = {}", show_m(&matrix(x, N, D))))
            .note("Exact enumeration of all 2^N sign vectors."),
    )
}

/// Unbalanced data: 6 rows, class sizes decided by the search (1..=5 in class 0).
pub(super) fn unbalanced(x: &[f64]) -> (Array2<f64>, Vec<usize>, Vec<f64>, f64) {
    let n0 = 1 + squash(x[DATA_DIM], 0.0, 4.999).floor() as usize;
    let (f, _, g, l) = data(x);
    let y = (0..N).map(|i| usize::from(i >= n0)).collect();
    (f, y, g, l)
}

pub(super) fn eq50_general(b: Budget) -> Evidence {
    let f = |x: &[f64]| {
        let (f, y, g, l) = unbalanced(x);
        let stats = require_all(
            class_moments(f.view(), &y, K, 2.0).expect("labels"),
            "decode",
        )
        .expect("both present");
        let counts: Vec<usize> = stats.iter().map(|s| s.n).collect();
        let alpha: Vec<f64> = stats.iter().map(|s| s.alpha()).collect();
        (
            exact(&f, &y, &g, l, 2.0),
            rademacher::lemma2_general(&counts, &alpha, &g, l),
        )
    };
    let mut seed = orthogonal_seed(2.0);
    seed.push(-3.0);
    assess(Searched::new(DATA_DIM + 1, Relation::Le, &f, b, 57).describe(&|x| {
            let (f, y, g, l) = unbalanced(x);
            format!("features {}, labels {:?}, γ={}, Λ={l:.4}", show_m(&f), y, show(&g))
        }).scale(1.5).starts(vec![seed]).note("Eq. 51's Λ√(K/N)√(Σα_k/γ_k²) needs |I_k| = N/K; without balance Eq. 50 (this form) is the one that holds (see proofs/lemma2.rs for an unbalanced input that breaks the balanced form)."))
}

pub(super) fn decomposition(b: Budget) -> Evidence {
    let f = |x: &[f64]| {
        let (f, y, _, _) = data(x);
        let s = require_all(
            class_moments(f.view(), &y, K, 2.0).expect("labels"),
            "decode",
        )
        .expect("present");
        let lhs: f64 = (0..NK)
            .map(|i| f.row(i).iter().map(|a| a * a).sum::<f64>())
            .sum();
        (lhs, s[0].n as f64 * (s[0].msd + s[0].mean_sq_norm))
    };
    assess(
        Searched::new(DATA_DIM, Relation::Eq, &f, b, 58)
            .describe(&describe)
            .scale(3.0),
    )
}
