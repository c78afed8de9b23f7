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
        pool.push(eval(s.clone(), &mut evals));
    }
    for _ in 0..budget.random_points() {
        let x: Vec<f64> = (0..dim)
            .map(|_| scale * rng.sample::<f64, _>(StandardNormal))
            .collect();
        pool.push(eval(x, &mut evals));
    }
    pool.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut best = pool[0].clone();
    let starts: Vec<Vec<f64>> = pool
        .iter()
        .take(budget.starts())
        .map(|p| p.1.clone())
        .collect();
    for x0 in starts {
        let mut simplex = vec![x0.clone()];
        for i in 0..dim {
            let mut x = x0.clone();
            x[i] += 0.25 * scale.max(1e-3) * (1.0 + x0[i].abs());
            simplex.push(x);
        }
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

/// Logistic map to `(lo, hi)`, for decoding bounded hypotheses.
pub fn squash(x: f64, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) / (1.0 + (-x).exp())
}
