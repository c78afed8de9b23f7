//! Eq. 27 (Mohri et al. 2018, Thm 3.3) on a class rich enough that every term of the bound is
//! needed: the indicators of *all* subsets of a domain much larger than the sample.
//!
//! # Setting
//! `X = {0, 1, …, M}`: point 0 is heavy, `P(0) = q`; the M light points share `1 − q`. G is
//! `{1_B : B ⊆ X} ⊂ [0,1]^X`. For a sample `D` of size N with counts `c_x`:
//!
//! * `sup_g (E g − Ê g) = sup_B (P(B) − P̂(B)) = Σ_x max(0, P(x) − c_x/N)` (the total variation
//!   between P and the empirical distribution), attained by `B* = {x : P(x) > c_x/N}`: it
//!   contains every unseen point, so it is at least `(1 − q)(1 − N/M)`;
//! * `R̂_D(G) = (1/N) E_σ sup_B Σ_i σ_i 1[x_i ∈ B] = (1/N) Σ_x E max(0, S_{c_x})`, `S_c` a sum of c
//!   independent signs — B takes each sampled point whose signs sum to more than 0, and only
//!   those. By symmetry `E max(0, S_c) = E|S_c|/2` ([`abs_sign_sum`], exact).
//!
//! Light points are mostly seen once, each adding `1/(2N)` to `R̂_D(G)` and, unseen, their mass
//! to the deviation; the heavy point is seen about qN times, so its signs nearly cancel and it
//! keeps `2R̂_D(G) + 3√(ln(2/δ)/(2N))` below 1. At the sizes of [`RichSize::for_budget`] the
//! deviation (≈ 0.6) is three times the confidence term (≈ 0.20): the bound without its
//! complexity term fails on every sample, the bound with half of it (`R̂_D(G)` for `2R̂_D(G)`)
//! on nearly every one, and the bound without its confidence term on about one in ten, more
//! than δ — while the printed bound holds on all of them.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{judged, DELTA};
use crate::claims::{Evidence, Verdict};
use crate::search::Budget;
use crate::theory::bounds::{eq27_terms, BoundTerms};
use crate::tolerance::le;

/// `E|S_c|` for `S_c` a sum of `c` independent uniform signs, exactly:
/// `2m·C(2m, m)/4^m` with `m = ⌈c/2⌉`, the binomial ratio as `Π_{j ≤ m} (2j − 1)/(2j)` (no
/// overflow). For even c it is the binomial mean of `|2k − c|`; an odd sum has `|S_c| ≥ 1`, so
/// one more sign leaves its mean absolute value unchanged: `E|S_{2m−1}| = E|S_{2m}|`.
pub fn abs_sign_sum(c: usize) -> f64 {
    let m = c.div_ceil(2);
    let ratio: f64 = (1..=m)
        .map(|j| (2 * j - 1) as f64 / (2 * j) as f64)
        .product();
    2.0 * m as f64 * ratio
}

/// `(sup_B (P(B) − P̂(B)), R̂_D(G))` for the class of all subset indicators on a sample of point
/// ids, exactly (module docs); `prob(x)` is `P(x)` and the points not in the sample carry the
/// rest of the mass.
///
/// # Panics
/// On an empty sample.
pub fn subset_class(sample: &[usize], prob: impl Fn(usize) -> f64) -> (f64, f64) {
    assert!(!sample.is_empty(), "need at least one sample point");
    let n = sample.len() as f64;
    let mut sorted = sample.to_vec();
    sorted.sort_unstable();
    let (mut seen_mass, mut seen_gap, mut abs_sums) = (0.0, 0.0, 0.0);
    for run in sorted.chunk_by(|a, b| a == b) {
        let (p, c) = (prob(run[0]), run.len());
        seen_mass += p;
        seen_gap += (p - c as f64 / n).max(0.0);
        abs_sums += abs_sign_sum(c);
    }
    ((1.0 - seen_mass).max(0.0) + seen_gap, abs_sums / (2.0 * n))
}

/// Sizes and distribution of the rich-class check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RichSize {
    /// Samples drawn.
    pub trials: usize,
    /// Sample size N.
    pub n: usize,
    /// Light points M.
    pub light: usize,
    /// Mass q of the heavy point.
    pub heavy: f64,
}

impl RichSize {
    /// N = 400 from M = 20 000 light points and a heavy point of mass 0.4; 2 000 samples at the
    /// quick budget, 10 000 at the full one.
    pub fn for_budget(b: Budget) -> Self {
        Self {
            trials: match b {
                Budget::Quick => 2_000,
                Budget::Full => 10_000,
            },
            n: 400,
            light: 20_000,
            heavy: 0.4,
        }
    }

    /// `P(x)`: the heavy point 0 carries `heavy`, each of the light points `1..=light` an equal
    /// share of the rest.
    pub fn prob(&self, x: usize) -> f64 {
        if x == 0 {
            self.heavy
        } else {
            (1.0 - self.heavy) / self.light as f64
        }
    }

    /// One sample of `n` point ids from [`RichSize::prob`]: 0 with probability `heavy`, else a
    /// uniform light point.
    pub fn draw(&self, rng: &mut ChaCha8Rng) -> Vec<usize> {
        (0..self.n)
            .map(|_| {
                if rng.random::<f64>() < self.heavy {
                    0
                } else {
                    1 + rng.random_range(0..self.light)
                }
            })
            .collect()
    }
}

/// The bound a count is taken against: Eq. 27 as printed, or with a term removed or halved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eq27Form {
    /// `2R̂_D(G) + conf`, the bound on `sup_g (E g − Ê g)`.
    Printed,
    /// `conf` alone (complexity term removed).
    NoComplexity,
    /// `R̂_D(G) + conf` (the factor 2 halved).
    HalfComplexity,
    /// `2R̂_D(G)` alone (confidence term removed).
    NoConfidence,
}

impl Eq27Form {
    /// The bound on the deviation from Eq. 27's terms ([`eq27_terms`] with `Ê g = 0`).
    pub fn bound(self, t: &BoundTerms) -> f64 {
        match self {
            Self::Printed => t.total(),
            Self::NoComplexity => t.empirical + t.confidence,
            Self::HalfComplexity => t.empirical + t.complexity / 2.0 + t.confidence,
            Self::NoConfidence => t.empirical + t.complexity,
        }
    }
    /// The form in words.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Printed => "2R̂_D(G) + 3√(ln(2/δ)/2N)",
            Self::NoComplexity => "3√(ln(2/δ)/2N) (no complexity term)",
            Self::HalfComplexity => "R̂_D(G) + 3√(ln(2/δ)/2N) (half the complexity term)",
            Self::NoConfidence => "2R̂_D(G) (no confidence term)",
        }
    }
}

/// Outcome of the rich-class Monte Carlo.
#[derive(Debug, Clone)]
pub struct RichRun {
    /// Sizes and distribution.
    pub size: RichSize,
    /// Per sample: `sup_g (E g − Ê g)` and Eq. 27's terms with `Ê g = 0`.
    pub detail: Vec<(f64, BoundTerms)>,
}

impl RichRun {
    /// Samples on which the deviation exceeds `form`'s bound (beyond [`le`]'s rounding slack).
    pub fn violations(&self, form: Eq27Form) -> usize {
        self.detail
            .iter()
            .filter(|(dev, t)| !le(*dev, form.bound(t)))
            .count()
    }
    /// Largest value of the printed bound `2R̂_D(G) + conf` over the samples.
    pub fn max_bound(&self) -> f64 {
        self.detail
            .iter()
            .map(|(_, t)| t.total())
            .fold(f64::NEG_INFINITY, f64::max)
    }
    /// Largest deviation / printed bound.
    pub fn max_ratio(&self) -> f64 {
        self.detail
            .iter()
            .map(|(dev, t)| dev / t.total())
            .fold(f64::NEG_INFINITY, f64::max)
    }
}

/// Draw `size.trials` samples (seeded ChaCha8) and compute each one's deviation and complexity
/// exactly with [`subset_class`].
pub fn run_rich(size: RichSize, seed: u64) -> RichRun {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let detail = (0..size.trials)
        .map(|_| {
            let (dev, rad) = subset_class(&size.draw(&mut rng), |x| size.prob(x));
            (
                dev,
                eq27_terms(0.0, rad, size.n, DELTA).expect("valid δ and N"),
            )
        })
        .collect();
    RichRun { size, detail }
}

/// Evidence of a rich-class run against `form`: the printed form is judged by the frequency rule
/// with its worst ratio; a modified form by the frequency rule alone (a working check finds
/// them `false`).
pub fn rich_evidence(run: &RichRun, form: Eq27Form) -> Evidence {
    let trials = run.size.trials;
    let fails = run.violations(form);
    let invalid = form != Eq27Form::Printed;
    let (_, verdict) = judged(fails, fails, trials, run.max_ratio(), invalid);
    let others = [
        Eq27Form::NoComplexity,
        Eq27Form::HalfComplexity,
        Eq27Form::NoConfidence,
    ]
    .map(|f| format!("{} on {} of {trials}", f.describe(), run.violations(f)));
    Evidence {
        quantity: format!(
            "fraction of samples on which sup_g (E g − Ê g) > {}",
            form.describe()
        ),
        observed: fails as f64 / trials as f64,
        theoretical: DELTA,
        worst_input: format!(
            "{trials} samples of N = {} from a heavy point of mass {} and M = {} light points; G = indicators of all subsets; sup_g (E g − Ê g) and R̂_D(G) exact; δ = {DELTA}",
            run.size.n, run.size.heavy, run.size.light
        ),
        verdict,
        corrected: None,
        note: format!(
            "rich class (all subset indicators, M = {} ≫ N = {}): the printed bound failed on {} of {trials} samples (largest bound {:.3}, largest sup_g(E g − Ê g) / bound {:.4}); the weakened bounds fail: {}.",
            run.size.light,
            run.size.n,
            run.violations(Eq27Form::Printed),
            run.max_bound(),
            run.max_ratio(),
            others.join(", ")
        ),
        counterexample: None,
        alt: None,
    }
}

/// The Eq. 27 claim's evidence (`finite`, from the finite class) with the rich-class run
/// attached: the verdict is the more severe of the two (`false` over `holds` over `loose`), the
/// evidence shown is the run that gives it (the finite class's on a tie), and the note reports
/// both.
pub fn with_rich(finite: Evidence, run: &RichRun) -> Evidence {
    attach(
        finite,
        rich_evidence(run, Eq27Form::Printed),
        "Finite class",
    )
}

/// How severe a Monte Carlo verdict is: `false` over `holds` over `loose`.
pub(super) fn severity(v: Verdict) -> u8 {
    match v {
        Verdict::False => 2,
        Verdict::Holds => 1,
        Verdict::Loose | Verdict::Typo => 0,
    }
}

/// A claim's evidence `base` with a rich-class run's evidence `rich` attached: the verdict is the
/// more severe of the two (`false` over `holds` over `loose`), the evidence shown is the one that gives it (`base` on
/// a tie), and the note reports both — `rich`'s note, which names its class, after "On a", or
/// first with `base`'s after "`base_label`: ".
pub fn attach(base: Evidence, rich: Evidence, base_label: &str) -> Evidence {
    if severity(rich.verdict) > severity(base.verdict) {
        let note = format!("{} {base_label}: {}", rich.note, base.note);
        Evidence { note, ..rich }
    } else {
        let note = format!("{} On a {}", base.note, rich.note);
        Evidence { note, ..base }
    }
}
