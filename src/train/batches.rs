//! One epoch's batches: the sample order, the inputs (with augmentation), and per batch the
//! forward pass, the objective, the backward pass and the optimiser (or SAM) step.

use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::optim::{sam_perturbed, OptimConfig};
use crate::data::{transform, Dataset};
use crate::error::{Error, Result};
use crate::loss::{Batch, Objective};
use crate::model::Model;
use crate::tensor::{scalar, to_vec_int};

/// The random stream `stream` of epoch `epoch` of a run seeded `seed` (1: the sample order,
/// 2: augmentation): a function of the three alone, so a resumed run draws the same numbers.
pub(super) fn rng_for(seed: u64, epoch: usize, stream: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(stream.wrapping_mul(1_000_003).wrapping_add(epoch as u64));
    r
}

/// The epoch's sample order: each sample `repeats[i]` times (once without), shuffled by a
/// stream derived from `(seed, epoch)` so a resumed run sees the same order.
pub(super) fn epoch_order(
    repeats: Option<&[usize]>,
    n: usize,
    seed: u64,
    epoch: usize,
) -> Vec<usize> {
    let mut order: Vec<usize> = match repeats {
        Some(r) => (0..n).flat_map(|i| std::iter::repeat_n(i, r[i])).collect(),
        None => (0..n).collect(),
    };
    order.shuffle(&mut rng_for(seed, epoch, 1));
    order
}

pub(super) fn progress_bar(shown: bool, b: &Batches<'_>, total: usize) -> indicatif::ProgressBar {
    if !shown {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(b.count() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg} eta {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_prefix(format!("epoch {}/{total}", b.epoch + 1));
    bar
}

/// The input tensor of the samples `chunk` of `data`: with `augment = Some(pad)` each image
/// is randomly cropped (zero padding `pad`) and flipped, drawing from `rng`; flat feature
/// vectors are never augmented. This is the training loop's whole data pipeline after the
/// one-off decoding (what `bench --pipeline` times against the training step).
pub fn batch_input(
    data: &Dataset,
    chunk: &[usize],
    augment: Option<usize>,
    rng: &mut ChaCha8Rng,
    device: &Device,
) -> Tensor<4> {
    let [c, h, w] = data.shape;
    let image = h > 1 && w > 1;
    let mut xb = Vec::with_capacity(chunk.len() * c * h * w);
    for &i in chunk {
        match (augment, image) {
            (Some(pad), true) => {
                xb.extend(transform::crop_flip(data.sample(i), data.shape, pad, rng));
            }
            _ => xb.extend_from_slice(data.sample(i)),
        }
    }
    Tensor::<4>::from_data(TensorData::new(xb, [chunk.len(), c, h, w]), device)
}

/// What an epoch's batches add up to.
#[derive(Debug, Clone, Copy)]
pub(super) struct EpochSums {
    pub(super) loss_sum: f64,
    pub(super) seen: usize,
    pub(super) correct: usize,
    /// The learning rate of the last step.
    pub(super) lr: f64,
    /// Seconds spent building the inputs (augmentation, batching, copy to the device).
    pub(super) data_seconds: f64,
    /// Seconds of the whole pass over the batches (inputs included).
    pub(super) seconds: f64,
}

/// Why an epoch's batches stopped.
pub(super) enum BatchError {
    /// A non-finite loss on batch `batch` (the caller says what is on disk).
    Diverged {
        loss: f64,
        batch: usize,
    },
    Other(Error),
}

impl From<Error> for BatchError {
    fn from(e: Error) -> Self {
        Self::Other(e)
    }
}

/// One epoch's batches over the training set.
pub(super) struct Batches<'a> {
    pub(super) train: &'a Dataset,
    pub(super) order: Vec<usize>,
    pub(super) batch_size: usize,
    /// Crop + flip with this padding, or none.
    pub(super) augment: Option<usize>,
    pub(super) seed: u64,
    pub(super) epoch: usize,
    pub(super) device: &'a Device,
}

impl Batches<'_> {
    fn count(&self) -> usize {
        self.order.len().div_ceil(self.batch_size)
    }

    /// The images of `chunk` (cropped and flipped with `augment` on images).
    fn input(&self, chunk: &[usize], rng: &mut ChaCha8Rng) -> Tensor<4> {
        batch_input(self.train, chunk, self.augment, rng, self.device)
    }

    /// Forward, objective, backward and an optimiser (or SAM) step per batch; batches of one
    /// sample are skipped. `phase` is `(epoch, epochs)` within the schedule's stage.
    pub(super) fn train(
        &self,
        mut model: Model,
        opt: &mut ModuleOptimizer,
        optim: &OptimConfig,
        phase: (usize, usize),
        objective: &mut Objective,
        bar: &indicatif::ProgressBar,
    ) -> std::result::Result<(Model, EpochSums), BatchError> {
        let mut aug_rng = rng_for(self.seed, self.epoch, 2);
        let per_epoch = self.count();
        let mut sums = EpochSums {
            loss_sum: 0.0,
            seen: 0,
            correct: 0,
            lr: optim.lr,
            data_seconds: 0.0,
            seconds: 0.0,
        };
        let start = std::time::Instant::now();
        for (it, chunk) in self.order.chunks(self.batch_size).enumerate() {
            if chunk.len() < 2 {
                continue;
            }
            let t_data = std::time::Instant::now();
            let x = self.input(chunk, &mut aug_rng);
            sums.data_seconds += t_data.elapsed().as_secs_f64();
            let yb: Vec<usize> = chunk.iter().map(|&i| self.train.y[i]).collect();
            let batch_loss = |m: &Model, obj: &mut Objective| -> Result<(Tensor<1>, Tensor<2>)> {
                let f = m.net.features(x.clone());
                let logits = m.net.logits(f.clone());
                let biased_logits = m.biased.as_ref().map(|b| b.forward(x.clone()).0);
                let terms = obj.loss(&Batch {
                    logits: logits.clone(),
                    features: f,
                    labels: &yb,
                    indices: chunk,
                    model: m,
                    biased_logits,
                })?;
                Ok((terms.total, logits))
            };
            let (total_loss, logits) = batch_loss(&model, objective)?;
            let preds = to_vec_int(logits.detach().argmax(1), "predictions")?;
            sums.correct += preds
                .iter()
                .zip(&yb)
                .filter(|(p, y)| **p as usize == **y)
                .count();
            let lv = scalar(total_loss.clone(), "loss")?;
            if !lv.is_finite() {
                bar.finish_and_clear();
                return Err(BatchError::Diverged {
                    loss: lv,
                    batch: it,
                });
            }
            sums.loss_sum += lv * chunk.len() as f64;
            sums.seen += chunk.len();
            sums.lr = optim.lr_at(phase.0, it, per_epoch, phase.1);
            let grads = GradientsParams::from_grads(total_loss.backward(), &model);
            let grads = if optim.sam_rho > 0.0 {
                // SAM: the gradient at the perturbed weights, on the same batch; the objective's
                // state is not advanced a second time.
                let perturbed = sam_perturbed(&model, &grads, optim.sam_rho)?;
                let mut probe = objective.clone();
                let (l2, _) = batch_loss(&perturbed, &mut probe)?;
                GradientsParams::from_grads(l2.backward(), &perturbed)
            } else {
                grads
            };
            model = opt.step(sums.lr, model, grads);
            bar.inc(1);
            bar.set_message(format!("loss {:.4}", sums.loss_sum / sums.seen as f64));
        }
        sums.seconds = start.elapsed().as_secs_f64();
        Ok((model, sums))
    }
}
