//! Data: the embedded synthetic heteroscedastic mixture, IDX (MNIST / Fashion-MNIST) and
//! CIFAR-10/100 binary readers, splits and subsets, long-tailed and step imbalance,
//! per-channel standardisation, and random crop + flip augmentation.
//!
//! Every reader checks sizes against the header *before* allocating and reports the file and
//! what is wrong with it; no input can make it panic.

pub mod cifar;
pub mod folder;
pub mod idx;
pub mod ldam_draw;
pub mod pairs;
mod splits;
pub mod transform;

pub use splits::{DataConfig, DatasetName, Imbalance, Splits};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::error::{invalid, Result};

/// An in-memory labelled image (or feature-vector) dataset, `f32`, channel-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// `n × c × h × w` values, sample-major.
    pub x: Vec<f32>,
    /// Labels in `0..classes`.
    pub y: Vec<usize>,
    /// `[c, h, w]`; flat feature vectors use `[d, 1, 1]`.
    pub shape: [usize; 3],
    /// Number of classes `K`.
    pub classes: usize,
    /// Class names where the dataset has them.
    pub class_names: Option<Vec<String>>,
}

impl Dataset {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.y.len()
    }
    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }
    /// Values per sample.
    pub fn dim(&self) -> usize {
        self.shape.iter().product()
    }
    /// Sample `i`'s values.
    pub fn sample(&self, i: usize) -> &[f32] {
        let d = self.dim();
        &self.x[i * d..(i + 1) * d]
    }
    /// Samples per class.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut c = vec![0; self.classes];
        for &y in &self.y {
            c[y] += 1;
        }
        c
    }
    /// A new dataset with the samples at `idx`, in that order.
    pub fn select(&self, idx: &[usize]) -> Dataset {
        let d = self.dim();
        let mut x = Vec::with_capacity(idx.len() * d);
        for &i in idx {
            x.extend_from_slice(self.sample(i));
        }
        Dataset {
            x,
            y: idx.iter().map(|&i| self.y[i]).collect(),
            shape: self.shape,
            classes: self.classes,
            class_names: self.class_names.clone(),
        }
    }
    /// Name of class `k` (its index when the dataset has no names).
    pub fn class_name(&self, k: usize) -> String {
        self.class_names
            .as_ref()
            .and_then(|n| n.get(k).cloned())
            .unwrap_or_else(|| k.to_string())
    }
}

/// Configuration of the synthetic heteroscedastic Gaussian mixture.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyntheticConfig {
    /// Classes `K`.
    pub classes: usize,
    /// Dimension `d`.
    pub dim: usize,
    /// Training samples per class.
    pub train_per_class: usize,
    /// Test samples per class.
    pub test_per_class: usize,
    /// Norm of the class means.
    pub mean_norm: f64,
    /// Spread of the easiest class; the spread grows linearly to `sigma_max` for the hardest.
    pub sigma_min: f64,
    /// Spread of the hardest class.
    pub sigma_max: f64,
    /// Seed.
    pub seed: u64,
}

impl Default for SyntheticConfig {
    fn default() -> Self {
        Self {
            classes: 6,
            dim: 16,
            train_per_class: 300,
            test_per_class: 300,
            mean_norm: 3.0,
            sigma_min: 0.6,
            sigma_max: 1.6,
            seed: 0,
        }
    }
}

impl SyntheticConfig {
    /// Per-class spread σ_k, increasing with k (class 0 easiest, class K−1 hardest).
    pub fn sigma(&self, k: usize) -> f64 {
        if self.classes == 1 {
            return self.sigma_min;
        }
        self.sigma_min + (self.sigma_max - self.sigma_min) * k as f64 / (self.classes - 1) as f64
    }
}

/// The embedded synthetic dataset: `K` balanced Gaussian classes in `d` dims, means of norm
/// `mean_norm` in random directions, isotropic spread σ_k growing with the class index — so "hard
/// classes are more variable" holds by construction. Returns `(train, test)`.
///
/// # Errors
/// `K < 2`, `d = 0`, no samples, or a non-positive / non-finite spread.
pub fn synthetic(cfg: &SyntheticConfig) -> Result<(Dataset, Dataset)> {
    if cfg.classes < 2 {
        return Err(invalid("classes", cfg.classes, "need at least 2 classes"));
    }
    if cfg.dim == 0 {
        return Err(invalid("dim", 0, "need at least 1 dimension"));
    }
    if cfg.train_per_class == 0 || cfg.test_per_class == 0 {
        return Err(invalid("per_class", 0, "need samples in every class"));
    }
    if !(cfg.sigma_min > 0.0 && cfg.sigma_max >= cfg.sigma_min && cfg.sigma_max.is_finite()) {
        return Err(invalid(
            "sigma",
            cfg.sigma_min,
            "spreads must satisfy 0 < sigma_min <= sigma_max < inf",
        ));
    }
    // Samples as f32 plus a label each, training and test sets, checked before any is drawn.
    let samples = (cfg.train_per_class as u128 + cfg.test_per_class as u128)
        .saturating_mul(cfg.classes as u128);
    crate::limits::check(
        || {
            format!(
                "the synthetic mixture ({} classes × ({} + {}) samples × {} dims)",
                cfg.classes, cfg.train_per_class, cfg.test_per_class, cfg.dim
            )
        },
        samples.saturating_mul(4 * cfg.dim as u128 + 8),
    )?;
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let means: Vec<Vec<f64>> = (0..cfg.classes)
        .map(|_| {
            let v: Vec<f64> = (0..cfg.dim)
                .map(|_| StandardNormal.sample(&mut rng))
                .collect();
            let n = v.iter().map(|a| a * a).sum::<f64>().sqrt().max(1e-12);
            v.iter().map(|a| a * cfg.mean_norm / n).collect()
        })
        .collect();
    let draw = |per: usize, rng: &mut ChaCha8Rng| {
        let mut x = Vec::with_capacity(per * cfg.classes * cfg.dim);
        let mut y = Vec::with_capacity(per * cfg.classes);
        for i in 0..per * cfg.classes {
            let k = i % cfg.classes;
            let s = cfg.sigma(k);
            for m in &means[k] {
                let g: f64 = StandardNormal.sample(rng);
                x.push((m + s * g) as f32);
            }
            y.push(k);
        }
        Dataset {
            x,
            y,
            shape: [cfg.dim, 1, 1],
            classes: cfg.classes,
            class_names: Some(
                (0..cfg.classes)
                    .map(|k| format!("c{k}(σ={:.2})", cfg.sigma(k)))
                    .collect(),
            ),
        }
    };
    let train = draw(cfg.train_per_class, &mut rng);
    let test = draw(cfg.test_per_class, &mut rng);
    Ok((train, test))
}
