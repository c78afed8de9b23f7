//! Lemma 2 (Eq. 12 / 41) and its proof B.4 (Eq. 42–55).

use ndarray::Array2;

use super::engine::decode::{matrix, pos, show, show_m};
use super::engine::RepairBasis;
use super::engine::{assess, Alt, AltRole, Claim, Evidence, Kind, Relation, Searched, Verdict};
use crate::search::{squash, Budget};
use crate::theory::moments::{class_moments, require_all};
use crate::theory::rademacher::{self, gamma_margin_complexity, Method};
use crate::theory::{conjugate, lp_norm};

const FILE: &str = "proofs/lemma2.rs";
const K: usize = 2;
const NK: usize = 3;
const N: usize = K * NK;
const D: usize = 3;

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

/// Balanced data set: N × D features, labels (0,0,0,1,1,1), γ ∈ ℝ²₊, Λ > 0.
/// Entries in (−5, 5), γ_k and Λ in (0.1, 10): a box that keeps counterexamples readable.
fn data(x: &[f64]) -> (Array2<f64>, Vec<usize>, Vec<f64>, f64) {
    let f = matrix(x, N, D).mapv(|v| squash(v, -5.0, 5.0));
    let y = (0..N).map(|i| i / NK).collect();
    let g = vec![squash(x[N * D], 0.1, 10.0), squash(x[N * D + 1], 0.1, 10.0)];
    (f, y, g, squash(x[N * D + 2], 0.1, 10.0))
}

const DATA_DIM: usize = N * D + 3;

fn describe(x: &[f64]) -> String {
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
fn orthogonal_seed(scale: f64) -> Vec<f64> {
    let mut x = vec![0.0; DATA_DIM];
    for i in 0..N {
        x[i * D + i % D] = scale * if i < D { 1.0 } else { -1.0 };
    }
    x
}

fn alpha_of(f: &Array2<f64>, y: &[usize]) -> Vec<f64> {
    require_all(
        class_moments(f.view(), y, K, 2.0).expect("valid labels"),
        "balanced decode",
    )
    .expect("both classes present")
    .iter()
    .map(|s| s.alpha())
    .collect()
}

fn exact(f: &Array2<f64>, y: &[usize], g: &[f64], l: f64, p: f64) -> f64 {
    gamma_margin_complexity(f.view(), y, g, l, p, Method::Exact)
        .expect("small N")
        .mean
}

fn lemma2(b: Budget) -> Evidence {
    let printed = |x: &[f64]| {
        let (f, y, g, l) = data(x);
        (
            exact(&f, &y, &g, l, 2.0),
            rademacher::lemma2_printed(&alpha_of(&f, &y), &g, N, l),
        )
    };
    let corrected = |x: &[f64]| {
        let (f, y, g, l) = data(x);
        (
            exact(&f, &y, &g, l, 2.0),
            rademacher::lemma2_corrected(&alpha_of(&f, &y), &g, N, l),
        )
    };
    assess(Searched {
        dim: DATA_DIM,
        scale: 1.5,
        seeds: vec![orthogonal_seed(3.0)],
        relation: Relation::Le,
        printed: &printed,
        alt: Some(Alt {
            role: AltRole::Repair(RepairBasis::PaperDerivation("Eq. 50 of the proof, and Prop. 1 (Eq. 13), which uses it")),
            relation: Relation::Le,
            form: &corrected,
            statement: "R̂^γ_D(F) ≤ Λ √(K/N) · √(Σ_k (‖μ̂_k‖² + ‖ŝ_k‖²)/γ_k²) — what Eq. 50 gives and what Prop. 1 uses; sharp (equality for orthogonal features)",
            sharp: false,
        }),
        describe: &describe,
        budget: b,
        seed: 51,
        note: "The printed nested root is smaller than the derived bound whenever Σ_k α_k/γ_k² > 1; the complexity is computed exactly (2^N sign vectors).",
    })
}

/// (w, u) ∈ ℝ³ × ℝ³, p ∈ [1, 6] or ∞.
fn holder_inputs(x: &[f64]) -> (Vec<f64>, Vec<f64>, f64) {
    let p = if x[6] > 3.0 {
        f64::INFINITY
    } else {
        squash(x[6], 1.0, 6.0)
    };
    (x[..3].to_vec(), x[3..6].to_vec(), p)
}

fn holder(b: Budget) -> Evidence {
    let f = |x: &[f64]| {
        let (w, u, p) = holder_inputs(x);
        (
            w.iter().zip(&u).map(|(a, c)| a * c).sum(),
            lp_norm(&w, conjugate(p)) * lp_norm(&u, p),
        )
    };
    assess(Searched {
        dim: 7,
        scale: 2.0,
        seeds: vec![],
        relation: Relation::Le,
        printed: &f,
        alt: None,
        describe: &|x| {
            let (w, u, p) = holder_inputs(x);
            format!("w={}, u={}, p={p:.4}", show(&w), show(&u))
        },
        budget: b,
        seed: 52,
        note: "Equality at w ∝ sign(u)|u|^{p−1}.",
    })
}

/// The maximiser of wᵀu over ‖w‖_q ≤ Λ for finite p > 1, or p = 1 / ∞.
// p = 1 exactly selects the sign vector (the general formula has 0^0 there).
#[allow(clippy::float_cmp)]
pub(super) fn dual_maximiser(u: &[f64], p: f64, lambda: f64) -> Vec<f64> {
    if p.is_infinite() {
        let j = (0..u.len())
            .max_by(|&a, &b| u[a].abs().total_cmp(&u[b].abs()))
            .unwrap_or(0);
        let mut w = vec![0.0; u.len()];
        w[j] = lambda * u[j].signum();
        w
    } else if p == 1.0 {
        u.iter().map(|v| lambda * v.signum()).collect()
    } else {
        let n = lp_norm(u, p);
        if n == 0.0 {
            return vec![0.0; u.len()];
        }
        u.iter()
            .map(|v| lambda * v.signum() * (v.abs() / n).powf(p - 1.0))
            .collect()
    }
}

/// (wᵀu, Λ‖u‖_p) for a candidate maximiser w. Feasibility is part of the claim: a w with
/// ‖w‖_q > Λ (beyond the identity tolerance) counts as a violation, lhs = 2·rhs + 1.
fn dual_sides(w: &[f64], u: &[f64], p: f64, l: f64) -> (f64, f64) {
    let feas = lp_norm(w, conjugate(p)) <= l * (1.0 + crate::tolerance::IDENTITY.rel);
    let val: f64 = w.iter().zip(u).map(|(a, c)| a * c).sum();
    let rhs = l * lp_norm(u, p);
    (if feas { val } else { 2.0 * rhs + 1.0 }, rhs)
}

fn dual_norm(b: Budget) -> Evidence {
    let f = |x: &[f64]| {
        let (_, u, p) = holder_inputs(x);
        let l = pos(x[0]);
        dual_sides(&dual_maximiser(&u, p, l), &u, p, l)
    };
    assess(Searched {
        dim: 7,
        scale: 2.0,
        seeds: vec![],
        relation: Relation::Eq,
        printed: &f,
        alt: None,
        describe: &|x| {
            let (_, u, p) = holder_inputs(x);
            format!("u={}, p={p:.4}, Λ={:.4}", show(&u), pos(x[0]))
        },
        budget: b,
        seed: 53,
        note: "The sup is attained by the feasible w* = Λ sign(u)(|u|/‖u‖_p)^{p−1}; with Hölder (eq45-holder) this makes the closed form exact.",
    })
}

/// Tiny data set for the 2^{NK} brute force: N = 4, K = 2, d = 2, p.
fn tiny(x: &[f64]) -> (Array2<f64>, Vec<usize>, Vec<f64>, f64, f64) {
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

fn factorisation(b: Budget) -> Evidence {
    let f = |x: &[f64]| {
        let (f, y, g, l, p) = tiny(x);
        (
            rademacher::gamma_margin_complexity_bruteforce(f.view(), &y, &g, l, p).expect("tiny"),
            exact(&f, &y, &g, l, p),
        )
    };
    assess(Searched {
        dim: 12,
        scale: 1.5,
        seeds: vec![],
        relation: Relation::Eq,
        printed: &f,
        alt: None,
        describe: &|x| {
            let (f, y, g, l, p) = tiny(x);
            format!(
                "features {}, labels {:?}, γ={}, Λ={l:.4}, p={p:.4}",
                show_m(&f),
                y,
                show(&g)
            )
        },
        budget: b,
        seed: 54,
        note: "Brute force over all 2^{NK} = 256 sign matrices vs the factorised N-sign form.",
    })
}

fn sq_norm_moment(v: &Array2<f64>) -> f64 {
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

fn jensen(b: Budget) -> Evidence {
    let f = |x: &[f64]| {
        let v = matrix(x, N, D);
        (
            rademacher::expected_norm_exact(v.view(), 2.0).expect("small"),
            sq_norm_moment(&v).sqrt(),
        )
    };
    assess(Searched {
        dim: N * D,
        scale: 1.5,
        seeds: vec![orthogonal_seed(1.0)[..N * D].to_vec()],
        relation: Relation::Le,
        printed: &f,
        alt: None,
        describe: &|x| format!("v = {}", show_m(&matrix(x, N, D))),
        budget: b,
        seed: 55,
        note: "Equality when ‖Σ ε_i v_i‖ does not depend on ε, e.g. mutually orthogonal v_i.",
    })
}

fn second_moment(b: Budget) -> Evidence {
    let f = |x: &[f64]| {
        let v = matrix(x, N, D);
        (sq_norm_moment(&v), v.iter().map(|a| a * a).sum::<f64>())
    };
    assess(Searched {
        dim: N * D,
        scale: 2.0,
        seeds: vec![],
        relation: Relation::Eq,
        printed: &f,
        alt: None,
        describe: &|x| format!("v = {}", show_m(&matrix(x, N, D))),
        budget: b,
        seed: 56,
        note: "Exact enumeration of all 2^N sign vectors.",
    })
}

/// Unbalanced data: 6 rows, class sizes decided by the search (1..=5 in class 0).
fn unbalanced(x: &[f64]) -> (Array2<f64>, Vec<usize>, Vec<f64>, f64) {
    let n0 = 1 + squash(x[DATA_DIM], 0.0, 4.999).floor() as usize;
    let (f, _, g, l) = data(x);
    let y = (0..N).map(|i| usize::from(i >= n0)).collect();
    (f, y, g, l)
}

fn eq50_general(b: Budget) -> Evidence {
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
    assess(Searched {
        dim: DATA_DIM + 1,
        scale: 1.5,
        seeds: vec![seed],
        relation: Relation::Le,
        printed: &f,
        alt: None,
        describe: &|x| {
            let (f, y, g, l) = unbalanced(x);
            format!("features {}, labels {:?}, γ={}, Λ={l:.4}", show_m(&f), y, show(&g))
        },
        budget: b,
        seed: 57,
        note: "Eq. 51's Λ√(K/N)√(Σα_k/γ_k²) needs |I_k| = N/K; without balance Eq. 50 (this form) is the one that holds (see proofs/lemma2.rs for an unbalanced input that breaks the balanced form).",
    })
}

fn decomposition(b: Budget) -> Evidence {
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
    assess(Searched {
        dim: DATA_DIM,
        scale: 3.0,
        seeds: vec![],
        relation: Relation::Eq,
        printed: &f,
        alt: None,
        describe: &describe,
        budget: b,
        seed: 58,
        note: "",
    })
}

#[cfg(test)]
// Exact comparisons: the decoders copy coordinates or apply one correctly rounded operation.
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

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
