//! 2-D max pooling (no dilation, floor mode) on NCHW f32. The forward stores the winning
//! position inside each window as one byte (windows of at most 255 elements), instead of an
//! i64 index tensor; the backward scatters `dy` through those bytes. A NaN in a window wins
//! (propagates), as in burn and PyTorch. Padding never wins.

use crate::simd::dispatch;
use rayon::prelude::*;

/// The geometry of a max pooling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool2d {
    /// Planes (batch × channels).
    pub planes: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Window height and width.
    pub kernel: [usize; 2],
    /// Stride, non-zero.
    pub stride: [usize; 2],
    /// Padding `(begin, end)` for height and width.
    pub padding: [(usize, usize); 2],
}

/// Marks a window that covers only padding (its output is −∞ and it passes no gradient).
const EMPTY: u8 = u8::MAX;

impl Pool2d {
    /// Output height and width, or an error naming the unsupported setting.
    pub fn output_size(&self) -> Result<[usize; 2], String> {
        let [kh, kw] = self.kernel;
        if kh * kw == 0 || kh * kw >= usize::from(EMPTY) {
            return Err(format!(
                "max pool: window {:?} must have 1 to 254 elements",
                self.kernel
            ));
        }
        let mut out = [0; 2];
        for (d, n) in [self.h, self.w].into_iter().enumerate() {
            if self.stride[d] == 0 {
                return Err(format!(
                    "max pool: stride {:?} must be non-zero",
                    self.stride
                ));
            }
            let padded = n + self.padding[d].0 + self.padding[d].1;
            if self.kernel[d] > padded {
                return Err(format!(
                    "max pool: window {:?} exceeds the padded input {padded} (dimension {d})",
                    self.kernel
                ));
            }
            out[d] = (padded - self.kernel[d]) / self.stride[d] + 1;
        }
        Ok(out)
    }

    /// No padding on any side.
    fn unpadded(&self) -> bool {
        self.padding == [(0, 0), (0, 0)]
    }

    /// Disjoint 2×2 windows (stride 2, no padding): the geometry of the fast paths.
    fn disjoint_2x2(&self) -> bool {
        self.kernel == [2, 2] && self.stride == [2, 2] && self.unpadded()
    }

    /// Elements of the output.
    ///
    /// # Panics
    /// If the geometry is unsupported.
    pub fn output_len(&self) -> usize {
        let [ho, wo] = self.output_size().unwrap_or_else(|e| panic!("{e}"));
        self.planes * ho * wo
    }
}

/// Forward: `y` (`planes × h_out × w_out`) and the argmax byte of each output.
///
/// # Panics
/// If the geometry is unsupported or a slice has the wrong length.
pub fn max_forward(g: &Pool2d, x: &[f32], y: &mut [f32], arg: &mut [u8]) {
    let [ho, wo] = g.output_size().unwrap_or_else(|e| panic!("{e}"));
    let (pin, pout) = (g.h * g.w, ho * wo);
    assert_eq!(x.len(), g.planes * pin, "max pool: input length");
    assert_eq!(y.len(), g.planes * pout, "max pool: output length");
    assert_eq!(arg.len(), y.len(), "max pool: argmax length");
    if pout == 0 || pin == 0 {
        y.fill(f32::NEG_INFINITY);
        arg.fill(EMPTY);
        return;
    }
    let min_len = (1 << 14) / pout + 1;
    y.par_chunks_mut(pout)
        .zip(arg.par_chunks_mut(pout))
        .zip(x.par_chunks(pin))
        .with_min_len(min_len)
        .for_each(|((yp, ap), xp)| {
            dispatch(|| {
                // Without padding and NaN every window is full and plain comparisons decide; a
                // plane holding a NaN takes the general path, which lets the NaN win.
                if g.unpadded() && !xp.iter().any(|v| v.is_nan()) {
                    if g.disjoint_2x2() {
                        plane_2x2(xp, yp, ap, g.w, ho, wo);
                    } else {
                        plane_full_windows(g, xp, yp, ap, ho, wo);
                    }
                } else {
                    plane_general(g, xp, yp, ap, ho, wo);
                }
            })
        });
}

/// 2×2 windows, stride 2, no padding, no NaN: the first maximum of each window.
#[inline(always)]
fn plane_2x2(xp: &[f32], yp: &mut [f32], ap: &mut [u8], w: usize, ho: usize, wo: usize) {
    for oy in 0..ho {
        let r0 = &xp[2 * oy * w..][..2 * wo];
        let r1 = &xp[(2 * oy + 1) * w..][..2 * wo];
        let yr = &mut yp[oy * wo..][..wo];
        let ar = &mut ap[oy * wo..][..wo];
        for (((p0, p1), yv), av) in r0
            .chunks_exact(2)
            .zip(r1.chunks_exact(2))
            .zip(yr.iter_mut())
            .zip(ar.iter_mut())
        {
            let (a, b, c, d) = (p0[0], p0[1], p1[0], p1[1]);
            let (mut best, mut at) = (a, 0u8);
            if b > best {
                (best, at) = (b, 1);
            }
            if c > best {
                (best, at) = (c, 2);
            }
            if d > best {
                (best, at) = (d, 3);
            }
            *yv = best;
            *av = at;
        }
    }
}

/// Any window and stride, no padding, no NaN: the first maximum of each window.
#[inline(always)]
fn plane_full_windows(g: &Pool2d, xp: &[f32], yp: &mut [f32], ap: &mut [u8], ho: usize, wo: usize) {
    let [kh, kw] = g.kernel;
    for oy in 0..ho {
        for ox in 0..wo {
            let base = oy * g.stride[0] * g.w + ox * g.stride[1];
            let (mut best, mut at) = (xp[base], 0u8);
            for ki in 0..kh {
                let row = &xp[base + ki * g.w..][..kw];
                for (kj, &v) in row.iter().enumerate() {
                    if v > best {
                        (best, at) = (v, (ki * kw + kj) as u8);
                    }
                }
            }
            yp[oy * wo + ox] = best;
            ap[oy * wo + ox] = at;
        }
    }
}

/// Padding or NaN: bounds-checked windows; a NaN wins, padding never does.
fn plane_general(g: &Pool2d, xp: &[f32], yp: &mut [f32], ap: &mut [u8], ho: usize, wo: usize) {
    let [kh, kw] = g.kernel;
    for oy in 0..ho {
        for ox in 0..wo {
            let mut best = f32::NEG_INFINITY;
            let mut at = EMPTY;
            'window: for ki in 0..kh {
                let iy = (oy * g.stride[0] + ki) as isize - g.padding[0].0 as isize;
                if iy < 0 || iy >= g.h as isize {
                    continue;
                }
                for kj in 0..kw {
                    let ix = (ox * g.stride[1] + kj) as isize - g.padding[1].0 as isize;
                    if ix < 0 || ix >= g.w as isize {
                        continue;
                    }
                    let v = xp[iy as usize * g.w + ix as usize];
                    if v.is_nan() {
                        best = v;
                        at = (ki * kw + kj) as u8;
                        break 'window;
                    }
                    if v > best || at == EMPTY {
                        best = v;
                        at = (ki * kw + kj) as u8;
                    }
                }
            }
            yp[oy * wo + ox] = best;
            ap[oy * wo + ox] = at;
        }
    }
}

/// Backward: `dx = Σ` of `dy` routed to each window's argmax (overlapping windows add).
///
/// # Panics
/// If the geometry is unsupported or a slice has the wrong length.
pub fn max_backward(g: &Pool2d, dy: &[f32], arg: &[u8], dx: &mut [f32]) {
    let [ho, wo] = g.output_size().unwrap_or_else(|e| panic!("{e}"));
    let (pin, pout) = (g.h * g.w, ho * wo);
    assert_eq!(dx.len(), g.planes * pin, "max pool: input gradient length");
    assert_eq!(
        dy.len(),
        g.planes * pout,
        "max pool: output gradient length"
    );
    assert_eq!(arg.len(), dy.len(), "max pool: argmax length");
    if pout == 0 || pin == 0 {
        dx.fill(0.0);
        return;
    }
    let min_len = (1 << 14) / pin + 1;
    if g.disjoint_2x2() {
        // Disjoint windows: every element of dx is written once (no zero-fill pass).
        let (w, h) = (g.w, g.h);
        dx.par_chunks_mut(pin)
            .zip(dy.par_chunks(pout))
            .zip(arg.par_chunks(pout))
            .with_min_len(min_len)
            .for_each(|((dxp, dyp), ap)| {
                dispatch(|| {
                    for oy in 0..ho {
                        let (r0, rest) = dxp[2 * oy * w..].split_at_mut(w);
                        let r1 = &mut rest[..w];
                        let (ar, dr) = (&ap[oy * wo..][..wo], &dyp[oy * wo..][..wo]);
                        for (((p0, p1), &a), &d) in r0
                            .chunks_exact_mut(2)
                            .zip(r1.chunks_exact_mut(2))
                            .zip(ar)
                            .zip(dr)
                        {
                            // Branch-free select (the argmax is unpredictable): d where a = k, +0
                            // elsewhere.
                            let pick = |k: u8| {
                                f32::from_bits(d.to_bits() & 0u32.wrapping_sub(u32::from(a == k)))
                            };
                            p0[0] = pick(0);
                            p0[1] = pick(1);
                            p1[0] = pick(2);
                            p1[1] = pick(3);
                        }
                        // An odd width leaves a last column outside every window.
                        r0[2 * wo..].fill(0.0);
                        r1[2 * wo..].fill(0.0);
                    }
                    // An odd height leaves a last row.
                    dxp[2 * ho * w..h * w].fill(0.0);
                })
            });
        return;
    }
    dx.fill(0.0);
    let [kh, kw] = g.kernel;
    // Window position byte → offset from the window's top-left corner (no division per element).
    let offsets: Vec<isize> = (0..kh * kw)
        .map(|a| ((a / kw) * g.w + a % kw) as isize)
        .collect();
    dx.par_chunks_mut(pin)
        .zip(dy.par_chunks(pout))
        .zip(arg.par_chunks(pout))
        .with_min_len(min_len)
        .for_each(|((dxp, dyp), ap)| {
            for oy in 0..ho {
                let row = (oy * g.stride[0]) as isize - g.padding[0].0 as isize;
                for ox in 0..wo {
                    let a = ap[oy * wo + ox];
                    if a == EMPTY {
                        continue;
                    }
                    let col = (ox * g.stride[1]) as isize - g.padding[1].0 as isize;
                    let at = row * g.w as isize + col + offsets[usize::from(a)];
                    dxp[at as usize] += dyp[oy * wo + ox];
                }
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::random;

    fn geometries() -> Vec<Pool2d> {
        let base = Pool2d {
            planes: 6,
            h: 8,
            w: 8,
            kernel: [2, 2],
            stride: [2, 2],
            padding: [(0, 0), (0, 0)],
        };
        vec![
            base,
            Pool2d { h: 7, w: 9, ..base },
            Pool2d {
                kernel: [3, 3],
                stride: [1, 2],
                padding: [(1, 1), (1, 0)],
                ..base
            },
            Pool2d {
                planes: 1,
                h: 2,
                w: 2,
                ..base
            },
            Pool2d {
                kernel: [3, 2],
                stride: [2, 1],
                ..base
            },
        ]
    }

    /// The definition: max over the window's in-range elements, gradient to the first maximum.
    /// Every instruction-set level the CPU has gives the same outputs, argmax bytes and
    /// gradients (ties included).
    #[test]
    fn every_simd_level_gives_the_same_bits() {
        use crate::simd::{force, Level};
        let run = |lv: Level| {
            force(Some(lv));
            let mut out = Vec::new();
            for (i, g) in geometries().into_iter().enumerate() {
                let [ho, wo] = g.output_size().unwrap();
                let mut x = random(g.planes * g.h * g.w, 140 + i as u64);
                if i % 2 == 1 {
                    x.iter_mut().for_each(|v| *v = (*v * 2.0).round());
                }
                let dy = random(g.planes * ho * wo, 180 + i as u64);
                let mut y = vec![0.0; g.output_len()];
                let mut arg = vec![0; y.len()];
                max_forward(&g, &x, &mut y, &mut arg);
                let mut dx = vec![f32::NAN; x.len()];
                max_backward(&g, &dy, &arg, &mut dx);
                out.push((
                    y.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    arg,
                    dx.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                ));
            }
            out
        };
        let base = run(Level::Baseline);
        for lv in [Level::V3, Level::V4] {
            assert!(run(lv) == base, "{lv:?} differs from the baseline");
        }
        force(None);
    }

    #[test]
    fn forward_and_backward_match_the_definition() {
        for (i, g) in geometries().into_iter().enumerate() {
            let [ho, wo] = g.output_size().unwrap();
            let mut x = random(g.planes * g.h * g.w, 40 + i as u64);
            if i % 2 == 1 || i == 4 {
                // Ties (and infinities): the first maximum in window order must win.
                for v in &mut x {
                    *v = (*v * 2.0).round();
                }
                x[0] = f32::NEG_INFINITY;
                x[1] = f32::NEG_INFINITY;
            }
            let dy = random(g.planes * ho * wo, 80 + i as u64);
            let mut y = vec![0.0; g.output_len()];
            let mut arg = vec![0; y.len()];
            max_forward(&g, &x, &mut y, &mut arg);
            let mut dx = vec![f32::NAN; x.len()];
            max_backward(&g, &dy, &arg, &mut dx);
            let mut want_dx = vec![0.0f32; x.len()];
            for p in 0..g.planes {
                for oy in 0..ho {
                    for ox in 0..wo {
                        let mut best: Option<(f32, usize)> = None;
                        for ki in 0..g.kernel[0] {
                            for kj in 0..g.kernel[1] {
                                let iy = (oy * g.stride[0] + ki) as isize - g.padding[0].0 as isize;
                                let ix = (ox * g.stride[1] + kj) as isize - g.padding[1].0 as isize;
                                if iy < 0 || ix < 0 || iy >= g.h as isize || ix >= g.w as isize {
                                    continue;
                                }
                                let at = p * g.h * g.w + iy as usize * g.w + ix as usize;
                                if best.is_none_or(|(b, _)| x[at] > b) {
                                    best = Some((x[at], at));
                                }
                            }
                        }
                        let (v, at) = best.unwrap();
                        let o = (p * ho + oy) * wo + ox;
                        assert_eq!(y[o].to_bits(), v.to_bits(), "{g:?}");
                        want_dx[at] += dy[o];
                    }
                }
            }
            assert_eq!(dx, want_dx, "{g:?}");
        }
    }

    #[test]
    fn nan_propagates_and_bad_windows_are_named() {
        let g = Pool2d {
            planes: 1,
            h: 2,
            w: 2,
            kernel: [2, 2],
            stride: [2, 2],
            padding: [(0, 0), (0, 0)],
        };
        let mut y = [0.0];
        let mut a = [0];
        max_forward(&g, &[1.0, f32::NAN, 3.0, 2.0], &mut y, &mut a);
        assert!(y[0].is_nan());
        assert_eq!(a[0], 1);
        let big = Pool2d {
            kernel: [16, 16],
            h: 16,
            w: 16,
            ..g
        };
        assert!(big.output_size().unwrap_err().contains("1 to 254"));
        let zero = Pool2d {
            stride: [0, 2],
            ..g
        };
        assert!(zero.output_size().unwrap_err().contains("non-zero"));
    }
}
