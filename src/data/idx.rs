//! IDX files (MNIST, Fashion-MNIST), gzip-compressed or raw.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::Dataset;
use crate::error::{data_err, io_err, Result};

/// Fashion-MNIST class names.
pub const FASHION_MNIST_CLASSES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// Read a whole file, decompressing gzip (detected by its magic bytes), reading at most
/// `limit` bytes of payload so a hostile header cannot make it allocate without bound.
fn read_payload(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let mut f = std::fs::File::open(path).map_err(|e| io_err(path, e))?;
    let mut magic = [0u8; 2];
    let n = f.read(&mut magic).map_err(|e| io_err(path, e))?;
    let f = std::fs::File::open(path).map_err(|e| io_err(path, e))?;
    let mut out = Vec::new();
    if n == 2 && magic == [0x1f, 0x8b] {
        flate2::read::GzDecoder::new(f)
            .take(limit)
            .read_to_end(&mut out)
            .map_err(|e| data_err(path, format!("gzip stream is corrupt: {e}")))?;
    } else {
        f.take(limit)
            .read_to_end(&mut out)
            .map_err(|e| io_err(path, e))?;
    }
    Ok(out)
}

/// Largest IDX payload accepted (bytes): 1 GiB, far above MNIST's 47 MB.
const MAX_BYTES: u64 = 1 << 30;

fn be_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Read an IDX image file (magic 0x00000803): `(n, rows, cols, pixels)`.
///
/// # Errors
/// Missing file, wrong magic, truncated or oversized payload — naming the file.
pub fn read_images(path: &Path) -> Result<(usize, usize, usize, Vec<u8>)> {
    let b = read_payload(path, MAX_BYTES + 16)?;
    if b.len() < 16 {
        return Err(data_err(
            path,
            format!("IDX image header needs 16 bytes, file has {}", b.len()),
        ));
    }
    let magic = be_u32(&b[0..4]);
    if magic != 0x0000_0803 {
        return Err(data_err(
            path,
            format!("not an IDX image file: magic {magic:#010x}, expected 0x00000803"),
        ));
    }
    let (n, r, c) = (
        be_u32(&b[4..8]) as u64,
        be_u32(&b[8..12]) as u64,
        be_u32(&b[12..16]) as u64,
    );
    let need = n
        .checked_mul(r)
        .and_then(|v| v.checked_mul(c))
        .filter(|&v| v <= MAX_BYTES);
    let Some(need) = need else {
        return Err(data_err(
            path,
            format!("header declares {n}×{r}×{c} pixels, more than the 1 GiB limit"),
        ));
    };
    let have = (b.len() - 16) as u64;
    if have != need {
        return Err(data_err(path, format!("header declares {n} images of {r}×{c} = {need} bytes, payload has {have} (truncated or trailing data)")));
    }
    Ok((n as usize, r as usize, c as usize, b[16..].to_vec()))
}

/// Read an IDX label file (magic 0x00000801).
///
/// # Errors
/// As [`read_images`], and a label ≥ `classes`.
pub fn read_labels(path: &Path, classes: usize) -> Result<Vec<usize>> {
    let b = read_payload(path, MAX_BYTES + 8)?;
    if b.len() < 8 {
        return Err(data_err(
            path,
            format!("IDX label header needs 8 bytes, file has {}", b.len()),
        ));
    }
    let magic = be_u32(&b[0..4]);
    if magic != 0x0000_0801 {
        return Err(data_err(
            path,
            format!("not an IDX label file: magic {magic:#010x}, expected 0x00000801"),
        ));
    }
    let n = be_u32(&b[4..8]) as usize;
    if b.len() - 8 != n {
        return Err(data_err(
            path,
            format!("header declares {n} labels, payload has {}", b.len() - 8),
        ));
    }
    if let Some((i, &l)) = b[8..]
        .iter()
        .enumerate()
        .find(|(_, &l)| l as usize >= classes)
    {
        return Err(data_err(
            path,
            format!("label {l} at index {i} is outside 0..{classes}"),
        ));
    }
    Ok(b[8..].iter().map(|&l| l as usize).collect())
}

/// Find `stem` or `stem.gz` in `dir`.
fn locate(dir: &Path, stem: &str) -> Result<PathBuf> {
    for cand in [dir.join(stem), dir.join(format!("{stem}.gz"))] {
        if cand.exists() {
            return Ok(cand);
        }
    }
    Err(data_err(
        dir.join(stem),
        "not found (nor .gz); run scripts/fetch-data.sh to put MNIST / Fashion-MNIST under data/",
    ))
}

/// Load one split (`train` or `t10k`) of an MNIST-format directory, pixels scaled to [0, 1].
pub fn load_split(dir: &Path, split: &str, class_names: Option<Vec<String>>) -> Result<Dataset> {
    let ip = locate(dir, &format!("{split}-images-idx3-ubyte"))?;
    let lp = locate(dir, &format!("{split}-labels-idx1-ubyte"))?;
    let (n, r, c, px) = read_images(&ip)?;
    let y = read_labels(&lp, 10)?;
    if y.len() != n {
        return Err(data_err(
            &lp,
            format!("{} labels for {n} images in {}", y.len(), ip.display()),
        ));
    }
    Ok(Dataset {
        x: px.iter().map(|&p| f32::from(p) / 255.0).collect(),
        y,
        shape: [1, r, c],
        classes: 10,
        class_names,
    })
}

/// `(train, test)` of an MNIST-format directory.
pub fn load(dir: &Path, class_names: Option<Vec<String>>) -> Result<(Dataset, Dataset)> {
    Ok((
        load_split(dir, "train", class_names.clone())?,
        load_split(dir, "t10k", class_names)?,
    ))
}
