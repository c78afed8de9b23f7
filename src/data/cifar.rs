//! CIFAR-10 / CIFAR-100 binary format: records of `label (1 byte; CIFAR-100: coarse, fine)` +
//! 3072 bytes (1024 R, 1024 G, 1024 B, row-major 32×32).

use std::path::Path;

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

const PIXELS: usize = 3 * 32 * 32;

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
    if b.is_empty() || b.len() % rec != 0 {
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

/// Load the standard layout: CIFAR-10 `data_batch_{1..5}.bin` + `test_batch.bin` (names from
/// `batches.meta.txt` if present); CIFAR-100 `train.bin` + `test.bin` (names from
/// `fine_label_names.txt`).
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
    let (train, test): (Vec<_>, Vec<_>) = match v {
        Variant::Cifar10 => (
            (1..=5)
                .map(|i| dir.join(format!("data_batch_{i}.bin")))
                .collect(),
            vec![dir.join("test_batch.bin")],
        ),
        Variant::Cifar100 => (vec![dir.join("train.bin")], vec![dir.join("test.bin")]),
    };
    let tr: Vec<&Path> = train.iter().map(|p| p.as_path()).collect();
    let te: Vec<&Path> = test.iter().map(|p| p.as_path()).collect();
    Ok((
        load_files(&tr, v, names.clone())?,
        load_files(&te, v, names)?,
    ))
}
