//! The batch a step timing feeds its model, and the file through which `bench
//! --compare-pytorch` gives both engines the same bytes.
//!
//! By default a step is timed on N(0, 1) draws ([`normal_batch`]); a CPU step's time can depend
//! on what the batch holds (PyTorch's ResNet-32 step is 1.40× slower on N(0, 1) than on real
//! CIFAR-10 images: docs/speed.md), so [`real_batch`] takes real images instead.
//!
//! The batch file (little-endian): the 8 bytes `MR2BATCH`; `n`, `c`, `h`, `w`, `classes` as
//! `u32`; `n·c·h·w` values as `f32` (sample-major, channel-major); `n` labels as `u32`.
//! `scripts/bench_torch.py --input FILE` reads the same format.

use std::path::Path;

use burn::tensor::Distribution;

use crate::data::{folder, DataConfig, Dataset, DatasetName};
use crate::error::{data_err, invalid, io_err, Result};

const MAGIC: &[u8; 8] = b"MR2BATCH";
const HEADER: usize = 8 + 5 * 4;

/// The labels of the N(0, 1) batch: sample `i` is class `(7·i) mod k`.
pub fn normal_labels(n: usize, k: usize) -> Vec<usize> {
    (0..n).map(|i| (i * 7) % k).collect()
}

/// `n` samples of shape `shape` drawn from N(0, 1) (burn's CPU generator, seed 1), labelled by
/// [`normal_labels`] with `k` classes.
///
/// # Errors
/// Reading the draws back from the backend.
pub fn normal_batch(n: usize, shape: [usize; 3], k: usize) -> Result<Dataset> {
    let [c, h, w] = shape;
    let t = crate::model::seeded_random(
        [n, c, h, w],
        Distribution::Normal(0.0, 1.0),
        1,
        &crate::train::device(),
    );
    Ok(Dataset {
        x: crate::tensor::to_vec(t, "the N(0, 1) batch")?,
        y: normal_labels(n, k),
        shape,
        classes: k,
        class_names: None,
    })
}

/// `n` samples of `d` taken class by class in turn: sample `i` is the `(i div K)`-th sample of
/// class `i mod K` in `d`'s order (`K` = `d.classes`).
///
/// # Errors
/// A class with fewer samples than the batch needs (named), or an empty dataset.
pub fn take_round_robin(d: &Dataset, n: usize) -> Result<Dataset> {
    let k = d.classes;
    if k == 0 || d.is_empty() {
        return Err(invalid("data", "empty", "a bench batch needs samples"));
    }
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); k];
    for (i, &y) in d.y.iter().enumerate() {
        by_class[y].push(i);
    }
    let mut idx = Vec::with_capacity(n);
    for i in 0..n {
        let c = i % k;
        let j = i / k;
        let Some(&s) = by_class[c].get(j) else {
            return Err(invalid(
                "--batch",
                format!(
                    "{n} (class {} has {} samples)",
                    d.class_name(c),
                    by_class[c].len()
                ),
                "taken class by class, a batch may hold at most classes × (smallest class) samples",
            ));
        };
        idx.push(s);
    }
    Ok(d.select(&idx))
}

/// A batch of `n` real training images from `dir`, standardised per channel as training does
/// (mean and deviation of the whole training set), taken by [`take_round_robin`]. `dir` is a
/// folder of classes (a CIFAR-10 copy or any other), CIFAR record files, or an IDX dataset
/// (MNIST / Fashion-MNIST).
///
/// # Errors
/// The loaders' errors (naming the file), and [`take_round_robin`]'s.
pub fn real_batch(dir: &Path, n: usize) -> Result<Dataset> {
    let name = if folder::is_folder_layout(dir) {
        DatasetName::ImageFolder
    } else if crate::data::cifar::record_files(dir).is_ok() {
        DatasetName::Cifar10
    } else {
        DatasetName::FashionMnist
    };
    let cfg = DataConfig {
        name,
        dir: Some(dir.to_path_buf()),
        standardize: true,
        ..DataConfig::default()
    };
    take_round_robin(&cfg.load(0)?.train, n)
}

fn u32_of(v: usize, what: &str, path: &Path) -> Result<[u8; 4]> {
    u32::try_from(v)
        .map(u32::to_le_bytes)
        .map_err(|_| data_err(path, format!("{what} {v} does not fit a batch file")))
}

/// Write `b` as a batch file (module documentation) to `path`.
///
/// # Errors
/// Writing the file; sizes beyond `u32`.
pub fn write_batch(path: &Path, b: &Dataset) -> Result<()> {
    let [c, h, w] = b.shape;
    let mut out = Vec::with_capacity(HEADER + 4 * (b.x.len() + b.y.len()));
    out.extend_from_slice(MAGIC);
    for (v, what) in [
        (b.len(), "n"),
        (c, "c"),
        (h, "h"),
        (w, "w"),
        (b.classes, "classes"),
    ] {
        out.extend_from_slice(&u32_of(v, what, path)?);
    }
    for v in &b.x {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for &y in &b.y {
        out.extend_from_slice(&u32_of(y, "label", path)?);
    }
    std::fs::write(path, out).map_err(|e| io_err(path, e))
}

/// Read a batch file written by [`write_batch`].
///
/// # Errors
/// A missing file; a wrong magic, a size that disagrees with the header, a zero dimension, or a
/// label outside `0..classes` (each naming the file).
pub fn read_batch(path: &Path) -> Result<Dataset> {
    let bytes = std::fs::read(path).map_err(|e| io_err(path, e))?;
    if bytes.len() < HEADER || &bytes[..8] != MAGIC {
        return Err(data_err(
            path,
            "not a bench batch file (it must begin with MR2BATCH and a 20-byte header)",
        ));
    }
    let field = |i: usize| {
        let o = 8 + 4 * i;
        u32::from_le_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]) as usize
    };
    let (n, c, h, w, k) = (field(0), field(1), field(2), field(3), field(4));
    if [n, c, h, w, k].contains(&0) {
        return Err(data_err(
            path,
            format!("header n = {n}, shape {c}×{h}×{w}, {k} classes: every size must be positive"),
        ));
    }
    let values = n
        .checked_mul(c)
        .and_then(|v| v.checked_mul(h))
        .and_then(|v| v.checked_mul(w));
    let want = values
        .and_then(|v| v.checked_add(n))
        .and_then(|v| v.checked_mul(4))
        .and_then(|v| v.checked_add(HEADER));
    let (Some(values), Some(want)) = (values, want) else {
        return Err(data_err(path, "the header's sizes overflow"));
    };
    if bytes.len() != want {
        return Err(data_err(
            path,
            format!(
                "{} bytes, but a batch of {n} samples of {c}×{h}×{w} needs {want}",
                bytes.len()
            ),
        ));
    }
    let word = |o: usize| [bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]];
    let x: Vec<f32> = (0..values)
        .map(|i| f32::from_le_bytes(word(HEADER + 4 * i)))
        .collect();
    let base = HEADER + 4 * values;
    let y: Vec<usize> = (0..n)
        .map(|i| u32::from_le_bytes(word(base + 4 * i)) as usize)
        .collect();
    if let Some((i, l)) = y.iter().enumerate().find(|(_, &l)| l >= k) {
        return Err(data_err(
            path,
            format!("label {l} of sample {i} is outside 0..{k}"),
        ));
    }
    Ok(Dataset {
        x,
        y,
        shape: [c, h, w],
        classes: k,
        class_names: None,
    })
}
