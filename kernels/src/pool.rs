//! 2-D max pooling (no dilation, floor mode) on NCHW f32. The forward stores the winning
//! position inside each window as one byte (windows of at most 255 elements), instead of an
//! i64 index tensor; the backward scatters `dy` through those bytes. A NaN in a window wins
//! (propagates), as in burn and PyTorch. Padding never wins.

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
    let [kh, kw] = g.kernel;
    let min_len = (1 << 14) / pout + 1;
    y.par_chunks_mut(pout)
        .zip(arg.par_chunks_mut(pout))
        .zip(x.par_chunks(pin))
        .with_min_len(min_len)
        .for_each(|((yp, ap), xp)| {
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
        });
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
    dx.fill(0.0);
    if pout == 0 || pin == 0 {
        return;
    }
    let kw = g.kernel[1];
    let min_len = (1 << 14) / pin + 1;
    dx.par_chunks_mut(pin)
        .zip(dy.par_chunks(pout))
        .zip(arg.par_chunks(pout))
        .with_min_len(min_len)
        .for_each(|((dxp, dyp), ap)| {
            for oy in 0..ho {
                for ox in 0..wo {
                    let a = ap[oy * wo + ox];
                    if a == EMPTY {
                        continue;
                    }
                    let (ki, kj) = (usize::from(a) / kw, usize::from(a) % kw);
                    let iy = oy * g.stride[0] + ki - g.padding[0].0;
                    let ix = ox * g.stride[1] + kj - g.padding[1].0;
                    dxp[iy * g.w + ix] += dyp[oy * wo + ox];
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
        ]
    }

    /// The definition: max over the window's in-range elements, gradient to the first maximum.
    #[test]
    fn forward_and_backward_match_the_definition() {
        for (i, g) in geometries().into_iter().enumerate() {
            let [ho, wo] = g.output_size().unwrap();
            let x = random(g.planes * g.h * g.w, 40 + i as u64);
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
