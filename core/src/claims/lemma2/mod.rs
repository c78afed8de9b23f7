//! Lemma 2 (Eq. 12 / 41) and its proof B.4 (Eq. 42–55): the statement ([`statement`]), the
//! duality steps ([`duality`]) and the rest of the proof ([`steps`]); [`common`] holds what they
//! share. This file is the registry of their claims.

mod common;
mod duality;
mod statement;
mod steps;

use crate::claims::engine::{Claim, Kind, Verdict};
use common::FILE;
use duality::{dual_norm, holder};
use statement::lemma2;
use steps::{decomposition, eq50_general, factorisation, jensen, second_moment};

pub(super) fn claims() -> Vec<Claim> {
    vec![
        Claim {
            id: "lemma2",
            paper_ref: "Lemma 2, Eq. 12 / 41 / 51",
            statement: "R̂^γ_D(F) ≤ Λ √( (K/N) √(Σ_k (‖μ̂_k‖² + ‖ŝ_k‖²)/γ_k²) )  (balanced classes, ‖w_y‖₂ ≤ Λ)",
            kind: Kind::Inequality,
            expected: Verdict::Typo,
            proof_file: FILE,
            check: lemma2,
        },
        Claim {
            id: "eq45-holder",
            paper_ref: "B.4 Eq. 45; B.7 Eq. 76",
            statement: "wᵀu ≤ ‖w‖_q ‖u‖_p (Cauchy–Schwarz for p = q = 2, Hölder in general)",
            kind: Kind::Inequality,
            expected: Verdict::Holds,
            proof_file: FILE,
            check: holder,
        },
        Claim {
            id: "eq46-dual-norm",
            paper_ref: "B.4 Eq. 45–46; B.7 Eq. 76–77",
            statement: "sup_{‖w‖_q ≤ Λ} wᵀu = Λ‖u‖_p (the Hölder step is an equality at the sup)",
            kind: Kind::Identity,
            expected: Verdict::Holds,
            proof_file: FILE,
            check: dual_norm,
        },
        Claim {
            id: "eq47-factorisation",
            paper_ref: "B.4 Eq. 46–47, 50 (factor K); B.7 Eq. 77",
            statement: "Def. 2 over all N·K signs ε_{iy} equals (KΛ/N) E_ε ‖Σ_i ε_i φ(x_i)/γ_{y_i}‖_p",
            kind: Kind::Identity,
            expected: Verdict::Holds,
            proof_file: FILE,
            check: factorisation,
        },
        Claim {
            id: "eq48-jensen",
            paper_ref: "B.4, Eq. 48",
            statement: "E_ε‖Σ_i ε_i v_i‖₂ ≤ √(E_ε‖Σ_i ε_i v_i‖₂²)",
            kind: Kind::Inequality,
            expected: Verdict::Holds,
            proof_file: FILE,
            check: jensen,
        },
        Claim {
            id: "eq49-second-moment",
            paper_ref: "B.4 Eq. 49–50; B.8 Eq. 92–94",
            statement: "E_ε‖Σ_i ε_i v_i‖₂² = Σ_i ‖v_i‖₂² (cross terms vanish)",
            kind: Kind::Identity,
            expected: Verdict::Holds,
            proof_file: FILE,
            check: second_moment,
        },
        Claim {
            id: "eq50-general",
            paper_ref: "B.4, Eq. 50 (any class sizes)",
            statement: "R̂^γ_D(F) ≤ (KΛ/N) √(Σ_k Σ_{i∈I_k} ‖φ(x_i)‖²/γ_k²), for balanced or unbalanced classes",
            kind: Kind::Inequality,
            expected: Verdict::Holds,
            proof_file: FILE,
            check: eq50_general,
        },
        Claim {
            id: "eq52-55-decomposition",
            paper_ref: "B.4, Eq. 52–55",
            statement: "Σ_{i∈I_k} ‖φ(x_i)‖² = N_k (‖ŝ_k‖² + ‖μ̂_k‖²)",
            kind: Kind::Identity,
            expected: Verdict::Holds,
            proof_file: FILE,
            check: decomposition,
        },
    ]
}

#[cfg(test)]
// Exact comparisons: the decoders copy coordinates or apply one correctly rounded operation.
#[allow(clippy::float_cmp)]
mod tests {
    use super::common::*;
    use super::duality::*;
    use super::steps::*;
    use crate::claims::engine::decode::matrix;
    use crate::search::squash;

    /// Features squash(x, −5, 5) row by row, labels (0,0,0,1,1,1), γ from the next two
    /// coordinates and Λ from the last, each squash(·, 0.1, 10).
    #[test]
    fn data_decodes_features_labels_gamma_lambda() {
        let x: Vec<f64> = (0..DATA_DIM).map(|i| i as f64 / 10.0 - 1.0).collect();
        let (f, y, g, l) = data(&x);
        assert_eq!(f.dim(), (N, D));
        assert_eq!(f[[0, 0]], squash(-1.0, -5.0, 5.0));
        assert_eq!(f[[1, 2]], squash(x[D + 2], -5.0, 5.0));
        assert!(f[[0, 0]] < 0.0 && f[[N - 1, D - 1]] > 0.0);
        assert_eq!(y, vec![0, 0, 0, 1, 1, 1]);
        let box10 = |v: f64| squash(v, 0.1, 10.0);
        assert_eq!(g, vec![box10(x[N * D]), box10(x[N * D + 1])]);
        assert_eq!(l, box10(x[N * D + 2]));
        assert!(g[0] < g[1] && g[1] < l, "{g:?} {l}");
    }

    /// (w, u) from the first six coordinates; p = ∞ above 3, else squash(·, 1, 6) (3 itself
    /// is finite).
    #[test]
    fn holder_inputs_decode_p_and_infinity() {
        let mut x = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0];
        let (w, u, p) = holder_inputs(&x);
        assert_eq!((w, u, p), (vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0], 3.5));
        x[6] = 3.0;
        assert_eq!(holder_inputs(&x).2, squash(3.0, 1.0, 6.0));
        x[6] = 3.5;
        assert_eq!(holder_inputs(&x).2, f64::INFINITY);
    }

    /// The 4 × 2 brute-force set: raw features, labels (0,1,0,1), p = ∞ above 3 else
    /// squash(·, 1, 5), γ = e^{x₉}, e^{x₁₀}, Λ = e^{x₁₁}.
    #[test]
    fn tiny_decodes_in_order() {
        let mut x: Vec<f64> = (0..12).map(|i| i as f64 / 10.0).collect();
        let (f, y, g, l, p) = tiny(&x);
        assert_eq!(f.dim(), (4, 2));
        assert_eq!((f[[0, 1]], f[[3, 1]]), (0.1, 0.7));
        assert_eq!(y, vec![0, 1, 0, 1]);
        assert_eq!(g, vec![0.9f64.exp(), 1.0f64.exp()]);
        assert_eq!(l, 1.1f64.exp());
        assert_eq!(p, squash(0.8, 1.0, 5.0));
        x[8] = 3.0;
        assert_eq!(tiny(&x).4, squash(3.0, 1.0, 5.0));
        x[8] = 3.5;
        assert_eq!(tiny(&x).4, f64::INFINITY);
    }

    /// Class 0 holds the first n₀ = 1 + ⌊squash(x, 0, 4.999)⌋ rows (1..=5), class 1 the rest.
    #[test]
    fn unbalanced_class_sizes() {
        let mut x = vec![0.0; DATA_DIM + 1];
        for (t, n0) in [(-30.0, 1), (0.0, 3), (30.0, 5)] {
            x[DATA_DIM] = t;
            let y = unbalanced(&x).1;
            assert_eq!(y.iter().filter(|&&c| c == 0).count(), n0, "{y:?}");
            assert_eq!(y[..n0], vec![0; n0][..]);
        }
    }

    /// p = 1: Λ·sign(u); p = 2: Λu/‖u‖₂; p = ∞: Λ·sign at the largest |u_j|. u = (3, −4), Λ = 2.
    #[test]
    fn dual_maximisers_by_hand() {
        let u = [3.0, -4.0];
        assert_eq!(dual_maximiser(&u, 1.0, 2.0), vec![2.0, -2.0]);
        let w = dual_maximiser(&u, 2.0, 2.0);
        assert!(
            (w[0] - 1.2).abs() < 1e-15 && (w[1] + 1.6).abs() < 1e-15,
            "{w:?}"
        );
        assert_eq!(dual_maximiser(&u, f64::INFINITY, 2.0), vec![0.0, -2.0]);
        assert_eq!(dual_maximiser(&[0.0, 0.0], 2.0, 2.0), vec![0.0, 0.0]);
    }

    /// The maximiser attains Λ‖u‖_p; one scaled within the identity tolerance is feasible,
    /// twice the maximiser (‖w‖_q = 2Λ = 1) is infeasible and reported as lhs = 2·rhs + 1.
    #[test]
    fn an_infeasible_maximiser_is_a_violation() {
        let (u, l) = ([3.0, -4.0], 0.5);
        let w = dual_maximiser(&u, 2.0, l);
        let (a, b) = dual_sides(&w, &u, 2.0, l);
        assert!(
            (a - 2.5).abs() < 1e-12 && (b - 2.5).abs() < 1e-12,
            "{a} {b}"
        );
        let scaled = |c: f64| -> Vec<f64> { w.iter().map(|v| c * v).collect() };
        let inside = 1.0 + crate::tolerance::IDENTITY.rel / 2.0;
        assert!(dual_sides(&scaled(inside), &u, 2.0, l).0 < b * (1.0 + 1e-9));
        assert_eq!(dual_sides(&scaled(2.0), &u, 2.0, l), (6.0, b));
    }

    /// Row i along axis i mod D, + for i < D, − after, every other coordinate 0.
    #[test]
    fn the_seed_is_one_hot_rows_orthogonal_within_each_class() {
        let x = orthogonal_seed(3.0);
        assert_eq!(x.len(), DATA_DIM);
        let mut want = vec![0.0; DATA_DIM];
        for (i, j, v) in [
            (0, 0, 3.0),
            (1, 1, 3.0),
            (2, 2, 3.0),
            (3, 0, -3.0),
            (4, 1, -3.0),
            (5, 2, -3.0),
        ] {
            want[i * D + j] = v;
        }
        assert_eq!(x, want);
        let v = matrix(&x, N, D);
        for c in 0..K {
            for i in c * NK..(c + 1) * NK {
                for j in c * NK..i {
                    assert_eq!(v.row(i).dot(&v.row(j)), 0.0, "rows {i}, {j}");
                }
            }
        }
    }
}
