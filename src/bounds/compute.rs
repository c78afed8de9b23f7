//! Every bound of §4 for one model, each computed by the theory function its claim checks, kept
//! by its terms.

use serde::Serialize;

use super::inputs::{scores, BoundInputs};
use super::rank::{kendall, spearman};
use crate::error::Result;
use crate::theory::bounds::{
    confidence_term, per_class_terms, prop1_terms, BoundTerms, Lemma1Constant, PerClassConstant,
    Sample,
};
use crate::theory::margin::{gamma_ce_pairwise, gamma_margin_loss, zero_one};
use crate::theory::rademacher::{
    self, Method,
    Prop2Constant::{Corrected, Printed},
};
use crate::theory::{check_p, conjugate, gamma, lp_norm, moments, Estimate};

/// How to compute: confidence, the Prop. 2 exponent, Monte Carlo draws, seed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct BoundSettings {
    /// Confidence δ ∈ (0, 1).
    pub delta: f64,
    /// Norm exponent p ≥ 1 for Prop. 2 (reported next to p = 2).
    pub p: f64,
    /// Monte Carlo draws for the Rademacher complexities.
    pub mc_samples: usize,
    /// Seed.
    pub seed: u64,
}

impl Default for BoundSettings {
    fn default() -> Self {
        Self {
            delta: 0.05,
            p: 3.0,
            mc_samples: 1000,
            seed: 0,
        }
    }
}

impl BoundSettings {
    /// # Errors
    /// `δ ∉ (0, 1)`, `p < 1`, fewer than 2 draws (the Monte Carlo estimate's standard error
    /// needs two).
    pub fn validate(&self) -> Result<()> {
        confidence_term(1, self.delta)?;
        check_p(self.p)?;
        if self.mc_samples < 2 {
            return Err(crate::error::invalid(
                "mc_samples",
                self.mc_samples,
                "need at least 2 Monte Carlo draws (--mc)",
            ));
        }
        Ok(())
    }
}

/// One class's bound terms.
#[derive(Debug, Clone, Serialize)]
pub struct ClassBound {
    /// Class id.
    pub class: usize,
    /// Class name.
    pub name: String,
    /// Training samples `N_k`.
    pub n: usize,
    /// γ_k used in training.
    pub gamma: f64,
    /// Cor. 1's γ_k for the same mean.
    pub gamma_opt: f64,
    /// ‖μ̂_k‖.
    pub mean_norm: f64,
    /// ‖ŝ_k‖.
    pub spread: f64,
    /// Empirical ramp risk R̂^γ on class k (Eq. 9).
    pub ramp_risk: f64,
    /// CE surrogate R̂^{γ,ce} on class k.
    pub ce_risk: f64,
    /// Per-class complexity R̂_k(F) (Eq. 88, Monte Carlo).
    pub complexity: Estimate,
    /// Eq. 15 as printed: coefficient `4/γ_k`.
    pub printed: BoundTerms,
    /// Eq. 15 as derived (`eq15-per-class-term`, typo): coefficient `4√(2K)K/γ_k`.
    pub derived: BoundTerms,
    /// The same with the exact Lipschitz constant (`psi-lipschitz-constant`): `4K/γ_k`.
    pub tight: BoundTerms,
    /// Observed test error of class k.
    pub test_error: f64,
}

/// The whole report for one model.
#[derive(Debug, Clone, Serialize)]
pub struct BoundReport {
    /// Model label.
    pub name: String,
    /// Where the model came from ([`BoundInputs::provenance`]).
    pub provenance: Option<String>,
    /// Samples N.
    pub n: usize,
    /// Classes K.
    pub k: usize,
    /// Feature dimension (bias coordinate included when folded).
    pub d: usize,
    /// Λ = max_y ‖w_y‖₂.
    pub weight_norm_2: f64,
    /// Λ_q = max_y ‖w_y‖_q for the chosen p.
    pub weight_norm_q: f64,
    /// Settings.
    pub settings: BoundSettings,
    /// Empirical ramp risk R̂^γ (Eq. 9).
    pub ramp_risk: f64,
    /// CE surrogate R̂^{γ,ce}.
    pub ce_risk: f64,
    /// Training 0-1 error.
    pub train_error: f64,
    /// Measured γ-margin Rademacher complexity (Def. 2), p = 2, Monte Carlo.
    pub complexity_2: Estimate,
    /// Lemma 2 as printed (`lemma2`, typo).
    pub lemma2_printed: f64,
    /// Lemma 2 corrected (balanced form) — Prop. 2 at p = 2.
    pub lemma2_corrected: f64,
    /// Eq. 50 with the actual class sizes (valid without balance).
    pub lemma2_general: f64,
    /// Measured complexity for the chosen p.
    pub complexity_p: Estimate,
    /// Prop. 2 as printed for p.
    pub prop2_printed: f64,
    /// Prop. 2 with the corrected constant for p.
    pub prop2_corrected: f64,
    /// Prop. 1 as printed: constant 4√(2K), Lemma 2's corrected bound, explicit confidence term.
    pub prop1_printed: BoundTerms,
    /// Prop. 1 with constant 4 and the measured complexity (`psi-lipschitz-constant`).
    pub prop1_corrected: BoundTerms,
    /// The same at Cor. 1's γ* (same mean as the γ used): surrogate and complexity at γ*.
    pub prop1_corrected_gamma_opt: BoundTerms,
    /// Observed test error.
    pub test_error: f64,
    /// Per class.
    pub classes: Vec<ClassBound>,
    /// Spearman ρ of the per-class bound (tight constant) with the per-class test error.
    pub spearman: f64,
    /// Kendall τ-b of the same.
    pub kendall: f64,
    /// Spearman ρ of the class sizes alone (rarity `1/√N_k`, the confidence term's shape) with
    /// the per-class test error: what the bound's ranking must beat to say more than "rare
    /// classes are harder". NaN when every class has the same size.
    pub size_spearman: f64,
}

/// Compute every bound term.
///
/// # Errors
/// Invalid settings or margins; an empty class.
///
/// # Examples
/// The bounds of a feature set with a linear head:
/// ```
/// use mr2::bounds::{compute, BoundInputs, BoundSettings, TestSet};
/// use mr2::model::LinearHead;
/// let f = ndarray::array![[2.0, 0.1], [1.8, -0.2], [2.2, 0.3], [0.1, 2.0], [-0.2, 1.7], [0.3, 2.4]];
/// let head = LinearHead { weights: vec![vec![1.0, 0.0], vec![0.0, 1.0]], bias: vec![0.0; 2], normalize_features: false };
/// let inputs = BoundInputs::new("toy", &f, vec![0, 0, 0, 1, 1, 1], &head, vec![1.0, 1.0], None,
///     TestSet::Accuracy { per_class: vec![0.9, 0.8], overall: 0.85 }).unwrap();
/// let r = compute(&inputs, &BoundSettings { mc_samples: 200, ..BoundSettings::default() }).unwrap();
/// assert!(r.prop1_corrected.total() < r.prop1_printed.total()); // constant 4 vs 4√(2K)
/// assert_eq!(r.classes.len(), 2);
/// ```
pub fn compute(inp: &BoundInputs, s: &BoundSettings) -> Result<BoundReport> {
    s.validate()?;
    let f = &inp.features;
    let (n, d) = f.dim();
    let k = inp.classes();
    let q = conjugate(s.p);
    let weight_norm_2 = inp.head.iter().map(|w| lp_norm(w, 2.0)).fold(0.0, f64::max);
    let weight_norm_q = inp.head.iter().map(|w| lp_norm(w, q)).fold(0.0, f64::max);
    let stats2 = moments::require_all(
        moments::class_moments(f.view(), &inp.labels, k, 2.0)?,
        "the bounds need every class",
    )?;
    let statsp = moments::require_all(
        moments::class_moments(f.view(), &inp.labels, k, s.p)?,
        "the bounds need every class",
    )?;
    let alpha: Vec<f64> = stats2.iter().map(|c| c.alpha()).collect();
    let counts: Vec<usize> = stats2.iter().map(|c| c.n).collect();
    let c_bar = inp.gamma.iter().sum::<f64>() / k as f64;
    let gamma_opt = gamma::optimal_gamma(&alpha, c_bar)?;
    let (mut ramp, mut ce) = (vec![0.0; k], vec![0.0; k]);
    let (mut ce_opt, mut err) = (0.0, 0.0);
    for i in 0..n {
        let z = scores(f, &inp.head, i);
        let y = inp.labels[i];
        ramp[y] += gamma_margin_loss(&z, y, inp.gamma[y]);
        ce[y] += gamma_ce_pairwise(&z, y, inp.gamma[y]);
        ce_opt += gamma_ce_pairwise(&z, y, gamma_opt[y]);
        err += zero_one(&z, y);
    }
    let method = Method::MonteCarlo {
        samples: s.mc_samples,
        seed: s.seed,
    };
    let complexity = |g: &[f64], norm_bound: f64, p: f64| {
        rademacher::gamma_margin_complexity(f.view(), &inp.labels, g, norm_bound, p, method)
    };
    let complexity_2 = complexity(&inp.gamma, weight_norm_2, 2.0)?;
    let complexity_p = complexity(&inp.gamma, weight_norm_q, s.p)?;
    let complexity_opt = complexity(&gamma_opt, weight_norm_2, 2.0)?;
    let r2p: Vec<f64> = statsp.iter().map(|c| c.r2_p).collect();
    let mut classes = Vec::with_capacity(k);
    for c in 0..k {
        let rows: Vec<usize> = (0..n).filter(|&i| inp.labels[i] == c).collect();
        let pts = f.select(ndarray::Axis(0), &rows);
        let cx = rademacher::class_complexity(
            pts.view(),
            weight_norm_2,
            2.0,
            Method::MonteCarlo {
                samples: s.mc_samples,
                seed: s.seed + 1 + c as u64,
            },
        )?;
        let nk = rows.len();
        let ce_k = ce[c] / nk as f64;
        let class_sample = Sample {
            n: nk,
            classes: k,
            delta: s.delta,
        };
        let terms = |pc| per_class_terms(ce_k, cx.mean, inp.gamma[c], class_sample, pc);
        classes.push(ClassBound {
            class: c,
            name: inp.class_names[c].clone(),
            n: nk,
            gamma: inp.gamma[c],
            gamma_opt: gamma_opt[c],
            mean_norm: stats2[c].mean_sq_norm.sqrt(),
            spread: stats2[c].msd.sqrt(),
            ramp_risk: ramp[c] / nk as f64,
            ce_risk: ce_k,
            complexity: cx,
            printed: terms(PerClassConstant::Printed)?,
            derived: terms(PerClassConstant::Derived)?,
            tight: terms(PerClassConstant::DerivedTight)?,
            test_error: inp.test_error_per_class[c],
        });
    }
    let ce_risk = ce.iter().sum::<f64>() / n as f64;
    let sample = Sample {
        n,
        classes: k,
        delta: s.delta,
    };
    let lemma2_c = rademacher::lemma2_corrected(&alpha, &inp.gamma, n, weight_norm_2);
    let b: Vec<f64> = classes.iter().map(|c| c.tight.total()).collect();
    let e: Vec<f64> = classes.iter().map(|c| c.test_error).collect();
    let rarity: Vec<f64> = classes.iter().map(|c| 1.0 / (c.n as f64).sqrt()).collect();
    Ok(BoundReport {
        name: inp.name.clone(),
        provenance: inp.provenance.clone(),
        n,
        k,
        d,
        weight_norm_2,
        weight_norm_q,
        settings: *s,
        ramp_risk: ramp.iter().sum::<f64>() / n as f64,
        ce_risk,
        train_error: err / n as f64,
        complexity_2,
        lemma2_printed: rademacher::lemma2_printed(&alpha, &inp.gamma, n, weight_norm_2),
        lemma2_corrected: lemma2_c,
        lemma2_general: rademacher::lemma2_general(&counts, &alpha, &inp.gamma, weight_norm_2),
        complexity_p,
        prop2_printed: rademacher::prop2_bound(Printed, s.p, d, &r2p, &inp.gamma, n, weight_norm_q),
        prop2_corrected: rademacher::prop2_bound(
            Corrected,
            s.p,
            d,
            &r2p,
            &inp.gamma,
            n,
            weight_norm_q,
        ),
        prop1_printed: prop1_terms(ce_risk, lemma2_c, sample, Lemma1Constant::Printed)?,
        prop1_corrected: prop1_terms(ce_risk, complexity_2.mean, sample, Lemma1Constant::Tight)?,
        prop1_corrected_gamma_opt: prop1_terms(
            ce_opt / n as f64,
            complexity_opt.mean,
            sample,
            Lemma1Constant::Tight,
        )?,
        test_error: inp.test_error,
        spearman: spearman(&b, &e),
        kendall: kendall(&b, &e),
        size_spearman: spearman(&rarity, &e),
        classes,
    })
}
