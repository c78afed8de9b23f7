//! Evaluation: overall and per-class accuracy, easy/medium/hard thirds, the output-level and
//! classifier-level margins of Table 4, per-class feature norms and spreads, feature export,
//! and the run summary ([`summary`]).

pub mod compare;
pub mod summary;

pub use crate::model::{predict, Predictions};
pub use summary::{ClassResult, GroupSummary, GroupValues, Summary};

use serde::{Deserialize, Serialize};

use crate::settings::nan_as_null;

/// A value averaged over each third of the classes (NaN, written `null`, for an empty third:
/// the medium third with K = 2, or a figure not measured). `summary.json` writes the three
/// fields in place (`#[serde(flatten)]`) where a value also has other fields; `metrics.csv`
/// cannot (the `csv` crate writes no header for a nested struct), so its rows keep
/// `easy`/`medium`/`hard` and `spread_*` as plain columns, filled from a `Thirds`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thirds {
    /// Easy third.
    #[serde(with = "nan_as_null")]
    pub easy: f64,
    /// Medium third.
    #[serde(with = "nan_as_null")]
    pub medium: f64,
    /// Hard third.
    #[serde(with = "nan_as_null")]
    pub hard: f64,
}

impl Thirds {
    /// All three not measured.
    pub const NAN: Self = Self {
        easy: f64::NAN,
        medium: f64::NAN,
        hard: f64::NAN,
    };

    /// `[easy, medium, hard]`.
    pub fn to_array(self) -> [f64; 3] {
        [self.easy, self.medium, self.hard]
    }
}

/// Classes split into easy / medium / hard thirds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Groups {
    /// Best-performing third.
    pub easy: Vec<usize>,
    /// Middle third.
    pub medium: Vec<usize>,
    /// Worst-performing third.
    pub hard: Vec<usize>,
}

impl Groups {
    /// Sort classes by accuracy (descending, ties by index) and cut at ⌊K/3⌉ and ⌊2K/3⌉.
    pub fn from_accuracy(acc: &[f64]) -> Self {
        let mut order: Vec<usize> = (0..acc.len()).collect();
        order.sort_by(|&a, &b| acc[b].total_cmp(&acc[a]).then(a.cmp(&b)));
        let k = acc.len();
        let (c1, c2) = (
            ((k as f64) / 3.0).round() as usize,
            ((2.0 * k as f64) / 3.0).round() as usize,
        );
        Self {
            easy: order[..c1].to_vec(),
            medium: order[c1..c2].to_vec(),
            hard: order[c2..].to_vec(),
        }
    }
    /// Mean of `v` over each group (NaN for an empty group).
    pub fn means(&self, v: &[f64]) -> Thirds {
        let m = |g: &[usize]| {
            if g.is_empty() {
                f64::NAN
            } else {
                g.iter().map(|&i| v[i]).sum::<f64>() / g.len() as f64
            }
        };
        Thirds {
            easy: m(&self.easy),
            medium: m(&self.medium),
            hard: m(&self.hard),
        }
    }
}

/// Classifier-level margin (Table 4, Zhou et al. 2022): the minimal pairwise angle between head
/// rows, in degrees.
pub fn classifier_margin_degrees(w: &[Vec<f32>]) -> f64 {
    let mut best = f64::INFINITY;
    for i in 0..w.len() {
        for j in i + 1..w.len() {
            let dot: f64 = w[i]
                .iter()
                .zip(&w[j])
                .map(|(a, b)| f64::from(*a) * f64::from(*b))
                .sum();
            let ni: f64 = w[i]
                .iter()
                .map(|a| f64::from(*a).powi(2))
                .sum::<f64>()
                .sqrt();
            let nj: f64 = w[j]
                .iter()
                .map(|a| f64::from(*a).powi(2))
                .sum::<f64>()
                .sqrt();
            let c = (dot / (ni * nj).max(1e-30)).clamp(-1.0, 1.0);
            best = best.min(c.acos().to_degrees());
        }
    }
    best
}
