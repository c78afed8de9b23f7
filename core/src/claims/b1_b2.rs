//! B.1 (Eq. 18–21: `ℓ_s̄` relaxes `ℓ̂_s̄`) and B.2 (Eq. 22–24: pairwise distance and mean squared
//! deviation), population and finite-sample forms.

use ndarray::Array2;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::engine::decode::{matrix, pos, show, show_m};
use super::engine::{assess, mc_identity, Claim, Evidence, Kind, Relation, Searched, Verdict};
use crate::search::Budget;
use crate::theory::{lse, moments, Estimate};

const FILE: &str = "proofs/b1_b2.rs";
const M: usize = 5;

pub(super) fn claims() -> Vec<Claim> {
    vec![
        Claim {
            id: "b1-hinge-le-lse",
            paper_ref: "B.1, Eq. 21 (Eq. 2 relaxes Eq. 3)",
            statement: "ℓ̂_s̄ = max(0, max_j z_j) ≤ ln(1 + Σ_j e^{z_j}) = ℓ_s̄, z_j = ‖φ(x) − φ(x_j⁺)‖² − 2s̄",
            kind: Kind::Inequality,
            expected: Verdict::Holds,
            proof_file: FILE,
            check: hinge_le_lse,
        },
        Claim {
            id: "b1-relaxation-gap",
            paper_ref: "B.1 (\"smooth approximation\")",
            statement: "ℓ_s̄ − ℓ̂_s̄ ≤ ln(m + 1) for m positives: the relaxation is within ln(m+1) of the hinge",
            kind: Kind::Inequality,
            expected: Verdict::Holds,
            proof_file: FILE,
            check: relaxation_gap,
        },
        Claim {
            id: "b2-population",
            paper_ref: "B.2, Eq. 22–24",
            statement: "for independent x, y from one distribution: E‖x − y‖² = 2‖s‖², ‖s‖² = E‖x − μ‖²",
            kind: Kind::Identity,
            expected: Verdict::Holds,
            proof_file: FILE,
            check: population,
        },
        Claim {
            id: "b2-cross-term",
            paper_ref: "B.2, Eq. 23 → 24",
            statement: "E[(x − μ)ᵀ(y − μ)] = 0 by independence",
            kind: Kind::Identity,
            expected: Verdict::Holds,
            proof_file: FILE,
            check: cross_term,
        },
        Claim {
            id: "b2-finite-sample",
            paper_ref: "B.2 (finite-sample form)",
            statement: "(1/n²) Σ_{i,j} ‖φ_i − φ_j‖² = 2‖ŝ‖² for the empirical ŝ (all ordered pairs, i = j included)",
            kind: Kind::Identity,
            expected: Verdict::Holds,
            proof_file: FILE,
            check: finite_sample,
        },
    ]
}

fn dists(x: &[f64]) -> (Vec<f64>, f64) {
    (x[..M].iter().map(|v| pos(*v)).collect(), pos(x[M]))
}

fn describe(x: &[f64]) -> String {
    let (d, s) = dists(x);
    format!("squared distances {}, s̄={s:.4}", show(&d))
}

fn hinge_le_lse(b: Budget) -> Evidence {
    let f = |x: &[f64]| {
        let (d, s) = dists(x);
        (lse::rep_margin_hinge(&d, s), lse::rep_margin_loss(&d, s))
    };
    assess(
        Searched::new(M + 1, Relation::Le, &f, b, 21)
            .describe(&describe)
            .note("Approached when one positive dominates (its z_j ≫ 0)."),
    )
}

fn relaxation_gap(b: Budget) -> Evidence {
    let f = |x: &[f64]| {
        let (d, s) = dists(x);
        (
            lse::rep_margin_loss(&d, s) - lse::rep_margin_hinge(&d, s),
            ((M + 1) as f64).ln(),
        )
    };
    let mut seed = vec![0.0; M + 1];
    seed[M] = -1.0; // s̄ = e^{-1}; distances 1 → z_j = 1 − 2/e ≠ 0: the search moves them to 0
    assess(
        Searched::new(M + 1, Relation::Le, &f, b, 22)
            .describe(&describe)
            .scale(1.0)
            .starts(vec![seed])
            .note("Attained when every pairwise distance equals 2s̄ (all z_j = 0)."),
    )
}

/// Paired draws `x`, `y`, the mean `μ`, and `‖s‖²`.
type Pairs = (Vec<[f64; 3]>, Vec<[f64; 3]>, [f64; 3], f64);

/// The mean and the mixing matrix of B.2's Gaussian x = μ + A g (correlated, shifted, 3 dims).
const MU: [f64; 3] = [1.0, -2.0, 0.5];
const A: [[f64; 3]; 3] = [[1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [-0.3, 0.5, 1.5]];

fn gaussian_pairs(budget: Budget, seed: u64) -> Pairs {
    let (mu, a) = (MU, A);
    let tr: f64 = a.iter().flatten().map(|v| v * v).sum(); // tr(AAᵀ) = ‖s‖²
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let draw = |rng: &mut ChaCha8Rng| {
        let g: [f64; 3] = [
            StandardNormal.sample(rng),
            StandardNormal.sample(rng),
            StandardNormal.sample(rng),
        ];
        let mut x = mu;
        for (r, xr) in x.iter_mut().enumerate() {
            *xr += (0..3).map(|c| a[r][c] * g[c]).sum::<f64>();
        }
        x
    };
    let n = budget.mc() * 5;
    let xs: Vec<[f64; 3]> = (0..n).map(|_| draw(&mut rng)).collect();
    let ys: Vec<[f64; 3]> = (0..n).map(|_| draw(&mut rng)).collect();
    (xs, ys, mu, tr)
}

fn population(b: Budget) -> Evidence {
    let (xs, ys, _, tr) = gaussian_pairs(b, 23);
    let d: Vec<f64> = xs
        .iter()
        .zip(&ys)
        .map(|(x, y)| lse::sq_dist(x, y))
        .collect();
    let Estimate { mean: m, se } = Estimate::of_sample(&d);
    mc_identity(
        "E‖x − y‖² (Monte Carlo)",
        m,
        se,
        2.0 * tr,
        format!(
            "x, y ~ N(μ, AAᵀ) in 3 dims, ‖s‖² = tr(AAᵀ) = {tr:.4}, {} pairs",
            d.len()
        ),
        "",
    )
}

/// `(x − μ)ᵀ(y − μ)` for each pair.
fn cross_products((xs, ys, mu, _): &Pairs) -> Vec<f64> {
    xs.iter()
        .zip(ys)
        .map(|(x, y)| (0..3).map(|j| (x[j] - mu[j]) * (y[j] - mu[j])).sum())
        .collect()
}

fn cross_term(b: Budget) -> Evidence {
    let c = cross_products(&gaussian_pairs(b, 24));
    let Estimate { mean: m, se } = Estimate::of_sample(&c);
    mc_identity(
        "E[(x−μ)ᵀ(y−μ)] (Monte Carlo)",
        m,
        se,
        0.0,
        format!("same Gaussian, {} pairs", c.len()),
        "",
    )
}

fn points(x: &[f64]) -> Array2<f64> {
    matrix(x, 5, 3)
}

fn finite_sample(b: Budget) -> Evidence {
    let f = |x: &[f64]| {
        let p = points(x);
        (
            moments::mean_pairwise_sq_dist_all(p.view()).expect("non-empty"),
            2.0 * moments::msd(p.view()),
        )
    };
    assess(
        Searched::new(15, Relation::Eq, &f, b, 25)
            .describe(&|x| format!("points {}", show_m(&points(x))))
            .scale(3.0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pairs are 5 × the budget's draws of N(μ, AAᵀ): their sample mean and covariance are
    /// μ and AAᵀ (rows (1, 0, 0), (0.6, 0.8, 0), (−0.3, 0.5, 1.5)) to Monte Carlo accuracy, and
    /// ‖s‖² is tr(AAᵀ) = 1 + 1 + 2.59.
    #[test]
    fn gaussian_pairs_are_draws_of_the_stated_gaussian() {
        let (xs, ys, mu, tr) = gaussian_pairs(Budget::Quick, 7);
        assert_eq!(
            (xs.len(), ys.len()),
            (5 * Budget::Quick.mc(), 5 * Budget::Quick.mc())
        );
        assert!((tr - 4.59).abs() < 1e-12, "{tr}");
        assert_eq!(mu.map(f64::to_bits), [1.0, -2.0, 0.5].map(f64::to_bits));
        let a = A;
        let n = xs.len() as f64;
        for j in 0..3 {
            let m = xs.iter().map(|x| x[j]).sum::<f64>() / n;
            assert!((m - mu[j]).abs() < 0.03, "mean {j}: {m}");
            for k in 0..3 {
                let c = xs
                    .iter()
                    .map(|x| (x[j] - mu[j]) * (x[k] - mu[k]))
                    .sum::<f64>()
                    / n;
                let want: f64 = (0..3).map(|l| a[j][l] * a[k][l]).sum();
                assert!((c - want).abs() < 0.05, "cov {j}{k}: {c} vs {want}");
            }
        }
    }

    /// The cross products of independent pairs have mean 0 — which many wrong products share —
    /// and second moment E[((x−μ)ᵀ(y−μ))²] = tr(Σ²) = ‖AAᵀ‖_F², which pins the product itself:
    /// by hand on one pair, and by Monte Carlo on the claim's sample.
    #[test]
    fn cross_products_are_centred_inner_products_with_second_moment_tr_sigma_squared() {
        let one = (
            vec![[2.0, 0.0, 1.0]],
            vec![[0.0, -1.0, 3.0]],
            [1.0, -2.0, 0.5],
            0.0,
        );
        // (1, 2, 0.5) · (−1, 1, 2.5) = −1 + 2 + 1.25
        assert_eq!(cross_products(&one)[0].to_bits(), 2.25f64.to_bits());
        let c = cross_products(&gaussian_pairs(Budget::Quick, 24));
        let a = A;
        let sigma = |j: usize, k: usize| (0..3).map(|l| a[j][l] * a[k][l]).sum::<f64>();
        let tr_sigma2: f64 = (0..3)
            .flat_map(|j| (0..3).map(move |k| (j, k)))
            .map(|(j, k)| sigma(j, k).powi(2))
            .sum();
        let sq: Vec<f64> = c.iter().map(|v| v * v).collect();
        let e = Estimate::of_sample(&sq);
        assert!(
            (e.mean - tr_sigma2).abs() < 4.0 * e.se,
            "E[c²] = {} ± {} vs tr(Σ²) = {tr_sigma2}",
            e.mean,
            e.se
        );
    }
}
