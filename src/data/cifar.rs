//! CIFAR-10 / CIFAR-100 binary format: records of `label (1 byte; CIFAR-100: coarse, fine)` +
//! 3072 bytes (1024 R, 1024 G, 1024 B, row-major 32×32).

use std::path::{Path, PathBuf};

use super::Dataset;
use crate::error::{data_err, io_err, Result};

/// Which CIFAR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// 10 classes, 1 label byte per record.
    Cifar10,
    /// 100 fine classes, 2 label bytes (coarse, fine) per record.
    Cifar100,
}

impl Variant {
    fn label_bytes(self) -> usize {
        match self {
            Self::Cifar10 => 1,
            Self::Cifar100 => 2,
        }
    }
    /// Number of classes.
    pub fn classes(self) -> usize {
        match self {
            Self::Cifar10 => 10,
            Self::Cifar100 => 100,
        }
    }
}

/// Bytes of one image (3 × 32 × 32).
pub const PIXELS: usize = 3 * 32 * 32;

/// Largest batch file accepted: 512 MiB (CIFAR's are 30 MB).
const MAX_BYTES: u64 = 512 << 20;

/// Read one binary batch file.
///
/// # Errors
/// Missing file, size not a multiple of the record size, label out of range (CIFAR-100: the fine
/// label in 0..100 and the coarse label in 0..20) — naming the file.
pub fn read_batch(path: &Path, v: Variant) -> Result<(Vec<f32>, Vec<usize>)> {
    let meta = std::fs::metadata(path).map_err(|e| io_err(path, e))?;
    if meta.len() > MAX_BYTES {
        return Err(data_err(
            path,
            format!("{} bytes is larger than any CIFAR batch", meta.len()),
        ));
    }
    let b = std::fs::read(path).map_err(|e| io_err(path, e))?;
    let rec = v.label_bytes() + PIXELS;
    if b.is_empty() {
        return Err(data_err(path, "empty file (0 bytes): no records"));
    }
    if b.len() % rec != 0 {
        return Err(data_err(
            path,
            format!(
                "{} bytes is not a whole number of {rec}-byte {v:?} records (truncated?)",
                b.len()
            ),
        ));
    }
    let n = b.len() / rec;
    let mut x = Vec::with_capacity(n * PIXELS);
    let mut y = Vec::with_capacity(n);
    for (i, r) in b.chunks_exact(rec).enumerate() {
        if v == Variant::Cifar100 && r[0] >= 20 {
            return Err(data_err(
                path,
                format!("record {i}: coarse label {} outside 0..20", r[0]),
            ));
        }
        let label = r[v.label_bytes() - 1] as usize;
        if label >= v.classes() {
            return Err(data_err(
                path,
                format!("record {i}: label {label} outside 0..{}", v.classes()),
            ));
        }
        y.push(label);
        x.extend(r[v.label_bytes()..].iter().map(|&p| f32::from(p) / 255.0));
    }
    Ok((x, y))
}

/// Load several batch files into one dataset.
pub fn load_files(
    paths: &[&Path],
    v: Variant,
    class_names: Option<Vec<String>>,
) -> Result<Dataset> {
    let mut x = Vec::new();
    let mut y = Vec::new();
    for p in paths {
        let (a, b) = read_batch(p, v)?;
        x.extend(a);
        y.extend(b);
    }
    Ok(Dataset {
        x,
        y,
        shape: [3, 32, 32],
        classes: v.classes(),
        class_names,
    })
}

/// The record files of `dir`, each list sorted by name: training files are the `*.bin` files
/// whose names start with `data_batch` or `train` (the official `data_batch_{1..5}.bin`,
/// CIFAR-100's `train.bin`, or partial files such as `train_0000-3999.bin`), test files those
/// starting with `test` (`test_batch.bin`, `test.bin`, `test_0000-0999.bin`).
///
/// # Errors
/// A missing directory; a `*.bin` file that is neither (named, with the rule); no training or
/// no test file.
pub fn record_files(dir: &Path) -> Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    if !dir.is_dir() {
        return Err(data_err(
            dir,
            "missing: give the directory of the CIFAR record files (data_batch_*.bin and test_batch.bin; scripts/fetch-data.sh cifar10 fetches them)",
        ));
    }
    let mut train = Vec::new();
    let mut test = Vec::new();
    let mut paths = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| io_err(dir, e))? {
        paths.push(e.map_err(|e| io_err(dir, e))?.path());
    }
    // Sorted first, so that the file an error names does not depend on the file system.
    paths.sort();
    for path in paths {
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        if !name.ends_with(".bin") {
            continue;
        }
        if name.starts_with("test") {
            test.push(path);
        } else if name.starts_with("data_batch") || name.starts_with("train") {
            train.push(path);
        } else {
            return Err(data_err(
                &path,
                "a record file that is neither a training file (data_batch*.bin, train*.bin) nor a test file (test*.bin); rename or move it",
            ));
        }
    }
    for (files, what) in [
        (&train, "training (data_batch*.bin or train*.bin)"),
        (&test, "test (test*.bin)"),
    ] {
        if files.is_empty() {
            return Err(data_err(dir, format!("no {what} record file")));
        }
    }
    Ok((train, test))
}

/// Load a directory of record files ([`record_files`]): the official layout (CIFAR-10
/// `data_batch_{1..5}.bin` + `test_batch.bin`, CIFAR-100 `train.bin` + `test.bin`) or any
/// partial files named the same way; class names from `batches.meta.txt` (CIFAR-10) or
/// `fine_label_names.txt` (CIFAR-100) when present.
///
/// # Errors
/// As [`record_files`] and [`read_batch`].
pub fn load_dir(dir: &Path, v: Variant) -> Result<(Dataset, Dataset)> {
    let names_file = match v {
        Variant::Cifar10 => "batches.meta.txt",
        Variant::Cifar100 => "fine_label_names.txt",
    };
    let names = std::fs::read_to_string(dir.join(names_file))
        .ok()
        .map(|s| {
            s.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .filter(|n| n.len() == v.classes());
    let (train, test) = record_files(dir)?;
    let tr: Vec<&Path> = train.iter().map(|p| p.as_path()).collect();
    let te: Vec<&Path> = test.iter().map(|p| p.as_path()).collect();
    Ok((
        load_files(&tr, v, names.clone())?,
        load_files(&te, v, names)?,
    ))
}

/// Write CIFAR-10 records: `labels[i]` then the `3072` bytes of image `i` (`pixels` holds
/// them back to back, channel-major, as [`read_batch`] reads them).
///
/// # Errors
/// `pixels` not `3072 × labels.len()` bytes, a label ≥ 10, I/O (naming `path`).
pub fn write_records(path: &Path, labels: &[u8], pixels: &[u8]) -> Result<()> {
    if pixels.len() != labels.len() * PIXELS {
        return Err(data_err(
            path,
            format!(
                "{} pixel bytes for {} records (need {PIXELS} each)",
                pixels.len(),
                labels.len()
            ),
        ));
    }
    if let Some(l) = labels.iter().find(|&&l| l >= 10) {
        return Err(data_err(path, format!("label {l} outside 0..10")));
    }
    let mut b = Vec::with_capacity(labels.len() * (PIXELS + 1));
    for (l, img) in labels.iter().zip(pixels.chunks_exact(PIXELS)) {
        b.push(*l);
        b.extend_from_slice(img);
    }
    std::fs::write(path, b).map_err(|e| io_err(path, e))
}
