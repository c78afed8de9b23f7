//! The fp32 ceiling of a training step on this CPU: the multiply-adds of a network's
//! convolutions as the unfolded products compute them, against the rate of one large f32
//! matrix product here (`bench --ops` prints both beside the measured step).

use super::ops::{layers, time, Layer};
use mr2_kernels::matmul::{matmul, MatRef};

/// Floating-point operations (2 per multiply-add) of `model`'s convolutions in one training
/// step at `batch`: forward, weight gradient and — except for the first layer, whose input
/// needs none — input gradient, each `2 · batch · C_out · C_in · kh · kw · H_out · W_out`.
/// Batch norm, pooling and the loss are not counted (they are memory-bound).
pub fn conv_flops(model: &str, batch: usize) -> f64 {
    layers(model, batch)
        .into_iter()
        .map(|l| match l {
            Layer::Conv { g, count, .. } => {
                let [ho, wo] = g.output_size().expect("benchmark geometry");
                let one =
                    2.0 * (g.batch * g.c_out * g.c_in * g.kernel[0] * g.kernel[1] * ho * wo) as f64;
                let first = g.c_in == 3 || g.c_in == 1;
                one * if first { 2.0 } else { 3.0 } * count as f64
            }
            _ => 0.0,
        })
        .sum()
}

/// GFLOP/s of an `n × n` by `n × n` f32 product on all of rayon's threads (median of `reps`
/// calls after one warm-up; the same `gemm` kernels as the convolutions).
pub fn gemm_rate(n: usize, reps: usize) -> f64 {
    let a: Vec<f32> = (0..n * n)
        .map(|i| ((i % 97) as f32 - 48.0) / 97.0)
        .collect();
    let b: Vec<f32> = (0..n * n)
        .map(|i| ((i % 89) as f32 - 44.0) / 89.0)
        .collect();
    let mut c = vec![0.0f32; n * n];
    let ms = time(reps, || {
        matmul(
            &mut c,
            MatRef::row_major(&a, n, n),
            MatRef::row_major(&b, n, n),
            false,
            true,
        );
    });
    2.0 * (n as f64).powi(3) / (ms * 1e-3) / 1e9
}

/// The ceiling line for a measured step of `step_ms`: its convolution GFLOP, the least time
/// they take at the product rate `rate` (GFLOP/s), and that time's share of the step — an
/// unfolded fp32 step cannot be faster than that floor, whatever the rest costs.
pub fn ceiling_line(model: &str, batch: usize, step_ms: f64, rate: f64) -> String {
    let gflop = conv_flops(model, batch) / 1e9;
    let floor_ms = gflop / rate * 1e3;
    format!(
        "{model} fp32 ceiling: {gflop:.1} GFLOP of convolution products per step (batch {batch}); at this CPU's {rate:.0} GFLOP/s (2048³ f32 product) they take at least {floor_ms:.0} ms — {:.0}% of the measured {step_ms:.0} ms step\n",
        100.0 * floor_ms / step_ms
    )
}
