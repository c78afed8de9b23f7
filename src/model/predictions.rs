//! A model's outputs on a dataset: logits and penultimate features ([`Predictions`], from
//! [`predict`]), and what is read off them directly (accuracy, per-class accuracy, margins,
//! feature statistics). Below `loss` (objectives read predictions at epoch starts) and `eval`
//! (which aggregates them), so both import downwards.

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use ndarray::ArrayView2;

use super::Net;
use crate::data::Dataset;
use crate::error::Result;
use crate::tensor::to_vec;
use crate::theory::{margin, moments};

/// Logits and penultimate features of a dataset under a model.
#[derive(Debug, Clone)]
pub struct Predictions {
    /// `n × K` logits.
    pub logits: Vec<f32>,
    /// `n × d` features.
    pub features: Vec<f32>,
    /// Feature dimension `d`.
    pub d: usize,
    /// Classes `K`.
    pub k: usize,
    /// True labels.
    pub labels: Vec<usize>,
}

/// Run `model` (in validation mode: batch-norm running statistics, no autodiff) over `data`.
///
/// # Errors
/// The backend cannot return the outputs.
pub fn predict(model: &Net, data: &Dataset, batch: usize, device: &Device) -> Result<Predictions> {
    let model = model.valid();
    let [c, h, w] = data.shape;
    let mut logits = Vec::with_capacity(data.len() * data.classes);
    let mut features = Vec::new();
    let mut d = 0;
    for start in (0..data.len()).step_by(batch.max(1)) {
        let end = (start + batch).min(data.len());
        let x = Tensor::<4>::from_data(
            TensorData::new(
                data.x[start * c * h * w..end * c * h * w].to_vec(),
                [end - start, c, h, w],
            ),
            device,
        );
        let (l, f) = model.forward(x);
        d = f.dims()[1];
        logits.extend(to_vec(l, "logits")?);
        features.extend(to_vec(f, "features")?);
    }
    Ok(Predictions {
        logits,
        features,
        d,
        k: data.classes,
        labels: data.y.clone(),
    })
}

impl Predictions {
    /// Logit row of sample `i` as f64.
    pub fn row(&self, i: usize) -> Vec<f64> {
        self.logits[i * self.k..(i + 1) * self.k]
            .iter()
            .map(|v| f64::from(*v))
            .collect()
    }
    /// Predicted class of sample `i` (first arg-max).
    pub fn predicted(&self, i: usize) -> usize {
        let r = &self.logits[i * self.k..(i + 1) * self.k];
        (0..self.k).fold(0, |b, j| if r[j] > r[b] { j } else { b })
    }
    /// Fraction correct.
    pub fn accuracy(&self) -> f64 {
        if self.labels.is_empty() {
            return 0.0;
        }
        (0..self.labels.len())
            .filter(|&i| self.predicted(i) == self.labels[i])
            .count() as f64
            / self.labels.len() as f64
    }
    /// Accuracy per class (NaN for a class with no samples).
    pub fn per_class_accuracy(&self) -> Vec<f64> {
        let mut hit = vec![0usize; self.k];
        let mut tot = vec![0usize; self.k];
        for (i, &y) in self.labels.iter().enumerate() {
            tot[y] += 1;
            hit[y] += usize::from(self.predicted(i) == y);
        }
        hit.iter()
            .zip(&tot)
            .map(|(h, t)| {
                if *t == 0 {
                    f64::NAN
                } else {
                    *h as f64 / *t as f64
                }
            })
            .collect()
    }
    /// Output-level margin `P(y|x) − max_{y'≠y} P(y'|x)` per sample (Table 4), with the
    /// probabilities `softmax(scale·z)` (`scale` = the logit scale the objective trains with: 1,
    /// or `s` for the scaled cosine losses).
    pub fn output_margins(&self, scale: f64) -> Vec<f64> {
        (0..self.labels.len())
            .map(|i| {
                let z: Vec<f64> = self.row(i).iter().map(|v| v * scale).collect();
                margin::output_margin(&z, self.labels[i])
            })
            .collect()
    }
    /// Per-class `(‖μ̂_k‖, ‖ŝ_k‖)` of the features (None for an absent class).
    pub fn class_feature_stats(&self) -> Vec<Option<(f64, f64)>> {
        let f: Vec<f64> = self.features.iter().map(|v| f64::from(*v)).collect();
        let Ok(view) = ArrayView2::from_shape((self.labels.len(), self.d), &f) else {
            return vec![None; self.k];
        };
        moments::class_moments(view, &self.labels, self.k, 2.0)
            .map(|s| {
                s.into_iter()
                    .map(|c| c.map(|c| (c.mean_sq_norm.sqrt(), c.msd.sqrt())))
                    .collect()
            })
            .unwrap_or_else(|_| vec![None; self.k])
    }
}
