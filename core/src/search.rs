//! Adversarial search: seeded multi-start Nelder–Mead (argmin) that maximises a violation
//! measure (`lhs/rhs` or `lhs − rhs`) over a claim's hypotheses. This is how the suite looks
//! for counterexamples instead of only sampling.
//!
//! The objective receives an unconstrained vector `x ∈ ℝ^dim`; each claim decodes it into
//! inputs that satisfy the claim's hypotheses (positivity through `exp`, ranges through
//! sigmoids, …), so every point the solver visits is an admissible input.

use argmin::core::{CostFunction, Executor, State};
use argmin::solver::neldermead::NelderMead;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// How hard to search: the `verify --budget` setting (its `--help` text is these variants'
/// documentation, checked against the numbers below by `proofs/registry.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
pub enum Budget {
    /// Seconds for the whole catalogue: 10 Nelder–Mead starts × 800 iterations after 1000 random points, 20000 Monte Carlo draws.
    Quick,
    /// About a minute: 40 Nelder–Mead starts × 3000 iterations after 5000 random points, 100000 Monte Carlo draws.
    Full,
}

impl Budget {
    /// Multi-start count.
    pub fn starts(self) -> usize {
        match self {
            Self::Quick => 10,
            Self::Full => 40,
        }
    }
    /// Nelder–Mead iterations per start.
    pub fn iters(self) -> u64 {
        match self {
            Self::Quick => 800,
            Self::Full => 3000,
        }
    }
    /// Random points evaluated before the local searches.
    pub fn random_points(self) -> usize {
        match self {
            Self::Quick => 1000,
            Self::Full => 5000,
        }
    }
    /// Monte Carlo draws.
    pub fn mc(self) -> usize {
        match self {
            Self::Quick => 20_000,
            Self::Full => 100_000,
        }
    }
}

/// Outcome of a search.
#[derive(Debug, Clone)]
pub struct Found {
    /// Largest objective value found.
    pub value: f64,
    /// Where it was found.
    pub arg: Vec<f64>,
    /// Objective evaluations spent.
    pub evals: usize,
}

struct Neg<'a, F: Fn(&[f64]) -> f64> {
    f: &'a F,
    count: std::cell::Cell<usize>,
}

impl<F: Fn(&[f64]) -> f64> CostFunction for Neg<'_, F> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, x: &Vec<f64>) -> Result<f64, argmin::core::Error> {
        self.count.set(self.count.get() + 1);
        let v = (self.f)(x);
        Ok(if v.is_nan() { f64::INFINITY } else { -v })
    }
}

/// Maximise `f` over `ℝ^dim`: random points drawn as `N(0, scale²)` plus the given `seeds`
/// (structured candidates such as one-hot or orthogonal features), then Nelder–Mead from the
/// best ones. NaN counts as −∞. Deterministic for a given `seed`.
///
/// # Panics
/// If a seed does not have `dim` coordinates (a claim built with the wrong dimension).
pub fn maximize<F: Fn(&[f64]) -> f64>(
    f: &F,
    dim: usize,
    scale: f64,
    seeds: &[Vec<f64>],
    budget: Budget,
    seed: u64,
) -> Found {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut evals = 0usize;
    let mut pool: Vec<(f64, Vec<f64>)> = Vec::new();
    let eval = |x: Vec<f64>, evals: &mut usize| {
        *evals += 1;
        let v = f(&x);
        (if v.is_nan() { f64::NEG_INFINITY } else { v }, x)
    };
    for s in seeds {
        assert_eq!(
            s.len(),
            dim,
            "a search seed has {} coordinates, the problem {dim}",
            s.len()
        );
        pool.push(eval(s.clone(), &mut evals));
    }
    for _ in 0..budget.random_points() {
        pool.push(eval(random_point(&mut rng, dim, scale), &mut evals));
    }
    pool.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut best = pool[0].clone();
    let starts: Vec<Vec<f64>> = pool
        .iter()
        .take(budget.starts())
        .map(|p| p.1.clone())
        .collect();
    for x0 in starts {
        let simplex = initial_simplex(&x0, scale);
        let problem = Neg {
            f,
            count: std::cell::Cell::new(0),
        };
        let solver = match NelderMead::new(simplex).with_sd_tolerance(1e-12) {
            Ok(s) => s,
            Err(_) => continue,
        };
        let res = Executor::new(problem, solver)
            .configure(|s| s.max_iters(budget.iters()))
            .run();
        if let Ok(r) = res {
            evals += r.problem.problem.as_ref().map_or(0, |p| p.count.get());
            let st = r.state();
            if let Some(x) = st.get_best_param() {
                let v = -st.get_best_cost();
                // Strictly better only: on a tie the earlier candidate (the seeds come
                // first) is reported, e.g. a hand-built counterexample the search only ties.
                if v > best.0 {
                    best = (v, x.clone());
                }
            }
        }
    }
    Found {
        value: best.0,
        arg: best.1,
        evals,
    }
}

/// A random start: `dim` independent `N(0, scale²)` coordinates.
fn random_point(rng: &mut ChaCha8Rng, dim: usize, scale: f64) -> Vec<f64> {
    (0..dim)
        .map(|_| scale * rng.sample::<f64, _>(StandardNormal))
        .collect()
}

/// Nelder–Mead's first simplex around `x0`: `x0` and, per coordinate `i`, `x0` moved along `i`
/// by `0.25·max(scale, 10⁻³)·(1 + |x0_i|)` (relative to the point's magnitude, so that large
/// coordinates get steps that change them).
fn initial_simplex(x0: &[f64], scale: f64) -> Vec<Vec<f64>> {
    let mut simplex = vec![x0.to_vec()];
    for i in 0..x0.len() {
        let mut x = x0.to_vec();
        x[i] += 0.25 * scale.max(1e-3) * (1.0 + x0[i].abs());
        simplex.push(x);
    }
    simplex
}

/// Logistic map to `(lo, hi)`, for decoding bounded hypotheses.
pub fn squash(x: f64, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) / (1.0 + (-x).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_simplex_steps_each_coordinate_by_a_quarter_scale_relative_to_its_size() {
        let s = initial_simplex(&[1.0, -3.0], 2.0);
        assert_eq!(s, vec![vec![1.0, -3.0], vec![2.0, -3.0], vec![1.0, -1.0]]);
        // The step never falls below 0.25·10⁻³·(1 + |x|).
        let tiny = initial_simplex(&[0.0], 0.0);
        assert_eq!(tiny, vec![vec![0.0], vec![0.25e-3]]);
    }

    #[test]
    fn random_points_are_centred_normals_of_the_given_scale() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let v: Vec<f64> = (0..4000)
            .flat_map(|_| random_point(&mut rng, 2, 3.0))
            .collect();
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt();
        // Standard errors: 3/√8000 ≈ 0.034 for the mean, ≈ 0.024 for the sd.
        assert!(mean.abs() < 0.15, "{mean}");
        assert!((sd - 3.0).abs() < 0.1, "{sd}");
        assert_eq!(random_point(&mut rng, 5, 1.0).len(), 5);
    }

    #[test]
    fn on_a_tie_the_seed_is_reported() {
        let f = |_: &[f64]| 1.0;
        let found = maximize(&f, 2, 1.0, &[vec![7.0, 8.0]], Budget::Quick, 3);
        assert_eq!(found.value.to_bits(), 1f64.to_bits());
        assert_eq!(found.arg, vec![7.0, 8.0]);
    }

    #[test]
    #[should_panic(expected = "a search seed has 3 coordinates, the problem 2")]
    fn a_seed_of_the_wrong_dimension_is_refused() {
        let f = |_: &[f64]| 1.0;
        maximize(&f, 2, 1.0, &[vec![1.0, 2.0, 3.0]], Budget::Quick, 3);
    }

    #[test]
    fn the_maximum_of_a_concave_function_is_found_and_evaluations_counted() {
        let calls = std::cell::Cell::new(0usize);
        let f = |x: &[f64]| {
            calls.set(calls.get() + 1);
            -(x[0] - 2.0).powi(2) - (x[1] + 1.0).powi(2)
        };
        let found = maximize(&f, 2, 1.0, &[], Budget::Quick, 9);
        assert!(found.value > -1e-10, "{}", found.value);
        assert!((found.arg[0] - 2.0).abs() < 1e-4 && (found.arg[1] + 1.0).abs() < 1e-4);
        assert_eq!(found.evals, calls.get());
        assert!(found.evals > Budget::Quick.random_points());
    }
}
