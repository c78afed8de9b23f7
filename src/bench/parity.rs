//! Device parity: the same model, weights, batch and objective on a reference and a candidate
//! compute path, compared at each stage of a training step — the forward logits and features,
//! the loss, the gradients of one backward pass, the parameters after one SGD step, and the
//! loss and parameters after 20 steps on the fixed batch.
//!
//! On a GPU the reference is the CPU (Flex with mr2's kernels) and the candidate the GPU
//! (`bench --parity --device cuda`, what `scripts/gpu-check.sh` runs). Without one, the
//! candidate is the CPU with burn's own layers instead of mr2's kernels: the same harness, the
//! check the test suite runs, and a test of mr2's kernels against burn's ops end to end.
//!
//! Each difference is relative in the L2 norm, ‖candidate − reference‖ / ‖reference‖, over the
//! whole tensor (all parameters for the gradients and the steps).

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::MODELS;
use crate::error::{invalid, Result};
use crate::loss::{Batch, Method, Objective, TrainingSet};
use crate::model::cpu::with_burn_layers;
use crate::model::{Arch, Model, ModelConfig};
use crate::tensor::to_vec;
use crate::train::{DeviceChoice, OptimConfig};

/// Steps of the short run on the fixed batch.
pub const RUN_STEPS: usize = 20;

/// How far the candidate's 20-step run may drift, in multiples of the drift the reference
/// shows when every input moves by one ulp (the run's own sensitivity to rounding): a
/// rounding-level difference drifts like that nudge, a wrong term does not stay within 4×
/// of it. The fixed [`Tolerances::run`] applies where the nudge drifts less.
pub const CHAOS_FACTOR: f64 = 4.0;

/// The short run's learning rate (SGD, momentum 0.9, weight decay 5e-4): small enough that 20
/// steps on one batch stay in the smooth regime where a rounding difference is not amplified
/// by a factor of thousands (at lr 0.05 the two CPU paths of ResNet-20 drift apart by up to 36%).
pub const RUN_LR: f64 = 0.01;

/// The relative tolerance of each stage (relative L2 differences).
///
/// CPU against CPU: only the summation order differs between mr2's kernels and burn's ops.
/// - forward, loss: f32 dot products of ≤ 576 terms (3·3·64) carry ≈ √576·2⁻²⁴ ≈ 1.4e-6
///   relative rounding per layer; measured ≤ 9e-7 on ResNet-20/32 at batch 16; bound 1e-5.
/// - gradients: a ReLU whose input lies within rounding of 0 can switch on one path and not
///   the other, and then passes (or blocks) that unit's whole gradient. One such switch in a
///   layer of `U` units changes the gradients below it by ≈ 1/√U relative (U = 16·32·16·16 at
///   batch 16 in ResNet's middle stage: 2.8e-3, as measured: 2.9e-3 for CE on ResNet-20).
///   Expected switches per network are ≈ 0.1–1 (units within 1e-7 of the kink); 2e-2 allows
///   five, and a wrong gradient formula is off by O(1).
/// - one SGD step: parameters move by lr·g ≪ ‖w‖, so they agree far better than the
///   gradients (measured ≤ 1.1e-5); bound 1e-4.
/// - 20 steps at lr 0.01 on one batch: each step adds its own switches and the map amplifies
///   them (measured ≤ 3.5e-2 on ResNet-20 for CE and MR², up to 1.9e-1 for LDAM's scaled
///   logits on ResNet-32); bound 1e-1, or [`CHAOS_FACTOR`] times the drift of the reference
///   itself under a one-ulp nudge of the inputs where that is larger.
///
/// GPU (a hypothesis until a GPU run checks it): matmuls and convolutions may round inputs to
/// TF32 (10-bit mantissa, 2⁻¹¹ ≈ 4.9e-4 relative per product), so the forward bound is 2e-3;
/// kink switches are ~500× likelier (√500 ≈ 22× the gradient difference), bounded at 1e-1;
/// the step and the run at 1e-3 and 2e-1.
#[derive(Debug, Clone, Copy)]
pub struct Tolerances {
    /// Logits and features.
    pub forward: f64,
    /// The loss.
    pub loss: f64,
    /// The gradients of one backward pass.
    pub gradients: f64,
    /// The parameters after one step.
    pub step: f64,
    /// The loss and parameters after [`RUN_STEPS`] steps.
    pub run: f64,
}

impl Tolerances {
    /// CPU against CPU (mr2's kernels against burn's ops).
    pub const CPU: Self = Self {
        forward: 1e-5,
        loss: 1e-5,
        gradients: 2e-2,
        step: 1e-4,
        run: 1e-1,
    };
    /// CPU against a GPU.
    pub const GPU: Self = Self {
        forward: 2e-3,
        loss: 2e-3,
        gradients: 1e-1,
        step: 1e-3,
        run: 2e-1,
    };
}

impl Tolerances {
    /// The tolerances for objective `name`: DRL's ten times wider (its forward pass is the
    /// network's, unchanged). DRL's distances
    /// `√(‖φ‖² + ‖μ‖² − 2φ·μ)` cancel where a feature lies near its class centre (relative
    /// rounding error ≈ 2⁻²⁴·‖φ‖²/‖φ − μ‖²), and it divides them by a temperature τ = 0.1, so
    /// its loss and gradients carry one more order of rounding than the others on any device.
    pub fn for_objective(self, name: &str) -> Self {
        if name == "drl" {
            Self {
                forward: self.forward,
                loss: self.loss * 10.0,
                gradients: self.gradients * 10.0,
                step: self.step * 10.0,
                run: self.run * 10.0,
            }
        } else {
            self
        }
    }
}

/// The objective `name` as the experiment grids run it: FairDRO with its simplex projection
/// (`nonnegative = true`; as in its code it gives a class a negative weight at K = 10 and
/// diverges, README "Objectives"), every other with its defaults.
///
/// # Errors
/// An unknown name.
pub fn parity_method(name: &str) -> Result<Method> {
    let m = Method::from_name(name)?;
    if name == "fair-dro" {
        m.with_params(&[("nonnegative".into(), true.into())], "parity")
    } else {
        Ok(m)
    }
}

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

/// The reference and the candidate for a device given on the command line, with the
/// tolerances that apply: the CPU with mr2's kernels against the device (against the CPU with
/// burn's own layers for `cpu`).
///
/// # Errors
/// The device cannot be opened ([`DeviceChoice::open`]).
pub fn sides(device: DeviceChoice) -> Result<(Side, Side, Tolerances)> {
    let reference = Side {
        device: crate::train::device(),
        burn_layers: false,
    };
    Ok(match device {
        DeviceChoice::Cpu => (
            reference.clone(),
            Side {
                device: crate::train::device(),
                burn_layers: true,
            },
            Tolerances::CPU,
        ),
        d => (
            reference,
            Side {
                device: d.open()?,
                burn_layers: false,
            },
            Tolerances::GPU,
        ),
    })
}

/// The models and objectives to compare: the one named, or all.
pub fn names<'a>(model: Option<&'a str>, loss: Option<&'a str>) -> (Vec<&'a str>, Vec<&'a str>) {
    (
        model.map_or_else(|| MODELS.iter().map(|m| m.0).collect(), |m| vec![m]),
        loss.map_or_else(
            || crate::loss::METHODS.iter().map(|m| m.name).collect(),
            |l| vec![l],
        ),
    )
}

/// One compared quantity.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ParityRow {
    /// Model name ([`MODELS`], the benchmarked models).
    pub model: String,
    /// Objective name.
    pub objective: String,
    /// `logits`, `features`, `loss`, `gradients`, `step`, `run loss`, `run parameters`.
    pub check: String,
    /// ‖candidate − reference‖₂ / ‖reference‖₂.
    pub rel_diff: f64,
    /// The tolerance it is held to.
    pub tolerance: f64,
}

impl ParityRow {
    /// Within tolerance (and finite).
    pub fn pass(&self) -> bool {
        self.rel_diff.is_finite() && self.rel_diff <= self.tolerance
    }
}

/// ‖candidate − reference‖₂ / ‖reference‖₂ (∞ on a length mismatch or a non-finite value;
/// the absolute difference where the reference is all zeros).
pub fn rel_diff(reference: &[f32], candidate: &[f32]) -> f64 {
    if reference.len() != candidate.len() {
        return f64::INFINITY;
    }
    let num: f64 = reference
        .iter()
        .zip(candidate)
        .map(|(a, b)| f64::from(a - b).powi(2))
        .sum();
    let den: f64 = reference.iter().map(|a| f64::from(*a).powi(2)).sum();
    let d = if den > 0.0 {
        (num / den).sqrt()
    } else {
        num.sqrt()
    };
    if d.is_nan() {
        f64::INFINITY
    } else {
        d
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
struct Trace {
    logits: Vec<f32>,
    features: Vec<f32>,
    loss: f32,
    gradients: Vec<f32>,
    step: Vec<f32>,
    run_loss: f32,
    run_params: Vec<f32>,
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
fn initial_model(
    reference: &Device,
    arch: Arch,
    shape: [usize; 3],
    method: &Method,
) -> Result<Model> {
    let cfg = ModelConfig {
        arch,
        width: 64,
        depth: 16,
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
fn trace(
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

/// Compare `candidate` with `reference` for every model × objective named, on a batch of `n`.
///
/// # Errors
/// An unknown model or objective name (named), fewer than 2 samples, backend failures.
pub fn parity(
    reference: &Side,
    candidate: &Side,
    models: &[&str],
    objectives: &[&str],
    n: usize,
    tol: Tolerances,
) -> Result<Vec<ParityRow>> {
    if n < 2 {
        return Err(invalid("--batch", n, "parity needs at least 2 samples"));
    }
    let mut rows = Vec::new();
    for name in models {
        let Some(&(_, arch, shape)) = MODELS.iter().find(|m| m.0 == *name) else {
            return Err(invalid(
                "--model",
                name,
                "must be one of mlp, cnn, resnet20, resnet32",
            ));
        };
        for o in objectives {
            let method = parity_method(o)?;
            let tol = tol.for_objective(o);
            // Every trace starts from one record loaded into a fresh model. Rebuilding from
            // the seed would trust burn's process-global RNG to be untouched in between (a
            // concurrent unlocked draw changes the weights), and a clone would share the
            // batch-norm running statistics, which training updates in place.
            let record = initial_model(&reference.device, arch, shape, &method)?.into_record();
            let start = || -> Result<Model> {
                Ok(initial_model(&reference.device, arch, shape, &method)?
                    .load_record(record.clone()))
            };
            let a = trace(reference, &start, shape, &method, n, false)?;
            let b = trace(candidate, &start, shape, &method, n, false)?;
            // The 20-step run's own sensitivity: the reference again with every input one
            // ulp away. Steps through ReLU kinks amplify any rounding difference; the
            // candidate may drift up to CHAOS_FACTOR times as far as this.
            let z = trace(reference, &start, shape, &method, n, true)?;
            let floor_loss = rel_diff(&[a.run_loss], &[z.run_loss]);
            let floor_params = rel_diff(&a.run_params, &z.run_params);
            let run_tol = |floor: f64| tol.run.max(CHAOS_FACTOR * floor);
            let mut row = |check: &str, d: f64, t: f64| {
                rows.push(ParityRow {
                    model: name.to_string(),
                    objective: o.to_string(),
                    check: check.into(),
                    rel_diff: d,
                    tolerance: t,
                })
            };
            row("logits", rel_diff(&a.logits, &b.logits), tol.forward);
            row("features", rel_diff(&a.features, &b.features), tol.forward);
            row("loss", rel_diff(&[a.loss], &[b.loss]), tol.loss);
            row(
                "gradients",
                rel_diff(&a.gradients, &b.gradients),
                tol.gradients,
            );
            row("step", rel_diff(&a.step, &b.step), tol.step);
            row(
                "run loss",
                rel_diff(&[a.run_loss], &[b.run_loss]),
                run_tol(floor_loss),
            );
            row(
                "run parameters",
                rel_diff(&a.run_params, &b.run_params),
                run_tol(floor_params),
            );
        }
    }
    Ok(rows)
}

/// The comparison as a table, one line per model × objective (the worst ratio of difference
/// to tolerance, and every check's difference), and a last line with the verdict.
pub fn parity_table(rows: &[ParityRow]) -> String {
    let checks = [
        "logits",
        "features",
        "loss",
        "gradients",
        "step",
        "run loss",
        "run parameters",
    ];
    let mut t = format!("{:<9} {:<15}", "model", "objective");
    for c in checks {
        t.push_str(&format!(" {c:>14}"));
    }
    t.push_str("  verdict\n");
    let mut keys: Vec<(&str, &str)> = Vec::new();
    for r in rows {
        if !keys.contains(&(r.model.as_str(), r.objective.as_str())) {
            keys.push((&r.model, &r.objective));
        }
    }
    for (m, o) in &keys {
        let mine: Vec<&ParityRow> = rows
            .iter()
            .filter(|r| r.model == *m && r.objective == *o)
            .collect();
        t.push_str(&format!("{m:<9} {o:<15}"));
        for c in checks {
            match mine.iter().find(|r| r.check == c) {
                Some(r) => t.push_str(&format!(" {:>14.2e}", r.rel_diff)),
                None => t.push_str(&format!(" {:>14}", "—")),
            }
        }
        let ok = mine.iter().all(|r| r.pass());
        t.push_str(if ok { "  ok\n" } else { "  FAIL\n" });
    }
    let failed = rows.iter().filter(|r| !r.pass()).count();
    t.push_str(&format!(
        "{} of {} checks within tolerance{}\n",
        rows.len() - failed,
        rows.len(),
        if failed == 0 { "" } else { " — FAILED" }
    ));
    t
}
