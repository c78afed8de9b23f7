//! The option-A shortcut of the CIFAR ResNets (He et al. 2016; LDAM-DRW's code): keep every
//! second row and column and zero-pad the channels on both sides,
//! `y[n, pad + c, i, j] = x[n, c, 2i, 2j]`, the other channels 0. One pass per direction,
//! parallel over images, instead of a reshape, two slices and a concatenation with zero
//! tensors (and their backward passes, which write into zeroed copies).

use rayon::prelude::*;

/// Shape of an option-A shortcut: the input `[batch, channels, h, w]` (h and w even), the
/// output `[batch, channels + 2·pad, h/2, w/2]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shortcut {
    /// Images.
    pub batch: usize,
    /// Input channels.
    pub channels: usize,
    /// Input height (even).
    pub h: usize,
    /// Input width (even).
    pub w: usize,
    /// Zero channels added on each side.
    pub pad: usize,
}

impl Shortcut {
    /// Elements of the input.
    pub fn input_len(&self) -> usize {
        self.batch * self.channels * self.h * self.w
    }

    /// Output channels `channels + 2·pad`.
    pub fn out_channels(&self) -> usize {
        self.channels + 2 * self.pad
    }

    /// Elements of the output.
    pub fn output_len(&self) -> usize {
        self.batch * self.out_channels() * (self.h / 2) * (self.w / 2)
    }

    fn check(&self, input: usize, output: usize) {
        assert!(
            self.h.is_multiple_of(2) && self.w.is_multiple_of(2),
            "shortcut: input {}×{} must have even height and width",
            self.h,
            self.w
        );
        assert_eq!(input, self.input_len(), "shortcut: input length");
        assert_eq!(output, self.output_len(), "shortcut: output length");
    }
}

/// `y = shortcut(x)`; every element of `y` is written.
///
/// # Panics
/// Odd height or width, or slices of the wrong length.
pub fn forward(s: &Shortcut, x: &[f32], y: &mut [f32]) {
    s.check(x.len(), y.len());
    let (ho, wo) = (s.h / 2, s.w / 2);
    let (image_in, image_out) = (s.channels * s.h * s.w, s.out_channels() * ho * wo);
    if image_in == 0 || image_out == 0 {
        y.fill(0.0);
        return;
    }
    let band = s.pad * ho * wo;
    y.par_chunks_exact_mut(image_out)
        .zip(x.par_chunks_exact(image_in))
        .for_each(|(yn, xn)| {
            yn[..band].fill(0.0);
            yn[image_out - band..].fill(0.0);
            let planes = yn[band..image_out - band].chunks_exact_mut(ho * wo);
            for (yp, xp) in planes.zip(xn.chunks_exact(s.h * s.w)) {
                for (yr, xr) in yp.chunks_exact_mut(wo).zip(xp.chunks_exact(2 * s.w)) {
                    for (j, v) in yr.iter_mut().enumerate() {
                        *v = xr[2 * j];
                    }
                }
            }
        });
}

/// `dx` from `dy`: `dx[n, c, 2i, 2j] = dy[n, pad + c, i, j]`, 0 elsewhere; every element of
/// `dx` is written.
///
/// # Panics
/// Odd height or width, or slices of the wrong length.
pub fn backward(s: &Shortcut, dy: &[f32], dx: &mut [f32]) {
    s.check(dx.len(), dy.len());
    let (ho, wo) = (s.h / 2, s.w / 2);
    let (image_in, image_out) = (s.channels * s.h * s.w, s.out_channels() * ho * wo);
    if image_in == 0 || image_out == 0 {
        dx.fill(0.0);
        return;
    }
    let band = s.pad * ho * wo;
    dx.par_chunks_exact_mut(image_in)
        .zip(dy.par_chunks_exact(image_out))
        .for_each(|(xn, yn)| {
            let planes = yn[band..image_out - band].chunks_exact(ho * wo);
            for (xp, yp) in xn.chunks_exact_mut(s.h * s.w).zip(planes) {
                for (xr, yr) in xp.chunks_exact_mut(2 * s.w).zip(yp.chunks_exact(wo)) {
                    let (even, odd) = xr.split_at_mut(s.w);
                    odd.fill(0.0);
                    for (j, pair) in even.chunks_exact_mut(2).enumerate() {
                        pair[0] = yr[j];
                        pair[1] = 0.0;
                    }
                }
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::random;

    fn at(s: &Shortcut, v: &[f32], n: usize, c: usize, i: usize, j: usize, out: bool) -> f32 {
        let (ch, h, w) = if out {
            (s.out_channels(), s.h / 2, s.w / 2)
        } else {
            (s.channels, s.h, s.w)
        };
        v[((n * ch + c) * h + i) * w + j]
    }

    #[test]
    fn forward_and_backward_match_the_definition_and_are_adjoint() {
        for s in [
            Shortcut {
                batch: 3,
                channels: 4,
                h: 6,
                w: 8,
                pad: 2,
            },
            Shortcut {
                batch: 1,
                channels: 2,
                h: 2,
                w: 2,
                pad: 0,
            },
            Shortcut {
                batch: 2,
                channels: 3,
                h: 4,
                w: 10,
                pad: 1,
            },
        ] {
            let x = random(s.input_len(), 7);
            let mut y = vec![f32::NAN; s.output_len()];
            forward(&s, &x, &mut y);
            for n in 0..s.batch {
                for c in 0..s.out_channels() {
                    for i in 0..s.h / 2 {
                        for j in 0..s.w / 2 {
                            let want = if c < s.pad || c >= s.pad + s.channels {
                                0.0
                            } else {
                                at(&s, &x, n, c - s.pad, 2 * i, 2 * j, false)
                            };
                            assert_eq!(at(&s, &y, n, c, i, j, true), want, "{s:?}");
                        }
                    }
                }
            }
            // ⟨shortcut(x), dy⟩ = ⟨x, backward(dy)⟩ exactly (each product appears once).
            let dy = random(s.output_len(), 8);
            let mut dx = vec![f32::NAN; s.input_len()];
            backward(&s, &dy, &mut dx);
            let lhs: f64 = y.iter().zip(&dy).map(|(a, b)| f64::from(a * b)).sum();
            let rhs: f64 = x.iter().zip(&dx).map(|(a, b)| f64::from(a * b)).sum();
            assert!((lhs - rhs).abs() <= 1e-9 * lhs.abs().max(1.0), "{s:?}");
            assert!(dx.iter().all(|v| v.is_finite()), "every element written");
            let nonzero = dx.iter().filter(|v| **v != 0.0).count();
            assert_eq!(nonzero, s.batch * s.channels * (s.h / 2) * (s.w / 2));
        }
    }

    #[test]
    #[should_panic(expected = "even height and width")]
    fn odd_sizes_are_refused() {
        let s = Shortcut {
            batch: 1,
            channels: 1,
            h: 3,
            w: 4,
            pad: 0,
        };
        forward(&s, &[0.0; 12], &mut [0.0; 4]);
    }
}
