//! IDX files (MNIST, Fashion-MNIST), gzip-compressed or raw.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::bufread::GzDecoder;

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

/// Largest IDX payload accepted (bytes): 1 GiB, far above MNIST's 47 MB.
const MAX_BYTES: u64 = 1 << 30;

fn be_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// The file's bytes after decompression (gzip is detected by its magic bytes), read in two steps
/// so that a hostile file cannot make the reader inflate or allocate more than its header
/// declares: first `header` bytes, then exactly the payload size `payload(header)` returns.
///
/// Decided behaviour for extra data: a file whose decompressed payload is longer than the
/// header declares, a second gzip member, or bytes after the gzip stream are all errors
/// (the MNIST and Fashion-MNIST files are single-member gzip streams with nothing after them).
fn read_checked(
    path: &Path,
    header: usize,
    payload: impl FnOnce(&[u8]) -> Result<u64>,
) -> Result<(Vec<u8>, Vec<u8>)> {
    let mut file = BufReader::new(File::open(path).map_err(|e| io_err(path, e))?);
    let gz = file
        .fill_buf()
        .map_err(|e| io_err(path, e))?
        .starts_with(&[0x1f, 0x8b]);
    let corrupt = |e: std::io::Error| data_err(path, format!("gzip stream is corrupt: {e}"));
    let mut src: Box<dyn Read> = if gz {
        Box::new(GzDecoder::new(&mut file))
    } else {
        Box::new(&mut file)
    };
    let mut head = Vec::with_capacity(header);
    (&mut src)
        .take(header as u64)
        .read_to_end(&mut head)
        .map_err(corrupt)?;
    if head.len() < header {
        return Err(data_err(
            path,
            format!(
                "the IDX header needs {header} bytes, the file has {}",
                head.len()
            ),
        ));
    }
    let need = payload(&head)?;
    let mut body = Vec::new();
    (&mut src)
        .take(need)
        .read_to_end(&mut body)
        .map_err(corrupt)?;
    if (body.len() as u64) < need {
        return Err(data_err(
            path,
            format!(
                "the header declares {need} payload bytes, the file has {} (truncated)",
                body.len()
            ),
        ));
    }
    let mut probe = [0u8; 1];
    if src.read(&mut probe).map_err(corrupt)? > 0 {
        return Err(data_err(
            path,
            format!(
                "the payload is longer than the {need} bytes the header declares (trailing data)"
            ),
        ));
    }
    drop(src);
    if gz && file.read(&mut probe).map_err(|e| io_err(path, e))? > 0 {
        return Err(data_err(
            path,
            "bytes after the gzip stream (a second gzip member or trailing data); the IDX reader expects exactly one gzip member",
        ));
    }
    Ok((head, body))
}

fn check_magic(path: &Path, head: &[u8], expected: u32, what: &str) -> Result<()> {
    let magic = be_u32(&head[0..4]);
    if magic != expected {
        return Err(data_err(
            path,
            format!("not an IDX {what} file: magic {magic:#010x}, expected {expected:#010x}"),
        ));
    }
    Ok(())
}

/// Read an IDX image file (magic 0x00000803): `(n, rows, cols, pixels)`.
///
/// # Errors
/// Missing file, wrong magic, corrupt gzip, truncated payload, payload longer than declared or
/// a declared size above 1 GiB — naming the file.
pub fn read_images(path: &Path) -> Result<(usize, usize, usize, Vec<u8>)> {
    let mut dims = (0, 0, 0);
    let (_, px) = read_checked(path, 16, |h| {
        check_magic(path, h, 0x0000_0803, "image")?;
        let (n, r, c) = (
            u64::from(be_u32(&h[4..8])),
            u64::from(be_u32(&h[8..12])),
            u64::from(be_u32(&h[12..16])),
        );
        dims = (n as usize, r as usize, c as usize);
        n.checked_mul(r)
            .and_then(|v| v.checked_mul(c))
            .filter(|&v| v <= MAX_BYTES)
            .ok_or_else(|| {
                data_err(
                    path,
                    format!("the header declares {n}×{r}×{c} pixels, more than the 1 GiB limit"),
                )
            })
    })?;
    Ok((dims.0, dims.1, dims.2, px))
}

/// Read an IDX label file (magic 0x00000801).
///
/// # Errors
/// As [`read_images`], and a label ≥ `classes`.
pub fn read_labels(path: &Path, classes: usize) -> Result<Vec<usize>> {
    let (_, b) = read_checked(path, 8, |h| {
        check_magic(path, h, 0x0000_0801, "label")?;
        Ok(u64::from(be_u32(&h[4..8])))
    })?;
    if let Some((i, &l)) = b.iter().enumerate().find(|(_, &l)| l as usize >= classes) {
        return Err(data_err(
            path,
            format!("label {l} at index {i} is outside 0..{classes}"),
        ));
    }
    Ok(b.iter().map(|&l| l as usize).collect())
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
///
/// # Errors
/// As [`load_split`], and training and test images of different sizes (both files named).
pub fn load(dir: &Path, class_names: Option<Vec<String>>) -> Result<(Dataset, Dataset)> {
    let train = load_split(dir, "train", class_names.clone())?;
    let test = load_split(dir, "t10k", class_names)?;
    if train.shape != test.shape {
        let [_, tr, tc] = train.shape;
        let [_, er, ec] = test.shape;
        return Err(data_err(
            locate(dir, "t10k-images-idx3-ubyte")?,
            format!(
                "test images are {er}×{ec} but the training images in {} are {tr}×{tc}",
                locate(dir, "train-images-idx3-ubyte")?.display()
            ),
        ));
    }
    Ok((train, test))
}
