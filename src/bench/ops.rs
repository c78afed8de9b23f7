//! The per-operation table: every convolution, batch norm and pooling of a benchmarked network
//! timed on its own — mr2's kernels against burn's Flex operations on the same tensors — and
//! summed over the network's layers, so the next bottleneck is visible.

use std::time::Instant;

use burn::backend::flex::{FlexTensor, Layout};
use burn::backend::ops::{ConvOptions, ModuleOps};
use burn::backend::Flex;
use burn::tensor::{Bytes, DType, IntDType, Shape};
use mr2_kernels::{batch_norm as bn, conv, pool};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::median;

/// One layer shape of a network and how often it occurs.
#[derive(Debug, Clone, Copy)]
pub enum Layer {
    /// A convolution (3×3 pad 1, or 1×1 pad 0) with its repeat count.
    Conv {
        /// Geometry (batch included).
        g: conv::Conv2d,
        /// Has a bias.
        bias: bool,
        /// Occurrences.
        count: usize,
    },
    /// A batch norm `[batch, channels, spatial]` (+ ReLU, + residual) with its repeat count.
    BatchNorm {
        /// Shape.
        s: bn::Shape,
        /// Fused residual add.
        residual: bool,
        /// Occurrences.
        count: usize,
    },
    /// A 2×2 stride-2 max pool.
    Pool {
        /// Geometry.
        g: pool::Pool2d,
        /// Occurrences.
        count: usize,
    },
}

fn conv3(batch: usize, c_in: usize, c_out: usize, hw: usize, stride: usize) -> conv::Conv2d {
    conv::Conv2d {
        batch,
        c_in,
        h: hw,
        w: hw,
        c_out,
        kernel: [3, 3],
        stride: [stride; 2],
        padding: [(1, 1); 2],
        dilation: [1, 1],
    }
}

/// The layers of a benchmarked model (`cnn` on 1×28×28, `resnet20` on 3×32×32).
pub fn layers(model: &str, batch: usize) -> Vec<Layer> {
    let bnl = |channels, hw: usize, residual, count| Layer::BatchNorm {
        s: bn::Shape {
            batch,
            channels,
            spatial: hw * hw,
        },
        residual,
        count,
    };
    match model {
        "cnn" => vec![
            Layer::Conv {
                g: conv3(batch, 1, 16, 28, 1),
                bias: true,
                count: 1,
            },
            pool2(batch * 16, 28),
            Layer::Conv {
                g: conv3(batch, 16, 32, 14, 1),
                bias: true,
                count: 1,
            },
            pool2(batch * 32, 14),
        ],
        "resnet20" | "resnet32" => {
            // n basic blocks per stage: 3 (ResNet-20) or 5 (ResNet-32); the first block of
            // stages 2 and 3 strides, the shortcuts are parameter-free.
            let n = if model == "resnet20" { 3 } else { 5 };
            let c = |g, count| Layer::Conv {
                g,
                bias: false,
                count,
            };
            vec![
                c(conv3(batch, 3, 16, 32, 1), 1),
                c(conv3(batch, 16, 16, 32, 1), 2 * n),
                c(conv3(batch, 16, 32, 32, 2), 1),
                c(conv3(batch, 32, 32, 16, 1), 2 * n - 1),
                c(conv3(batch, 32, 64, 16, 2), 1),
                c(conv3(batch, 64, 64, 8, 1), 2 * n - 1),
                bnl(16, 32, false, n + 1),
                bnl(16, 32, true, n),
                bnl(32, 16, false, n),
                bnl(32, 16, true, n),
                bnl(64, 8, false, n),
                bnl(64, 8, true, n),
            ]
        }
        _ => Vec::new(),
    }
}

/// One row of the table: an operation summed over the network's layers.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OpRow {
    /// Operation.
    pub op: String,
    /// Layers it covers.
    pub layers: usize,
    /// burn (Flex) milliseconds per training step.
    pub burn_ms: f64,
    /// mr2 kernels, milliseconds per training step.
    pub mr2_ms: f64,
}

fn random(n: usize, seed: u64) -> Vec<f32> {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| r.random_range(-1.0f32..1.0)).collect()
}

fn flex<const N: usize>(v: Vec<f32>, shape: [usize; N]) -> FlexTensor {
    FlexTensor::new(
        Bytes::from_elems(v),
        Layout::contiguous(Shape::new(shape)),
        DType::F32,
    )
}

/// Median milliseconds of `f` over `reps` calls (after one warm-up call).
pub(crate) fn time(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut v: Vec<f64> = (0..reps.max(1))
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    median(&mut v)
}

/// Time every operation of `model`'s layers, `reps` calls each; rows are per training step.
pub fn op_table(model: &str, batch: usize, reps: usize) -> Vec<OpRow> {
    let mut rows: Vec<OpRow> = Vec::new();
    let mut add = |op: &str, count: usize, burn_ms: f64, mr2_ms: f64| match rows
        .iter_mut()
        .find(|r| r.op == op)
    {
        Some(r) => {
            r.layers += count;
            r.burn_ms += burn_ms * count as f64;
            r.mr2_ms += mr2_ms * count as f64;
        }
        None => rows.push(OpRow {
            op: op.to_string(),
            layers: count,
            burn_ms: burn_ms * count as f64,
            mr2_ms: mr2_ms * count as f64,
        }),
    };
    for (i, layer) in layers(model, batch).into_iter().enumerate() {
        let seed = 17 * i as u64;
        match layer {
            Layer::Conv { g, bias, count } => {
                let [ho, wo] = g.output_size().expect("benchmark geometry");
                let x = random(g.input_len(), seed);
                let w = random(g.weight_len(), seed + 1);
                let b = random(g.c_out, seed + 2);
                let dy = random(g.output_len(), seed + 3);
                let xs = [g.batch, g.c_in, g.h, g.w];
                let ws = [g.c_out, g.c_in, g.kernel[0], g.kernel[1]];
                let ys = [g.batch, g.c_out, ho, wo];
                let (fx, fw, fb, fdy) = (
                    flex(x.clone(), xs),
                    flex(w.clone(), ws),
                    flex(b.clone(), [g.c_out]),
                    flex(dy.clone(), ys),
                );
                let o = ConvOptions::new_with_padding(g.stride, g.padding, g.dilation, 1);
                let bias_t = bias.then(|| fb.clone());
                let burn_f = time(reps, || {
                    let _ = Flex::conv2d(fx.clone(), fw.clone(), bias_t.clone(), o.clone());
                });
                let mut y = vec![0.0; g.output_len()];
                let ours_f = time(reps, || {
                    conv::forward(&g, &x, &w, bias.then_some(&b[..]), &mut y);
                });
                add("conv forward", count, burn_f, ours_f);
                let first = g.c_in == 3 || g.c_in == 1;
                if !first {
                    let burn_dx = time(reps, || {
                        let _ =
                            Flex::conv2d_x_backward(fx.clone(), fw.clone(), fdy.clone(), o.clone());
                    });
                    let mut dx = vec![0.0; g.input_len()];
                    let ours_dx = time(reps, || {
                        conv::backward(
                            &g,
                            &x,
                            &w,
                            &dy,
                            conv::Grads {
                                x: Some(&mut dx),
                                w: None,
                                bias: None,
                            },
                        );
                    });
                    add("conv input gradient", count, burn_dx, ours_dx);
                }
                let burn_dw = time(reps, || {
                    let _ = Flex::conv2d_weight_backward(
                        fx.clone(),
                        fw.clone(),
                        fdy.clone(),
                        o.clone(),
                    );
                });
                let mut dw = vec![0.0; g.weight_len()];
                let ours_dw = time(reps, || {
                    conv::backward(
                        &g,
                        &x,
                        &w,
                        &dy,
                        conv::Grads {
                            x: None,
                            w: Some(&mut dw),
                            bias: None,
                        },
                    );
                });
                add("conv weight gradient", count, burn_dw, ours_dw);
            }
            Layer::BatchNorm { s, residual, count } => {
                let shape = [s.batch, s.channels, s.spatial, 1];
                let x = random(s.len(), seed);
                let r = random(s.len(), seed + 1);
                let dy = random(s.len(), seed + 2);
                let gamma = vec![1.0; s.channels];
                let beta = vec![0.0; s.channels];
                let (fx, fg, fbeta, fr, fdy) = (
                    flex(x.clone(), shape),
                    flex(gamma.clone(), [s.channels]),
                    flex(beta.clone(), [s.channels]),
                    flex(r.clone(), shape),
                    flex(dy.clone(), shape),
                );
                // burn: batch norm, then the residual add and the ReLU as separate ops.
                let burn_f = time(reps, || {
                    let out = Flex::batch_norm_train(fx.clone(), fg.clone(), fbeta.clone(), 1e-5);
                    let y = if residual {
                        <Flex as burn::backend::ops::FloatTensorOps<Flex>>::float_add(
                            out.output,
                            fr.clone(),
                        )
                    } else {
                        out.output
                    };
                    let _ = <Flex as burn::backend::ops::ActivationOps<Flex>>::relu(y);
                });
                let mut y = vec![0.0; s.len()];
                let ours_f = time(reps, || {
                    bn::train_forward(
                        &s,
                        &x,
                        &gamma,
                        &beta,
                        1e-5,
                        residual.then_some(&r[..]),
                        true,
                        &mut y,
                    );
                });
                add("batch norm + ReLU forward", count, burn_f, ours_f);
                let stats = Flex::batch_norm_train(fx.clone(), fg.clone(), fbeta.clone(), 1e-5);
                let burn_b = time(reps, || {
                    let g = <Flex as burn::backend::ops::ActivationOps<Flex>>::relu_backward(
                        fx.clone(),
                        fdy.clone(),
                    );
                    let _ = Flex::batch_norm_train_backward(
                        fx.clone(),
                        fg.clone(),
                        stats.mean.clone(),
                        stats.variance.clone(),
                        1e-5,
                        g,
                    );
                });
                let st = bn::train_forward(&s, &x, &gamma, &beta, 1e-5, None, true, &mut y);
                let mut dx = vec![0.0; s.len()];
                let mut dr = vec![0.0; s.len()];
                let ours_b = time(reps, || {
                    bn::backward(
                        &s,
                        &x,
                        &dy,
                        &gamma,
                        &st,
                        Some(&y),
                        bn::Grads {
                            x: Some(&mut dx),
                            residual: residual.then_some(&mut dr[..]),
                        },
                    );
                });
                add("batch norm + ReLU backward", count, burn_b, ours_b);
            }
            Layer::Pool { g, count } => {
                let [ho, wo] = g.output_size().expect("benchmark geometry");
                let planes = g.planes;
                let x = random(planes * g.h * g.w, seed);
                let dy = random(planes * ho * wo, seed + 1);
                let fx = flex(x.clone(), [1, planes, g.h, g.w]);
                let fdy = flex(dy.clone(), [1, planes, ho, wo]);
                let args = (g.kernel, g.stride, [0, 0], [1, 1], false);
                let burn_f = time(reps, || {
                    let _ = Flex::max_pool2d_with_indices(
                        fx.clone(),
                        args.0,
                        args.1,
                        args.2,
                        args.3,
                        args.4,
                        IntDType::I32,
                    );
                });
                let mut y = vec![0.0; planes * ho * wo];
                let mut arg = vec![0u8; y.len()];
                let ours_f = time(reps, || pool::max_forward(&g, &x, &mut y, &mut arg));
                add("max pool forward", count, burn_f, ours_f);
                let idx = Flex::max_pool2d_with_indices(
                    fx.clone(),
                    args.0,
                    args.1,
                    args.2,
                    args.3,
                    args.4,
                    IntDType::I32,
                )
                .indices;
                let burn_b = time(reps, || {
                    let _ = Flex::max_pool2d_with_indices_backward(
                        fx.clone(),
                        args.0,
                        args.1,
                        args.2,
                        args.3,
                        args.4,
                        fdy.clone(),
                        idx.clone(),
                    );
                });
                let mut dx = vec![0.0; planes * g.h * g.w];
                let ours_b = time(reps, || pool::max_backward(&g, &dy, &arg, &mut dx));
                add("max pool backward", count, burn_b, ours_b);
            }
        }
    }
    rows
}

/// One 2×2, stride-2 max pool of `planes` square `side × side` planes.
fn pool2(planes: usize, side: usize) -> Layer {
    Layer::Pool {
        g: pool::Pool2d {
            planes,
            h: side,
            w: side,
            kernel: [2, 2],
            stride: [2, 2],
            padding: [(0, 0); 2],
        },
        count: 1,
    }
}

/// The table as Markdown.
pub fn op_markdown(model: &str, rows: &[OpRow]) -> String {
    let mut t = format!(
        "| {model}: operation | layers | burn ms/step | mr2 ms/step | burn / mr2 |\n|---|---|---|---|---|\n"
    );
    let (mut sb, mut sm) = (0.0, 0.0);
    for r in rows {
        sb += r.burn_ms;
        sm += r.mr2_ms;
        t += &format!(
            "| {} | {} | {:.1} | {:.1} | {:.2} |\n",
            r.op,
            r.layers,
            r.burn_ms,
            r.mr2_ms,
            r.burn_ms / r.mr2_ms
        );
    }
    t += &format!("| **total** | | {sb:.1} | {sm:.1} | {:.2} |\n", sb / sm);
    t
}
