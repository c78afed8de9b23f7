//! Winograd's minimal filtering F(2×2, 3×3) for the 3×3 "same" convolutions (stride 1,
//! dilation 1, one pixel of zero padding on every side) that make up almost all of a CIFAR
//! ResNet, forward and — through [`super::Conv2d::transposed`] — input gradient. It can
//! compute any such geometry ([`computable`]); `Algorithm::Winograd` uses it only where it
//! measured faster than the unfolded product ([`applies`]: planes of at least 32×32 with at
//! least 16 input channels).
//!
//! Each 2×2 block of outputs (a *tile*) is computed from the 4×4 input block around it:
//! `Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A`, with
//!
//! ```text
//!      ⎡1  0 −1  0⎤        ⎡ 1    0    0 ⎤        ⎡1  1  1  0⎤
//! Bᵀ = ⎢0  1  1  0⎥    G = ⎢ ½    ½    ½ ⎥   Aᵀ = ⎣0  1 −1 −1⎦
//!      ⎢0 −1  1  0⎥        ⎢ ½   −½    ½ ⎥
//!      ⎣0  1  0 −1⎦        ⎣ 0    0    1 ⎦
//! ```
//!
//! (Lavin & Gray 2016, "Fast algorithms for convolutional neural networks"). Summed over input
//! channels the element-wise product becomes 16 matrix products, one per position ξ of the
//! 4×4 transformed tile: `M[ξ] = U[ξ] · V[ξ]` with `U[ξ]` the `C_out × C_in` transformed
//! kernels and `V[ξ]` the `C_in × tiles` transformed inputs — 16 multiplications per 4 outputs
//! and input channel instead of 36 (2.25× fewer), for the price of the three transforms,
//! which are additions and halvings.
//!
//! Numerics: the transforms have coefficients 0, ±½, ±1, so every transformed value is a sum
//! of at most 9 (kernel) or 4 (input) terms with exact scaling; the product sums over `C_in`
//! as the unfolded product does, and the output transform adds 9 of them. The rounding error
//! is therefore a small constant multiple of the direct sum's (it is compared with the f64
//! definition in the tests), and the result is deterministic: the tiles are grouped by the
//! geometry alone, never by the thread count.

use rayon::prelude::*;

use super::Conv2d;
use crate::matmul::{matmul, MatRef};
use crate::scratch::Buffer;

/// Tiles per product, at least: images are grouped until their tiles reach this many (at
/// most [`MAX_GROUP`] images), so the 16 products are not too thin on small feature maps.
const MIN_TILES: usize = 256;
/// Images per group, at most.
const MAX_GROUP: usize = 16;

/// Smallest plane (`h · w`) computed by Winograd. Measured on a 2-core AVX2 machine (EPYC,
/// batch 128, C_in = C_out, forward and input gradient, medians of 14 alternating calls;
/// `scripts/conv-ab.sh` times the whole step): 32×32 × 16 channels 0.66–0.75 of the unfolded
/// time, 16×16 × 32 0.93–1.18, 8×8 × 64 1.03–1.40 — on small planes the transforms, which
/// work a plane at a time, cost what the 2.25× fewer products save.
pub const MIN_PLANE: usize = 32 * 32;
/// Fewest input channels computed by Winograd (a product over fewer is too thin to pay for
/// the transforms; the stem's 3 channels stay unfolded).
pub const MIN_CHANNELS: usize = 16;

/// The convolutions this file computes: a 3×3 kernel, stride 1, dilation 1, one pixel of
/// padding on every side (output as large as the input), on planes of at least
/// [`MIN_PLANE`] pixels with at least [`MIN_CHANNELS`] input channels.
pub fn applies(g: &Conv2d) -> bool {
    g.h * g.w >= MIN_PLANE && g.c_in >= MIN_CHANNELS && computable(g)
}

/// The geometries the algorithm handles correctly at all (what the tests exercise, small
/// planes included).
pub fn computable(g: &Conv2d) -> bool {
    g.kernel == [3, 3]
        && g.stride == [1, 1]
        && g.dilation == [1, 1]
        && g.padding == [(1, 1), (1, 1)]
        && g.h > 0
        && g.w > 0
        && g.c_in > 0
}

/// `U[ξ][o][c] = (G w[o, c] Gᵀ)[ξ]`, 16 row-major `C_out × C_in` matrices.
fn transform_kernels(g: &Conv2d, w: &[f32]) -> Vec<f32> {
    let (co, ci) = (g.c_out, g.c_in);
    let mut u = vec![0.0f32; 16 * co * ci];
    for o in 0..co {
        for c in 0..ci {
            let k = &w[(o * ci + c) * 9..(o * ci + c) * 9 + 9];
            // t = G k (4 × 3), column by column.
            let mut t = [[0.0f32; 3]; 4];
            for j in 0..3 {
                let (a, b, d) = (k[j], k[3 + j], k[6 + j]);
                t[0][j] = a;
                t[1][j] = 0.5 * (a + b + d);
                t[2][j] = 0.5 * (a - b + d);
                t[3][j] = d;
            }
            // t Gᵀ (4 × 4), row by row.
            for (i, r) in t.iter().enumerate() {
                let row = [
                    r[0],
                    0.5 * (r[0] + r[1] + r[2]),
                    0.5 * (r[0] - r[1] + r[2]),
                    r[2],
                ];
                for (j, v) in row.into_iter().enumerate() {
                    u[((i * 4 + j) * co + o) * ci + c] = v;
                }
            }
        }
    }
    u
}

/// `dst[k] = a[k] − b[k]` (over the shortest of the three).
#[inline(always)]
fn sub(dst: &mut [f32], a: &[f32], b: &[f32]) {
    for ((d, a), b) in dst.iter_mut().zip(a).zip(b) {
        *d = a - b;
    }
}

/// `dst[k] = a[k] + b[k]`.
#[inline(always)]
fn add(dst: &mut [f32], a: &[f32], b: &[f32]) {
    for ((d, a), b) in dst.iter_mut().zip(a).zip(b) {
        *d = a + b;
    }
}

/// The image plane `src` (`wd` wide) zero-padded by one pixel and split by column parity into
/// `pad = [even, odd]`, each `2·th + 2` rows of `tw + 1`: `even[r][k]` is padded column `2k` of
/// padded row `r`, `odd[r][k]` padded column `2k + 1`. Only the image's own positions are
/// written: the border keeps the zeros the caller put there.
#[inline(always)]
fn split_padded(src: &[f32], wd: usize, tw: usize, pad: &mut [f32]) {
    let row = tw + 1;
    let (even, odd) = pad.split_at_mut(pad.len() / 2);
    for (i, s) in src.chunks_exact(wd).enumerate() {
        let e = &mut even[(i + 1) * row..(i + 2) * row];
        let o = &mut odd[(i + 1) * row..(i + 2) * row];
        // Image column j is padded column j + 1: odd[j / 2] for even j, even[j / 2 + 1] else.
        for ((o, e), pair) in o.iter_mut().zip(&mut e[1..]).zip(s.chunks_exact(2)) {
            *o = pair[0];
            *e = pair[1];
        }
        if wd % 2 == 1 {
            o[wd / 2] = s[wd - 1];
        }
    }
}

/// `Bᵀ d B` for every tile of one zero-padded plane `pad` ([`split_padded`]; `th × tw`
/// tiles), with `t` scratch of `16 · th · tw`; writes the `th · tw` values of position ξ to
/// `v[at(ξ)..]`. Tile `(ty, tx)` covers padded rows `2ty .. 2ty + 4` and columns
/// `2tx .. 2tx + 4`, i.e. `even[tx]`, `odd[tx]`, `even[tx + 1]`, `odd[tx + 1]` of each row.
#[inline(always)]
fn transform_inputs(
    pad: &[f32],
    th: usize,
    tw: usize,
    t: &mut [f32],
    v: &mut [f32],
    at: impl Fn(usize) -> usize,
) {
    let (row, tiles) = (tw + 1, th * tw);
    let (even, odd) = pad.split_at(pad.len() / 2);
    // Bᵀ d: t[4i + b] from padded rows 2ty + 0..4 at column offset b, for each tile row.
    for ty in 0..th {
        for b in 0..4 {
            let (half, shift) = (if b % 2 == 0 { even } else { odd }, b / 2);
            let d: [&[f32]; 4] = std::array::from_fn(|a| {
                let at = (2 * ty + a) * row + shift;
                &half[at..at + tw]
            });
            let dst = |k: usize| k * tiles + ty * tw..k * tiles + (ty + 1) * tw;
            sub(&mut t[dst(b)], d[0], d[2]);
            add(&mut t[dst(4 + b)], d[1], d[2]);
            sub(&mut t[dst(8 + b)], d[2], d[1]);
            sub(&mut t[dst(12 + b)], d[1], d[3]);
        }
    }
    // (Bᵀ d) B: v[4i + j] from t[4i + 0..4], all tiles at once.
    let row = |k: usize| k * tiles..(k + 1) * tiles;
    for i in 0..4 {
        let tt: [&[f32]; 4] = std::array::from_fn(|b| &t[row(4 * i + b)]);
        let put = |xi: usize| at(xi)..at(xi) + tiles;
        sub(&mut v[put(4 * i)], tt[0], tt[2]);
        add(&mut v[put(4 * i + 1)], tt[1], tt[2]);
        sub(&mut v[put(4 * i + 2)], tt[2], tt[1]);
        sub(&mut v[put(4 * i + 3)], tt[1], tt[3]);
    }
}

/// `Aᵀ m A` for every tile at once: `m(ξ)` the `tiles` values of position ξ, `s` scratch of
/// `8 · tiles`; writes the four outputs of each tile to `y[2a + b][tile]` (`4 · tiles`).
#[inline(always)]
fn transform_outputs<'m>(
    m: impl Fn(usize) -> &'m [f32],
    s: &mut [f32],
    y: &mut [f32],
    tiles: usize,
) {
    let (s0, s1) = s.split_at_mut(4 * tiles);
    // Aᵀ m: s0[j] = m[j] + m[4 + j] + m[8 + j], s1[j] = m[4 + j] − m[8 + j] − m[12 + j].
    for j in 0..4 {
        let a = &mut s0[j * tiles..(j + 1) * tiles];
        add(a, m(j), m(4 + j));
        a.iter_mut().zip(m(8 + j)).for_each(|(a, b)| *a += b);
        let c = &mut s1[j * tiles..(j + 1) * tiles];
        sub(c, m(4 + j), m(8 + j));
        c.iter_mut().zip(m(12 + j)).for_each(|(a, b)| *a -= b);
    }
    // (Aᵀ m) A: y[a][0] = s_a[0] + s_a[1] + s_a[2], y[a][1] = s_a[1] − s_a[2] − s_a[3].
    for (a, sa) in [&*s0, &*s1].into_iter().enumerate() {
        let r = |k: usize| &sa[k * tiles..(k + 1) * tiles];
        let y0 = &mut y[(2 * a) * tiles..(2 * a + 1) * tiles];
        add(y0, r(0), r(1));
        y0.iter_mut().zip(r(2)).for_each(|(a, b)| *a += b);
        let y1 = &mut y[(2 * a + 1) * tiles..(2 * a + 2) * tiles];
        sub(y1, r(1), r(2));
        y1.iter_mut().zip(r(3)).for_each(|(a, b)| *a -= b);
    }
}

/// Writes the tile outputs `y[2a + b][ty·tw + tx]` (+ `bias`) to image pixel
/// `(2ty + a, 2tx + b)` of the `h × wd` plane `dst`, dropping what falls outside.
#[inline(always)]
fn scatter_tiles(y: &[f32], bias: f32, wd: usize, tw: usize, dst: &mut [f32]) {
    let tiles = y.len() / 4;
    for (i, out) in dst.chunks_exact_mut(wd).enumerate() {
        let (ty, a) = (i / 2, i % 2);
        let e = &y[(2 * a) * tiles + ty * tw..(2 * a) * tiles + (ty + 1) * tw];
        let o = &y[(2 * a + 1) * tiles + ty * tw..(2 * a + 1) * tiles + (ty + 1) * tw];
        let pairs = out.chunks_exact_mut(2);
        if let Some(last) = pairs.into_remainder().first_mut() {
            *last = e[tw - 1] + bias;
        }
        for ((pair, e), o) in out.chunks_exact_mut(2).zip(e).zip(o) {
            pair[0] = e + bias;
            pair[1] = o + bias;
        }
    }
}

/// The length of [`split_padded`]'s two planes.
fn padded_len(g: &Conv2d) -> usize {
    let (th, tw) = tile_grid(g);
    2 * (2 * th + 2) * (tw + 1)
}

/// Tiles per row and column of an `h × w` output.
fn tile_grid(g: &Conv2d) -> (usize, usize) {
    (g.h.div_ceil(2), g.w.div_ceil(2))
}

/// [`inputs_of_group`] as a `pulp` operation: `with_simd` is inlined into the function compiled
/// for the CPU's level, and everything it calls is `#[inline(always)]`, so the transforms are
/// compiled for AVX2 / AVX-512 where the CPU has them (a closure handed to `dispatch` is not
/// reliably inlined once it has grown). Additions and subtractions only, in a fixed order:
/// every level gives the same bits.
struct Inputs<'a> {
    g: &'a Conv2d,
    xg: &'a [f32],
    pad: &'a mut [f32],
    t: &'a mut [f32],
    v: &'a mut [f32],
}

impl pulp::WithSimd for Inputs<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        inputs_of_group(self.g, self.xg, self.pad, self.t, self.v);
    }
}

/// [`outputs_of_group`] as a `pulp` operation (as [`Inputs`]).
struct Outputs<'a> {
    g: &'a Conv2d,
    m: &'a [f32],
    bias: Option<&'a [f32]>,
    t: &'a mut [f32],
    yg: &'a mut [f32],
}

impl pulp::WithSimd for Outputs<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        outputs_of_group(self.g, self.m, self.bias, self.t, self.yg);
    }
}

/// The input transform of a group of images `xg`: `v[ξ][c][n·tiles + t]`; `t` scratch
/// of `16 · tiles`, `pad` of [`padded_len`] (zeroed by the caller).
#[inline(always)]
fn inputs_of_group(g: &Conv2d, xg: &[f32], pad: &mut [f32], t: &mut [f32], v: &mut [f32]) {
    let (th, tw) = tile_grid(g);
    let (tiles, plane) = (th * tw, g.h * g.w);
    let input = g.c_in * plane;
    let tc = xg.len() / input * tiles;
    for (n, xn) in xg.chunks_exact(input).enumerate() {
        for (c, src) in xn.chunks_exact(plane).enumerate() {
            split_padded(src, g.w, tw, pad);
            let at = |xi: usize| (xi * g.c_in + c) * tc + n * tiles;
            transform_inputs(pad, th, tw, t, v, at);
        }
    }
}

/// The output transform of a group: `m[ξ][o][n·tiles + t]` (+ bias) to the images `yg`; `t`
/// scratch of `12 · tiles`.
#[inline(always)]
fn outputs_of_group(g: &Conv2d, m: &[f32], bias: Option<&[f32]>, t: &mut [f32], yg: &mut [f32]) {
    let (th, tw) = tile_grid(g);
    let (tiles, plane) = (th * tw, g.h * g.w);
    let output = g.c_out * plane;
    let tc = yg.len() / output * tiles;
    let (s8, y4) = t.split_at_mut(8 * tiles);
    let y4 = &mut y4[..4 * tiles];
    for (n, yn) in yg.chunks_exact_mut(output).enumerate() {
        for (o, dst) in yn.chunks_exact_mut(plane).enumerate() {
            let mm = |xi: usize| {
                let at = (xi * g.c_out + o) * tc + n * tiles;
                &m[at..at + tiles]
            };
            transform_outputs(mm, s8, y4, tiles);
            let b = bias.map_or(0.0, |b| b[o]);
            scatter_tiles(y4, b, g.w, tw, dst);
        }
    }
}

/// `y = conv(x, w) + bias` for a geometry where [`computable`] holds; the slices as in
/// [`super::forward`], whose checks the caller has made.
pub fn forward(g: &Conv2d, x: &[f32], w: &[f32], bias: Option<&[f32]>, y: &mut [f32]) {
    debug_assert!(computable(g));
    let (h, wd) = (g.h, g.w);
    let (th, tw) = (h.div_ceil(2), wd.div_ceil(2));
    let tiles = th * tw;
    let group = MIN_TILES.div_ceil(tiles).clamp(1, MAX_GROUP);
    let plane = h * wd;
    let (input, output) = (g.c_in * plane, g.c_out * plane);
    if g.batch == 0 || output == 0 {
        return;
    }
    let u = transform_kernels(g, w);
    let groups = g.batch.div_ceil(group);
    let parallel_gemm = groups < rayon::current_num_threads();

    let one_group = |xg: &[f32], yg: &mut [f32]| {
        let images = xg.len() / input;
        let tc = images * tiles;
        let mut v = Buffer::take(16 * g.c_in * tc);
        let mut m = Buffer::take(16 * g.c_out * tc);
        let mut t = Buffer::take(16 * tiles);
        let mut pad = Buffer::take(padded_len(g));
        pad.fill(0.0);
        crate::simd::arch().dispatch(Inputs {
            g,
            xg,
            pad: &mut pad,
            t: &mut t,
            v: &mut v,
        });
        // M[ξ] = U[ξ] · V[ξ].
        for xi in 0..16 {
            let ux = MatRef::row_major(&u[xi * g.c_out * g.c_in..], g.c_out, g.c_in);
            let vx = MatRef::row_major(&v[xi * g.c_in * tc..], g.c_in, tc);
            matmul(
                &mut m[xi * g.c_out * tc..(xi + 1) * g.c_out * tc],
                ux,
                vx,
                false,
                parallel_gemm,
            );
        }
        // Output transform, cut to the image where h or w is odd.
        crate::simd::arch().dispatch(Outputs {
            g,
            m: &m,
            bias,
            t: &mut t,
            yg,
        });
    };
    if parallel_gemm {
        for (yg, xg) in y.chunks_mut(group * output).zip(x.chunks(group * input)) {
            one_group(xg, yg);
        }
    } else {
        y.par_chunks_mut(group * output)
            .zip(x.par_chunks(group * input))
            .for_each(|(yg, xg)| one_group(xg, yg));
    }
}
