//! One side of a comparison and its trace: the model's outputs, loss, gradients and
//! parameters through one step and a short run on a fixed batch.

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{RUN_LR, RUN_STEPS};
use crate::error::Result;
use crate::loss::{Batch, Method, Objective, TrainingSet};
use crate::model::cpu::with_burn_layers;
use crate::model::{Arch, Model, ModelConfig};
use crate::tensor::to_vec;
use crate::train::OptimConfig;

/// One side of a comparison: a device, and whether mr2's CPU kernels are turned off.
#[derive(Debug, Clone)]
pub struct Side {
    /// The device (plain; autodiff is added here).
    pub device: Device,
    /// Use burn's layers instead of mr2's kernels (only matters on the CPU).
    pub burn_layers: bool,
}

impl Side {
    fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        if self.burn_layers {
            with_burn_layers(f)
        } else {
            f()
        }
    }
}

/// Every float parameter of `module`, flattened in visiting order.
///
/// # Errors
/// The backend cannot return a parameter.
pub fn flat_params<M: Module>(module: &M) -> Result<Vec<f32>> {
    struct Collect(Vec<Tensor<1>>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0.push(param.val().flatten::<1>(0, D - 1));
        }
    }
    let mut c = Collect(vec![]);
    module.visit(&mut c);
    let mut out = Vec::new();
    for t in c.0 {
        out.extend(to_vec(t, "a parameter")?);
    }
    Ok(out)
}

/// The gradients of `module`'s parameters in visiting order (zeros where a parameter has
/// none).
fn flat_grads<M: Module>(module: &M, grads: &GradientsParams) -> Result<Vec<f32>> {
    struct Collect<'a>(&'a GradientsParams, Vec<Tensor<1>>);
    impl ModuleVisitor for Collect<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let g = match self.0.get::<D>(param.id) {
                Some(g) => Tensor::from_inner(g).flatten::<1>(0, D - 1),
                None => param.val().flatten::<1>(0, D - 1).zeros_like(),
            };
            self.1.push(g);
        }
    }
    let mut c = Collect(grads, vec![]);
    module.visit(&mut c);
    let mut out = Vec::new();
    for t in c.1 {
        out.extend(to_vec(t, "a gradient")?);
    }
    Ok(out)
}

/// What one side computed.
pub(super) struct Trace {
    pub(super) logits: Vec<f32>,
    pub(super) features: Vec<f32>,
    pub(super) loss: f32,
    pub(super) gradients: Vec<f32>,
    pub(super) step: Vec<f32>,
    pub(super) run_loss: f32,
    pub(super) run_params: Vec<f32>,
}

/// The fixed batch: `n` inputs of `shape` (standard normal, seeded) and labels `i mod k`.
fn batch(n: usize, shape: [usize; 3]) -> (Vec<f32>, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let len = n * shape.iter().product::<usize>();
    let x = (0..len)
        .map(|_| {
            // Box–Muller from two uniforms.
            let (u, v): (f64, f64) = (rng.random::<f64>().max(1e-12), rng.random());
            ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
        })
        .collect();
    (x, (0..n).map(|i| i % 10).collect())
}

/// A model of the right shape for one model × objective (seed 0, on the reference device).
/// Its weights are only a starting point: every trace loads the same record into a fresh one
/// (see [`parity`]).
pub(super) fn initial_model(
    reference: &Device,
    arch: Arch,
    shape: [usize; 3],
    method: &Method,
) -> Result<Model> {
    let cfg = ModelConfig {
        arch,
        width: 64,
        depth: 16,
        ..ModelConfig::default()
    };
    Model::new_seeded(
        &cfg,
        shape,
        10,
        method.head(),
        method.extras(),
        &reference.clone().autodiff(),
        0,
    )
}

/// One side's trace from the model `start` builds (moved to `side`'s device, so both sides
/// start from the same weights).
pub(super) fn trace(
    side: &Side,
    start: &dyn Fn() -> Result<Model>,
    shape: [usize; 3],
    method: &Method,
    n: usize,
    nudge: bool,
) -> Result<Trace> {
    let ad = side.device.clone().autodiff();
    let k = 10;
    let mut m = start()?.fork(&ad);
    let (mut xv, y) = batch(n, shape);
    if nudge {
        // One unit in the last place on every input: a rounding-sized change.
        xv.iter_mut()
            .for_each(|v| *v = f32::from_bits(v.to_bits() + 1));
    }
    let [c, h, w] = shape;
    let x = Tensor::<4>::from_data(TensorData::new(xv.clone(), [n, c, h, w]), &ad);
    let idx: Vec<usize> = (0..n).collect();
    let mut obj = Objective::new(
        method,
        &TrainingSet {
            counts: vec![n.div_ceil(k); k],
            labels: y.clone(),
            seed: 0,
        },
    )?;
    let optim = OptimConfig {
        lr: RUN_LR,
        ..OptimConfig::default()
    };
    let mut opt = optim.build();
    side.run(|| {
        // The objective's epoch plan (DRL's centroids, JTT's and LfF's state) from the model's
        // predictions on the batch, as the trainer does before each epoch.
        let data = crate::data::Dataset {
            x: xv,
            y: y.clone(),
            shape,
            classes: k,
            class_names: None,
        };
        let mut preds = || crate::eval::predict(&m.net, &data, 256, &side.device);
        obj.on_epoch_start(&mut crate::loss::EpochStart {
            epoch: 0,
            epochs: 1,
            train_predictions: &mut preds,
        })?;
        let loss_of =
            |m: &Model, obj: &mut Objective| -> Result<(Tensor<1>, Tensor<2>, Tensor<2>)> {
                let f = m.net.features(x.clone());
                let logits = m.net.logits(f.clone());
                let biased_logits = m.biased.as_ref().map(|b| b.forward(x.clone()).0);
                let t = obj.loss(&Batch {
                    logits: logits.clone(),
                    features: f.clone(),
                    labels: &y,
                    indices: &idx,
                    model: m,
                    biased_logits,
                })?;
                Ok((t.total, logits, f))
            };
        let (total, logits, features) = loss_of(&m, &mut obj)?;
        let loss = to_vec(total.clone(), "the loss")?[0];
        let logits = to_vec(logits.detach(), "the logits")?;
        let features = to_vec(features.detach(), "the features")?;
        let grads = GradientsParams::from_grads(total.backward(), &m);
        let gradients = flat_grads(&m, &grads)?;
        m = opt.step(optim.lr, m, grads);
        let step = flat_params(&m)?;
        let mut run_loss = loss;
        for _ in 1..RUN_STEPS {
            let (total, _, _) = loss_of(&m, &mut obj)?;
            run_loss = to_vec(total.clone(), "the loss")?[0];
            let grads = GradientsParams::from_grads(total.backward(), &m);
            m = opt.step(optim.lr, m, grads);
        }
        Ok(Trace {
            logits,
            features,
            loss,
            gradients,
            step,
            run_loss,
            run_params: flat_params(&m)?,
        })
    })
}
