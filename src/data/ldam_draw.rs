//! LDAM-DRW's own long-tailed subset (Cao et al. 2019, `IMBALANCECIFAR10.gen_imbalanced_data`):
//! `np.random.seed(0)`, then for each class in label order `np.random.shuffle` of the class's
//! indices (in dataset order) and the first `n_i = int(n_max · (1/ρ)^{i/(K−1)})` kept. With the
//! same generator — numpy's legacy `RandomState` (MT19937 seeded by `init_genrand`, bounded
//! integers by masked rejection on 32-bit draws) — this reproduces their subset exactly on any
//! copy of CIFAR-10 whose classes list their images in the official order (the official
//! binary batches; the JPEG copy's class folders, whose `NNNN.jpg` is the image's rank in its
//! class in official order).

use super::Dataset;
use crate::error::{data_err, invalid, Result};

/// numpy's MT19937 (`numpy.random.RandomState`'s bit generator).
pub struct Mt19937 {
    state: [u32; 624],
    pos: usize,
}

impl Mt19937 {
    /// `RandomState(seed)` for an integer seed (numpy's `mt19937_seed`, the reference
    /// `init_genrand`).
    pub fn new(seed: u32) -> Self {
        let mut state = [0u32; 624];
        state[0] = seed;
        for i in 1..624 {
            let prev = state[i - 1];
            state[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        Self { state, pos: 624 }
    }

    fn twist(&mut self) {
        const UPPER: u32 = 0x8000_0000;
        const LOWER: u32 = 0x7fff_ffff;
        for i in 0..624 {
            let y = (self.state[i] & UPPER) | (self.state[(i + 1) % 624] & LOWER);
            let mut v = self.state[(i + 397) % 624] ^ (y >> 1);
            if y & 1 == 1 {
                v ^= 0x9908_b0df;
            }
            self.state[i] = v;
        }
        self.pos = 0;
    }

    /// The next 32-bit output (`genrand_int32`).
    pub fn next_u32(&mut self) -> u32 {
        if self.pos >= 624 {
            self.twist();
        }
        let mut y = self.state[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// A uniform integer in `0..=max` (numpy's `random_interval`: the smallest all-ones mask
    /// ≥ `max`, 32-bit draws rejected until one lies in range).
    pub fn interval(&mut self, max: u32) -> u32 {
        if max == 0 {
            return 0;
        }
        let mut mask = max;
        for s in [1, 2, 4, 8, 16] {
            mask |= mask >> s;
        }
        loop {
            let v = self.next_u32() & mask;
            if v <= max {
                return v;
            }
        }
    }

    /// `RandomState.shuffle` of a one-dimensional array (Fisher–Yates from the end).
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.interval(i as u32) as usize;
            v.swap(i, j);
        }
    }
}

/// The per-class sizes of LDAM's profile: `int(n_max · (1/ρ)^{i/(K−1)})`.
pub fn ldam_counts(n_max: usize, classes: usize, rho: f64) -> Vec<usize> {
    let factor = 1.0 / rho;
    (0..classes)
        .map(|i| (n_max as f64 * factor.powf(i as f64 / (classes as f64 - 1.0))) as usize)
        .collect()
}

/// LDAM's long-tailed subset of `d` (see the module documentation), in their order: class by
/// class, each in shuffled order.
///
/// # Errors
/// `ρ < 1`; fewer than two classes; classes of different sizes (LDAM's profile starts from
/// the balanced set, `n_max` images in every class).
pub fn long_tail_ldam(d: &Dataset, rho: f64) -> Result<Dataset> {
    if !(rho >= 1.0 && rho.is_finite()) {
        return Err(invalid(
            "imbalance_ratio",
            rho,
            "the imbalance ratio ρ must be >= 1",
        ));
    }
    let counts = d.class_counts();
    let n_max = counts.iter().copied().max().unwrap_or(0);
    if d.classes < 2 || counts.iter().any(|&c| c != n_max) {
        return Err(data_err(
            "the training set",
            format!(
                "LDAM's draw starts from a balanced set (every class the same size); the classes have {counts:?}"
            ),
        ));
    }
    let mut rng = Mt19937::new(0);
    let mut keep = Vec::new();
    for (c, n) in ldam_counts(n_max, d.classes, rho).into_iter().enumerate() {
        let mut idx: Vec<usize> = (0..d.len()).filter(|&i| d.y[i] == c).collect();
        rng.shuffle(&mut idx);
        keep.extend_from_slice(&idx[..n.min(idx.len())]);
    }
    Ok(d.select(&keep))
}
