//! Per-class feature moments (§3): `‖μ̂_k‖²`, the mean squared deviation `‖ŝ_k‖²`, the average
//! squared `L_p` norm `r²_{k,p}` (Prop. 2, Eq. 72), their EMA, and the pairwise-distance identity
//! of B.2 (Eq. 22–24) in population and finite-sample forms.

use ndarray::{Array1, ArrayView2, Axis};

use super::lp_norm;
use crate::error::{invalid, Error, Result};

/// Statistics of one class's features.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ClassStat {
    /// Number of samples `N_k`.
    pub n: usize,
    /// `‖μ̂_k‖²`, squared norm of the class mean.
    pub mean_sq_norm: f64,
    /// `‖ŝ_k‖² = (1/N_k) Σ ‖φ − μ̂_k‖²`, the mean squared deviation.
    pub msd: f64,
    /// `r²_{k,p} = (1/N_k) Σ ‖φ‖_p²` (Eq. 72), for the `p` the stats were computed with.
    pub r2_p: f64,
    /// The released code's statistic at the same `p`: `‖μ̂_k‖_p² + (1/N_k) Σ ‖φ − μ̂_k‖_p²`
    /// (`MRFLoss.update_ema`: the squared `p`-norm of the class mean plus the mean squared
    /// `p`-norm of the deviations). It equals `α_k` (and `r²_{k,2}`) at `p = 2` and differs
    /// otherwise.
    pub released_p: f64,
}

/// Which per-class statistic sets γ at exponent `p` (Eq. 17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClassStatistic {
    /// The paper's: `α_k` at `p = 2` (Eq. 1), `r²_{k,p} = (1/N_k) Σ ‖φ‖_p²` otherwise (Eq. 72).
    #[default]
    Paper,
    /// The released code's: `‖μ̂_k‖_p² + (1/N_k) Σ ‖φ − μ̂_k‖_p²` ([`ClassStat::released_p`]).
    Released,
}

impl ClassStat {
    /// `α_k = ‖μ̂_k‖² + ‖ŝ_k‖²`, which equals `r²_{k,2}` (Eq. 52–55).
    pub fn alpha(&self) -> f64 {
        self.mean_sq_norm + self.msd
    }

    /// The class energy that sets γ at exponent `p` (the stats must have been computed with the
    /// same `p`): `α_k = ‖μ̂_k‖² + ‖ŝ_k‖²` for `p = 2` (Eq. 1), `r²_{k,p}` otherwise (Eq. 17).
    /// The two agree at `p = 2` up to rounding (Eq. 52–55); Eq. 1's form is used there.
    // p = 2 exactly is Eq. 1; any other p is Eq. 17.
    #[allow(clippy::float_cmp)]
    pub fn margin_energy(&self, p: f64) -> f64 {
        if p == 2.0 {
            self.alpha()
        } else {
            self.r2_p
        }
    }

    /// [`ClassStat::margin_energy`] under the paper's statistic, [`ClassStat::released_p`]
    /// under the released code's.
    pub fn energy(&self, p: f64, stat: ClassStatistic) -> f64 {
        match stat {
            ClassStatistic::Paper => self.margin_energy(p),
            ClassStatistic::Released => self.released_p,
        }
    }
}

/// `s̄ = (1/K) Σ_k ‖ŝ_k‖²` (Eq. 2) over the classes that have a value; 0 when none has one.
pub fn s_bar(msd: &[Option<f64>]) -> f64 {
    let seen: Vec<f64> = msd.iter().flatten().copied().collect();
    if seen.is_empty() {
        0.0
    } else {
        seen.iter().sum::<f64>() / seen.len() as f64
    }
}

/// Per-class statistics of `features` (`N × d`) with `labels` in `0..k`; `None` for a class
/// with no samples (documented behaviour for batches where a class is absent).
///
/// # Errors
/// Label out of range, label/feature count mismatch, `p < 1`.
pub fn class_moments(
    features: ArrayView2<f64>,
    labels: &[usize],
    k: usize,
    p: f64,
) -> Result<Vec<Option<ClassStat>>> {
    super::check_p(p)?;
    if labels.len() != features.nrows() {
        return Err(Error::Shape {
            what: "labels (one per feature row)",
            expected: features.nrows(),
            got: labels.len(),
        });
    }
    if let Some(&bad) = labels.iter().find(|&&y| y >= k) {
        return Err(invalid("label", bad, "labels must lie in 0..K"));
    }
    let d = features.ncols();
    let mut out = Vec::with_capacity(k);
    for c in 0..k {
        let rows: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == c).collect();
        if rows.is_empty() {
            out.push(None);
            continue;
        }
        let n = rows.len() as f64;
        let mut mu = Array1::<f64>::zeros(d);
        for &i in &rows {
            mu += &features.row(i);
        }
        mu /= n;
        let mut msd = 0.0;
        let mut r2 = 0.0;
        let mut dev_p = 0.0;
        for &i in &rows {
            let r = features.row(i);
            let dev: Vec<f64> = r.iter().zip(mu.iter()).map(|(a, b)| a - b).collect();
            msd += dev.iter().map(|v| v * v).sum::<f64>();
            dev_p += lp_norm(&dev, p).powi(2);
            let v: Vec<f64> = r.to_vec();
            r2 += lp_norm(&v, p).powi(2);
        }
        let mu_p = lp_norm(&mu.to_vec(), p).powi(2);
        out.push(Some(ClassStat {
            n: rows.len(),
            mean_sq_norm: mu.dot(&mu),
            msd: msd / n,
            r2_p: r2 / n,
            released_p: mu_p + dev_p / n,
        }));
    }
    Ok(out)
}

/// All classes present, or an [`Error::EmptyClass`] naming the first missing one.
pub fn require_all(stats: Vec<Option<ClassStat>>, context: &'static str) -> Result<Vec<ClassStat>> {
    stats
        .into_iter()
        .enumerate()
        .map(|(class, s)| {
            s.ok_or(Error::EmptyClass {
                class: Some(class),
                context,
            })
        })
        .collect()
}

/// Exponential moving average of per-class scalars, kept across epochs (§3).
///
/// Update rule: `v ← decay·v + (1 − decay)·x`; the first observation of a class initialises
/// `v = x`. A class absent from a batch keeps its value. Never feed it evaluation data.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Ema {
    /// Decay in `[0, 1)`.
    pub decay: f64,
    /// Current value per class (`None` until first seen).
    pub values: Vec<Option<f64>>,
}

impl Ema {
    /// New EMA over `k` classes.
    ///
    /// # Errors
    /// `decay ∉ [0, 1)` or `k = 0`.
    pub fn new(k: usize, decay: f64) -> Result<Self> {
        if !(0.0..1.0).contains(&decay) {
            return Err(invalid("decay", decay, "the EMA decay must lie in [0, 1)"));
        }
        if k == 0 {
            return Err(invalid("K", k, "need at least one class"));
        }
        Ok(Self {
            decay,
            values: vec![None; k],
        })
    }

    /// Check a state read back from disk: a decay in `[0, 1)` and every value finite and `>= 0`
    /// (the EMA only averages squared norms).
    ///
    /// # Errors
    /// The first offending field, named.
    pub fn validate(&self) -> Result<()> {
        if !(0.0..1.0).contains(&self.decay) {
            return Err(invalid(
                "decay",
                self.decay,
                "the EMA decay must lie in [0, 1)",
            ));
        }
        if let Some(v) = self
            .values
            .iter()
            .flatten()
            .find(|v| !(v.is_finite() && **v >= 0.0))
        {
            return Err(invalid(
                "EMA value",
                v,
                "EMA values average squared norms: finite and >= 0",
            ));
        }
        Ok(())
    }

    /// Fold in one observation for class `c`.
    pub fn update(&mut self, c: usize, x: f64) {
        let v = &mut self.values[c];
        *v = Some(match *v {
            None => x,
            Some(old) => self.decay * old + (1.0 - self.decay) * x,
        });
    }
}

/// Mean of `‖φ_i − φ_j‖²` over ordered pairs `i ≠ j` (the U-statistic: the positives of `ℓ_s̄`
/// exclude the sample itself). Equals `2n/(n−1) · ‖ŝ‖²`.
///
/// # Errors
/// Fewer than two points.
pub fn mean_pairwise_sq_dist_distinct(points: ArrayView2<f64>) -> Result<f64> {
    let n = points.nrows();
    if n < 2 {
        return Err(invalid("n", n, "distinct pairs need at least two points"));
    }
    Ok(sum_pairwise(points) / (n * (n - 1)) as f64)
}

/// Mean of `‖φ_i − φ_j‖²` over all ordered pairs including `i = j` (the V-statistic). Equals
/// `2‖ŝ‖²` exactly — the finite-sample form of B.2.
///
/// # Errors
/// No points.
pub fn mean_pairwise_sq_dist_all(points: ArrayView2<f64>) -> Result<f64> {
    let n = points.nrows();
    if n == 0 {
        return Err(invalid("n", n, "need at least one point"));
    }
    Ok(sum_pairwise(points) / (n * n) as f64)
}

fn sum_pairwise(points: ArrayView2<f64>) -> f64 {
    let n = points.nrows();
    let mut s = 0.0;
    for i in 0..n {
        for j in 0..n {
            if i != j {
                s += (&points.row(i) - &points.row(j)).mapv(|v| v * v).sum();
            }
        }
    }
    s
}

/// `‖ŝ‖²` of a point set (one class).
pub fn msd(points: ArrayView2<f64>) -> f64 {
    let n = points.nrows() as f64;
    let mu = points.mean_axis(Axis(0)).expect("non-empty");
    points
        .rows()
        .into_iter()
        .map(|r| (&r - &mu).mapv(|v| v * v).sum())
        .sum::<f64>()
        / n
}
