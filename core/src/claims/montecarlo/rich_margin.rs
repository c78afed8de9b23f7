//! Lemma 1 (Eq. 11) on a class rich enough that its complexity term is needed: K-class scoring
//! functions whose true-label score is free on each point of a domain much larger than N.
//!
//! # Setting
//! The domain and distribution of the Eq. 27 rich check ([`RichSize`]: `X = {0, 1, …, M}`, the
//! heavy point 0 of mass q, M light points sharing `1 − q`), each point with a fixed label
//! `y(x) = x mod K` (K = 3), so that a sample of pairs `(x_i, y(x_i))` is a sample of points with
//! counts `c_x`. For margins `γ ∈ ℝ^K_{>0}` the class is
//!
//! `F_γ = {f : f(x, y(x)) = u_x ∈ [0, γ_{y(x)}], f(x, y') = 0 for y' ≠ y(x)}`.
//!
//! Every competitor scores 0, so the margin (Eq. 8) is `γ_f(x, y(x)) = u_x`; a margin of 0 is a
//! tie, which the 0-1 loss counts as an error ([`zero_one`](crate::theory::margin::zero_one)),
//! and the γ-margin loss (Eq. 9) is `Φ_{γ_{y(x)}}(u_x) = 1 − u_x/γ_{y(x)}`.
//!
//! * **Deviation.** `R(f) − R̂^γ_D(f) = Σ_x [P(x)·1[u_x = 0] − (c_x/N)(1 − u_x/γ_{y(x)})]` is a
//!   sum of one term per point, each depending on its own `u_x`. At `u_x = 0` the term is
//!   `P(x) − c_x/N`; on `(0, γ_{y(x)}]` it is `−(c_x/N)(1 − u_x/γ_{y(x)}) ≤ 0`, and 0 at
//!   `u_x = γ_{y(x)}`. Hence `sup_f (R(f) − R̂^γ_D(f)) = Σ_x max(0, P(x) − c_x/N)`, the total
//!   variation of the subset class, attained by the f that ties exactly on
//!   `B* = {x : P(x) > c_x/N}` (every unseen point among them) and has margin γ elsewhere.
//! * **Complexity** (Def. 2, Eq. 10). The scores of the other labels are 0, so
//!   `Σ_i Σ_y ε_{iy} f(x_i, y)/γ_{y_i} = Σ_x (u_x/γ_{y(x)})·S_x` with `S_x = Σ_{i : x_i = x}
//!   ε_{i,y(x)}` a sum of `c_x` signs; the sup over `u_x ∈ [0, γ_{y(x)}]` takes `max(0, S_x)`. So
//!   `R̂^γ_D(F_γ) = (1/N) Σ_x E max(0, S_{c_x}) = (1/(2N)) Σ_x E|S_{c_x}|` for every γ (it
//!   cancels): the subset class's `R̂_D(G)`.
//!
//! Both are therefore [`subset_class`]'s two outputs. Lemma 1 with `R̂^γ_D(f)` moved to the left
//! bounds the deviation by `4√(2K)·R̂^γ_D(F_γ) + 3√(ln(2/δ)/(2N))` ([`lemma1_terms`], empirical
//! term 0). `proofs/lemma1.rs` checks both closed forms against brute force on a small domain.
//!
//! # Sizes ([`RichSize::for_lemma1`])
//! N = 8 000, q = 0.85, M = 200 000. About 1 200 light points are drawn, nearly all once; each
//! adds `1/(2N)` to `R̂^γ_D`, and the unseen ones keep nearly all of the light mass 0.15 in the
//! deviation, which is at least `(1 − q)(1 − N/M) = 0.144` on every sample, three times the
//! confidence term (0.046): the bound without its complexity term fails on every sample, for a
//! reason that is not statistical. `R̂^γ_D ≈ 0.075 + √(2qN/π)/(2N) ≈ 0.079` (light points plus the
//! heavy one's signs), so the printed bound on the deviation is ≈ 0.82 (at most 0.90 over the
//! full budget's samples) < 1: informative, and met by the f that errs exactly on the unseen
//! points, whose `R̂^γ_D(f) = 0`. With the coefficient 1 in place of `4√(2K)` it is
//! ≈ 0.125 < 0.144: that bound failed on every sample at both budgets.
//!
//! On `F_γ` the complexity term alone (≈ 0.78; 0.32 with the tight constant 4) is about five
//! times the deviation: the printed constant leaves no room for the confidence term to matter. It does on
//! the one-function subclass `{f₁} ⊂ F_γ`, f₁ erring exactly on the light points (`u = 0` there,
//! `u = γ_0` on the heavy point): its complexity is `(1/N) E_ε Σ_i ε_{i,y_i} f₁/γ = 0` and
//! `R(f₁) − R̂^γ_D(f₁) = (1 − q) − n_ℓ/N`, with `n_ℓ ~ Bin(N, 1 − q)` the light draws. Without
//! the confidence term the bound fails whenever `n_ℓ < (1 − q)N`, probability ≈ 0.49 ≫ δ; the
//! printed bound fails only when `(1 − q) − n_ℓ/N` exceeds the confidence term, probability
//! ≤ `e^{−2N·conf²} = (δ/2)⁹` (Hoeffding).
//!
//! Prop. 1 is not checked here: its complexity term bounds `R̂^γ_D` of a norm-bounded *linear*
//! class (Lemma 2), on which neither supremum has such a closed form, and Lemmas 2 and 3 only
//! enlarge Lemma 1's right-hand side, so Prop. 1 fails only where Lemma 1 (or Lemma 2 or 3) does.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::rich::severity;
use super::{subset_class, RichSize, DELTA, K};
use crate::claims::{frequency_verdict, Evidence};
use crate::search::Budget;
use crate::theory::bounds::{lemma1_terms, BoundTerms, Lemma1Constant, Sample};
use crate::tolerance::le;

impl RichSize {
    /// The Lemma 1 check's sizes: N = 8 000 from M = 200 000 light points and a heavy point of
    /// mass 0.85; 2 000 samples at the quick budget, 10 000 at the full one.
    pub fn for_lemma1(b: Budget) -> Self {
        Self {
            n: 8_000,
            light: 200_000,
            heavy: 0.85,
            ..Self::for_budget(b)
        }
    }
}

/// The class Lemma 1 is applied to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarginClass {
    /// `F_γ`: the true-label score free in `[0, γ_{y(x)}]` on every point.
    Rich,
    /// `{f₁}`: the one function of `F_γ` that errs exactly on the light points.
    Single,
}

/// The bound a count is taken against: Lemma 1 as printed, with the tight constant, or with a
/// term removed or shrunk. Each is evaluated from the printed form's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lemma1Form {
    /// `4√(2K)·R̂^γ_D(F) + conf`, the bound on `sup_f (R(f) − R̂^γ_D(f))`.
    Printed,
    /// `4·R̂^γ_D(F) + conf` (the constant from the exact Lipschitz constant of Ψ_i).
    Tight,
    /// `R̂^γ_D(F) + conf` (the coefficient 1 in place of `4√(2K)`).
    UnitConstant,
    /// `conf` alone (complexity term removed).
    NoComplexity,
    /// `4√(2K)·R̂^γ_D(F)` alone (confidence term removed).
    NoConfidence,
}

impl Lemma1Form {
    /// Every form, printed first.
    pub const ALL: [Self; 5] = [
        Self::Printed,
        Self::Tight,
        Self::UnitConstant,
        Self::NoComplexity,
        Self::NoConfidence,
    ];

    /// The bound from the printed form's terms `t` ([`lemma1_terms`] with
    /// [`Lemma1Constant::Printed`]).
    pub fn bound(self, t: &BoundTerms) -> f64 {
        // The complexity term with the coefficient `c` in place of the printed 4√(2K).
        let with = |c: f64| {
            t.empirical + t.complexity * c / Lemma1Constant::Printed.value(K) + t.confidence
        };
        match self {
            Self::Printed => t.total(),
            Self::Tight => with(Lemma1Constant::Tight.value(K)),
            Self::UnitConstant => with(1.0),
            Self::NoComplexity => t.empirical + t.confidence,
            Self::NoConfidence => t.empirical + t.complexity,
        }
    }
    /// The form in words.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Printed => "4√(2K)·R̂^γ_D(F) + 3√(ln(2/δ)/2N)",
            Self::Tight => "4·R̂^γ_D(F) + 3√(ln(2/δ)/2N) (tight constant)",
            Self::UnitConstant => "R̂^γ_D(F) + 3√(ln(2/δ)/2N) (coefficient 1)",
            Self::NoComplexity => "3√(ln(2/δ)/2N) (no complexity term)",
            Self::NoConfidence => "4√(2K)·R̂^γ_D(F) (no confidence term)",
        }
    }
}

/// One sample's deviations and Lemma 1's printed terms (empirical term 0), per class.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MarginSample {
    /// `sup_{f ∈ F_γ} (R(f) − R̂^γ_D(f))` and the terms with `R̂^γ_D(F_γ)`.
    pub rich: (f64, BoundTerms),
    /// `R(f₁) − R̂^γ_D(f₁)` and the terms with `R̂^γ_D({f₁}) = 0`.
    pub single: (f64, BoundTerms),
}

impl MarginSample {
    /// The deviation and terms for `class`.
    pub fn of(&self, class: MarginClass) -> (f64, BoundTerms) {
        match class {
            MarginClass::Rich => self.rich,
            MarginClass::Single => self.single,
        }
    }
}

/// Outcome of the rich-class Monte Carlo of Lemma 1.
#[derive(Debug, Clone)]
pub struct MarginRun {
    /// Sizes and distribution.
    pub size: RichSize,
    /// Per sample.
    pub detail: Vec<MarginSample>,
}

impl MarginRun {
    /// Samples on which `class`'s deviation exceeds `form`'s bound (beyond [`le`]'s rounding
    /// slack).
    pub fn violations(&self, class: MarginClass, form: Lemma1Form) -> usize {
        self.detail
            .iter()
            .map(|s| s.of(class))
            .filter(|(dev, t)| !le(*dev, form.bound(t)))
            .count()
    }
    /// Largest value of the printed bound on `class`'s deviation over the samples.
    pub fn max_bound(&self, class: MarginClass) -> f64 {
        self.detail
            .iter()
            .map(|s| s.of(class).1.total())
            .fold(f64::NEG_INFINITY, f64::max)
    }
    /// Largest deviation / `form`'s bound on `class` (NaN ratios, 0/0, are skipped).
    pub fn max_ratio(&self, class: MarginClass, form: Lemma1Form) -> f64 {
        self.detail
            .iter()
            .map(|s| {
                let (dev, t) = s.of(class);
                dev / form.bound(&t)
            })
            .fold(f64::NEG_INFINITY, f64::max)
    }
}

/// Draw `size.trials` samples (seeded ChaCha8) and compute, exactly, each one's deviation and
/// γ-margin complexity on `F_γ` ([`subset_class`], module docs) and its deviation on `{f₁}`,
/// `(1 − q) − n_ℓ/N`.
pub fn run_rich_margin(size: RichSize, seed: u64) -> MarginRun {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let terms = |complexity| {
        lemma1_terms(
            0.0,
            complexity,
            Sample {
                n: size.n,
                classes: K,
                delta: DELTA,
            },
            Lemma1Constant::Printed,
        )
        .expect("valid δ and N")
    };
    let detail = (0..size.trials)
        .map(|_| {
            let sample = size.draw(&mut rng);
            let (dev, rad) = subset_class(&sample, |x| size.prob(x));
            let light = sample.iter().filter(|&&x| x != 0).count();
            let single = (1.0 - size.prob(0)) - light as f64 / size.n as f64;
            MarginSample {
                rich: (dev, terms(rad)),
                single: (single, terms(0.0)),
            }
        })
        .collect();
    MarginRun { size, detail }
}

/// Evidence of a run against `form` on `class`, judged by the frequency rule at δ with the
/// largest deviation / bound (a working check finds the forms with a term removed `false`
/// where that term is needed); the note reports every form's count on both classes.
pub fn margin_evidence(run: &MarginRun, class: MarginClass, form: Lemma1Form) -> Evidence {
    let trials = run.size.trials;
    let fails = run.violations(class, form);
    let counts = |c: MarginClass, forms: &[Lemma1Form]| {
        forms
            .iter()
            .map(|&f| format!("{} on {} of {trials}", f.describe(), run.violations(c, f)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let class_name = match class {
        MarginClass::Rich => {
            "F = scores free in [0, γ_{y(x)}] on the true label y(x) = x mod 3, 0 elsewhere"
        }
        MarginClass::Single => {
            "F = {f₁}, the function of that class erring exactly on the light points"
        }
    };
    Evidence {
        quantity: format!(
            "fraction of samples on which sup_f∈F (R(f) − R̂^γ_D(f)) > {}",
            form.describe()
        ),
        observed: fails as f64 / trials as f64,
        theoretical: DELTA,
        worst_input: format!(
            "{trials} samples of N = {} from a heavy point of mass {} and M = {} light points; {class_name}; sup_f (R(f) − R̂^γ_D(f)) and R̂^γ_D(F) exact; K = {K}, δ = {DELTA}",
            run.size.n, run.size.heavy, run.size.light
        ),
        verdict: frequency_verdict(fails, trials, DELTA, run.max_ratio(class, form)),
        corrected: None,
        note: format!(
            "rich margin class (true-label scores free on M = {} ≫ N = {} points): the printed bound failed on {} of {trials} samples (largest bound {:.3}, largest sup_f(R(f) − R̂^γ_D(f)) / bound {:.4}); the other forms failed: {}; on its one-function subclass {{f₁}} (R̂^γ_D = 0): {}.",
            run.size.light,
            run.size.n,
            run.violations(MarginClass::Rich, Lemma1Form::Printed),
            run.max_bound(MarginClass::Rich),
            run.max_ratio(MarginClass::Rich, Lemma1Form::Printed),
            counts(MarginClass::Rich, &Lemma1Form::ALL[1..]),
            counts(
                MarginClass::Single,
                &[Lemma1Form::Printed, Lemma1Form::NoConfidence]
            ),
        ),
        counterexample: None,
        alt: None,
    }
}

/// The printed Lemma 1's evidence from a run: the more severe (`false` over `holds` over
/// `loose`) of its evidence on `F_γ` and on `{f₁}`, `F_γ`'s on a tie.
pub fn lemma1_rich_evidence(run: &MarginRun) -> Evidence {
    let rich = margin_evidence(run, MarginClass::Rich, Lemma1Form::Printed);
    let single = margin_evidence(run, MarginClass::Single, Lemma1Form::Printed);
    if severity(single.verdict) > severity(rich.verdict) {
        single
    } else {
        rich
    }
}
