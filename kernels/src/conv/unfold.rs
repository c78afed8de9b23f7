//! Unfolding an image into the columns of a convolution's product (im2col) and folding
//! column gradients back (col2im).

use super::{Conv2d, Dims};

/// The output positions `o < n_out` whose input index `o·stride + offset` lies in `[0, n_in)`:
/// a contiguous range.
pub(super) fn valid_range(
    n_out: usize,
    stride: usize,
    offset: isize,
    n_in: usize,
) -> (usize, usize) {
    let s = stride as isize;
    let lo = if offset >= 0 {
        0
    } else {
        (-offset + s - 1) / s
    };
    let room = n_in as isize - offset;
    let hi = if room <= 0 { 0 } else { (room + s - 1) / s };
    let lo = (lo as usize).min(n_out);
    let hi = (hi as usize).clamp(lo, n_out);
    (lo, hi)
}

/// Visit every (row of col, output row) pair with the input row it reads (or `None` for a
/// padding row) and the valid output-column range; `f(col_row_segment, input_row, lo, hi,
/// offset_x, stride_x)`.
fn for_each_segment(
    g: &Conv2d,
    d: &Dims,
    mut f: impl FnMut(usize, usize, Option<usize>, (usize, usize), isize),
) {
    let [kh, kw] = g.kernel;
    for ci in 0..g.c_in {
        for ki in 0..kh {
            let off_y = (ki * g.dilation[0]) as isize - g.padding[0].0 as isize;
            for kj in 0..kw {
                let row = (ci * kh + ki) * kw + kj;
                let off_x = (kj * g.dilation[1]) as isize - g.padding[1].0 as isize;
                let range = valid_range(d.wo, g.stride[1], off_x, g.w);
                for oy in 0..d.ho {
                    let iy = (oy * g.stride[0]) as isize + off_y;
                    let src =
                        (iy >= 0 && (iy as usize) < g.h).then(|| (ci * g.h + iy as usize) * g.w);
                    f(row * d.p + oy * d.wo, d.wo, src, range, off_x);
                }
            }
        }
    }
}

pub(super) fn im2col(g: &Conv2d, d: &Dims, x: &[f32], col: &mut [f32]) {
    if g.stride == [1, 1] && g.dilation[1] == 1 && d.wo == g.w {
        im2col_whole_rows(g, d, x, col);
        return;
    }
    let sw = g.stride[1];
    for_each_segment(g, d, |at, wo, src, (lo, hi), off_x| {
        let out = &mut col[at..at + wo];
        let Some(src) = src else {
            out.fill(0.0);
            return;
        };
        out[..lo].fill(0.0);
        out[hi..].fill(0.0);
        if hi == lo {
            return;
        }
        let start = (src as isize + lo as isize * sw as isize + off_x) as usize;
        let n = hi - lo;
        match sw {
            1 => out[lo..hi].copy_from_slice(&x[start..start + n]),
            2 => gather::<2>(&mut out[lo..hi], &x[start..start + 2 * n - 1]),
            _ => {
                for (o, v) in out[lo..hi].iter_mut().zip(x[start..].iter().step_by(sw)) {
                    *o = *v;
                }
            }
        }
    });
}

/// `out[i] = src[S·i]`, `src` exactly `S·(len − 1) + 1` long: indexing a slice whose length
/// the loop knows lets the compiler drop the bounds checks and vectorise (`step_by` does not).
#[inline(always)]
fn gather<const S: usize>(out: &mut [f32], src: &[f32]) {
    debug_assert_eq!(src.len(), S * (out.len() - 1) + 1);
    for (i, o) in out.iter_mut().enumerate() {
        *o = src[S * i];
    }
}

/// `dst[S·i] += seg[i]`, `dst` exactly `S·(len − 1) + 1` long (see [`gather`]).
#[inline(always)]
fn scatter_add<const S: usize>(dst: &mut [f32], seg: &[f32]) {
    debug_assert_eq!(dst.len(), S * (seg.len() - 1) + 1);
    for (i, v) in seg.iter().enumerate() {
        dst[S * i] += *v;
    }
}

/// [`im2col`] when the output has the input's width and stride 1 (a "same" 3×3 convolution):
/// each row of `col` is the input plane shifted by the kernel offset, so the valid output rows
/// are one contiguous copy (instead of one short copy per output row), after which the
/// columns that fell outside the input (their values wrapped around from the neighbouring
/// row) are zeroed.
fn im2col_whole_rows(g: &Conv2d, d: &Dims, x: &[f32], col: &mut [f32]) {
    let [kh, kw] = g.kernel;
    let (h, w) = (g.h as isize, g.w as isize);
    let plane = g.h * g.w;
    for ci in 0..g.c_in {
        let xp = &x[ci * plane..(ci + 1) * plane];
        for ki in 0..kh {
            let off_y = (ki * g.dilation[0]) as isize - g.padding[0].0 as isize;
            let (y0, y1) = valid_range(d.ho, 1, off_y, g.h);
            for kj in 0..kw {
                let off_x = kj as isize - g.padding[1].0 as isize;
                let (x0, x1) = valid_range(d.wo, 1, off_x, g.w);
                let row = (ci * kh + ki) * kw + kj;
                let out = &mut col[row * d.p..(row + 1) * d.p];
                out[..y0 * d.wo].fill(0.0);
                out[y1 * d.wo..].fill(0.0);
                if y1 == y0 {
                    continue;
                }
                // Source of out[j] is xp[j + off_y·w + off_x]; clip the ends that fall outside
                // the plane (they are invalid columns, zeroed below).
                let shift = off_y * w + off_x;
                let (j0, j1) = ((y0 * d.wo) as isize, (y1 * d.wo) as isize);
                let skip = (-(j0 + shift)).max(0);
                let cut = (j1 + shift - h * w).max(0);
                if j1 - cut > j0 + skip {
                    let (a, b) = ((j0 + skip) as usize, (j1 - cut) as usize);
                    let src = (j0 + skip + shift) as usize;
                    out[a..b].copy_from_slice(&xp[src..src + (b - a)]);
                }
                if x0 > 0 || x1 < d.wo {
                    for r in out[y0 * d.wo..y1 * d.wo].chunks_exact_mut(d.wo) {
                        zero_few(&mut r[..x0]);
                        zero_few(&mut r[x1..]);
                    }
                }
            }
        }
    }
}

/// Zero a slice that is usually one or two elements long (the edge columns of an unfolded
/// row) without a `memset` call per row.
#[inline(always)]
fn zero_few(s: &mut [f32]) {
    match s {
        [] => {}
        [a] => *a = 0.0,
        [a, b] => (*a, *b) = (0.0, 0.0),
        _ => s.fill(0.0),
    }
}

/// `dx += fold(dcol)`; `dx` must be zeroed by the caller for an assignment.
pub(super) fn col2im(g: &Conv2d, d: &Dims, dcol: &[f32], dx: &mut [f32]) {
    let sw = g.stride[1];
    for_each_segment(g, d, |at, _wo, src, (lo, hi), off_x| {
        let Some(src) = src else { return };
        if hi == lo {
            return;
        }
        let seg = &dcol[at + lo..at + hi];
        let start = (src as isize + lo as isize * sw as isize + off_x) as usize;
        let n = hi - lo;
        match sw {
            1 => {
                for (o, v) in dx[start..start + n].iter_mut().zip(seg) {
                    *o += *v;
                }
            }
            2 => scatter_add::<2>(&mut dx[start..start + 2 * n - 1], seg),
            _ => {
                for (o, v) in dx[start..].iter_mut().step_by(sw).zip(seg) {
                    *o += *v;
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_ranges_are_exact() {
        for n_out in 0..6 {
            for stride in 1..4 {
                for offset in -5isize..5 {
                    for n_in in 0..8 {
                        let (lo, hi) = valid_range(n_out, stride, offset, n_in);
                        for o in 0..n_out {
                            let i = (o * stride) as isize + offset;
                            let inside = i >= 0 && i < n_in as isize;
                            assert_eq!(
                                inside,
                                (lo..hi).contains(&o),
                                "{n_out} {stride} {offset} {n_in} {o}"
                            );
                        }
                    }
                }
            }
        }
    }
}
