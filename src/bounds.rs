//! Bounds versus reality: the class-sensitive bounds of §4 computed from a trained model's
//! training-set features and head, next to its observed test error — each bound as printed and
//! as corrected by the verification suite (see the claim ids in each field's doc).
//!
//! The head's bias is folded in as a constant feature 1 (and a last weight coordinate), so the
//! linear class `f(x, y) = w_yᵀφ(x)` of the paper covers it. Features learned on the same data
//! make the bound a diagnostic; `certificate` mode (features from one part of the training data,
//! head and bound on the other) gives a bound that holds for the head.

use ndarray::Array2;
use serde::Serialize;

use crate::error::Result;
use crate::theory::bounds::{confidence_term, Lemma1Constant, PerClassConstant};
use crate::theory::margin::{gamma_ce_pairwise, gamma_margin_loss, zero_one};
use crate::theory::rademacher::{self, Method};
use crate::theory::{conjugate, gamma, lp_norm, moments, Estimate};

/// Inputs: features (with the bias coordinate appended), labels, head rows, γ.
pub struct BoundInputs<'a> {
    /// Training features `N × d` (bias coordinate included).
    pub features: &'a Array2<f64>,
    /// Training labels.
    pub labels: &'a [usize],
    /// Head rows `w_k` (bias included), `K × d`.
    pub head: &'a [Vec<f64>],
    /// Margins γ used in training.
    pub gamma: &'a [f64],
    /// Test-set per-class error (observed) and overall error.
    pub test_error_per_class: &'a [f64],
    /// Overall test error.
    pub test_error: f64,
    /// Confidence δ.
    pub delta: f64,
    /// Norm exponent p for Prop. 2 (in addition to p = 2).
    pub p: f64,
    /// Monte Carlo draws for the Rademacher complexities.
    pub mc_samples: usize,
    /// Seed.
    pub seed: u64,
}

/// One class's bound terms.
#[derive(Debug, Clone, Serialize)]
pub struct ClassBound {
    /// Class id.
    pub class: usize,
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
    /// Confidence term 3√(ln(2/δ)/(2N_k)).
    pub confidence: f64,
    /// Eq. 15 as printed: R̂^{γ,ce}_k/ln2 + (4/γ_k) R̂_k + conf.
    pub bound_printed: f64,
    /// Eq. 15 as derived (`eq15-per-class-term`, typo): coefficient 4√(2K)K/γ_k.
    pub bound_corrected: f64,
    /// The same with the exact Lipschitz constant (`psi-lipschitz-constant`, loose): 4K/γ_k.
    pub bound_tight: f64,
    /// Observed test error of class k.
    pub test_error: f64,
}

/// The whole report for one model.
#[derive(Debug, Clone, Serialize)]
pub struct BoundReport {
    /// Samples N, classes K, feature dimension d (with bias).
    pub n: usize,
    /// Classes.
    pub k: usize,
    /// Feature dimension (bias included).
    pub d: usize,
    /// Λ = max_y ‖w_y‖₂.
    pub lambda_2: f64,
    /// Λ_q = max_y ‖w_y‖_q for the chosen p.
    pub lambda_q: f64,
    /// p.
    pub p: f64,
    /// δ.
    pub delta: f64,
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
    /// Lemma 2 corrected (balanced form) — equals Prop. 2 at p = 2.
    pub lemma2_corrected: f64,
    /// Eq. 50 with the actual class sizes (valid without balance).
    pub lemma2_general: f64,
    /// Measured complexity for the chosen p.
    pub complexity_p: Estimate,
    /// Prop. 2 as printed for p.
    pub prop2_printed: f64,
    /// Prop. 2 with the corrected constant for p.
    pub prop2_corrected: f64,
    /// Confidence term.
    pub confidence: f64,
    /// Prop. 1 as printed (constant 4√(2K), Lemma 2's corrected shape, explicit confidence term).
    pub prop1_printed: f64,
    /// Prop. 1 with constant 4 and the measured complexity (`psi-lipschitz-constant`).
    pub prop1_corrected: f64,
    /// Prop. 1 corrected, evaluated with Cor. 1's optimal γ* (same mean as the γ used): the
    /// empirical surrogate and the measured complexity both at γ*.
    pub prop1_corrected_gamma_opt: f64,
    /// Observed test error.
    pub test_error: f64,
    /// Per class.
    pub classes: Vec<ClassBound>,
    /// Spearman rank correlation between the corrected per-class bound and the per-class test error.
    pub spearman: f64,
    /// Kendall τ-b between the same.
    pub kendall: f64,
}

fn scores(f: &Array2<f64>, head: &[Vec<f64>], i: usize) -> Vec<f64> {
    head.iter()
        .map(|w| w.iter().zip(f.row(i).iter()).map(|(a, b)| a * b).sum())
        .collect()
}

/// Compute every bound term.
///
/// # Errors
/// Invalid δ, p or margins; an empty class.
pub fn compute(inp: &BoundInputs<'_>) -> Result<BoundReport> {
    let f = inp.features;
    let (n, d) = f.dim();
    let k = inp.head.len();
    let conf = confidence_term(n, inp.delta)?;
    let q = conjugate(inp.p);
    let lambda_2 = inp.head.iter().map(|w| lp_norm(w, 2.0)).fold(0.0, f64::max);
    let lambda_q = inp.head.iter().map(|w| lp_norm(w, q)).fold(0.0, f64::max);
    let stats2 = moments::require_all(
        moments::class_moments(f.view(), inp.labels, k, 2.0)?,
        "the bounds need every class",
    )?;
    let statsp = moments::require_all(
        moments::class_moments(f.view(), inp.labels, k, inp.p)?,
        "the bounds need every class",
    )?;
    let alpha: Vec<f64> = stats2.iter().map(|s| s.alpha()).collect();
    let counts: Vec<usize> = stats2.iter().map(|s| s.n).collect();
    let c_bar = inp.gamma.iter().sum::<f64>() / k as f64;
    let gamma_opt = gamma::optimal_gamma(&alpha, c_bar)?;
    let mut ramp = vec![0.0; k];
    let mut ce = vec![0.0; k];
    let mut ce_opt = 0.0;
    let mut err = 0.0;
    for i in 0..n {
        let z = scores(f, inp.head, i);
        let y = inp.labels[i];
        ramp[y] += gamma_margin_loss(&z, y, inp.gamma[y]);
        ce[y] += gamma_ce_pairwise(&z, y, inp.gamma[y]);
        ce_opt += gamma_ce_pairwise(&z, y, gamma_opt[y]);
        err += zero_one(&z, y);
    }
    let method = Method::MonteCarlo {
        samples: inp.mc_samples,
        seed: inp.seed,
    };
    let complexity_2 = rademacher::gamma_margin_complexity(
        f.view(),
        inp.labels,
        inp.gamma,
        lambda_2,
        2.0,
        method,
    )?;
    let complexity_p = rademacher::gamma_margin_complexity(
        f.view(),
        inp.labels,
        inp.gamma,
        lambda_q,
        inp.p,
        method,
    )?;
    let complexity_opt = rademacher::gamma_margin_complexity(
        f.view(),
        inp.labels,
        &gamma_opt,
        lambda_2,
        2.0,
        method,
    )?;
    let r2p: Vec<f64> = statsp.iter().map(|s| s.r2_p).collect();
    let shape_p = rademacher::prop2_shape(&r2p, inp.gamma, n, lambda_q);
    let mut classes = Vec::with_capacity(k);
    for c in 0..k {
        let rows: Vec<usize> = (0..n).filter(|&i| inp.labels[i] == c).collect();
        let pts = f.select(ndarray::Axis(0), &rows);
        let cx = rademacher::class_complexity(
            pts.view(),
            lambda_2,
            2.0,
            Method::MonteCarlo {
                samples: inp.mc_samples,
                seed: inp.seed + 1 + c as u64,
            },
        )?;
        let nk = rows.len();
        let ce_k = ce[c] / nk as f64;
        let conf_k = confidence_term(nk, inp.delta)?;
        let b = |pc: PerClassConstant| {
            ce_k / std::f64::consts::LN_2 + pc.value(inp.gamma[c], k) * cx.mean + conf_k
        };
        classes.push(ClassBound {
            class: c,
            n: nk,
            gamma: inp.gamma[c],
            gamma_opt: gamma_opt[c],
            mean_norm: stats2[c].mean_sq_norm.sqrt(),
            spread: stats2[c].msd.sqrt(),
            ramp_risk: ramp[c] / nk as f64,
            ce_risk: ce_k,
            complexity: cx,
            confidence: conf_k,
            bound_printed: b(PerClassConstant::Printed),
            bound_corrected: b(PerClassConstant::Derived),
            bound_tight: b(PerClassConstant::DerivedTight),
            test_error: inp.test_error_per_class[c],
        });
    }
    let ce_risk = ce.iter().sum::<f64>() / n as f64;
    let lemma2_c = rademacher::lemma2_corrected(&alpha, inp.gamma, n, lambda_2);
    let b: Vec<f64> = classes.iter().map(|c| c.bound_tight).collect();
    let e: Vec<f64> = classes.iter().map(|c| c.test_error).collect();
    Ok(BoundReport {
        n,
        k,
        d,
        lambda_2,
        lambda_q,
        p: inp.p,
        delta: inp.delta,
        ramp_risk: ramp.iter().sum::<f64>() / n as f64,
        ce_risk,
        train_error: err / n as f64,
        complexity_2,
        lemma2_printed: rademacher::lemma2_printed(&alpha, inp.gamma, n, lambda_2),
        lemma2_corrected: lemma2_c,
        lemma2_general: rademacher::lemma2_general(&counts, &alpha, inp.gamma, lambda_2),
        complexity_p,
        prop2_printed: rademacher::prop2_constant_printed(inp.p, d) * shape_p,
        prop2_corrected: rademacher::prop2_constant_corrected(inp.p, d) * shape_p,
        confidence: conf,
        prop1_printed: ce_risk / std::f64::consts::LN_2
            + Lemma1Constant::Printed.value(k) * lemma2_c
            + conf,
        prop1_corrected: ce_risk / std::f64::consts::LN_2
            + Lemma1Constant::Tight.value(k) * complexity_2.mean
            + conf,
        prop1_corrected_gamma_opt: ce_opt / n as f64 / std::f64::consts::LN_2
            + Lemma1Constant::Tight.value(k) * complexity_opt.mean
            + conf,
        test_error: inp.test_error,
        spearman: spearman(&b, &e),
        kendall: kendall(&b, &e),
        classes,
    })
}

/// Average ranks (ties share the mean rank).
pub fn ranks(v: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && v[idx[j + 1]].total_cmp(&v[idx[i]]).is_eq() {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &t in &idx[i..=j] {
            r[t] = avg;
        }
        i = j + 1;
    }
    r
}

// Exact zero variance means a constant side: the correlation is undefined.
#[allow(clippy::float_cmp)]
fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    if va == 0.0 || vb == 0.0 {
        f64::NAN
    } else {
        cov / (va * vb).sqrt()
    }
}

/// Spearman's ρ (Pearson correlation of average ranks); NaN when either side is constant.
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    pearson(&ranks(a), &ranks(b))
}

/// Kendall's τ-b (ties corrected); NaN when either side is constant.
// Exact ties are what τ-b corrects for.
#[allow(clippy::float_cmp)]
pub fn kendall(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len();
    let (mut conc, mut disc, mut ta, mut tb) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for i in 0..n {
        for j in i + 1..n {
            let (da, db) = (a[i] - a[j], b[i] - b[j]);
            if da == 0.0 && db == 0.0 {
                continue;
            } else if da == 0.0 {
                ta += 1.0;
            } else if db == 0.0 {
                tb += 1.0;
            } else if da * db > 0.0 {
                conc += 1.0;
            } else {
                disc += 1.0;
            }
        }
    }
    let denom = ((conc + disc + ta) * (conc + disc + tb)).sqrt();
    if denom == 0.0 {
        f64::NAN
    } else {
        (conc - disc) / denom
    }
}
