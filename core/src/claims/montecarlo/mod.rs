//! Monte Carlo checks of the high-probability statements: Lemma 1 (Eq. 11), Prop. 1 (Eq. 13)
//! and the uniform deviation bound it rests on (Eq. 27, Mohri et al. Thm 3.3).
//!
//! A high-probability bound can only be refuted where it is informative: a bound above 1
//! cannot be exceeded by a risk. The settings here are chosen so that it is (the training sets
//! are large enough that the printed bound lies below 1 for the candidate hypotheses — the
//! evidence reports on how many (set, hypothesis) pairs it does, and the tests require all), and
//! so that the harness demonstrably detects violations: the same runs check an invalid bound
//! (the empirical term alone, no complexity and no confidence term), which must come out
//! `false`.
//!
//! The supremum over the hypothesis class is approximated by the worst of a finite set of
//! candidate heads, including one fitted to the training set.
//!
//! Eq. 27 is also checked on a class rich enough that each of its terms is needed (the
//! indicators of all subsets of a domain much larger than N, [`run_rich`]): there the printed
//! bound holds while the bound without its complexity term fails on every sample. So is
//! Lemma 1, on scoring functions whose true-label score is free on each point of such a domain
//! ([`run_rich_margin`]): the printed bound holds, the bound without its complexity term fails on
//! every sample, and on a one-function subclass the bound without its confidence term fails on
//! about half of them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

mod eq27;
mod rich;
mod rich_margin;

pub use eq27::{eq27_evidence, run_eq27, Eq27Run};
pub use rich::{
    abs_sign_sum, attach, rich_evidence, run_rich, subset_class, with_rich, Eq27Form, RichRun,
    RichSize,
};
pub use rich_margin::{
    lemma1_rich_evidence, margin_evidence, run_rich_margin, Lemma1Form, MarginClass, MarginRun,
    MarginSample,
};

use super::engine::{frequency_verdict, Evidence, Verdict};
use crate::search::Budget;
use crate::theory::bounds::{lemma1_terms, prop1_terms, BoundTerms, Lemma1Constant, Sample};
use crate::theory::margin::{gamma_ce_pairwise, gamma_margin_loss, zero_one};
use crate::theory::rademacher::{gamma_margin_complexity, lemma2_corrected, Method};
use crate::theory::{gamma, moments};

/// Classes of the synthetic problem.
pub const K: usize = 3;
/// Confidence level δ of every Monte Carlo check.
pub const DELTA: f64 = 0.05;
/// Λ, the bound on the head rows' norms.
pub const WEIGHT_NORM: f64 = 1.0;

/// The synthetic problem: K = 3 Gaussian classes in 2 dims, means on a circle of radius 1.5,
/// spreads 0.5 / 0.8 / 1.2 (hard = more variable).
pub struct Mixture {
    /// Class means.
    pub means: [[f64; 2]; K],
    /// Class spreads σ_k.
    pub sigma: [f64; K],
}

/// The mixture of the Lemma 1 / Prop. 1 checks.
pub const MIX: Mixture = Mixture {
    means: [
        [1.5, 0.0],
        [-0.75, 1.299_038_105_676_658],
        [-0.75, -1.299_038_105_676_658],
    ],
    sigma: [0.5, 0.8, 1.2],
};

impl Mixture {
    /// Draw `n` samples; labels uniform i.i.d., or exactly balanced when `balanced`.
    pub fn draw(
        &self,
        n: usize,
        balanced: bool,
        rng: &mut ChaCha8Rng,
    ) -> (Array2<f64>, Vec<usize>) {
        let mut x = Array2::zeros((n, 2));
        let mut y = Vec::with_capacity(n);
        for i in 0..n {
            let k = if balanced {
                i % K
            } else {
                rng.random_range(0..K)
            };
            for j in 0..2 {
                let g: f64 = StandardNormal.sample(rng);
                x[[i, j]] = self.means[k][j] + self.sigma[k] * g;
            }
            y.push(k);
        }
        (x, y)
    }

    /// Population α_k = ‖m_k‖² + 2σ_k².
    pub fn alpha(&self) -> Vec<f64> {
        (0..K)
            .map(|k| self.means[k].iter().map(|v| v * v).sum::<f64>() + 2.0 * self.sigma[k].powi(2))
            .collect()
    }
}

/// Score matrix `X Wᵀ` for a head `W` (K × 2).
pub fn scores(x: &Array2<f64>, w: &Array2<f64>) -> Array2<f64> {
    x.dot(&w.t())
}

/// Candidate heads with `‖w_y‖₂ ≤ Λ`: the normalised class means of the training set (a head
/// fitted to the data) and `count` perturbations of it (each row rotated by up to ±0.6 rad and
/// shrunk to a radius in [0.6Λ, Λ]) — near-optimal heads, where a bound is informative and
/// where fitting to the sample shows.
pub fn heads(
    x: &Array2<f64>,
    y: &[usize],
    weight_norm: f64,
    count: usize,
    rng: &mut ChaCha8Rng,
) -> Vec<Array2<f64>> {
    let mut out = Vec::with_capacity(count + 1);
    let mut w = Array2::zeros((K, 2));
    for k in 0..K {
        let mut m = [0.0; 2];
        for (i, _) in y.iter().enumerate().filter(|(_, &c)| c == k) {
            m[0] += x[[i, 0]];
            m[1] += x[[i, 1]];
        }
        let nrm = (m[0] * m[0] + m[1] * m[1]).sqrt().max(f64::MIN_POSITIVE);
        w[[k, 0]] = weight_norm * m[0] / nrm;
        w[[k, 1]] = weight_norm * m[1] / nrm;
    }
    for _ in 0..count {
        let mut p = Array2::zeros((K, 2));
        for k in 0..K {
            let a = w[[k, 1]].atan2(w[[k, 0]]) + rng.random_range(-0.6..0.6);
            let r: f64 = weight_norm * rng.random_range(0.6..1.0);
            p[[k, 0]] = r * a.cos();
            p[[k, 1]] = r * a.sin();
        }
        out.push(p);
    }
    out.insert(0, w);
    out
}

/// Mean over rows of a per-sample loss.
pub fn mean_loss(s: &Array2<f64>, y: &[usize], f: impl Fn(&[f64], usize) -> f64) -> f64 {
    let n = s.nrows();
    (0..n).map(|i| f(&s.row(i).to_vec(), y[i])).sum::<f64>() / n as f64
}

/// Which statement a Monte Carlo run checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Statement {
    /// Lemma 1 (Eq. 11): `R ≤ R̂^γ + c·R̂^γ_D(F) + conf`, the complexity measured.
    Lemma1,
    /// Prop. 1 (Eq. 13): `R ≤ R̂^{γ,ce}/ln 2 + c·Λ√(K/N)√(Σα_k/γ_k²) + conf`.
    Prop1,
}

/// Sizes of a Monte Carlo check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct McSize {
    /// Training sets drawn.
    pub trials: usize,
    /// Training-set size N.
    pub n_train: usize,
    /// Random candidate heads per set (plus the fitted one).
    pub heads: usize,
    /// Test samples that estimate R(f).
    pub n_test: usize,
    /// Monte Carlo draws of the γ-margin complexity (Lemma 1).
    pub complexity_draws: usize,
}

impl McSize {
    /// The sizes for a budget: N = 20 000 makes the printed bounds informative (below 1).
    pub fn for_budget(b: Budget) -> Self {
        match b {
            Budget::Quick => Self {
                trials: 60,
                n_train: 20_000,
                heads: 12,
                n_test: 20_000,
                complexity_draws: 60,
            },
            Budget::Full => Self {
                trials: 300,
                n_train: 20_000,
                heads: 40,
                n_test: 50_000,
                complexity_draws: 200,
            },
        }
    }
}

impl McSize {
    /// Small training sets (N = 30), where any bound is vacuous but fitting to the sample is
    /// strong: the regime in which the harness shows it detects an invalid bound.
    pub fn small() -> Self {
        Self {
            trials: 60,
            n_train: 30,
            heads: 12,
            n_test: 20_000,
            complexity_draws: 200,
        }
    }
}

/// One (training set, head) pair of a run.
#[derive(Debug, Clone, Copy)]
pub struct Pair {
    /// Training set index.
    pub set: usize,
    /// Whether the head is the one fitted to the set.
    pub fitted: bool,
    /// Test-set estimate of R(f).
    pub risk: f64,
    /// Empirical 0-1 risk R̂_D(f).
    pub empirical_01: f64,
    /// The printed bound's terms.
    pub printed: BoundTerms,
    /// The tighter bound's terms (constant 4).
    pub tight: BoundTerms,
    /// The empirical loss the bound was given (the γ-margin ramp risk for Lemma 1, the γ-CE
    /// risk for Prop. 1), so that checks can recompute the terms from the inputs.
    pub loss: f64,
}

/// What a training set gave the bounds: the complexity fed to every head's bound, and the
/// set's per-class second moments α_k (Prop. 1's complexity is Lemma 2 of them).
#[derive(Debug, Clone)]
pub struct SetInputs {
    /// The complexity term's input: the Monte Carlo γ-margin complexity (Lemma 1) or Lemma 2
    /// corrected of the set's moments (Prop. 1).
    pub complexity: f64,
    /// α_k of the set (`‖μ̂_k‖² + ‖ŝ_k‖²`).
    pub alpha: Vec<f64>,
}

/// Outcome of a Monte Carlo run.
#[derive(Debug, Clone)]
pub struct McRun {
    /// Every (set, head) pair, for checks that recount from them.
    pub detail: Vec<Pair>,
    /// Per training set, the inputs of its bounds.
    pub sets: Vec<SetInputs>,
    /// A violation must exceed the bound by this (MC_Z standard errors of the test estimate).
    pub slack: f64,
    /// Training sets.
    pub trials: usize,
    /// Training-set size.
    pub n_train: usize,
    /// (set, head) pairs.
    pub pairs: usize,
    /// Sets on which the printed bound failed for some head.
    pub violations: usize,
    /// Sets on which the tighter bound (constant 4) failed for some head.
    pub tight_violations: usize,
    /// Sets on which the empirical term alone (no complexity, no confidence) was exceeded.
    pub invalid_violations: usize,
    /// Pairs whose printed bound is below 1 (informative).
    pub informative_pairs: usize,
    /// Sets on which the fitted head's printed bound is below 1.
    pub fitted_informative: usize,
    /// Largest printed bound over all pairs.
    pub max_bound: f64,
    /// Largest `(R(f) − empirical) / (complexity + confidence)` over all pairs.
    pub max_ratio: f64,
}

/// Run the Monte Carlo check of `statement`.
///
/// A run is a deterministic function of its arguments, so each is computed once per process
/// and shared: the claim's check and the proofs that inspect the same run (same statement,
/// sizes and seed) wait for one computation instead of repeating it.
pub fn run(statement: Statement, size: McSize, seed: u64) -> McRun {
    type Runs = HashMap<(Statement, McSize, u64), Arc<OnceLock<McRun>>>;
    static RUNS: OnceLock<Mutex<Runs>> = OnceLock::new();
    let slot = {
        let mut runs = RUNS
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(runs.entry((statement, size, seed)).or_default())
    };
    slot.get_or_init(|| compute(statement, size, seed)).clone()
}

fn compute(statement: Statement, size: McSize, seed: u64) -> McRun {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let gam = gamma::optimal_gamma(&MIX.alpha(), 1.0).expect("positive population moments");
    let (xt, yt) = MIX.draw(size.n_test, false, &mut rng);
    let n = size.n_train;
    // The test-set estimate of R(f) has standard error ≤ √(1/(4·n_test)); a violation must
    // exceed the bound by MC_Z of them.
    let slack = crate::tolerance::MC_Z * (0.25 / size.n_test as f64).sqrt();
    let mut run = McRun {
        detail: Vec::new(),
        sets: Vec::new(),
        slack,
        trials: size.trials,
        n_train: n,
        pairs: 0,
        violations: 0,
        tight_violations: 0,
        invalid_violations: 0,
        informative_pairs: 0,
        fitted_informative: 0,
        max_bound: f64::NEG_INFINITY,
        max_ratio: f64::NEG_INFINITY,
    };
    for t in 0..size.trials {
        let (x, y) = MIX.draw(n, statement == Statement::Prop1, &mut rng);
        let alpha = set_alpha(&x, &y);
        let complexity = match statement {
            Statement::Lemma1 => lemma1_complexity(&x, &y, &gam, size, seed, t),
            Statement::Prop1 => lemma2_corrected(&alpha, &gam, n, WEIGHT_NORM),
        };
        run.sets.push(SetInputs { complexity, alpha });
        for (h, w) in heads(&x, &y, WEIGHT_NORM, size.heads, &mut rng)
            .into_iter()
            .enumerate()
        {
            let s = scores(&x, &w);
            let risk = mean_loss(&scores(&xt, &w), &yt, zero_one);
            // The bound's terms come from the theory functions `bounds` reports with.
            let loss = match statement {
                Statement::Lemma1 => mean_loss(&s, &y, |z, yy| gamma_margin_loss(z, yy, gam[yy])),
                Statement::Prop1 => mean_loss(&s, &y, |z, yy| gamma_ce_pairwise(z, yy, gam[yy])),
            };
            let terms = |c| bound_terms(statement, loss, complexity, n, c);
            let (printed, tight) = (terms(Lemma1Constant::Printed), terms(Lemma1Constant::Tight));
            let empirical_01 = mean_loss(&s, &y, zero_one);
            run.detail.push(Pair {
                set: t,
                fitted: h == 0,
                risk,
                empirical_01,
                printed,
                tight,
                loss,
            });
        }
    }
    tally(&mut run);
    run
}

/// α_k of a training set (every class is drawn by construction; NaN otherwise).
fn set_alpha(x: &Array2<f64>, y: &[usize]) -> Vec<f64> {
    moments::require_all(
        moments::class_moments(x.view(), y, K, 2.0).expect("valid labels"),
        "every class is drawn",
    )
    .map(|s| s.iter().map(|c| c.alpha()).collect())
    .unwrap_or_else(|_| vec![f64::NAN; K])
}

/// Lemma 1's complexity input for training set `t`: the Monte Carlo γ-margin complexity.
fn lemma1_complexity(
    x: &Array2<f64>,
    y: &[usize],
    gam: &[f64],
    size: McSize,
    seed: u64,
    t: usize,
) -> f64 {
    gamma_margin_complexity(
        x.view(),
        y,
        gam,
        WEIGHT_NORM,
        2.0,
        Method::MonteCarlo {
            samples: size.complexity_draws,
            seed: seed ^ t as u64,
        },
    )
    .expect("valid inputs")
    .mean
}

/// The bound's terms from the theory functions `bounds` reports with.
fn bound_terms(
    statement: Statement,
    loss: f64,
    complexity: f64,
    n: usize,
    c: Lemma1Constant,
) -> BoundTerms {
    let sample = Sample {
        n,
        classes: K,
        delta: DELTA,
    };
    match statement {
        Statement::Lemma1 => lemma1_terms(loss, complexity, sample, c),
        Statement::Prop1 => prop1_terms(loss, complexity, sample, c),
    }
    .expect("valid δ and N")
}

/// The counters of a run from its pairs: per training set, whether some head's risk exceeds
/// the printed, the tighter or the invalid bound (the empirical 0-1 risk) by more than the
/// slack; the pairs (and fitted heads) whose printed bound is below 1; the largest printed
/// bound and the largest `(R(f) − empirical) / (complexity + confidence)`.
fn tally(run: &mut McRun) {
    let exceeds = |p: &Pair, bound: f64| p.risk > bound + run.slack;
    let sets_failing = |bound: &dyn Fn(&Pair) -> f64| {
        (0..run.trials)
            .filter(|&t| {
                run.detail
                    .iter()
                    .any(|p| p.set == t && exceeds(p, bound(p)))
            })
            .count()
    };
    run.violations = sets_failing(&|p| p.printed.total());
    run.tight_violations = sets_failing(&|p| p.tight.total());
    run.invalid_violations = sets_failing(&|p| p.empirical_01);
    run.pairs = run.detail.len();
    let informative = |p: &&Pair| p.printed.total() < 1.0;
    run.informative_pairs = run.detail.iter().filter(informative).count();
    run.fitted_informative = run
        .detail
        .iter()
        .filter(|p| p.fitted)
        .filter(informative)
        .count();
    (run.max_bound, run.max_ratio) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    for p in &run.detail {
        let b = &p.printed;
        run.max_bound = run.max_bound.max(b.total());
        run.max_ratio = run
            .max_ratio
            .max((p.risk - b.empirical) / (b.complexity + b.confidence));
    }
}

/// The count a Monte Carlo check judges — the printed bound's violations, or with `invalid` the
/// invalid bound's (whose worst ratio is unbounded) — and the frequency verdict it gives at δ.
pub(crate) fn judged(
    violations: usize,
    invalid_violations: usize,
    trials: usize,
    max_ratio: f64,
    invalid: bool,
) -> (usize, Verdict) {
    let (fails, ratio) = if invalid {
        (invalid_violations, f64::INFINITY)
    } else {
        (violations, max_ratio)
    };
    (fails, frequency_verdict(fails, trials, DELTA, ratio))
}

/// Turn a run into evidence for the printed statement (or, with `invalid`, for the invalid
/// bound "R(f) ≤ R̂_D(f)", which a working check must find `false`).
pub fn evidence(run: &McRun, statement: Statement, invalid: bool) -> Evidence {
    let (fails, verdict) = judged(
        run.violations,
        run.invalid_violations,
        run.trials,
        run.max_ratio,
        invalid,
    );
    let (emp, cterm, tighter) = match statement {
        Statement::Lemma1 => (
            "R̂^γ_D(f)",
            "4√(2K)·R̂^γ_D(F)",
            "R(f) ≤ R̂^γ_D(f) + 4·R̂^γ_D(F) + 3√(ln(2/δ)/(2N)) (the constant 4 from the exact Lipschitz constant √2/γ of Ψ_i)",
        ),
        Statement::Prop1 => (
            "R̂^{γ,ce}_D(f)/ln2",
            "4√2ΛK/√N·√(Σα_k/γ_k²)",
            "R(f) ≤ R̂^{γ,ce}_D(f)/ln2 + 4Λ√(K/N)·√(Σ_k α_k/γ_k²) + 3√(ln(2/δ)/(2N)) (constant 4 from the exact Lipschitz constant; the O(1/√N) term is Lemma 1's confidence term)",
        ),
    };
    Evidence {
        quantity: if invalid {
            "fraction of training sets on which R(f) > R̂_D(f) (the invalid bound) for some candidate f".into()
        } else {
            "fraction of training sets on which the printed bound fails for some candidate f".into()
        },
        observed: fails as f64 / run.trials as f64,
        theoretical: DELTA,
        worst_input: format!(
            "{} training sets of N = {} from the 3-class heteroscedastic Gaussian mixture (σ = 0.5/0.8/1.2), {} candidate heads each (‖w_y‖₂ ≤ Λ = {WEIGHT_NORM}, one fitted to the set), γ from Cor. 1 on the population moments (c̄ = 1), δ = {DELTA}",
            run.trials,
            run.n_train,
            run.pairs / run.trials.max(1)
        ),
        verdict,
        corrected: (!invalid).then(|| tighter.to_string()),
        note: format!(
            "the printed bound is below 1 for the fitted head on {} of {} sets and on {} of {} (set, head) pairs (largest {:.3}); largest (R(f) − {emp}) / ({cterm} + confidence term) = {:.4}; the tighter form failed on {} of {} sets; the invalid bound R(f) ≤ R̂_D(f) failed on {} of {} sets.",
            run.fitted_informative,
            run.trials,
            run.informative_pairs,
            run.pairs,
            run.max_bound,
            run.max_ratio,
            run.tight_violations,
            run.trials,
            run.invalid_violations,
            run.trials
        ),
        counterexample: None,
        alt: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(empirical: f64, complexity: f64, confidence: f64) -> BoundTerms {
        BoundTerms {
            empirical,
            complexity,
            confidence,
        }
    }

    /// Four hand-made (set, head) pairs over three sets, with the boundaries placed exactly
    /// (risk = bound + slack is not a violation; a printed bound of exactly 1 is not
    /// informative); all values are dyadic, so the sums are exact.
    #[test]
    fn counters_are_tallied_per_set_from_the_pairs() {
        let pair = |set, fitted, risk, empirical_01, printed, tight| Pair {
            set,
            fitted,
            risk,
            empirical_01,
            printed,
            tight,
            loss: 0.0,
        };
        let mut run = McRun {
            sets: vec![],
            detail: vec![
                // Set 0: the printed and the invalid bound fail; the tighter one is met exactly.
                pair(
                    0,
                    true,
                    1.0,
                    0.5,
                    terms(0.25, 0.125, 0.125),
                    terms(0.25, 0.25, 0.25),
                ),
                pair(
                    0,
                    false,
                    0.0,
                    0.0,
                    terms(1.0, 0.5, 0.5),
                    terms(1.0, 0.5, 0.5),
                ),
                // Set 1: only the tighter bound fails; the invalid one is met exactly.
                pair(
                    1,
                    true,
                    0.5,
                    0.25,
                    terms(0.5, 0.25, 0.25),
                    terms(0.0625, 0.03125, 0.03125),
                ),
                // Set 2: nothing fails.
                pair(
                    2,
                    false,
                    0.25,
                    0.25,
                    terms(0.25, 0.125, 0.125),
                    terms(0.25, 0.125, 0.125),
                ),
            ],
            slack: 0.25,
            trials: 3,
            n_train: 10,
            pairs: 0,
            violations: 0,
            tight_violations: 0,
            invalid_violations: 0,
            informative_pairs: 0,
            fitted_informative: 0,
            max_bound: f64::NEG_INFINITY,
            max_ratio: f64::NEG_INFINITY,
        };
        tally(&mut run);
        assert_eq!(run.pairs, 4);
        assert_eq!(
            (run.violations, run.tight_violations, run.invalid_violations),
            (1, 1, 1)
        );
        assert_eq!((run.informative_pairs, run.fitted_informative), (2, 1));
        assert_eq!(run.max_bound.to_bits(), 2f64.to_bits());
        // Largest (risk − empirical) / (complexity + confidence): set 0's fitted head, 0.75 / 0.25.
        assert_eq!(run.max_ratio.to_bits(), 3f64.to_bits());
        // Two failing heads in one set count once; a second tally starts afresh.
        run.detail[1].risk = 3.0;
        run.detail[0].risk = 0.5;
        tally(&mut run);
        assert_eq!(run.violations, 1);
        // Now the largest ratio is the second head's, (3 − 1) / 1.
        assert_eq!(run.max_ratio.to_bits(), 2f64.to_bits());
    }

    /// Every bound a run reports equals its definition recomputed from the run's inputs: the
    /// terms from `theory::bounds` with the pair's loss and the set's complexity; Prop. 1's
    /// complexity as Lemma 2 corrected of the set's α; Lemma 1's complexity, for the first
    /// set, recomputed from the same draw (replaying the run's generator); the largest bound
    /// as the maximum of the recomputed ones. A harness that dropped or scaled a term (or its
    /// complexity) would fail here.
    #[test]
    fn reported_bounds_equal_their_definitions() {
        for (statement, seed) in [(Statement::Lemma1, 41), (Statement::Prop1, 82)] {
            let size = McSize::for_budget(Budget::Quick);
            let run = run(statement, size, seed);
            assert_eq!(run.sets.len(), run.trials);
            let gam = gamma::optimal_gamma(&MIX.alpha(), 1.0).unwrap();
            let mut max = f64::NEG_INFINITY;
            for p in &run.detail {
                let set = &run.sets[p.set];
                assert!(
                    set.complexity > 0.0 && set.complexity.is_finite(),
                    "{statement:?}"
                );
                for (c, got) in [
                    (Lemma1Constant::Printed, p.printed),
                    (Lemma1Constant::Tight, p.tight),
                ] {
                    let want = match statement {
                        Statement::Lemma1 => lemma1_terms(
                            p.loss,
                            set.complexity,
                            Sample {
                                n: run.n_train,
                                classes: K,
                                delta: DELTA,
                            },
                            c,
                        ),
                        Statement::Prop1 => prop1_terms(
                            p.loss,
                            set.complexity,
                            Sample {
                                n: run.n_train,
                                classes: K,
                                delta: DELTA,
                            },
                            c,
                        ),
                    }
                    .unwrap();
                    assert_eq!(
                        got.total().to_bits(),
                        want.total().to_bits(),
                        "{statement:?} {c:?}"
                    );
                    assert_eq!(got.complexity.to_bits(), want.complexity.to_bits());
                    assert_eq!(got.empirical.to_bits(), want.empirical.to_bits());
                }
                max = max.max(p.printed.total());
                if statement == Statement::Prop1 {
                    let want = lemma2_corrected(&set.alpha, &gam, run.n_train, WEIGHT_NORM);
                    assert_eq!(set.complexity.to_bits(), want.to_bits());
                }
            }
            assert_eq!(run.max_bound.to_bits(), max.to_bits());
            // The first set replayed: the test draw, then the set's.
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let _ = MIX.draw(size.n_test, false, &mut rng);
            let (x, y) = MIX.draw(run.n_train, statement == Statement::Prop1, &mut rng);
            assert_eq!(set_alpha(&x, &y), run.sets[0].alpha);
            if statement == Statement::Lemma1 {
                let c = lemma1_complexity(&x, &y, &gam, size, seed, 0);
                assert_eq!(c.to_bits(), run.sets[0].complexity.to_bits());
            }
        }
    }

    #[test]
    fn alpha_is_the_population_second_moment() {
        // α_k = ‖m_k‖² + 2σ_k² (two dimensions, each of variance σ_k²): by hand.
        let a = MIX.alpha();
        let want = [2.25 + 0.5, 2.25 + 1.28, 2.25 + 2.88];
        for (got, w) in a.iter().zip(want) {
            assert!((got - w).abs() < 1e-12, "{a:?}");
        }
    }

    #[test]
    fn draws_are_balanced_and_centred_on_the_means() {
        let still = Mixture {
            means: MIX.means,
            sigma: [0.0; K],
        };
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let (x, y) = still.draw(7, true, &mut rng);
        for (i, &k) in y.iter().enumerate() {
            assert_eq!(k, i % K);
            assert_eq!(
                [x[[i, 0]].to_bits(), x[[i, 1]].to_bits()],
                MIX.means[k].map(f64::to_bits)
            );
        }
        // With spread, the sample variance per class approaches σ_k².
        let (x, y) = MIX.draw(30_000, true, &mut rng);
        for k in 0..K {
            let rows: Vec<usize> = (0..y.len()).filter(|&i| y[i] == k).collect();
            let n = rows.len() as f64;
            let m0 = rows.iter().map(|&i| x[[i, 0]]).sum::<f64>() / n;
            let v0 = rows.iter().map(|&i| (x[[i, 0]] - m0).powi(2)).sum::<f64>() / n;
            assert!((m0 - MIX.means[k][0]).abs() < 0.05, "class {k} mean {m0}");
            assert!(
                (v0 / MIX.sigma[k].powi(2) - 1.0).abs() < 0.05,
                "class {k} var {v0}"
            );
        }
    }

    #[test]
    fn heads_are_the_fitted_head_and_bounded_perturbations_of_it() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let (x, y) = MIX.draw(90, true, &mut rng);
        let lam = 2.0;
        let hs = heads(&x, &y, lam, 40, &mut rng);
        assert_eq!(hs.len(), 41);
        for k in 0..K {
            // Row k of the fitted head: Λ times the normalised class mean (computed here).
            let rows: Vec<usize> = (0..y.len()).filter(|&i| y[i] == k).collect();
            let m: Vec<f64> = (0..2)
                .map(|j| rows.iter().map(|&i| x[[i, j]]).sum::<f64>())
                .collect();
            let nrm = m[0].hypot(m[1]);
            for j in 0..2 {
                assert!((hs[0][[k, j]] - lam * m[j] / nrm).abs() < 1e-12);
            }
            let a0 = hs[0][[k, 1]].atan2(hs[0][[k, 0]]);
            for h in &hs[1..] {
                let r = h[[k, 0]].hypot(h[[k, 1]]);
                assert!((0.6 * lam - 1e-12..=lam + 1e-12).contains(&r), "radius {r}");
                let mut d = h[[k, 1]].atan2(h[[k, 0]]) - a0;
                d = (d + std::f64::consts::PI).rem_euclid(2.0 * std::f64::consts::PI)
                    - std::f64::consts::PI;
                assert!(d.abs() <= 0.6 + 1e-12, "angle {d}");
            }
        }
        // The perturbations differ from one another (they are drawn, not copied).
        assert!(hs[1] != hs[2]);
    }
}
