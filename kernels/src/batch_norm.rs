//! Batch normalisation on NCHW f32 in training mode, optionally fused with a residual add and
//! a ReLU: `y = relu(γ·(x − μ)/√(σ² + ε) + β + r)` with the batch mean μ and the biased
//! batch variance σ² per channel (burn's and PyTorch's normalisation; burn also feeds the
//! biased variance to its running statistics).
//!
//! Forward: one pass for the per-channel sums (f64, shifted by the channel's first value so
//! that large means do not cancel), one fused pass for the output. Backward: one pass for
//! `Σ g` and `Σ g·(x − μ)` with `g = dy·[y > 0]`, one for `dx = γ/σ̂ ·(g − Σg/M − x̂·Σ g x̂/M)`.
//! Both parallel over images.

use rayon::prelude::*;

use crate::simd::dispatch;
use crate::{sum_in_order, CHUNK_IMAGES};

/// Shape `[batch, channels, spatial]` (spatial = H·W).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Images.
    pub batch: usize,
    /// Channels.
    pub channels: usize,
    /// Elements per channel and image.
    pub spatial: usize,
}

impl Shape {
    /// Elements of the tensor.
    pub fn len(&self) -> usize {
        self.batch * self.channels * self.spatial
    }

    /// Whether the tensor is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Values per channel (`batch · spatial`).
    pub fn per_channel(&self) -> usize {
        self.batch * self.spatial
    }

    fn image(&self) -> usize {
        self.channels * self.spatial
    }
}

/// Batch statistics kept for the backward pass and the running averages.
#[derive(Clone, Debug, PartialEq)]
pub struct Stats {
    /// Per-channel batch mean.
    pub mean: Vec<f32>,
    /// Per-channel biased batch variance.
    pub var: Vec<f32>,
    /// `1/√(var + ε)`.
    pub inv_std: Vec<f32>,
}

fn check(name: &str, got: usize, want: usize) {
    assert_eq!(
        got, want,
        "batch norm: {name} has {got} elements, expected {want}"
    );
}

/// Independent accumulators per plane: the sums vectorise (a single running f32 sum is a
/// chain of dependent adds), and each plane's lanes are combined in f64 in a fixed order.
const LANES: usize = 16;

fn combine<const N: usize>(lanes: [[f32; LANES]; N]) -> [f64; N] {
    lanes.map(|l| l.iter().map(|v| f64::from(*v)).sum())
}

/// `[Σ (x − shift), Σ (x − shift)²]` over one plane.
#[inline(always)]
fn shifted_sums(x: &[f32], shift: f32) -> [f64; 2] {
    let mut acc = [[0.0f32; LANES]; 2];
    let (chunks, rest) = x.as_chunks::<LANES>();
    for c in chunks {
        for i in 0..LANES {
            let t = c[i] - shift;
            acc[0][i] += t;
            acc[1][i] += t * t;
        }
    }
    let [mut s1, mut s2] = combine(acc);
    for v in rest {
        let t = f64::from(v - shift);
        s1 += t;
        s2 += t * t;
    }
    [s1, s2]
}

/// The ReLU's backward gate: `d` where the forward output `o` is positive, else `+0`. A bit
/// mask instead of a branch: whether a ReLU output is positive is a coin flip for the branch
/// predictor (the branchy form made the backward pass 4× slower on random data).
#[inline(always)]
fn gate(d: f32, o: f32) -> f32 {
    f32::from_bits(d.to_bits() & 0u32.wrapping_sub(u32::from(o > 0.0)))
}

/// `[Σ g, Σ g·(x − μ)]` over one plane, `g = dy` where the ReLU output (if any) is positive.
#[inline(always)]
fn gradient_sums(x: &[f32], dy: &[f32], relu_out: Option<&[f32]>, mu: f32) -> [f64; 2] {
    let mut acc = [[0.0f32; LANES]; 2];
    let (xc, _) = x.as_chunks::<LANES>();
    let (dc, _) = dy.as_chunks::<LANES>();
    let n = xc.len() * LANES;
    match relu_out {
        Some(o) => {
            let (oc, _) = o.as_chunks::<LANES>();
            for ((xs, ds), os) in xc.iter().zip(dc).zip(oc) {
                for i in 0..LANES {
                    let g = gate(ds[i], os[i]);
                    acc[0][i] += g;
                    acc[1][i] += g * (xs[i] - mu);
                }
            }
        }
        None => {
            for (xs, ds) in xc.iter().zip(dc) {
                for i in 0..LANES {
                    acc[0][i] += ds[i];
                    acc[1][i] += ds[i] * (xs[i] - mu);
                }
            }
        }
    }
    let [mut s1, mut s2] = combine(acc);
    for i in n..x.len() {
        let g = match relu_out {
            Some(o) if o[i] <= 0.0 => 0.0,
            _ => f64::from(dy[i]),
        };
        s1 += g;
        s2 += g * f64::from(x[i] - mu);
    }
    [s1, s2]
}

/// Per-channel `(Σ (x − shift), Σ (x − shift)²)` in f64, parallel over images.
fn channel_sums(s: &Shape, x: &[f32], shift: &[f32]) -> Vec<[f64; 2]> {
    let zero = || vec![[0.0f64; 2]; s.channels];
    let per = CHUNK_IMAGES * s.image();
    let parts: Vec<Vec<[f64; 2]>> = x
        .par_chunks(per)
        .map(|xc| {
            dispatch(|| {
                let mut acc = zero();
                for xi in xc.chunks_exact(s.image()) {
                    for ((a, plane), sh) in
                        acc.iter_mut().zip(xi.chunks_exact(s.spatial)).zip(shift)
                    {
                        let [s1, s2] = shifted_sums(plane, *sh);
                        a[0] += s1;
                        a[1] += s2;
                    }
                }
                acc
            })
        })
        .collect();
    add_pairs(parts)
}

fn add_pairs(parts: Vec<Vec<[f64; 2]>>) -> Vec<[f64; 2]> {
    let flat: Vec<Vec<f64>> = parts
        .into_iter()
        .map(|p| p.into_iter().flatten().collect())
        .collect();
    sum_in_order(flat)
        .chunks_exact(2)
        .map(|c| [c[0], c[1]])
        .collect()
}

/// Training-mode forward. `residual` (shaped like `x`) is added before the optional ReLU;
/// With a ReLU, the backward pass needs this output `y` (its gate is `y > 0`).
///
/// # Panics
/// If a slice has the wrong length, or the shape is empty.
#[allow(clippy::too_many_arguments)]
pub fn train_forward(
    s: &Shape,
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
    eps: f64,
    residual: Option<&[f32]>,
    relu: bool,
    y: &mut [f32],
) -> Stats {
    assert!(!s.is_empty(), "batch norm: empty input {s:?}");
    check("input", x.len(), s.len());
    check("output", y.len(), s.len());
    check("gamma", gamma.len(), s.channels);
    check("beta", beta.len(), s.channels);
    if let Some(r) = residual {
        check("residual", r.len(), s.len());
    }
    let shift: Vec<f32> = (0..s.channels).map(|c| x[c * s.spatial]).collect();
    let m = s.per_channel() as f64;
    let sums = channel_sums(s, x, &shift);
    let mut stats = Stats {
        mean: Vec::with_capacity(s.channels),
        var: Vec::with_capacity(s.channels),
        inv_std: Vec::with_capacity(s.channels),
    };
    for (c, [s1, s2]) in sums.iter().enumerate() {
        let d = s1 / m;
        let var = (s2 / m - d * d).max(0.0);
        stats.mean.push((f64::from(shift[c]) + d) as f32);
        stats.var.push(var as f32);
        stats.inv_std.push((1.0 / (var + eps).sqrt()) as f32);
    }
    // y = (x − μ)·a + β per channel (centring first keeps large means exact).
    let a: Vec<f32> = (0..s.channels)
        .map(|c| (f64::from(gamma[c]) * f64::from(stats.inv_std[c])) as f32)
        .collect();
    apply(s, x, &stats.mean, &a, beta, residual, relu, y);
    stats
}

/// Inference-mode forward with given (running) statistics: `y = γ·(x − mean)/√(var + ε) + β`.
///
/// # Panics
/// If a slice has the wrong length.
#[allow(clippy::too_many_arguments)]
pub fn infer_forward(
    s: &Shape,
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
    mean: &[f32],
    var: &[f32],
    eps: f64,
    y: &mut [f32],
) {
    check("input", x.len(), s.len());
    check("output", y.len(), s.len());
    for (name, v) in [
        ("gamma", gamma),
        ("beta", beta),
        ("mean", mean),
        ("variance", var),
    ] {
        check(name, v.len(), s.channels);
    }
    let a: Vec<f32> = (0..s.channels)
        .map(|c| (f64::from(gamma[c]) / (f64::from(var[c]) + eps).sqrt()) as f32)
        .collect();
    apply(s, x, mean, &a, beta, None, false, y);
}

#[allow(clippy::too_many_arguments)]
fn apply(
    s: &Shape,
    x: &[f32],
    mean: &[f32],
    a: &[f32],
    b: &[f32],
    residual: Option<&[f32]>,
    relu: bool,
    y: &mut [f32],
) {
    if s.is_empty() {
        return;
    }
    let img = s.image();
    let one = |yi: &mut [f32], xi: &[f32], ri: Option<&[f32]>| {
        dispatch(|| apply_image(s, mean, a, b, relu, yi, xi, ri));
    };
    let yx = y.par_chunks_mut(img).zip(x.par_chunks(img));
    match residual {
        None => yx.for_each(|(yi, xi)| one(yi, xi, None)),
        Some(r) => yx
            .zip(r.par_chunks(img))
            .for_each(|((yi, xi), ri)| one(yi, xi, Some(ri))),
    }
}

/// One image of [`apply`]: `y = (x − mean)·a + b (+ r) (then ReLU)` per channel.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn apply_image(
    s: &Shape,
    mean: &[f32],
    a: &[f32],
    b: &[f32],
    relu: bool,
    yi: &mut [f32],
    xi: &[f32],
    ri: Option<&[f32]>,
) {
    for c in 0..s.channels {
        let r = c * s.spatial..(c + 1) * s.spatial;
        let (yc, xc) = (&mut yi[r.clone()], &xi[r.clone()]);
        let (mc, ac, bc) = (mean[c], a[c], b[c]);
        match (ri, relu) {
            (Some(ri), true) => yc
                .iter_mut()
                .zip(xc.iter().zip(&ri[r.clone()]))
                .for_each(|(y, (x, r))| *y = ((x - mc) * ac + bc + r).max(0.0)),
            (Some(ri), false) => yc
                .iter_mut()
                .zip(xc.iter().zip(&ri[r.clone()]))
                .for_each(|(y, (x, r))| *y = (x - mc) * ac + bc + r),
            (None, true) => yc
                .iter_mut()
                .zip(xc)
                .for_each(|(y, x)| *y = ((x - mc) * ac + bc).max(0.0)),
            (None, false) => yc
                .iter_mut()
                .zip(xc)
                .for_each(|(y, x)| *y = (x - mc) * ac + bc),
        }
    }
}

/// Gradients requested from [`backward`]; each `Some` slice is overwritten.
#[derive(Debug)]
pub struct Grads<'a> {
    /// `dL/dx`.
    pub x: Option<&'a mut [f32]>,
    /// `dL/dresidual` (= `dy·[y > 0]`).
    pub residual: Option<&'a mut [f32]>,
}

/// Backward of [`train_forward`]: fills the requested input gradients and returns
/// `(dγ, dβ)`. `relu_out` is the forward's output when it ended in a ReLU (`None` otherwise).
///
/// # Panics
/// If a slice has the wrong length.
#[allow(clippy::too_many_arguments)]
pub fn backward(
    s: &Shape,
    x: &[f32],
    dy: &[f32],
    gamma: &[f32],
    stats: &Stats,
    relu_out: Option<&[f32]>,
    out: Grads<'_>,
) -> (Vec<f32>, Vec<f32>) {
    check("input", x.len(), s.len());
    check("output gradient", dy.len(), s.len());
    check("gamma", gamma.len(), s.channels);
    if let Some(o) = relu_out {
        check("ReLU output", o.len(), s.len());
    }
    let img = s.image();
    let sp = s.spatial;
    // g = dy where the ReLU output is positive.
    // Pass 1: Σ g and Σ g·(x − μ) per channel.
    let zero = || vec![[0.0f64; 2]; s.channels];
    let parts: Vec<Vec<[f64; 2]>> = (0..s.batch.div_ceil(CHUNK_IMAGES))
        .into_par_iter()
        .map(|chunk| {
            dispatch(|| {
                let mut acc = zero();
                for n in chunk * CHUNK_IMAGES..((chunk + 1) * CHUNK_IMAGES).min(s.batch) {
                    for (c, a) in acc.iter_mut().enumerate() {
                        let base = n * img + c * sp;
                        let mu = stats.mean[c];
                        let o = relu_out.map(|o| &o[base..base + sp]);
                        let [s1, s2] =
                            gradient_sums(&x[base..base + sp], &dy[base..base + sp], o, mu);
                        a[0] += s1;
                        a[1] += s2;
                    }
                }
                acc
            })
        })
        .collect();
    let sums = add_pairs(parts);
    let m = s.per_channel() as f64;
    let mut dgamma = Vec::with_capacity(s.channels);
    let mut dbeta = Vec::with_capacity(s.channels);
    // dx = A·g + B·(x − μ) + C per channel.
    let mut coef = Vec::with_capacity(s.channels);
    for (c, [sg, sgx]) in sums.iter().enumerate() {
        let inv = f64::from(stats.inv_std[c]);
        dbeta.push(*sg as f32);
        dgamma.push((sgx * inv) as f32);
        let a = f64::from(gamma[c]) * inv;
        let b = -a * inv * inv * sgx / m;
        let cc = -a * sg / m;
        coef.push([a as f32, b as f32, cc as f32, stats.mean[c]]);
    }
    let Grads {
        x: dx,
        residual: dr,
    } = out;
    if let Some(dr) = &dr {
        check("residual gradient", dr.len(), s.len());
    }
    if let Some(dx) = &dx {
        check("input gradient", dx.len(), s.len());
    }
    match (dx, dr) {
        // One pass over x, dy and the ReLU output writes both gradients.
        (Some(dx), Some(dr)) => dx
            .par_chunks_mut(img)
            .zip(dr.par_chunks_mut(img))
            .enumerate()
            .for_each(|(n, (d, r))| {
                dispatch(|| {
                    for (c, k) in coef.iter().enumerate() {
                        let base = n * img + c * sp;
                        let span = c * sp..(c + 1) * sp;
                        let (xs, dys) = (&x[base..base + sp], &dy[base..base + sp]);
                        let (d, r) = (&mut d[span.clone()], &mut r[span]);
                        match relu_out {
                            Some(o) => {
                                let o = &o[base..base + sp];
                                let src = xs.iter().zip(dys).zip(o);
                                for ((dj, rj), ((xv, dv), ov)) in
                                    d.iter_mut().zip(r.iter_mut()).zip(src)
                                {
                                    let g = gate(*dv, *ov);
                                    *rj = g;
                                    *dj = k[0] * g + k[1] * (xv - k[3]) + k[2];
                                }
                            }
                            None => {
                                let src = xs.iter().zip(dys);
                                for ((dj, rj), (xv, dv)) in d.iter_mut().zip(r.iter_mut()).zip(src)
                                {
                                    *rj = *dv;
                                    *dj = k[0] * dv + k[1] * (xv - k[3]) + k[2];
                                }
                            }
                        }
                    }
                })
            }),
        (Some(dx), None) => dx.par_chunks_mut(img).enumerate().for_each(|(n, d)| {
            dispatch(|| {
                for (c, k) in coef.iter().enumerate() {
                    let base = n * img + c * sp;
                    let out = &mut d[c * sp..(c + 1) * sp];
                    let src = x[base..base + sp].iter().zip(&dy[base..base + sp]);
                    match relu_out {
                        Some(o) => out.iter_mut().zip(src.zip(&o[base..base + sp])).for_each(
                            |(v, ((xv, dv), mv))| {
                                *v = k[0] * gate(*dv, *mv) + k[1] * (xv - k[3]) + k[2];
                            },
                        ),
                        None => out
                            .iter_mut()
                            .zip(src)
                            .for_each(|(v, (xv, dv))| *v = k[0] * dv + k[1] * (xv - k[3]) + k[2]),
                    }
                }
            })
        }),
        (None, Some(dr)) => dr.par_chunks_mut(img).enumerate().for_each(|(n, d)| {
            dispatch(|| {
                let base = n * img;
                match relu_out {
                    Some(o) => d
                        .iter_mut()
                        .zip(dy[base..base + img].iter().zip(&o[base..base + img]))
                        .for_each(|(v, (dv, mv))| *v = gate(*dv, *mv)),
                    None => d.copy_from_slice(&dy[base..base + img]),
                }
            })
        }),
        (None, None) => {}
    }
    (dgamma, dbeta)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{random, rel};

    fn f64s(v: &[f32]) -> Vec<f64> {
        v.iter().map(|x| f64::from(*x)).collect()
    }

    /// The definition in f64.
    fn reference(
        s: &Shape,
        x: &[f64],
        g: &[f64],
        b: &[f64],
        r: Option<&[f64]>,
        relu: bool,
    ) -> Vec<f64> {
        let eps = 1e-5;
        let mut y = vec![0.0; s.len()];
        for c in 0..s.channels {
            let idx: Vec<usize> = (0..s.batch)
                .flat_map(|n| (0..s.spatial).map(move |j| (n * s.channels + c) * s.spatial + j))
                .collect();
            let m = idx.len() as f64;
            let mean = idx.iter().map(|&i| x[i]).sum::<f64>() / m;
            let var = idx.iter().map(|&i| (x[i] - mean).powi(2)).sum::<f64>() / m;
            for &i in &idx {
                let mut v =
                    g[c] * (x[i] - mean) / (var + eps).sqrt() + b[c] + r.map_or(0.0, |r| r[i]);
                if relu {
                    v = v.max(0.0);
                }
                y[i] = v;
            }
        }
        y
    }

    fn shapes() -> Vec<Shape> {
        vec![
            Shape {
                batch: 4,
                channels: 3,
                spatial: 10,
            },
            Shape {
                batch: 1,
                channels: 2,
                spatial: 7,
            },
            Shape {
                batch: 5,
                channels: 1,
                spatial: 1,
            },
            Shape {
                batch: 3,
                channels: 16,
                spatial: 64,
            },
        ]
    }

    #[test]
    fn forward_matches_the_definition_with_and_without_residual_and_relu() {
        for (i, s) in shapes().into_iter().enumerate() {
            let seed = 10 * i as u64;
            // Large offset: the shifted sums must not cancel.
            let x: Vec<f32> = random(s.len(), seed).iter().map(|v| 300.0 + v).collect();
            let g = random(s.channels, seed + 1);
            let b = random(s.channels, seed + 2);
            let r = random(s.len(), seed + 3);
            for (res, relu) in [(false, false), (false, true), (true, false), (true, true)] {
                let rr = res.then_some(&r[..]);
                let mut y = vec![f32::NAN; s.len()];
                let st = train_forward(&s, &x, &g, &b, 1e-5, rr, relu, &mut y);
                let rf = res.then(|| f64s(&r));
                let want = reference(&s, &f64s(&x), &f64s(&g), &f64s(&b), rf.as_deref(), relu);
                assert!(
                    rel(&y, &want) < 2e-5,
                    "{s:?} res={res} relu={relu}: {}",
                    rel(&y, &want)
                );
                // Inference with the batch statistics reproduces the training output.
                if !res && !relu {
                    let mut y2 = vec![0.0; s.len()];
                    infer_forward(&s, &x, &g, &b, &st.mean, &st.var, 1e-5, &mut y2);
                    assert!(rel(&y2, &want) < 2e-5);
                }
            }
        }
    }

    /// The bits of every output of a training forward (with `residual`, `relu`), its backward
    /// and an inference forward with the batch statistics.
    #[allow(clippy::too_many_arguments)]
    fn all_bits(
        s: &Shape,
        x: &[f32],
        dy: &[f32],
        g: &[f32],
        b: &[f32],
        residual: Option<&[f32]>,
        relu: bool,
    ) -> Vec<Vec<u32>> {
        let mut y = vec![0.0; s.len()];
        let st = train_forward(s, x, g, b, 1e-5, residual, relu, &mut y);
        let (mut dx, mut dr) = (vec![0.0; s.len()], vec![0.0; s.len()]);
        let (dg, db) = backward(
            s,
            x,
            dy,
            g,
            &st,
            relu.then_some(&y[..]),
            Grads {
                x: Some(&mut dx),
                residual: residual.is_some().then_some(&mut dr[..]),
            },
        );
        let mut yi = vec![0.0; s.len()];
        infer_forward(s, x, g, b, &st.mean, &st.var, 1e-5, &mut yi);
        [y, st.mean, st.var, dx, dr, dg, db, yi]
            .map(|v| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>())
            .to_vec()
    }

    /// Every instruction-set level the CPU has gives the same bits (spatial sizes that leave a
    /// remainder after the 16-lane chunks; with and without residual and ReLU), so results do
    /// not depend on the machine's vector width.
    #[test]
    fn every_simd_level_gives_the_same_bits() {
        use crate::simd::{force, level, Level};
        let s = Shape {
            batch: 9,
            channels: 3,
            spatial: 37,
        };
        let x = random(s.len(), 11);
        let dy = random(s.len(), 12);
        let r = random(s.len(), 13);
        let (g, b) = (random(3, 14), random(3, 15));
        let run = |lv: Level| {
            force(Some(lv));
            let mut out = Vec::new();
            for (residual, relu) in [(false, false), (false, true), (true, true)] {
                out.extend(all_bits(
                    &s,
                    &x,
                    &dy,
                    &g,
                    &b,
                    residual.then_some(&r[..]),
                    relu,
                ));
            }
            (level(), out)
        };
        let (got, base) = run(Level::Baseline);
        assert_eq!(got, Level::Baseline);
        for lv in [Level::V3, Level::V4] {
            let (used, bits) = run(lv);
            assert_eq!(
                bits, base,
                "{used:?} (asked for {lv:?}) differs from the baseline"
            );
        }
        force(None);
    }

    /// Fixed chunking: the same bits with 1, 2 or 3 threads.
    #[test]
    fn results_do_not_depend_on_the_thread_count() {
        let s = Shape {
            batch: 37,
            channels: 3,
            spatial: 25,
        };
        let x = random(s.len(), 1);
        let dy = random(s.len(), 2);
        let (g, b) = (random(3, 3), random(3, 4));
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| all_bits(&s, &x, &dy, &g, &b, None, false))
        };
        let one = run(1);
        for t in [2, 3, 2] {
            assert_eq!(run(t), one, "{t} threads");
        }
    }

    /// Finite differences of the f64 definition of L = Σ r·y against the backward pass.
    #[test]
    fn backward_matches_finite_differences() {
        for (i, s) in shapes().into_iter().enumerate() {
            let seed = 500 + 10 * i as u64;
            let x = random(s.len(), seed);
            let g: Vec<f32> = random(s.channels, seed + 1)
                .iter()
                .map(|v| v + 1.5)
                .collect();
            let b = random(s.channels, seed + 2);
            let res = random(s.len(), seed + 3);
            let dy = random(s.len(), seed + 4);
            for (with_res, relu) in [(false, false), (true, true), (false, true)] {
                let rr = with_res.then_some(&res[..]);
                let rf = with_res.then(|| f64s(&res));
                let loss = |x: &[f64], g: &[f64], b: &[f64]| -> f64 {
                    reference(&s, x, g, b, rf.as_deref(), relu)
                        .iter()
                        .zip(&dy)
                        .map(|(y, d)| y * f64::from(*d))
                        .sum()
                };
                let mut y = vec![0.0; s.len()];
                let st = train_forward(&s, &x, &g, &b, 1e-5, rr, relu, &mut y);
                let mut dx = vec![f32::NAN; s.len()];
                let mut dr = vec![f32::NAN; s.len()];
                let (dg, db) = backward(
                    &s,
                    &x,
                    &dy,
                    &g,
                    &st,
                    relu.then_some(&y[..]),
                    Grads {
                        x: Some(&mut dx),
                        residual: Some(&mut dr),
                    },
                );
                let h = 1e-6;
                let fd = |f: &dyn Fn(f64) -> f64| (f(h) - f(-h)) / (2.0 * h);
                let (x, g, b) = (f64s(&x), f64s(&g), f64s(&b));
                let want_dx: Vec<f64> = (0..s.len())
                    .map(|j| {
                        fd(&|e| {
                            let mut xp = x.clone();
                            xp[j] += e;
                            loss(&xp, &g, &b)
                        })
                    })
                    .collect();
                let want_dg: Vec<f64> = (0..s.channels)
                    .map(|j| {
                        fd(&|e| {
                            let mut gp = g.clone();
                            gp[j] += e;
                            loss(&x, &gp, &b)
                        })
                    })
                    .collect();
                let want_db: Vec<f64> = (0..s.channels)
                    .map(|j| {
                        fd(&|e| {
                            let mut bp = b.clone();
                            bp[j] += e;
                            loss(&x, &g, &bp)
                        })
                    })
                    .collect();
                let want_dr: Vec<f64> = (0..s.len())
                    .map(|j| {
                        if !relu || y[j] > 0.0 {
                            f64::from(dy[j])
                        } else {
                            0.0
                        }
                    })
                    .collect();
                // Every shape has ≥ 5 values per channel; with h = 1e-6 no ReLU kink is crossed.
                assert!(rel(&dx, &want_dx) < 1e-4, "dx {s:?} {}", rel(&dx, &want_dx));
                assert!(rel(&dg, &want_dg) < 1e-4, "dgamma {s:?}");
                assert!(rel(&db, &want_db) < 1e-4, "dbeta {s:?}");
                assert!(rel(&dr, &want_dr) < 1e-7, "dresidual {s:?}");
            }
        }
    }
}
