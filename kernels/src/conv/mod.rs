//! 2-D convolution (groups = 1) on NCHW f32: forward, input gradient, weight and bias
//! gradients. Per image the input is unfolded once (im2col, `K = C_in·kh·kw` rows of
//! `P = H_out·W_out` columns) and every product is one gemm call:
//!
//! * forward `Y[n] = W · col[n]` (`C_out × K` times `K × P`);
//! * input gradient: for stride 1 and dilation 1 a forward convolution of `dY[n]` with the
//!   flipped, channel-swapped kernel (`dX[n] = W̃ · col(dY[n])`, written once, no overlaps to
//!   add); otherwise `dcol = Wᵀ · dY[n]`, folded back (col2im, adding overlaps) into `dX[n]`;
//! * weight gradient `dW += dY[n] · col[n]ᵀ`, summed per fixed chunk of images, then over
//!   chunks in order; for stride-1 "same-width" layers with few output channels, `kh`
//!   products of shifted rows instead (`rows.rs`).
//!
//! Layout: this file holds the geometry and the passes, `unfold.rs` the im2col / col2im
//! copies, `rows.rs` the shifted-row weight gradient.
//!
//! Images are split evenly over rayon's threads; with fewer images than threads the gemm
//! calls themselves run in parallel. A 1×1 convolution with stride 1 and no padding skips the
//! unfolding (`col[n]` is the image itself).

use rayon::prelude::*;

use crate::matmul::{matmul, matmul_strided, MatRef};
use crate::scratch::Buffer;
use crate::{sum_in_order, CHUNK_IMAGES};

mod rows;
mod unfold;
mod winograd;

use unfold::{col2im, im2col};

/// The geometry of a convolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2d {
    /// Images.
    pub batch: usize,
    /// Input channels.
    pub c_in: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Output channels.
    pub c_out: usize,
    /// Kernel height and width.
    pub kernel: [usize; 2],
    /// Stride (height, width), non-zero.
    pub stride: [usize; 2],
    /// Padding `(begin, end)` for height and width.
    pub padding: [(usize, usize); 2],
    /// Dilation (height, width), non-zero.
    pub dilation: [usize; 2],
}

impl Conv2d {
    /// Output height and width, or an error naming the impossible setting.
    pub fn output_size(&self) -> Result<[usize; 2], String> {
        let mut out = [0; 2];
        let input = [self.h, self.w];
        for d in 0..2 {
            if self.stride[d] == 0 || self.dilation[d] == 0 || self.kernel[d] == 0 {
                return Err(format!(
                    "convolution: stride {:?}, dilation {:?} and kernel {:?} must be non-zero",
                    self.stride, self.dilation, self.kernel
                ));
            }
            let padded = input[d] + self.padding[d].0 + self.padding[d].1;
            let span = self.dilation[d] * (self.kernel[d] - 1) + 1;
            if span > padded {
                return Err(format!(
                    "convolution: kernel span {span} exceeds the padded input {padded} (dimension {d})"
                ));
            }
            out[d] = (padded - span) / self.stride[d] + 1;
        }
        Ok(out)
    }

    fn dims(&self) -> Dims {
        let [ho, wo] = self.output_size().unwrap_or_else(|e| panic!("{e}"));
        let k = self.c_in * self.kernel[0] * self.kernel[1];
        Dims {
            k,
            p: ho * wo,
            ho,
            wo,
            input: self.c_in * self.h * self.w,
            output: self.c_out * ho * wo,
            direct: self.kernel == [1, 1]
                && self.stride == [1, 1]
                && self.padding == [(0, 0), (0, 0)],
        }
    }

    /// Elements of the input `[batch, c_in, h, w]`.
    pub fn input_len(&self) -> usize {
        self.batch * self.c_in * self.h * self.w
    }

    /// Elements of the weight `[c_out, c_in, kh, kw]`.
    pub fn weight_len(&self) -> usize {
        self.c_out * self.c_in * self.kernel[0] * self.kernel[1]
    }

    /// Elements of the output `[batch, c_out, h_out, w_out]`.
    ///
    /// # Panics
    /// If the geometry is impossible (see [`Conv2d::output_size`]).
    pub fn output_len(&self) -> usize {
        self.batch * self.dims().output
    }

    /// The convolution whose forward map is this one's input gradient, when there is one:
    /// for stride 1 and dilation 1, `dX = conv(dY, W̃)` with `W̃[c, o, i, j] = W[o, c, kh−1−i,
    /// kw−1−j]` (see [`flipped_kernel`]) and padding `k − 1 − p` on each side (which must not
    /// be negative). `None` for strided or dilated convolutions and for 1×1 ones without
    /// padding (whose gradient is one product, no unfolding).
    fn transposed(&self) -> Option<Conv2d> {
        let d = self.dims();
        if d.direct || self.stride != [1, 1] || self.dilation != [1, 1] {
            return None;
        }
        let mut padding = [(0, 0); 2];
        for (k, (p, out)) in self
            .kernel
            .iter()
            .zip(self.padding.iter().zip(&mut padding))
        {
            *out = (k.checked_sub(1 + p.0)?, k.checked_sub(1 + p.1)?);
        }
        Some(Conv2d {
            c_in: self.c_out,
            h: d.ho,
            w: d.wo,
            c_out: self.c_in,
            padding,
            ..*self
        })
    }
}

/// `W̃[c, o, i, j] = W[o, c, kh−1−i, kw−1−j]`: the kernel of [`Conv2d::transposed`].
fn flipped_kernel(g: &Conv2d, w: &[f32]) -> Vec<f32> {
    let [kh, kw] = g.kernel;
    let mut out = vec![0.0; w.len()];
    for o in 0..g.c_out {
        for c in 0..g.c_in {
            for i in 0..kh {
                for j in 0..kw {
                    out[((c * g.c_out + o) * kh + i) * kw + j] =
                        w[((o * g.c_in + c) * kh + (kh - 1 - i)) * kw + (kw - 1 - j)];
                }
            }
        }
    }
    out
}

#[derive(Clone, Copy)]
struct Dims {
    k: usize,
    p: usize,
    ho: usize,
    wo: usize,
    input: usize,
    output: usize,
    direct: bool,
}

fn check(name: &str, got: usize, want: usize) {
    assert_eq!(
        got, want,
        "convolution: {name} has {got} elements, expected {want}"
    );
}

/// How the 3×3 "same" convolutions (stride 1, dilation 1, one pixel of padding) are computed;
/// every other geometry is always unfolded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Algorithm {
    /// im2col and one product per image (the default).
    #[default]
    Unfold,
    /// Winograd F(2×2, 3×3) (`conv/winograd.rs`) where it is faster (planes of at least 32×32
    /// with at least 16 input channels): forward and input gradient; the weight gradient
    /// stays unfolded.
    Winograd,
    /// Winograd on every geometry it can compute, small planes included (tests only).
    #[cfg(test)]
    WinogradEverywhere,
}

/// Whether `alg` computes `g` by Winograd: where it pays ([`winograd::applies`]), and — in
/// this crate's tests, through [`Algorithm::WinogradEverywhere`] — wherever it can.
fn winograd_for(alg: Algorithm, g: &Conv2d) -> bool {
    match alg {
        Algorithm::Unfold => false,
        Algorithm::Winograd => winograd::applies(g),
        #[cfg(test)]
        Algorithm::WinogradEverywhere => winograd::computable(g),
    }
}

/// The environment variable that chooses the [`Algorithm`] of a process.
pub const ALGORITHM_ENV: &str = "MR2_CONV";

impl Algorithm {
    /// The algorithm named `text`: `unfold` or `winograd`.
    ///
    /// # Errors
    /// Any other text, named in the message.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "unfold" => Ok(Self::Unfold),
            "winograd" => Ok(Self::Winograd),
            other => Err(format!(
                "{ALGORITHM_ENV}={other:?}: the convolution algorithm is `unfold` (im2col + gemm, the default) or `winograd` (F(2×2, 3×3) for the 3×3 stride-1 layers)"
            )),
        }
    }

    /// The algorithm [`ALGORITHM_ENV`] names (unset: [`Algorithm::Unfold`]).
    ///
    /// # Errors
    /// A value [`Algorithm::parse`] refuses.
    pub fn from_env() -> Result<Self, String> {
        match std::env::var(ALGORITHM_ENV) {
            Ok(v) => Self::parse(&v),
            Err(_) => Ok(Self::default()),
        }
    }

    /// This process's algorithm, read once from [`ALGORITHM_ENV`]. An invalid value is
    /// reported once on stderr and the default used (the binaries refuse it before training
    /// through [`Algorithm::from_env`]).
    pub fn current() -> Self {
        static ALG: std::sync::OnceLock<Algorithm> = std::sync::OnceLock::new();
        *ALG.get_or_init(|| {
            Self::from_env().unwrap_or_else(|e| {
                eprintln!("warning: {e}; using unfold");
                Self::default()
            })
        })
    }

    /// The text [`Algorithm::parse`] reads.
    pub fn name(self) -> &'static str {
        match self {
            Self::Unfold => "unfold",
            Self::Winograd => "winograd",
            #[cfg(test)]
            Self::WinogradEverywhere => "winograd-everywhere",
        }
    }
}

/// `y = conv(x, w) + bias`. `x` is `[batch, c_in, h, w]`, `w` is `[c_out, c_in, kh, kw]`,
/// `bias` has `c_out` elements, `y` is `[batch, c_out, h_out, w_out]`, all contiguous; with
/// this process's [`Algorithm::current`].
///
/// # Panics
/// If the geometry is impossible or a slice has the wrong length.
pub fn forward(g: &Conv2d, x: &[f32], w: &[f32], bias: Option<&[f32]>, y: &mut [f32]) {
    forward_with(Algorithm::current(), g, x, w, bias, y);
}

/// [`forward`] with the algorithm `alg`.
///
/// # Panics
/// As [`forward`].
pub fn forward_with(
    alg: Algorithm,
    g: &Conv2d,
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
) {
    let d = g.dims();
    check("input", x.len(), g.input_len());
    check("weight", w.len(), g.weight_len());
    check("output", y.len(), g.batch * d.output);
    if let Some(b) = bias {
        check("bias", b.len(), g.c_out);
    }
    if g.batch == 0 || d.output == 0 {
        return;
    }
    if winograd_for(alg, g) {
        return winograd::forward(g, x, w, bias, y);
    }
    let parallel_gemm = g.batch < rayon::current_num_threads();
    let wm = MatRef::row_major(w, g.c_out, d.k);
    let one = |xn: &[f32], yn: &mut [f32]| {
        if d.direct {
            matmul(
                yn,
                wm,
                MatRef::row_major(xn, d.k, d.p),
                false,
                parallel_gemm,
            );
        } else {
            let mut col = Buffer::take(d.k * d.p);
            im2col(g, &d, xn, &mut col);
            matmul(
                yn,
                wm,
                MatRef::row_major(&col, d.k, d.p),
                false,
                parallel_gemm,
            );
        }
        if let Some(b) = bias {
            for (row, bc) in yn.chunks_exact_mut(d.p).zip(b) {
                row.iter_mut().for_each(|v| *v += bc);
            }
        }
    };
    if parallel_gemm || d.input == 0 {
        for (yn, n) in y.chunks_exact_mut(d.output).zip(0..) {
            one(&x[n * d.input..(n + 1) * d.input], yn);
        }
    } else {
        y.par_chunks_exact_mut(d.output)
            .zip(x.par_chunks_exact(d.input))
            .for_each(|(yn, xn)| one(xn, yn));
    }
}

/// Gradients requested from [`backward`]; each `Some` slice is overwritten.
#[derive(Debug)]
pub struct Grads<'a> {
    /// `dL/dx`, shaped like the input.
    pub x: Option<&'a mut [f32]>,
    /// `dL/dw`, shaped like the weight.
    pub w: Option<&'a mut [f32]>,
    /// `dL/dbias`, `c_out` elements.
    pub bias: Option<&'a mut [f32]>,
}

/// Per-chunk partial sums of the weight and bias gradients.
struct Partial {
    /// `dWᵀ` (`K × C_out`, row-major): as gemm's column-major destination it lets gemm read
    /// the unfolded columns in place instead of packing a copy of them.
    wt: Vec<f32>,
    bias: Vec<f64>,
}

/// Gradients of `y = conv(x, w) + bias` given `dy = dL/dy`, with this process's
/// [`Algorithm::current`].
///
/// # Panics
/// If the geometry is impossible or a slice has the wrong length.
pub fn backward(g: &Conv2d, x: &[f32], w: &[f32], dy: &[f32], out: Grads<'_>) {
    backward_with(Algorithm::current(), g, x, w, dy, out);
}

/// [`backward`] with the algorithm `alg` (for the input gradient, a forward convolution of
/// `dy`; the weight and bias gradients are the same for both).
///
/// # Panics
/// As [`backward`].
pub fn backward_with(alg: Algorithm, g: &Conv2d, x: &[f32], w: &[f32], dy: &[f32], out: Grads<'_>) {
    let d = g.dims();
    check("input", x.len(), g.input_len());
    check("weight", w.len(), g.weight_len());
    check("output gradient", dy.len(), g.batch * d.output);
    let Grads {
        x: dx,
        w: dw,
        bias: db,
    } = out;
    if let Some(dx) = &dx {
        check("input gradient", dx.len(), x.len());
    }
    if let Some(dw) = &dw {
        check("weight gradient", dw.len(), w.len());
    }
    if let Some(db) = &db {
        check("bias gradient", db.len(), g.c_out);
    }
    let (want_w, want_b) = (dw.is_some(), db.is_some());
    if g.batch == 0 || d.input == 0 || d.output == 0 {
        degenerate_backward(g, &d, dy, dx, dw, db);
        return;
    }
    // The input gradient by Winograd, as one forward convolution of the whole dY.
    let dx = match (dx, g.transposed()) {
        (Some(dx), Some(t)) if winograd_for(alg, &t) => {
            winograd::forward(&t, dy, &flipped_kernel(g, w), None, dx);
            None
        }
        (dx, _) => dx,
    };
    if dx.is_none() && !want_w && !want_b {
        return;
    }
    // Fewer chunks than threads (small batches): the gemm calls themselves go parallel.
    let parallel_gemm = g.batch.div_ceil(CHUNK_IMAGES) < rayon::current_num_threads();
    let wm = MatRef::row_major(w, g.c_out, d.k);
    // The input gradient as a forward convolution of dY, where there is one.
    let flipped = match (&dx, g.transposed()) {
        (Some(_), Some(t)) => Some((t, t.dims(), flipped_kernel(g, w))),
        _ => None,
    };

    // The weight gradient as kh products of shifted rows, where that applies.
    let rows = rows::applies(g, d.wo);

    // One chunk of consecutive images: dX for each, partial dW and dbias.
    let chunk = |xc: &[f32], dyc: &[f32], mut dxc: Option<&mut [f32]>| -> Partial {
        let images = xc.len() / d.input;
        let mut part = Partial {
            wt: vec![0.0; if want_w { g.weight_len() } else { 0 }],
            bias: vec![0.0; if want_b { g.c_out } else { 0 }],
        };
        let mut col = Buffer::take(if want_w && !d.direct && !rows {
            d.k * d.p
        } else {
            0
        });
        let mut dcol = Buffer::take(match &flipped {
            Some((_, td, _)) => td.k * td.p,
            None if dxc.is_some() && !d.direct => d.k * d.p,
            None => 0,
        });
        for n in 0..images {
            let xn = &xc[n * d.input..(n + 1) * d.input];
            let dyn_ = MatRef::row_major(&dyc[n * d.output..(n + 1) * d.output], g.c_out, d.p);
            if want_w && rows {
                let dyn_ = &dyc[n * d.output..(n + 1) * d.output];
                rows::accumulate(g, d.ho, xn, dyn_, &mut part.wt, parallel_gemm);
            } else if want_w {
                let c = if d.direct {
                    MatRef::row_major(xn, d.k, d.p)
                } else {
                    im2col(g, &d, xn, &mut col);
                    MatRef::row_major(&col, d.k, d.p)
                };
                matmul_strided(&mut part.wt, [1, g.c_out], dyn_, c.t(), true, parallel_gemm);
            }
            if let Some(dxc) = dxc.as_deref_mut() {
                let dxn = &mut dxc[n * d.input..(n + 1) * d.input];
                if let Some((t, td, wf)) = &flipped {
                    let dyn_ = &dyc[n * d.output..(n + 1) * d.output];
                    im2col(t, td, dyn_, &mut dcol);
                    let wf = MatRef::row_major(wf, t.c_out, td.k);
                    let cols = MatRef::row_major(&dcol, td.k, td.p);
                    matmul(dxn, wf, cols, false, parallel_gemm);
                } else if d.direct {
                    matmul(dxn, wm.t(), dyn_, false, parallel_gemm);
                } else {
                    matmul(&mut dcol, wm.t(), dyn_, false, parallel_gemm);
                    dxn.fill(0.0);
                    col2im(g, &d, &dcol, dxn);
                }
            }
            if want_b {
                let rows = dyc[n * d.output..(n + 1) * d.output].chunks_exact(d.p);
                for (acc, row) in part.bias.iter_mut().zip(rows) {
                    *acc += f64::from(row.iter().sum::<f32>());
                }
            }
        }
        part
    };

    let (xs, dys) = (CHUNK_IMAGES * d.input, CHUNK_IMAGES * d.output);
    let parts: Vec<Partial> = match dx {
        Some(dx) => dx
            .par_chunks_mut(xs)
            .zip(x.par_chunks(xs))
            .zip(dy.par_chunks(dys))
            .map(|((dxc, xc), dyc)| chunk(xc, dyc, Some(dxc)))
            .collect(),
        None => x
            .par_chunks(xs)
            .zip(dy.par_chunks(dys))
            .map(|(xc, dyc)| chunk(xc, dyc, None))
            .collect(),
    };
    let (pw, pb): (Vec<_>, Vec<_>) = parts.into_iter().map(|p| (p.wt, p.bias)).unzip();
    if let Some(dw) = dw {
        let wt = sum_in_order(pw);
        if rows {
            rows::finish(g, &wt, dw);
            return finish_bias(db, pb);
        }
        for (o, row) in dw.chunks_exact_mut(d.k).enumerate() {
            for (kk, v) in row.iter_mut().enumerate() {
                *v = wt[kk * g.c_out + o];
            }
        }
    }
    finish_bias(db, pb);
}

fn finish_bias(db: Option<&mut [f32]>, parts: Vec<Vec<f64>>) {
    if let Some(db) = db {
        for (v, s) in db.iter_mut().zip(sum_in_order(parts)) {
            *v = s as f32;
        }
    }
}

/// Empty batch, input or output: the gradients are zero except the bias gradient, which sums
/// `dy` (a convolution with no input channels outputs its bias).
fn degenerate_backward(
    g: &Conv2d,
    d: &Dims,
    dy: &[f32],
    dx: Option<&mut [f32]>,
    dw: Option<&mut [f32]>,
    db: Option<&mut [f32]>,
) {
    if let Some(dx) = dx {
        dx.fill(0.0);
    }
    if let Some(dw) = dw {
        dw.fill(0.0);
    }
    if let Some(db) = db {
        db.fill(0.0);
        if d.p > 0 {
            for (i, row) in dy.chunks_exact(d.p).enumerate() {
                db[i % g.c_out] += row.iter().sum::<f32>();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{random, rel};

    /// Direct definition in f64: y[n,o,i,j] = b[o] + Σ x[n,c,i·s−p+ki·d, …]·w[o,c,ki,kj].
    fn direct(g: &Conv2d, x: &[f32], w: &[f32], b: Option<&[f32]>) -> Vec<f64> {
        let [ho, wo] = g.output_size().unwrap();
        let [kh, kw] = g.kernel;
        let mut y = vec![0.0; g.batch * g.c_out * ho * wo];
        for n in 0..g.batch {
            for o in 0..g.c_out {
                for i in 0..ho {
                    for j in 0..wo {
                        let mut s = b.map_or(0.0, |b| f64::from(b[o]));
                        for c in 0..g.c_in {
                            for ki in 0..kh {
                                for kj in 0..kw {
                                    let iy = (i * g.stride[0] + ki * g.dilation[0]) as isize
                                        - g.padding[0].0 as isize;
                                    let ix = (j * g.stride[1] + kj * g.dilation[1]) as isize
                                        - g.padding[1].0 as isize;
                                    if iy < 0 || ix < 0 || iy >= g.h as isize || ix >= g.w as isize
                                    {
                                        continue;
                                    }
                                    let xv = x[((n * g.c_in + c) * g.h + iy as usize) * g.w
                                        + ix as usize];
                                    let wv = w[((o * g.c_in + c) * kh + ki) * kw + kj];
                                    s += f64::from(xv) * f64::from(wv);
                                }
                            }
                        }
                        y[((n * g.c_out + o) * ho + i) * wo + j] = s;
                    }
                }
            }
        }
        y
    }

    fn geometries() -> Vec<Conv2d> {
        let base = Conv2d {
            batch: 3,
            c_in: 4,
            h: 7,
            w: 9,
            c_out: 5,
            kernel: [3, 3],
            stride: [1, 1],
            padding: [(1, 1), (1, 1)],
            dilation: [1, 1],
        };
        vec![
            base,
            Conv2d {
                stride: [2, 2],
                ..base
            },
            Conv2d {
                stride: [2, 3],
                padding: [(0, 2), (1, 0)],
                ..base
            },
            Conv2d {
                kernel: [1, 1],
                padding: [(0, 0), (0, 0)],
                ..base
            },
            Conv2d {
                kernel: [1, 1],
                padding: [(0, 0), (0, 0)],
                stride: [2, 2],
                ..base
            },
            Conv2d {
                kernel: [2, 3],
                dilation: [2, 1],
                ..base
            },
            Conv2d {
                batch: 1,
                c_in: 1,
                c_out: 1,
                ..base
            },
            Conv2d {
                batch: 1,
                h: 1,
                w: 1,
                ..base
            },
            Conv2d {
                batch: 5,
                c_in: 3,
                h: 12,
                w: 12,
                c_out: 16,
                ..base
            },
            // Output as wide as the input with asymmetric padding (the whole-row im2col).
            Conv2d {
                kernel: [5, 5],
                padding: [(2, 2), (1, 3)],
                ..base
            },
            Conv2d {
                kernel: [1, 3],
                padding: [(0, 0), (2, 0)],
                ..base
            },
            Conv2d {
                kernel: [3, 3],
                padding: [(0, 3), (1, 1)],
                h: 4,
                ..base
            },
            // The weight gradient from shifted rows (conv_rows): ≥ 8 input and < 32 output
            // channels, stride 1, output as wide as the input; 3- and 5-wide kernels, the
            // row shift from 0 to the kernel width − 1, with and without vertical padding.
            Conv2d {
                c_in: 8,
                c_out: 16,
                ..base
            },
            Conv2d {
                c_in: 8,
                c_out: 12,
                kernel: [3, 5],
                padding: [(2, 0), (1, 3)],
                ..base
            },
            Conv2d {
                c_in: 9,
                c_out: 6,
                kernel: [1, 3],
                padding: [(0, 0), (2, 0)],
                ..base
            },
            Conv2d {
                batch: 2,
                c_in: 8,
                c_out: 4,
                kernel: [5, 5],
                padding: [(2, 2), (4, 0)],
                ..base
            },
        ]
    }

    #[test]
    fn forward_matches_the_definition() {
        for (i, g) in geometries().into_iter().enumerate() {
            check_forward(Algorithm::Unfold, &g, 1 + i as u64);
        }
    }

    /// Relative error (in norm) allowed against the f64 definition, for values in [−1, 1).
    /// Both algorithms sum the 9·C_in products in f32. Winograd regroups them — transformed
    /// inputs add ≤ 4 values and transformed kernels ≤ 9 (with exact halvings), the product
    /// sums C_in of them and the output transform adds 9 — so its error is a few times f32's
    /// unit roundoff (6e-8) times the condition of the sum, like the unfolded product's.
    /// Measured: at most 2.4e-7 unfolded on `geometries()`, 2.6e-7 by Winograd on
    /// `winograd_geometries()`.
    const REL: f64 = 1e-6;

    /// `alg`'s forward pass on `g`, with and without bias, against the f64 definition (inputs
    /// drawn from `seed`, `seed + 100`, `seed + 200`).
    fn check_forward(alg: Algorithm, g: &Conv2d, seed: u64) {
        let x = random(g.input_len(), seed);
        let w = random(g.weight_len(), seed + 100);
        let b = random(g.c_out, seed + 200);
        let mut y = vec![f32::NAN; g.output_len()];
        forward_with(alg, g, &x, &w, Some(&b), &mut y);
        let e = rel(&y, &direct(g, &x, &w, Some(&b)));
        assert!(e < REL, "{alg:?} {g:?}: {e}");
        forward_with(alg, g, &x, &w, None, &mut y);
        let e = rel(&y, &direct(g, &x, &w, None));
        assert!(e < REL, "{alg:?} {g:?}: {e}");
    }

    /// The gradients are the adjoint of the forward map: for a random cotangent r,
    /// ⟨r, conv(x + e, w)⟩ is linear in each argument, so dX = ∂⟨r, y⟩/∂x is checked by
    /// evaluating the exact f64 directional derivative along random directions.
    #[test]
    fn gradients_are_the_adjoint_of_the_forward_map() {
        for (i, g) in geometries().into_iter().enumerate() {
            check_adjoint(Algorithm::Unfold, &g, 1000 + 10 * i as u64);
        }
    }

    /// `(dx, dw, db)` of ⟨dy, conv(x, w)⟩ by `alg`, asked for together, in buffers that start
    /// as NaN (an entry left unwritten shows).
    fn all_grads(alg: Algorithm, g: &Conv2d, x: &[f32], w: &[f32], dy: &[f32]) -> [Vec<f32>; 3] {
        let (mut dx, mut dw, mut db) = (
            vec![f32::NAN; x.len()],
            vec![f32::NAN; w.len()],
            vec![f32::NAN; g.c_out],
        );
        backward_with(
            alg,
            g,
            x,
            w,
            dy,
            Grads {
                x: Some(&mut dx),
                w: Some(&mut dw),
                bias: Some(&mut db),
            },
        );
        [dx, dw, db]
    }

    /// `alg`'s gradients on `g` against the exact f64 directional derivatives of ⟨dy, conv⟩
    /// (inputs drawn from `seed`, `seed + 1`, `seed + 2`), and each gradient asked for alone
    /// equal to the same gradient asked for with the others. Returns `(dx, dw, db)`.
    fn check_adjoint(alg: Algorithm, g: &Conv2d, seed: u64) -> [Vec<f32>; 3] {
        let g = *g;
        let x = random(g.input_len(), seed);
        let w = random(g.weight_len(), seed + 1);
        let dy = random(g.output_len(), seed + 2);
        let [dx, dw, db] = all_grads(alg, &g, &x, &w, &dy);
        let dot = |a: &[f64]| -> f64 { a.iter().zip(&dy).map(|(a, b)| a * f64::from(*b)).sum() };
        // Directional derivatives are exact (the map is bilinear): compare along basis
        // directions of every coordinate.
        let want_dx: Vec<f64> = (0..x.len())
            .map(|j| {
                let mut e = vec![0.0f32; x.len()];
                e[j] = 1.0;
                dot(&direct(&g, &e, &w, None))
            })
            .collect();
        let want_dw: Vec<f64> = (0..w.len())
            .map(|j| {
                let mut e = vec![0.0f32; w.len()];
                e[j] = 1.0;
                dot(&direct(&g, &x, &e, None))
            })
            .collect();
        let [ho, wo] = g.output_size().unwrap();
        let want_db: Vec<f64> = (0..g.c_out)
            .map(|o| {
                (0..g.batch)
                    .flat_map(|n| (0..ho * wo).map(move |p| (n, p)))
                    .map(|(n, p)| f64::from(dy[(n * g.c_out + o) * ho * wo + p]))
                    .sum()
            })
            .collect();
        assert!(rel(&dx, &want_dx) < REL, "dx {alg:?} {g:?}");
        assert!(rel(&dw, &want_dw) < REL, "dw {alg:?} {g:?}");
        assert!(rel(&db, &want_db) < REL, "db {alg:?} {g:?}");
        // Each gradient can be asked for alone.
        let mut dw2 = vec![0.0; w.len()];
        backward_with(
            alg,
            &g,
            &x,
            &w,
            &dy,
            Grads {
                x: None,
                w: Some(&mut dw2),
                bias: None,
            },
        );
        assert_eq!(dw2, dw);
        let mut dx2 = vec![0.0; x.len()];
        backward_with(
            alg,
            &g,
            &x,
            &w,
            &dy,
            Grads {
                x: Some(&mut dx2),
                w: None,
                bias: None,
            },
        );
        assert_eq!(dx2, dx);
        [dx, dw, db]
    }

    /// Fixed chunking: the same bits with 1, 2 or 3 threads and from run to run.
    #[test]
    fn weight_gradients_do_not_depend_on_the_thread_count() {
        let base = Conv2d {
            batch: 37,
            c_in: 3,
            h: 9,
            w: 9,
            c_out: 4,
            kernel: [3, 3],
            stride: [1, 1],
            padding: [(1, 1), (1, 1)],
            dilation: [1, 1],
        };
        // The unfolded product, and the shifted-row weight gradient (≥ 8 input channels).
        for g in [base, Conv2d { c_in: 8, ..base }] {
            same_bits_for_any_thread_count(Algorithm::Unfold, &g);
        }
    }

    /// `alg`'s forward pass and all three gradients on `g` give the same bits with 1, 2 and 3
    /// threads.
    fn same_bits_for_any_thread_count(alg: Algorithm, g: &Conv2d) {
        let g = *g;
        let x = random(g.input_len(), 1);
        let w = random(g.weight_len(), 2);
        let dy = random(g.output_len(), 3);
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let mut y = vec![0.0; g.output_len()];
                forward_with(alg, &g, &x, &w, None, &mut y);
                let [dx, dw, db] = all_grads(alg, &g, &x, &w, &dy);
                [y, dx, dw, db].map(|v| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>())
            })
        };
        let one = run(1);
        for t in [2, 3, 2] {
            assert_eq!(run(t), one, "{alg:?}, {t} threads");
        }
    }

    /// The "same" 3×3 geometries Winograd computes: even and odd sides (a cut last tile), a
    /// single pixel, one channel, more images than a group ([`winograd`]'s `MAX_GROUP`), and
    /// the widths of a CIFAR ResNet.
    fn winograd_geometries() -> Vec<Conv2d> {
        let base = Conv2d {
            batch: 3,
            c_in: 4,
            h: 8,
            w: 8,
            c_out: 5,
            kernel: [3, 3],
            stride: [1, 1],
            padding: [(1, 1), (1, 1)],
            dilation: [1, 1],
        };
        vec![
            base,
            Conv2d { h: 7, w: 9, ..base },
            Conv2d { h: 1, w: 1, ..base },
            Conv2d { h: 2, w: 5, ..base },
            Conv2d {
                batch: 1,
                c_in: 1,
                c_out: 1,
                ..base
            },
            Conv2d {
                batch: 37,
                h: 4,
                w: 4,
                ..base
            },
            Conv2d {
                batch: 2,
                c_in: 16,
                c_out: 16,
                h: 32,
                w: 32,
                ..base
            },
            Conv2d {
                batch: 20,
                c_in: 64,
                c_out: 64,
                h: 8,
                w: 8,
                ..base
            },
        ]
    }

    #[test]
    fn winograd_forward_matches_the_definition() {
        for (i, g) in winograd_geometries().into_iter().enumerate() {
            assert!(winograd::computable(&g), "{g:?}");
            check_forward(Algorithm::WinogradEverywhere, &g, 11 + i as u64);
        }
    }

    /// The input gradient by Winograd is the adjoint of the forward map (exact f64 directional
    /// derivatives, as for the unfolded path), and the weight and bias gradients are the
    /// unfolded path's bits.
    #[test]
    fn winograd_input_gradient_is_the_adjoint_of_the_forward_map() {
        for (i, g) in winograd_geometries().into_iter().enumerate() {
            if g.input_len() > 4096 {
                continue; // one direct convolution per input coordinate
            }
            let seed = 5000 + 10 * i as u64;
            let [_, dw, db] = check_adjoint(Algorithm::WinogradEverywhere, &g, seed);
            let [_, dw_u, db_u] = check_adjoint(Algorithm::Unfold, &g, seed);
            assert_eq!(dw, dw_u, "{g:?}");
            assert_eq!(db, db_u, "{g:?}");
        }
    }

    /// Elsewhere Winograd does not apply and the unfolded bits are kept; and its own results
    /// do not depend on the thread count (groups follow the geometry).
    #[test]
    fn winograd_only_touches_its_geometries_and_ignores_the_thread_count() {
        for (i, g) in geometries().into_iter().enumerate() {
            if winograd::computable(&g) {
                continue;
            }
            let x = random(g.input_len(), 7 + i as u64);
            let w = random(g.weight_len(), 8 + i as u64);
            let (mut a, mut b) = (vec![0.0; g.output_len()], vec![1.0; g.output_len()]);
            forward_with(Algorithm::Unfold, &g, &x, &w, None, &mut a);
            forward_with(Algorithm::WinogradEverywhere, &g, &x, &w, None, &mut b);
            assert_eq!(a, b, "{g:?}");
        }
        // 37 images: groups of 16, 16 and 5.
        same_bits_for_any_thread_count(Algorithm::WinogradEverywhere, &winograd_geometries()[5]);
    }

    /// `Winograd` takes the Winograd path exactly where it pays (a 32×32 plane with 16
    /// channels) and keeps the unfolded bits on smaller planes, fewer channels, and for the
    /// input gradient of layers it does not cover.
    #[test]
    fn winograd_is_used_where_it_is_measured_to_pay() {
        let base = winograd_geometries()[6]; // 2 × 16 × 32 × 32
        assert!(winograd::applies(&base));
        let small = Conv2d {
            h: 16,
            w: 16,
            ..base
        };
        // Its input gradient is a convolution from c_out channels: both are below 16.
        let thin = Conv2d {
            c_in: 8,
            c_out: 8,
            ..base
        };
        for (g, pays) in [(base, true), (small, false), (thin, false)] {
            assert_eq!(winograd::applies(&g), pays, "{g:?}");
            let x = random(g.input_len(), 3);
            let w = random(g.weight_len(), 4);
            let dy = random(g.output_len(), 5);
            let run = |alg| {
                let mut y = vec![0.0; g.output_len()];
                forward_with(alg, &g, &x, &w, None, &mut y);
                let mut dx = vec![0.0; g.input_len()];
                let grads = Grads {
                    x: Some(&mut dx),
                    w: None,
                    bias: None,
                };
                backward_with(alg, &g, &x, &w, &dy, grads);
                (y, dx)
            };
            let used = run(Algorithm::Winograd);
            let want = run(if pays {
                Algorithm::WinogradEverywhere
            } else {
                Algorithm::Unfold
            });
            assert!(used == want, "{g:?}");
            // The two paths round differently: the comparison above can tell them apart.
            assert!(
                run(Algorithm::Unfold) != run(Algorithm::WinogradEverywhere),
                "{g:?}"
            );
        }
    }

    #[test]
    fn the_algorithm_is_named_or_refused_by_name() {
        assert_eq!(Algorithm::parse("winograd"), Ok(Algorithm::Winograd));
        assert_eq!(Algorithm::parse("unfold"), Ok(Algorithm::Unfold));
        for a in [Algorithm::Unfold, Algorithm::Winograd] {
            assert_eq!(Algorithm::parse(a.name()), Ok(a));
        }
        let e = Algorithm::parse("Winograd ").unwrap_err();
        assert!(e.contains("MR2_CONV") && e.contains("\"Winograd \""), "{e}");
    }

    #[test]
    fn impossible_geometries_are_named() {
        let g = Conv2d {
            batch: 1,
            c_in: 1,
            h: 2,
            w: 2,
            c_out: 1,
            kernel: [5, 5],
            stride: [1, 1],
            padding: [(0, 0), (0, 0)],
            dilation: [1, 1],
        };
        assert!(g
            .output_size()
            .unwrap_err()
            .contains("exceeds the padded input"));
        let g = Conv2d {
            stride: [0, 1],
            kernel: [1, 1],
            ..g
        };
        assert!(g.output_size().unwrap_err().contains("non-zero"));
    }
}
