//! The data pipeline against the training step: building one augmented CIFAR-shaped batch
//! (random crop with padding 4, flip, the copy into a device tensor; [`batch_input`]) timed
//! against one training step of ResNet-20 and ResNet-32 on the same batch size. The training
//! log prints the same split per epoch (`metrics.csv`: `step_seconds`, `data_seconds`).

use std::time::Instant;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::{bench_method, median, StepTiming, MODELS};
use crate::data::Dataset;
use crate::error::Result;
use crate::train::{batch_input, device};

/// One model's split.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PipelineTiming {
    /// `resnet20` or `resnet32`.
    pub model: String,
    /// Batch size.
    pub batch: usize,
    /// Milliseconds per training step (cross-entropy).
    pub step_ms: f64,
    /// Milliseconds to build the step's augmented input batch (median over the rounds).
    pub data_ms: f64,
}

impl PipelineTiming {
    /// The pipeline's time as a fraction of the step's.
    pub fn share(&self) -> f64 {
        self.data_ms / self.step_ms
    }
}

/// Random CIFAR-shaped images (`n` of 3×32×32, 10 classes).
fn cifar_shaped(n: usize) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let x = (0..n * 3 * 32 * 32)
        .map(|_| rand::Rng::random::<f32>(&mut rng))
        .collect();
    Dataset {
        x,
        y: (0..n).map(|i| i % 10).collect(),
        shape: [3, 32, 32],
        classes: 10,
        class_names: None,
    }
}

/// Milliseconds to build one augmented batch of `batch` images: the median of `rounds`
/// timings, each the mean over `reps` batches.
///
/// # Errors
/// None expected; kept fallible like the step timings.
pub fn data_ms(batch: usize, reps: usize, rounds: usize) -> Result<f64> {
    let data = cifar_shaped(batch * 4);
    let dev = device();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut v = Vec::with_capacity(rounds);
    for _ in 0..rounds.max(1) {
        let t0 = Instant::now();
        for r in 0..reps.max(1) {
            let start = (r % 4) * batch;
            let idx: Vec<usize> = (start..start + batch).collect();
            let t = batch_input(&data, &idx, Some(4), &mut rng, &dev);
            std::hint::black_box(t);
        }
        v.push(t0.elapsed().as_secs_f64() * 1e3 / reps.max(1) as f64);
    }
    Ok(median(&mut v))
}

/// The split for ResNet-20 and ResNet-32 at `batch`: `steps` timed training steps after
/// `warmup`, and the pipeline over 20 batches in `rounds` rounds.
///
/// # Errors
/// Training-step failures.
pub fn pipeline(
    batch: usize,
    steps: usize,
    warmup: usize,
    rounds: usize,
) -> Result<Vec<PipelineTiming>> {
    let mut out = Vec::new();
    // The CIFAR-shaped models: ResNet-20 and ResNet-32.
    for &(name, arch, _) in MODELS.iter().filter(|m| m.2 == [3, 32, 32]) {
        let step_ms = StepTiming {
            arch,
            shape: [3, 32, 32],
            method: bench_method("ce")?,
            batch,
            steps: steps.max(1),
            warmup,
            device: Default::default(),
            input: None,
        }
        .ms_per_step()?;
        out.push(PipelineTiming {
            model: name.into(),
            batch,
            step_ms,
            data_ms: data_ms(batch, 20, rounds)?,
        });
    }
    Ok(out)
}

/// The split as a table.
pub fn pipeline_table(rows: &[PipelineTiming]) -> String {
    let mut t = format!(
        "{:<10} {:>6} {:>10} {:>14} {:>12}\n",
        "model", "batch", "step ms", "pipeline ms", "% of step"
    );
    for r in rows {
        t.push_str(&format!(
            "{:<10} {:>6} {:>10.1} {:>14.2} {:>11.2}%\n",
            r.model,
            r.batch,
            r.step_ms,
            r.data_ms,
            100.0 * r.share()
        ));
    }
    t.push_str("(pipeline: crop with padding 4 + flip of CIFAR-shaped images and the copy into a device tensor; the limit is 10% of the step)\n");
    t
}
