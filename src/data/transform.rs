//! Splits, subsets, imbalance, standardisation and augmentation.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::Dataset;
use crate::error::{invalid, Result};

fn by_class(d: &Dataset) -> Vec<Vec<usize>> {
    let mut c = vec![Vec::new(); d.classes];
    for (i, &y) in d.y.iter().enumerate() {
        c[y].push(i);
    }
    c
}

/// Stratified train/validation split: `fraction` of each class goes to validation.
///
/// # Errors
/// `fraction ∉ (0, 1)`.
pub fn split(d: &Dataset, fraction: f64, seed: u64) -> Result<(Dataset, Dataset)> {
    if !(fraction > 0.0 && fraction < 1.0) {
        return Err(invalid(
            "val_fraction",
            fraction,
            "the validation fraction must lie in (0, 1)",
        ));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut tr, mut va) = (Vec::new(), Vec::new());
    for mut idx in by_class(d) {
        idx.shuffle(&mut rng);
        let k = ((idx.len() as f64) * fraction).round() as usize;
        va.extend_from_slice(&idx[..k]);
        tr.extend_from_slice(&idx[k..]);
    }
    tr.sort_unstable();
    va.sort_unstable();
    Ok((d.select(&tr), d.select(&va)))
}

/// Keep a stratified `fraction` of every class (the paper's 10% CIFAR-10 subset), at least one
/// sample per non-empty class.
///
/// # Errors
/// `fraction ∉ (0, 1]`.
pub fn subset(d: &Dataset, fraction: f64, seed: u64) -> Result<Dataset> {
    if !(fraction > 0.0 && fraction <= 1.0) {
        return Err(invalid(
            "subset",
            fraction,
            "the subset fraction must lie in (0, 1]",
        ));
    }
    let counts: Vec<usize> = d
        .class_counts()
        .iter()
        .map(|&c| (((c as f64) * fraction).round() as usize).max(usize::from(c > 0)))
        .collect();
    Ok(take_per_class(d, &counts, seed))
}

fn take_per_class(d: &Dataset, counts: &[usize], seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut keep = Vec::new();
    for (k, mut idx) in by_class(d).into_iter().enumerate() {
        idx.shuffle(&mut rng);
        keep.extend_from_slice(&idx[..counts[k].min(idx.len())]);
    }
    keep.sort_unstable();
    d.select(&keep)
}

/// Long-tailed imbalance (LDAM): class `i` keeps `n_max · ρ^{−i/(K−1)}` samples.
///
/// # Errors
/// `ρ < 1`.
pub fn long_tail(d: &Dataset, rho: f64, seed: u64) -> Result<Dataset> {
    if !(rho >= 1.0 && rho.is_finite()) {
        return Err(invalid(
            "imbalance_ratio",
            rho,
            "the imbalance ratio ρ must be >= 1",
        ));
    }
    let nmax = *d.class_counts().iter().max().unwrap_or(&0) as f64;
    let k = d.classes.max(2) as f64;
    let counts: Vec<usize> = (0..d.classes)
        .map(|i| ((nmax * rho.powf(-(i as f64) / (k - 1.0))).floor() as usize).max(1))
        .collect();
    Ok(take_per_class(d, &counts, seed))
}

/// Step imbalance: the last ⌊K/2⌋ classes keep `n_max / ρ` samples.
///
/// # Errors
/// `ρ < 1`.
pub fn step_imbalance(d: &Dataset, rho: f64, seed: u64) -> Result<Dataset> {
    if !(rho >= 1.0 && rho.is_finite()) {
        return Err(invalid(
            "imbalance_ratio",
            rho,
            "the imbalance ratio ρ must be >= 1",
        ));
    }
    let nmax = *d.class_counts().iter().max().unwrap_or(&0);
    let counts: Vec<usize> = (0..d.classes)
        .map(|i| {
            if i < d.classes - d.classes / 2 {
                nmax
            } else {
                ((nmax as f64 / rho).floor() as usize).max(1)
            }
        })
        .collect();
    Ok(take_per_class(d, &counts, seed))
}

/// Per-channel mean and standard deviation.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Standardizer {
    /// Mean per channel.
    pub mean: Vec<f32>,
    /// Standard deviation per channel (1 where a channel is constant).
    pub std: Vec<f32>,
}

impl Standardizer {
    /// Fit on a (training) dataset.
    pub fn fit(d: &Dataset) -> Self {
        let [c, h, w] = d.shape;
        let plane = h * w;
        let mut mean = vec![0f64; c];
        let mut sq = vec![0f64; c];
        for i in 0..d.len() {
            let s = d.sample(i);
            for ch in 0..c {
                for v in &s[ch * plane..(ch + 1) * plane] {
                    mean[ch] += f64::from(*v);
                    sq[ch] += f64::from(*v) * f64::from(*v);
                }
            }
        }
        let n = (d.len() * plane).max(1) as f64;
        let mean: Vec<f64> = mean.iter().map(|m| m / n).collect();
        let std: Vec<f32> = sq
            .iter()
            .zip(&mean)
            .map(|(s, m)| {
                let v = (s / n - m * m).max(0.0).sqrt();
                if v > 1e-8 {
                    v as f32
                } else {
                    1.0
                }
            })
            .collect();
        Self {
            mean: mean.iter().map(|m| *m as f32).collect(),
            std,
        }
    }
    /// Apply in place.
    pub fn apply(&self, d: &mut Dataset) {
        let [c, h, w] = d.shape;
        let plane = h * w;
        for s in d.x.chunks_mut(c * plane) {
            for ch in 0..c {
                for v in &mut s[ch * plane..(ch + 1) * plane] {
                    *v = (*v - self.mean[ch]) / self.std[ch];
                }
            }
        }
    }
}

/// Random crop with zero padding `pad` and horizontal flip with probability ½, applied to one
/// image `[c, h, w]` (the CIFAR recipe: pad 4, crop 32×32, flip).
pub fn crop_flip(img: &[f32], shape: [usize; 3], pad: usize, rng: &mut ChaCha8Rng) -> Vec<f32> {
    let [c, h, w] = shape;
    let dy = rng.random_range(0..=2 * pad) as isize - pad as isize;
    let dx = rng.random_range(0..=2 * pad) as isize - pad as isize;
    let flip = rng.random::<bool>();
    let mut out = vec![0f32; img.len()];
    for ch in 0..c {
        for yy in 0..h {
            for xx in 0..w {
                let sy = yy as isize + dy;
                let sx0 = xx as isize + dx;
                let sx = if flip { w as isize - 1 - sx0 } else { sx0 };
                if sy >= 0 && sy < h as isize && sx >= 0 && sx < w as isize {
                    out[ch * h * w + yy * w + xx] = img[ch * h * w + sy as usize * w + sx as usize];
                }
            }
        }
    }
    out
}
