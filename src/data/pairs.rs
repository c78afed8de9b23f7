//! The official-pixel CIFAR-10 subset and its JPEG counterpart, image for image.
//!
//! The shared subset (`../shared/data/cifar10-exact-subset.tar.gz`) holds the first 4 000
//! training and 1 000 test records of the official binary release, and index files
//! `jpeg_copy_{train,test}_index.tsv` (`official_index`, `label`, `jpeg_path`) naming each
//! image's file in the JPEG copy (`cifar10-jpeg/{train,test}/<class>/NNNN.jpg`). [`prepare`]
//! writes the same records with the JPEG copy's pixels, in the same order and under the same
//! file names, so the two directories differ in their pixels only: a run on either reads them
//! with the same reader, draws the same batches and augmentations, and any difference in
//! accuracy is the JPEG compression's.

use std::path::{Path, PathBuf};

use super::cifar::{self, Variant, PIXELS};
use super::folder;
use crate::error::{data_err, io_err, Result};

/// Header of an index file.
pub const INDEX_HEADER: &str = "official_index\tlabel\tjpeg_path";
/// The index file pairing training records with the JPEG copy.
pub const TRAIN_INDEX: &str = "jpeg_copy_train_index.tsv";
/// The index file pairing test records with the JPEG copy.
pub const TEST_INDEX: &str = "jpeg_copy_test_index.tsv";
/// The class-names file copied beside the records.
pub const NAMES_FILE: &str = "batches.meta.txt";

/// One line of an index file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexRow {
    /// Position in the official release's order.
    pub index: usize,
    /// Official label (0–9).
    pub label: u8,
    /// The image's file, relative to the JPEG copy's root.
    pub path: PathBuf,
}

/// Read an index file: the header [`INDEX_HEADER`], then rows whose indices run 0, 1, 2, … .
///
/// # Errors
/// A missing file, another header, a malformed row, a label outside 0–9 or an index out of
/// sequence, each naming the file and the line.
pub fn read_index(path: &Path) -> Result<Vec<IndexRow>> {
    let text = std::fs::read_to_string(path).map_err(|e| io_err(path, e))?;
    let mut lines = text.lines();
    if lines.next().map(str::trim_end) != Some(INDEX_HEADER) {
        return Err(data_err(
            path,
            format!(
                "line 1 is not the header '{}'",
                INDEX_HEADER.replace('\t', "<TAB>")
            ),
        ));
    }
    let mut rows = Vec::new();
    for (i, line) in lines.enumerate() {
        let at = |why: String| data_err(path, format!("line {}: {why}", i + 2));
        let f: Vec<&str> = line.trim_end().split('\t').collect();
        let [index, label, file] = f[..] else {
            return Err(at(format!("{} fields, need 3 separated by tabs", f.len())));
        };
        let index: usize = index
            .parse()
            .map_err(|_| at(format!("index '{index}' is not a whole number")))?;
        if index != i {
            return Err(at(format!(
                "index {index}, expected {i} (rows in official order)"
            )));
        }
        let label: u8 = label
            .parse()
            .ok()
            .filter(|l| *l < 10)
            .ok_or_else(|| at(format!("label '{label}' is not one of 0–9")))?;
        rows.push(IndexRow {
            index,
            label,
            path: PathBuf::from(file),
        });
    }
    Ok(rows)
}

/// The 3 072 channel-major bytes of a 32×32 RGB image file.
///
/// # Errors
/// An unreadable or undecodable file, or another size.
pub fn image_bytes(path: &Path) -> Result<Vec<u8>> {
    let img = folder::decode(path)?;
    if (img.width(), img.height()) != (32, 32) {
        return Err(data_err(
            path,
            format!(
                "{}×{} pixels; CIFAR images are 32×32",
                img.width(),
                img.height()
            ),
        ));
    }
    let rgb = img.to_rgb8();
    let raw = rgb.as_raw();
    Ok((0..3)
        .flat_map(|ch| raw.iter().skip(ch).step_by(3).copied())
        .collect())
}

/// The labels and pixel bytes of a CIFAR-10 record file, as stored.
///
/// # Errors
/// As [`cifar::read_batch`].
pub fn read_raw(path: &Path) -> Result<(Vec<u8>, Vec<u8>)> {
    // Validates sizes and labels first.
    cifar::read_batch(path, Variant::Cifar10)?;
    let b = std::fs::read(path).map_err(|e| io_err(path, e))?;
    let mut labels = Vec::new();
    let mut pixels = Vec::with_capacity(b.len());
    for r in b.chunks_exact(PIXELS + 1) {
        labels.push(r[0]);
        pixels.extend_from_slice(&r[1..]);
    }
    Ok((labels, pixels))
}

/// The JPEG counterpart of `records` (whose record `i` is official image `i`): per record, the
/// index row `i` (its label must equal the record's) and that file under `jpeg_root`. Returns
/// the labels and the JPEG copy's pixel bytes.
///
/// # Errors
/// More records than index rows, a label that disagrees (naming the record and both labels),
/// and the errors of [`read_raw`], [`read_index`] and [`image_bytes`].
pub fn jpeg_counterpart(
    records: &Path,
    index: &[IndexRow],
    jpeg_root: &Path,
) -> Result<(Vec<u8>, Vec<u8>)> {
    let (labels, _) = read_raw(records)?;
    if labels.len() > index.len() {
        return Err(data_err(
            records,
            format!(
                "{} records but the index pairs only {} images",
                labels.len(),
                index.len()
            ),
        ));
    }
    let mut pixels = Vec::with_capacity(labels.len() * PIXELS);
    for (i, (&label, row)) in labels.iter().zip(index).enumerate() {
        if row.label != label {
            return Err(data_err(
                records,
                format!(
                    "record {i} has label {label}, the index's image {} label {}: the records are not the official images 0, 1, 2, …",
                    row.index, row.label
                ),
            ));
        }
        pixels.extend(image_bytes(&jpeg_root.join(&row.path))?);
    }
    Ok((labels, pixels))
}

/// Write into `out` the JPEG counterpart of every record file of `exact_dir` (training files
/// through [`TRAIN_INDEX`], test files through [`TEST_INDEX`], both read from `exact_dir`),
/// under the same names, with the class-names file. Returns the files written.
///
/// # Errors
/// As [`cifar::record_files`] and [`jpeg_counterpart`]; I/O naming the file.
pub fn prepare(exact_dir: &Path, jpeg_root: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    let (train, test) = cifar::record_files(exact_dir)?;
    std::fs::create_dir_all(out).map_err(|e| io_err(out, e))?;
    let mut written = Vec::new();
    for (files, index) in [(train, TRAIN_INDEX), (test, TEST_INDEX)] {
        let rows = read_index(&exact_dir.join(index))?;
        for f in files {
            let (labels, pixels) = jpeg_counterpart(&f, &rows, jpeg_root)?;
            let name = f.file_name().expect("a record file has a name");
            // Written whole, then renamed: an interrupted preparation leaves no short file.
            let tmp = out.join(format!("{}.partial", name.to_string_lossy()));
            cifar::write_records(&tmp, &labels, &pixels)?;
            let dst = out.join(name);
            std::fs::rename(&tmp, &dst).map_err(|e| io_err(&dst, e))?;
            written.push(dst);
        }
    }
    let names = exact_dir.join(NAMES_FILE);
    if names.is_file() {
        let dst = out.join(NAMES_FILE);
        std::fs::copy(&names, &dst).map_err(|e| io_err(&dst, e))?;
    }
    Ok(written)
}

/// How two copies of the same images differ: mean absolute difference (of 255), PSNR in dB,
/// share of equal values, and the mean absolute difference per channel (R, G, B).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PixelDifference {
    /// Values compared.
    pub values: usize,
    /// Mean |a − b| in 0–255 units.
    pub mean_abs: f64,
    /// 10 log₁₀(255² / MSE).
    pub psnr_db: f64,
    /// Share of equal values.
    pub equal: f64,
    /// Mean |a − b| per channel.
    pub mean_abs_per_channel: [f64; 3],
}

/// Compare two equally long channel-major image byte buffers.
///
/// # Panics
/// Never; buffers of different lengths or not whole images are compared over the common whole
/// images.
pub fn pixel_difference(a: &[u8], b: &[u8]) -> PixelDifference {
    let n = a.len().min(b.len()) / PIXELS * PIXELS;
    let plane = PIXELS / 3;
    let (mut abs, mut sq, mut eq) = (0f64, 0f64, 0usize);
    let mut per = [0f64; 3];
    for (i, (&x, &y)) in a[..n].iter().zip(&b[..n]).enumerate() {
        let d = (f64::from(x) - f64::from(y)).abs();
        abs += d;
        sq += d * d;
        eq += usize::from(x == y);
        per[(i % PIXELS) / plane] += d;
    }
    let m = n.max(1) as f64;
    let mse = sq / m;
    PixelDifference {
        values: n,
        mean_abs: abs / m,
        psnr_db: 10.0 * (255f64.powi(2) / mse).log10(),
        equal: eq as f64 / m,
        mean_abs_per_channel: per.map(|p| p / (m / 3.0)),
    }
}
