//! The weight gradient of a stride-1 convolution whose output is as wide as its input (the
//! ResNets' "same" 3×3 layers), as `kh` products with `kw·C_out` rows instead of one with
//! `C_out` rows.
//!
//! With `dY` shifted horizontally and `X` shifted vertically,
//!
//! ```text
//! dW[o, c, i, j] = Σ_p A[(o, kw−1−j), p] · X̄[c, p + i·W]
//! A[(o, t), (y, x)] = dY[o, y, x + t − (kw−1−pl)]   (0 outside the row)
//! X̄ = X with pt zero rows above and pb below
//! ```
//!
//! so `G_i = A · X̄_iᵀ` (`kw·C_out × C_in`, inner dimension `P = H_out·W`) holds the kernel row
//! `i` of the gradient. `A` is built transposed (`P × kw·C_out`, each position's row
//! contiguous), which gemm reads in place as a column-major left operand; `X̄_i` is a view into
//! `X̄` at offset `i·W`. With 16 output channels the single product's left operand is one
//! vector of rows (gemm's narrowest micro-kernel); here it is `kw` vectors.

use crate::matmul::{matmul_strided, MatRef};
use crate::scratch::Buffer;

use super::Conv2d;

/// Whether [`accumulate`] is used: stride 1, no dilation, output width = input width, not a
/// 1×1 kernel (which needs no unfolding at all) — and the sizes where it was measured to pay
/// (ResNet-20's layers, batch 128, 2 threads): fewer than 32 output channels (16: 3.55 →
/// 2.40 ms per layer; 32: 1.73 → 1.97, so not there) and at least 8 input channels (3 → 16:
/// 0.98 → 1.44 ms, so not there either).
pub(crate) fn applies(g: &Conv2d, wo: usize) -> bool {
    g.stride == [1, 1]
        && g.dilation == [1, 1]
        && wo == g.w
        && g.kernel != [1, 1]
        && g.c_out < 32
        && g.c_in >= 8
}

/// `part += Σ_i G_i` for one image (`x`: `[C_in, H, W]`, `dy`: `[C_out, H_out, W]`), `part`
/// `weight_len` elements: `kh` blocks, block `i` the column-major `kw·C_out × C_in` matrix `G_i`.
pub(crate) fn accumulate(
    g: &Conv2d,
    ho: usize,
    x: &[f32],
    dy: &[f32],
    part: &mut [f32],
    parallel: bool,
) {
    let [kh, kw] = g.kernel;
    let (w, p) = (g.w, ho * g.w);
    let m = kw * g.c_out;
    let [(pt, pb), (pl, _)] = g.padding;
    // A, transposed: at[q·m + o·kw + t] = dY[o, q + t − (kw − 1 − pl)] within the row.
    let mut at = Buffer::take(p * m);
    let lead = kw - 1 - pl;
    match kw {
        3 => shifted_rows::<3>(g.c_out, ho, w, lead, dy, &mut at),
        _ => shifted_rows_any(g.c_out, ho, w, kw, lead, dy, &mut at),
    }
    // X̄: the input with pt zero rows above and pb below (the input itself without padding).
    let hp = g.h + pt + pb;
    let padded;
    let xbar: &[f32] = if pt == 0 && pb == 0 {
        x
    } else {
        let mut v = Buffer::take(g.c_in * hp * w);
        for c in 0..g.c_in {
            let plane = &mut v[c * hp * w..(c + 1) * hp * w];
            plane[..pt * w].fill(0.0);
            plane[pt * w..(pt + g.h) * w].copy_from_slice(&x[c * g.h * w..(c + 1) * g.h * w]);
            plane[(pt + g.h) * w..].fill(0.0);
        }
        padded = v;
        &padded
    };
    let lhs = MatRef::strided(&at, m, p, 1, m);
    let block = m * g.c_in;
    for i in 0..kh {
        // X̄_i[c, q] = X̄[c, q + i·W]: rows of the padded planes, starting at kernel row i.
        let span = (g.c_in - 1) * hp * w + p;
        let rhs = MatRef::strided(&xbar[i * w..i * w + span], g.c_in, p, hp * w, 1).t();
        matmul_strided(
            &mut part[i * block..(i + 1) * block],
            [1, m],
            lhs,
            rhs,
            true,
            parallel,
        );
    }
}

/// `dW[o, c, i, j]` from the summed partials.
pub(crate) fn finish(g: &Conv2d, part: &[f32], dw: &mut [f32]) {
    let [kh, kw] = g.kernel;
    let m = kw * g.c_out;
    for o in 0..g.c_out {
        for c in 0..g.c_in {
            for i in 0..kh {
                for j in 0..kw {
                    dw[((o * g.c_in + c) * kh + i) * kw + j] =
                        part[i * m * g.c_in + c * m + o * kw + (kw - 1 - j)];
                }
            }
        }
    }
}

/// `at[q·m + o·KW + t] = dY[o, q + t − lead]` (0 where that leaves the row), `m = KW·C_out`:
/// for each position the `KW` neighbours of every channel, copied without bounds checks in
/// the interior of the row.
fn shifted_rows<const KW: usize>(
    c_out: usize,
    ho: usize,
    w: usize,
    lead: usize,
    dy: &[f32],
    at: &mut [f32],
) {
    let (m, p) = (KW * c_out, ho * w);
    // Interior columns: every neighbour x + t − lead lies in [0, w).
    let (lo, hi) = (lead, (w + lead + 1).saturating_sub(KW).max(lead));
    for y in 0..ho {
        for xo in 0..w {
            let out = &mut at[(y * w + xo) * m..(y * w + xo + 1) * m];
            if !(lo..hi).contains(&xo) {
                neighbours_checked(out, dy, KW, p, w, y, xo, lead);
                continue;
            }
            let start = y * w + xo - lead;
            for (o, dst) in out.chunks_exact_mut(KW).enumerate() {
                let src: &[f32; KW] = dy[o * p + start..o * p + start + KW]
                    .try_into()
                    .expect("KW values");
                dst.copy_from_slice(src);
            }
        }
    }
}

/// [`shifted_rows`] for any kernel width (every position checked).
fn shifted_rows_any(
    c_out: usize,
    ho: usize,
    w: usize,
    kw: usize,
    lead: usize,
    dy: &[f32],
    at: &mut [f32],
) {
    let (m, p) = (kw * c_out, ho * w);
    for y in 0..ho {
        for xo in 0..w {
            let out = &mut at[(y * w + xo) * m..(y * w + xo + 1) * m];
            neighbours_checked(out, dy, kw, p, w, y, xo, lead);
        }
    }
}

/// One position's row of `at`: for every channel `o`, `dY[o, y, xo + t − lead]` for
/// `t < kw`, 0 where that leaves the row.
#[allow(clippy::too_many_arguments)]
fn neighbours_checked(
    out: &mut [f32],
    dy: &[f32],
    kw: usize,
    p: usize,
    w: usize,
    y: usize,
    xo: usize,
    lead: usize,
) {
    for (o, dst) in out.chunks_exact_mut(kw).enumerate() {
        let row = &dy[o * p + y * w..o * p + (y + 1) * w];
        for (t, v) in dst.iter_mut().enumerate() {
            let sx = (xo + t).checked_sub(lead).filter(|&sx| sx < w);
            *v = sx.map_or(0.0, |sx| row[sx]);
        }
    }
}
