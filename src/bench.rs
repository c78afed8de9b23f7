//! Training-step timing: forward, objective, backward and optimiser step of one model on a
//! fixed random batch (what `bench` reports).

use std::time::Instant;

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::{Distribution, Tensor};

use crate::error::Result;
use crate::loss::{Batch, Method, Objective, TrainingSet};
use crate::model::{Arch, Model, ModelConfig};
use crate::train::{device, OptimConfig};

/// One timing: the architecture, input shape and objective, batch size and step counts.
#[derive(Debug, Clone)]
pub struct StepTiming {
    /// Architecture.
    pub arch: Arch,
    /// Input shape `[c, h, w]`.
    pub shape: [usize; 3],
    /// Objective.
    pub method: Method,
    /// Batch size.
    pub batch: usize,
    /// Timed steps.
    pub steps: usize,
    /// Untimed warm-up steps.
    pub warmup: usize,
}

impl StepTiming {
    /// Milliseconds per training step (SGD, momentum 0.9, dampening 0; 10 classes; MLP width
    /// 256).
    ///
    /// # Errors
    /// Model or objective construction, backend failures.
    pub fn ms_per_step(&self) -> Result<f64> {
        let dev = device().autodiff();
        let cfg = ModelConfig {
            arch: self.arch,
            width: 256,
            depth: 16,
        };
        let k = 10;
        let mut model = Model::new_seeded(
            &cfg,
            self.shape,
            k,
            self.method.head(),
            self.method.extras(),
            &dev,
            0,
        )?;
        let mut opt = OptimConfig {
            weight_decay: 0.0,
            ..OptimConfig::default()
        }
        .build();
        let y: Vec<usize> = (0..self.batch).map(|i| (i * 7) % k).collect();
        let idx: Vec<usize> = (0..self.batch).collect();
        let mut obj = Objective::new(
            &self.method,
            &TrainingSet {
                counts: vec![self.batch / k + 1; k],
                labels: y.clone(),
                seed: 0,
            },
        )?;
        let [c, h, w] = self.shape;
        let x = Tensor::<4>::random([self.batch, c, h, w], Distribution::Normal(0.0, 1.0), &dev);
        let mut step = |model: Model, obj: &mut Objective| -> Result<Model> {
            let f = model.net.features(x.clone());
            let logits = model.net.logits(f.clone());
            let biased_logits = model.biased.as_ref().map(|b| b.forward(x.clone()).0);
            let t = obj.loss(&Batch {
                logits,
                features: f,
                labels: &y,
                indices: &idx,
                model: &model,
                biased_logits,
            })?;
            let grads = GradientsParams::from_grads(t.total.backward(), &model);
            Ok(opt.step(0.01, model, grads))
        };
        for _ in 0..self.warmup {
            model = step(model, &mut obj)?;
        }
        let t0 = Instant::now();
        for _ in 0..self.steps {
            model = step(model, &mut obj)?;
        }
        let _ = model.valid();
        Ok(t0.elapsed().as_secs_f64() * 1e3 / self.steps.max(1) as f64)
    }
}
