//! Per-class certificates for a trained model: the test-set bound (exact binomial tail
//! inversion) and a last-layer PAC-Bayes bound, next to the paper's Eq. 15.
//!
//! **What is stochastic.** Only the linear head: the features `φ` are those of a network
//! trained on one part `A` of the training set, fixed. The bound's sample is the other part
//! `B`, which neither the features nor the prior have seen.
//!
//! **Prior and posterior.** `P = N(W_A, σ² I)`, centred at the network's own head `W_A`
//! (trained on `A`: a data-dependent prior in the sense of Pérez-Ortiz et al. 2021, independent
//! of `B`). The posterior `Q = N(M, σ² I)` has the same σ and a mean `M` from a list fixed in
//! advance: `W_A` itself (`KL = 0`) and `W_A` refitted on `B` by gradient descent on the
//! γ-scaled cross-entropy (`KL = ‖M − W_A‖²/(2σ²)`). σ runs over a grid relative to `W_A`'s RMS
//! weight. Every (mean, σ) pair is bounded, and a union bound over the `G` pairs lets each class
//! take its best one.
//!
//! **Confidence.** Half of δ goes to the PAC-Bayes bound and half to the sampling correction:
//! for class `k` with `n_k` samples in `B`,
//! `ê_k(Q) ≤ kl⁻¹(ê_k(Q̂), ln(2KG/(δ/2))/m)` from `m` weight draws (Langford & Caruana), and
//! `e_k(Q) ≤ kl⁻¹(that, (KL + ln(2√n_k · KG/(δ/2)))/n_k)`. The K per-class certificates hold
//! together with probability `≥ 1 − δ`; the overall one (with `K` replaced by 1) holds with
//! probability `≥ 1 − δ` on its own. The test-set certificates bound the deterministic head
//! `W_A`'s error per class at `δ/K` and overall at `δ`.
//!
//! The PAC-Bayes certificate is for the Gibbs classifier `Q` (a head drawn afresh per
//! prediction), not for `W_A`; its own test error is reported next to it.

use ndarray::{Array2, Axis};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use super::certificate::descend;
use super::inputs::argmax;
use crate::error::{invalid, Result};
use crate::theory::certificates::{
    binomial_tail_upper, gaussian_kl, pac_bayes_kl, sampled_error_upper,
};

/// How the certificates are computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertifySettings {
    /// Confidence δ ∈ (0, 1).
    pub delta: f64,
    /// Posterior (= prior) standard deviations, as multiples of the prior head's RMS weight.
    pub sigma_grid: Vec<f64>,
    /// Weight draws `m` for the Gibbs classifier's empirical error.
    pub draws: usize,
    /// Gradient steps of the refitted posterior mean.
    pub refit_steps: usize,
    /// Seed of the weight draws.
    pub seed: u64,
}

impl Default for CertifySettings {
    fn default() -> Self {
        Self {
            delta: 0.05,
            sigma_grid: vec![0.01, 0.02, 0.05, 0.1, 0.2, 0.5],
            draws: 1000,
            refit_steps: 200,
            seed: 0,
        }
    }
}

impl CertifySettings {
    /// # Errors
    /// `δ ∉ (0, 1)`, an empty or non-positive σ grid, fewer than 2 draws.
    pub fn validate(&self) -> Result<()> {
        crate::theory::check_delta(self.delta)?;
        if self.sigma_grid.is_empty()
            || self.sigma_grid.iter().any(|s| !(s.is_finite() && *s > 0.0))
        {
            return Err(invalid(
                "sigma_grid",
                format!("{:?}", self.sigma_grid),
                "need at least one finite σ > 0",
            ));
        }
        if self.draws < 2 {
            return Err(invalid("draws", self.draws, "need at least 2 weight draws"));
        }
        Ok(())
    }
}

/// One class's (or the overall) certificates.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Certified {
    /// Class name (`overall` for the whole distribution).
    pub name: String,
    /// Samples in the bound's sample `B`.
    pub n_bound: usize,
    /// Test samples.
    pub n_test: usize,
    /// Test error of the deterministic head `W_A`.
    pub test_error: f64,
    /// Test-set certificate of `W_A` (binomial tail inversion at δ/K; overall at δ).
    pub test_set: f64,
    /// `ê(Q̂)`: the Gibbs classifier's mean error on `B` over the weight draws.
    pub gibbs_error_bound_sample: f64,
    /// The Gibbs classifier's mean error on the test set over the same draws.
    pub gibbs_test_error: f64,
    /// The PAC-Bayes certificate of the Gibbs classifier.
    pub pac_bayes: f64,
    /// The chosen σ (absolute).
    pub sigma: f64,
    /// The chosen posterior mean (`prior head` or `refit on B`).
    pub posterior_mean: String,
    /// `KL(Q‖P)` of the chosen pair.
    pub kl: f64,
}

/// The certificates of one model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Certificates {
    /// Model label.
    pub name: String,
    /// Settings.
    pub settings: CertifySettings,
    /// What is stochastic.
    pub stochastic: String,
    /// Union-bound size `G` (posterior means × σ values).
    pub choices: usize,
    /// Per class.
    pub classes: Vec<Certified>,
    /// Overall.
    pub overall: Certified,
}

/// A labelled sample: transformed features (bias coordinate folded in) and labels.
pub struct Sample<'a> {
    /// `n × D`.
    pub features: &'a Array2<f64>,
    /// Labels in `0..K`.
    pub labels: &'a [usize],
}

fn check_sample(s: &Sample, k: usize, d: usize, what: &'static str) -> Result<Vec<usize>> {
    if s.features.ncols() != d || s.features.nrows() != s.labels.len() || s.labels.is_empty() {
        return Err(invalid(
            what,
            format!(
                "{} rows × {} cols, {} labels",
                s.features.nrows(),
                s.features.ncols(),
                s.labels.len()
            ),
            "need ≥ 1 row of the head's width and one label per row",
        ));
    }
    if s.features.iter().any(|v| !v.is_finite()) {
        return Err(invalid(what, "non-finite", "features must be finite"));
    }
    let mut n = vec![0usize; k];
    for &y in s.labels {
        if y >= k {
            return Err(invalid(what, y, "labels must lie in 0..K"));
        }
        n[y] += 1;
    }
    if let Some(c) = n.iter().position(|&v| v == 0) {
        return Err(crate::Error::EmptyClass {
            class: Some(c),
            context: "a per-class certificate needs samples of every class",
        });
    }
    Ok(n)
}

/// Errors per class of the scores `z` (rows) against `labels`.
fn errors(z: &Array2<f64>, labels: &[usize], k: usize) -> Vec<usize> {
    let mut e = vec![0usize; k];
    for (row, &y) in z.axis_iter(Axis(0)).zip(labels) {
        let r = row.as_slice().map_or_else(|| row.to_vec(), <[f64]>::to_vec);
        e[y] += usize::from(argmax(&r) != y);
    }
    e
}

fn to_matrix(w: &[Vec<f64>]) -> Array2<f64> {
    let d = w.first().map_or(0, Vec::len);
    Array2::from_shape_fn((w.len(), d), |(i, j)| w[i][j])
}

/// What [`certify`] certifies.
pub struct CertifyInputs<'a> {
    /// Model label.
    pub name: String,
    /// The head (`K` rows of width `D`: the network's own head on transformed features), the
    /// prior's mean.
    pub prior: &'a [Vec<f64>],
    /// γ of the refit's loss (one per class).
    pub gamma: &'a [f64],
    /// Class names.
    pub class_names: &'a [String],
    /// The bound's sample `B`.
    pub bound: Sample<'a>,
    /// The test sample.
    pub test: Sample<'a>,
}

/// The certificates of `inp.prior` with bound sample `inp.bound` and test sample `inp.test`.
/// `progress` is told every tenth of the weight draws.
///
/// # Errors
/// Invalid settings; samples of another width, non-finite, with a class missing.
#[allow(clippy::too_many_lines)]
pub fn certify(
    inp: &CertifyInputs,
    s: &CertifySettings,
    progress: impl Fn(&str),
) -> Result<Certificates> {
    let CertifyInputs {
        name,
        prior,
        gamma,
        class_names,
        bound,
        test,
    } = inp;
    let (prior, gamma, class_names) = (*prior, *gamma, *class_names);
    s.validate()?;
    let k = prior.len();
    let d = prior.first().map_or(0, Vec::len);
    if k < 2
        || prior
            .iter()
            .any(|w| w.len() != d || w.iter().any(|v| !v.is_finite()))
    {
        return Err(invalid("head", k, "need ≥ 2 finite head rows of one width"));
    }
    if gamma.len() != k || class_names.len() != k {
        return Err(invalid(
            "gamma/class names",
            gamma.len(),
            "need one per class",
        ));
    }
    let nb = check_sample(bound, k, d, "bound sample")?;
    let nt = check_sample(test, k, d, "test sample")?;
    let refitted = descend(
        prior.to_vec(),
        bound.features,
        bound.labels,
        gamma,
        None,
        s.refit_steps,
    );
    let means = [("prior head", prior.to_vec()), ("refit on B", refitted)];
    let rms = (prior.iter().flatten().map(|v| v * v).sum::<f64>() / (k * d) as f64)
        .sqrt()
        .max(1e-12);
    let sigmas: Vec<f64> = s.sigma_grid.iter().map(|r| r * rms).collect();
    let g = means.len() * sigmas.len();
    // Scores of each posterior mean; the draws add σ·(F Eᵀ).
    let wp = to_matrix(prior);
    let mean_scores: Vec<(Array2<f64>, Array2<f64>)> = means
        .iter()
        .map(|(_, w)| {
            let m = to_matrix(w);
            (bound.features.dot(&m.t()), test.features.dot(&m.t()))
        })
        .collect();
    // err[mean][σ] = (per-class error sums on B, on the test set), summed over draws.
    let mut sum_b = vec![vec![vec![0.0f64; k + 1]; sigmas.len()]; means.len()];
    let mut sum_t = sum_b.clone();
    let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
    let (n_b, n_t) = (bound.labels.len() as f64, test.labels.len() as f64);
    for j in 0..s.draws {
        let e = Array2::from_shape_simple_fn((k, d), || StandardNormal.sample(&mut rng));
        let noise_b = bound.features.dot(&e.t());
        let noise_t = test.features.dot(&e.t());
        for (mi, (zb, zt)) in mean_scores.iter().enumerate() {
            for (si, &sigma) in sigmas.iter().enumerate() {
                let eb = errors(&(zb + &(&noise_b * sigma)), bound.labels, k);
                let et = errors(&(zt + &(&noise_t * sigma)), test.labels, k);
                for c in 0..k {
                    sum_b[mi][si][c] += eb[c] as f64 / nb[c] as f64;
                    sum_t[mi][si][c] += et[c] as f64 / nt[c] as f64;
                }
                sum_b[mi][si][k] += eb.iter().sum::<usize>() as f64 / n_b;
                sum_t[mi][si][k] += et.iter().sum::<usize>() as f64 / n_t;
            }
        }
        if (j + 1) % (s.draws / 10).max(1) == 0 {
            progress(&format!("weight draws {}/{}", j + 1, s.draws));
        }
    }
    let m = s.draws as u64;
    let half = s.delta / 2.0;
    // The deterministic head W_A on the test set.
    let det = errors(&test.features.dot(&wp.t()), test.labels, k);
    let stochastic =
        format!("the linear head ({k} × {d} weights, bias folded in); the features are fixed");
    // One certificate (class c < K, or overall at c = K).
    let best = |c: usize| -> Result<Certified> {
        let (n_c, splits) = if c < k {
            (nb[c], (k * g) as f64)
        } else {
            (bound.labels.len(), g as f64)
        };
        let mut out: Option<Certified> = None;
        for (mi, (label, w)) in means.iter().enumerate() {
            let dist: f64 = w
                .iter()
                .flatten()
                .zip(prior.iter().flatten())
                .map(|(a, b)| (a - b).powi(2))
                .sum();
            for (si, &sigma) in sigmas.iter().enumerate() {
                let kl = gaussian_kl(dist, k * d, sigma, sigma)?;
                let est = sum_b[mi][si][c] / s.draws as f64;
                let upper = sampled_error_upper(est.clamp(0.0, 1.0), m, half / splits)?;
                let cert = pac_bayes_kl(upper, kl, n_c as u64, half / splits)?;
                if out.as_ref().is_none_or(|o| cert < o.pac_bayes) {
                    let (te_err, te_n, te_delta) = if c < k {
                        (det[c], nt[c], s.delta / k as f64)
                    } else {
                        (det.iter().sum(), test.labels.len(), s.delta)
                    };
                    out = Some(Certified {
                        name: if c < k {
                            class_names[c].clone()
                        } else {
                            "overall".into()
                        },
                        n_bound: n_c,
                        n_test: te_n,
                        test_error: te_err as f64 / te_n as f64,
                        test_set: binomial_tail_upper(te_err as u64, te_n as u64, te_delta)?,
                        gibbs_error_bound_sample: est,
                        gibbs_test_error: sum_t[mi][si][c] / s.draws as f64,
                        pac_bayes: cert,
                        sigma,
                        posterior_mean: (*label).to_string(),
                        kl,
                    });
                }
            }
        }
        out.ok_or_else(|| invalid("sigma_grid", 0, "empty"))
    };
    Ok(Certificates {
        name: name.clone(),
        settings: s.clone(),
        stochastic,
        choices: g,
        classes: (0..k).map(best).collect::<Result<_>>()?,
        overall: best(k)?,
    })
}

/// The certificates of a network whose features were trained on another part of the training
/// set than `held_out` (the bound's sample `B`): its own head is the prior mean.
///
/// # Errors
/// Backend failures; as [`certify`].
#[allow(clippy::too_many_arguments)]
pub fn certify_net(
    name: impl Into<String>,
    net: &crate::model::Net,
    held_out: &crate::data::Dataset,
    test: &crate::data::Dataset,
    gamma: &[f64],
    device: &burn::tensor::Device,
    s: &CertifySettings,
    progress: impl Fn(&str),
) -> Result<Certificates> {
    use super::inputs::{feature_matrix, fold_head, transform_features};
    let head = net.linear_head()?;
    let bp = crate::eval::predict(net, held_out, 256, device)?;
    let tp = crate::eval::predict(net, test, 256, device)?;
    let fb = transform_features(&feature_matrix(&bp), &head);
    let ft = transform_features(&feature_matrix(&tp), &head);
    let prior = fold_head(&head, fb.ncols() > bp.d);
    let names: Vec<String> = (0..held_out.classes)
        .map(|c| held_out.class_name(c))
        .collect();
    certify(
        &CertifyInputs {
            name: name.into(),
            prior: &prior,
            gamma,
            class_names: &names,
            bound: Sample {
                features: &fb,
                labels: &bp.labels,
            },
            test: Sample {
                features: &ft,
                labels: &tp.labels,
            },
        },
        s,
        progress,
    )
}

/// Test-set certificates only, for a model whose features saw its whole training set (a run
/// directory, imported features): no sample is left for a PAC-Bayes bound on the head, but the
/// test set certifies the model itself — per class at δ/K, overall at δ. The PAC-Bayes fields
/// are NaN.
///
/// # Errors
/// `δ ∉ (0, 1)`; inputs without per-class test counts (given as accuracies).
pub fn test_set_certificates(inp: &super::BoundInputs, delta: f64) -> Result<Certificates> {
    let counts = inp.test_counts.as_ref().ok_or_else(|| {
        invalid(
            "certify",
            &inp.name,
            "test-set certificates need test features and labels (per-class counts), not accuracies",
        )
    })?;
    let k = counts.len();
    let row = |name: String, err: f64, n: usize, d: f64| -> Result<Certified> {
        let errors = (err * n as f64).round() as u64;
        Ok(Certified {
            name,
            n_bound: 0,
            n_test: n,
            test_error: err,
            test_set: if n == 0 {
                f64::NAN
            } else {
                binomial_tail_upper(errors, n as u64, d)?
            },
            gibbs_error_bound_sample: f64::NAN,
            gibbs_test_error: f64::NAN,
            pac_bayes: f64::NAN,
            sigma: f64::NAN,
            posterior_mean: "none".into(),
            kl: f64::NAN,
        })
    };
    let classes = (0..k)
        .map(|c| {
            row(
                inp.class_names[c].clone(),
                inp.test_error_per_class[c],
                counts[c],
                delta / k as f64,
            )
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Certificates {
        name: inp.name.clone(),
        settings: CertifySettings {
            delta,
            ..CertifySettings::default()
        },
        stochastic: "nothing: test-set certificates only (the features saw the whole training set, so no PAC-Bayes sample is left)".into(),
        choices: 0,
        overall: row("overall".into(), inp.test_error, counts.iter().sum(), delta)?,
        classes,
    })
}
