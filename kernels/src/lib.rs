//! # mr2-kernels — the CPU training step's hot loops
//!
//! f32 kernels on plain NCHW slices, parallel over images with rayon (the pool burn's Flex
//! backend also uses), with matrix products from the `gemm` crate, whose AVX-512 / AVX2+FMA /
//! scalar micro-kernels are chosen at run time — the same binary runs on any x86-64.
//!
//! | kernel | method |
//! |---|---|
//! | [`conv::forward`] | per image: im2col, then `Y = W · col` |
//! | [`conv::backward`] | per image: `dcol = Wᵀ · dY`, col2im into `dX`; `dW += dY · colᵀ` in a per-thread accumulator (the im2col of an image is built once for both) |
//! | [`batch_norm::train_forward`], [`batch_norm::backward`] | per-channel statistics in f64 in one pass, one fused affine (+ residual, + ReLU) pass; backward in two passes |
//! | [`pool::max_forward`], [`pool::max_backward`] | window argmax stored as one byte per output |
//!
//! The element-wise and reduction loops (batch norm, pooling) are compiled per instruction-set
//! level and dispatched at run time ([`simd`]); every level gives the same bits.
//!
//! Reductions over the batch (weight gradients, batch statistics) add fixed-size chunks in a
//! fixed order, so results are bit-identical from run to run on a given CPU whatever the
//! scheduling. Scratch buffers (im2col columns) are reused per thread ([`scratch`]). The only `unsafe` code
//! is the call into `gemm` in [`matmul`], behind bounds checks of every strided view, and the
//! allocator option of [`memory`].
//!
//! mr2 wires these into burn as a backend extension with hand-written backward passes
//! (`mr2::model::cpu`); its tests compare every kernel with burn's own operation, forward and
//! gradients, and with finite differences. This crate's tests compare them with direct loops.
#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

use rayon::iter::ParallelExtend;

pub mod batch_norm;
pub mod conv;
pub mod matmul;
pub mod memory;
pub mod pool;
pub mod scratch;
pub mod shortcut;
pub mod simd;

/// Images per chunk of a parallel reduction. Fixed — not derived from the thread count — so
/// that partial sums are formed and added in the same order on every run and machine: the
/// kernels are deterministic (bit-identical across runs and processes) for a given CPU.
pub(crate) const CHUNK_IMAGES: usize = 8;

/// Sum per-chunk partial vectors in chunk order.
pub(crate) fn sum_in_order<T: Copy + std::ops::AddAssign>(parts: Vec<Vec<T>>) -> Vec<T> {
    let mut it = parts.into_iter();
    let mut acc = it.next().unwrap_or_default();
    for p in it {
        acc.iter_mut().zip(p).for_each(|(a, b)| *a += b);
    }
    acc
}

#[cfg(test)]
pub(crate) mod testutil {
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    pub fn random(len: usize, seed: u64) -> Vec<f32> {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        (0..len).map(|_| r.random_range(-1.0f32..1.0)).collect()
    }

    /// ‖a − b‖ / max(‖b‖, tiny).
    pub fn rel(a: &[f32], b: &[f64]) -> f64 {
        assert_eq!(a.len(), b.len());
        let num: f64 = a
            .iter()
            .zip(b)
            .map(|(x, y)| (f64::from(*x) - y).powi(2))
            .sum();
        let den: f64 = b.iter().map(|y| y * y).sum();
        (num / den.max(1e-300)).sqrt()
    }
}

/// Elements below which [`zeros`] fills on the calling thread.
const PARALLEL_FILL: usize = 1 << 16;

/// A vector of `len` zeros, filled by rayon's threads when it is large. A fresh output buffer
/// of a kernel is otherwise zeroed (`calloc`'s `memset`) by the one thread that calls the
/// kernel while the pool waits.
pub fn zeros<T: Copy + Default + Send + Sync>(len: usize) -> Vec<T> {
    if len < PARALLEL_FILL {
        return vec![T::default(); len];
    }
    let mut v = Vec::with_capacity(len);
    v.par_extend(rayon::iter::repeat_n(T::default(), len));
    v
}

#[cfg(test)]
mod tests {
    #[test]
    fn zeros_are_zeros_of_the_requested_length_on_both_paths() {
        for len in [
            0,
            1,
            super::PARALLEL_FILL - 1,
            super::PARALLEL_FILL,
            3 * super::PARALLEL_FILL + 7,
        ] {
            let v = super::zeros::<f32>(len);
            assert_eq!(v.len(), len);
            assert!(v.iter().all(|x| x.to_bits() == 0), "len {len}");
            let b = super::zeros::<u8>(len);
            assert_eq!(b.len(), len);
            assert!(b.iter().all(|x| *x == 0));
        }
    }
}
