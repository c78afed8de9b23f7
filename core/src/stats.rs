//! Paired comparisons over seeds: the mean difference, its 95% t-interval, an exact sign-flip
//! test, the smallest difference the design could have detected, Holm's correction for several
//! tests, and the one verdict rule ([`Verdict`]) whose words the tables and README use.
//!
//! A comparison of two methods trained with the same seeds is the list of per-seed differences
//! `d_s = B_s − A_s`. With `n` pairs, mean `d̄` and sample standard deviation `s`:
//! * the 95% interval is `d̄ ± t_{0.975, n−1} · s/√n` (Student's t);
//! * the sign-flip p-value is the share of the `2ⁿ` sign patterns `±d_s` whose `|mean|` is at
//!   least the observed `|d̄|` (exact; two-sided; its smallest value is `2/2ⁿ`, so three seeds
//!   can never reach 0.05);
//! * the detectable difference is `(t_{0.975, n−1} + t_{0.8, n−1}) · s/√n`: the true mean
//!   difference a two-sided paired t-test at level 0.05 finds with power 0.8 when the spread is
//!   the observed `s`.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// Confidence level of every interval.
pub const LEVEL: f64 = 0.95;
/// Power the detectable difference is stated at.
pub const POWER: f64 = 0.8;
/// Largest `n` for which the sign-flip test enumerates all `2ⁿ` patterns (about 10⁶); above
/// it the p-value is not computed (`None`).
pub const SIGN_FLIP_MAX_N: usize = 20;

/// A paired comparison over seeds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Paired {
    /// Pairs.
    pub n: usize,
    /// Mean difference `d̄`.
    pub mean: f64,
    /// Sample standard deviation of the differences (NaN for `n < 2`).
    pub sd: f64,
    /// Lower end of the 95% t-interval (NaN for `n < 2`).
    pub lo: f64,
    /// Upper end of the 95% t-interval (NaN for `n < 2`).
    pub hi: f64,
    /// Exact two-sided sign-flip p-value (`None` for `n = 0` or `n >` [`SIGN_FLIP_MAX_N`]).
    pub p_sign_flip: Option<f64>,
    /// The smallest true difference detectable with power [`POWER`] at level 0.05 (NaN for
    /// `n < 2`).
    pub detectable: f64,
}

/// The `q`-quantile of Student's t with `df` degrees of freedom (NaN for `df < 1`).
pub fn t_quantile(q: f64, df: usize) -> f64 {
    if df == 0 {
        return f64::NAN;
    }
    StudentsT::new(0.0, 1.0, df as f64).map_or(f64::NAN, |t| t.inverse_cdf(q))
}

/// The exact two-sided sign-flip p-value of `d` (`None` when empty or longer than
/// [`SIGN_FLIP_MAX_N`]). Ties count as extreme; a pattern's mean is compared with a relative
/// slack of 1e-12 so that rounding of equal sums does not decide.
pub fn sign_flip_p(d: &[f64]) -> Option<f64> {
    let n = d.len();
    if n == 0 || n > SIGN_FLIP_MAX_N {
        return None;
    }
    let observed = d.iter().sum::<f64>().abs();
    let slack = 1e-12 * d.iter().map(|v| v.abs()).sum::<f64>();
    let patterns = 1u64 << n;
    let extreme = (0..patterns)
        .filter(|mask| {
            let s: f64 = d
                .iter()
                .enumerate()
                .map(|(i, v)| if mask >> i & 1 == 1 { -v } else { *v })
                .sum();
            s.abs() >= observed - slack
        })
        .count();
    Some(extreme as f64 / patterns as f64)
}

/// The paired comparison of the differences `d` (per seed, `B − A`). Non-finite differences
/// are a caller's bug and give NaN statistics.
pub fn paired(d: &[f64]) -> Paired {
    let n = d.len();
    let mean = if n == 0 {
        f64::NAN
    } else {
        d.iter().sum::<f64>() / n as f64
    };
    let sd = if n < 2 {
        f64::NAN
    } else {
        (d.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    };
    let se = sd / (n as f64).sqrt();
    let t = t_quantile(0.5 + LEVEL / 2.0, n.saturating_sub(1));
    let detectable = (t + t_quantile(POWER, n.saturating_sub(1))) * se;
    Paired {
        n,
        mean,
        sd,
        lo: mean - t * se,
        hi: mean + t * se,
        p_sign_flip: sign_flip_p(d),
        detectable,
    }
}

/// Fewest pairs for which any verdict but "inconclusive" is given.
pub const MIN_PAIRS: usize = 3;

/// What a paired comparison supports about a claimed difference — **the one verdict rule** of
/// every table, `results.json` and README row.
///
/// On the 95% interval `[lo, hi]` of the paired differences against a claimed gain `c > 0`
/// (for `c < 0` the interval is mirrored, `[−hi, −lo]` against `|c|`):
///
/// | verdict | when |
/// |---|---|
/// | *reproduced* | `lo > 0` and `hi ≥ c` |
/// | *smaller than claimed* | `lo > 0` and `hi < c` |
/// | *not reproduced (at most +hi)* | `lo ≤ 0 ≤ hi` and `hi < c`: the claimed size is excluded, no gain is established |
/// | *contradicted* | `hi < 0`: the interval excludes 0 on the other side |
/// | *inconclusive at n = …* | everything else (`lo ≤ 0` and `hi ≥ c`), and always for `n < 3` |
///
/// A claim of no difference (`c = 0`) is contradicted by an interval that excludes 0 and is
/// otherwise inconclusive (an interval can bound a difference, never prove it zero).
///
/// The words never say more than the interval: more seeds can only move a verdict along the
/// evidence (a narrower interval around the same mean never turns "smaller" into
/// "contradicted").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The interval excludes 0 on the claim's side and reaches the claimed size.
    Reproduced,
    /// The interval excludes 0 on the claim's side but lies wholly short of the claimed size.
    Smaller,
    /// The interval holds 0 and lies wholly short of the claimed size: the claim's size is
    /// excluded, no effect is established.
    NotReproduced,
    /// The interval lies wholly on the other side of 0.
    Contradicted,
    /// The interval holds 0 and the claimed size, or fewer than [`MIN_PAIRS`] pairs.
    Inconclusive,
}

impl Verdict {
    /// The weaker of two verdicts on claims of the same sign (e.g. the paper's Δ as printed
    /// and scaled): the one that asserts less — "inconclusive" over "not reproduced",
    /// "smaller than claimed" over "reproduced". On one interval only those pairs (or equal
    /// verdicts) arise; the order is inconclusive < smaller < not reproduced < reproduced <
    /// contradicted.
    pub fn weaker(self, other: Verdict) -> Verdict {
        let rank = |v: Verdict| match v {
            Verdict::Inconclusive => 0,
            Verdict::Smaller => 1,
            Verdict::NotReproduced => 2,
            Verdict::Reproduced => 3,
            Verdict::Contradicted => 4,
        };
        if rank(other) < rank(self) {
            other
        } else {
            self
        }
    }
}

impl Paired {
    /// The verdict on `claim` (its sign is the claimed direction; `claim = 0` claims "no
    /// difference", which only an interval excluding 0 can contradict). See [`Verdict`].
    pub fn verdict(&self, claim: f64) -> Verdict {
        if self.n < MIN_PAIRS || !(self.lo.is_finite() && self.hi.is_finite()) || claim.is_nan() {
            return Verdict::Inconclusive;
        }
        if claim == 0.0 {
            return if self.lo > 0.0 || self.hi < 0.0 {
                Verdict::Contradicted
            } else {
                Verdict::Inconclusive
            };
        }
        let (lo, hi) = if claim > 0.0 {
            (self.lo, self.hi)
        } else {
            (-self.hi, -self.lo)
        };
        let c = claim.abs();
        if hi < 0.0 {
            Verdict::Contradicted
        } else if lo > 0.0 && hi >= c {
            Verdict::Reproduced
        } else if lo > 0.0 {
            Verdict::Smaller
        } else if hi < c {
            Verdict::NotReproduced
        } else {
            Verdict::Inconclusive
        }
    }

    /// The verdict in words with two decimals: `reproduced`, `smaller than claimed`, `not
    /// reproduced (at most +0.62)`, `contradicted`, `inconclusive at n = N`.
    pub fn verdict_words(&self, claim: f64) -> String {
        self.verdict_words_digits(claim, 2)
    }

    /// [`Paired::verdict_words`] with `digits` decimals in "not reproduced (at most …)", whose
    /// figure is the interval's end in the claimed direction (`hi` for a claimed gain, `lo` for
    /// a claimed loss).
    pub fn verdict_words_digits(&self, claim: f64, digits: usize) -> String {
        match self.verdict(claim) {
            Verdict::Reproduced => "reproduced".into(),
            Verdict::Smaller => "smaller than claimed".into(),
            Verdict::NotReproduced => {
                let edge = if claim > 0.0 { self.hi } else { self.lo };
                format!("not reproduced (at most {edge:+.digits$})")
            }
            Verdict::Contradicted => "contradicted".into(),
            Verdict::Inconclusive => format!("inconclusive at n = {}", self.n),
        }
    }

    /// Two-sided p-value of the paired t-test of mean 0 (NaN for `n < 2`; 0 when every
    /// difference is the same non-zero value, 1 when all are 0).
    pub fn p_t(&self) -> f64 {
        if self.n < 2 || !self.mean.is_finite() {
            return f64::NAN;
        }
        let se = self.sd / (self.n as f64).sqrt();
        if se == 0.0 {
            return if self.mean == 0.0 { 1.0 } else { 0.0 };
        }
        let t = (self.mean / se).abs();
        StudentsT::new(0.0, 1.0, (self.n - 1) as f64).map_or(f64::NAN, |d| 2.0 * (1.0 - d.cdf(t)))
    }

    /// `+m [lo, hi] (n = N)` with `digits` decimals, `—` without pairs, `+m (n = 1)` for one.
    pub fn display(&self, digits: usize) -> String {
        match self.n {
            0 => "—".into(),
            1 => format!("{:+.digits$} (n = 1)", self.mean),
            n => format!(
                "{:+.digits$} [{:+.digits$}, {:+.digits$}] (n = {n})",
                self.mean, self.lo, self.hi
            ),
        }
    }
}

/// Holm's step-down correction: which of the hypotheses with p-values `p` are rejected at
/// family-wise level `alpha` (sorted ascending, the i-th smallest of m is compared with
/// `alpha / (m − i)`; the first that fails stops the procedure). NaN p-values are never
/// rejected and count in m.
pub fn holm(p: &[f64], alpha: f64) -> Vec<bool> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (p[a], p[b]);
        x.partial_cmp(&y)
            .unwrap_or_else(|| x.is_nan().cmp(&y.is_nan()))
    });
    let mut keep = vec![false; m];
    for (i, &j) in order.iter().enumerate() {
        if p[j].is_nan() || p[j] > alpha / (m - i) as f64 {
            break;
        }
        keep[j] = true;
    }
    keep
}
