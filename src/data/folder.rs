//! Images in the one-folder-per-class layout (torchvision's `ImageFolder`):
//! `DIR/{train,test}/<class>/*.{jpg,jpeg,png}`.
//!
//! Class names are the sorted folder names (for CIFAR-10 that is its own label order 0–9);
//! files are read in sorted order, so a dataset is the same on every machine. Images are
//! decoded by the maintained `image` crate (baseline and progressive JPEG, PNG), once per run,
//! into `f32` in `[0, 1]`, channel-major: 1 channel when every image (training and test) is
//! grey, else 3 (RGB; grey images expanded) — decided from all the headers, whichever image
//! sorts first.
//! Errors name the file or folder: a file that is not an image or does not decode, an image of
//! another size than the first one, an empty class folder, training and test class sets that
//! differ, a missing `train` or `test` folder. Hidden files (`.name`) are skipped.

use std::path::{Path, PathBuf};

use image::{ColorType, DynamicImage};

use super::Dataset;
use crate::error::{data_err, io_err, Result};

/// File extensions read (lower case).
pub const EXTENSIONS: [&str; 3] = ["jpg", "jpeg", "png"];

/// Whether `dir` has the layout (`train/` and `test/` folders).
pub fn is_folder_layout(dir: &Path) -> bool {
    dir.join("train").is_dir() && dir.join("test").is_dir()
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| io_err(dir, e))? {
        let e = e.map_err(|e| io_err(dir, e))?;
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        v.push(e.path());
    }
    v.sort();
    Ok(v)
}

/// The class folders of `split_dir` (sorted names) and, per class, its image files (sorted).
///
/// # Errors
/// Unreadable folders; a file beside the class folders; a non-image file; an empty class.
pub fn list(split_dir: &Path) -> Result<Vec<(String, Vec<PathBuf>)>> {
    // "Missing" only when it is: an unreadable folder (no permission) is said as such.
    match std::fs::metadata(split_dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io_err(split_dir, e)),
        Ok(m) if m.is_dir() => {}
        _ => {
            return Err(data_err(
                split_dir,
                "missing: the layout is DIR/train/<class>/*.jpg and DIR/test/<class>/*.jpg",
            ))
        }
    }
    let mut classes = Vec::new();
    for c in sorted_entries(split_dir)? {
        if !c.is_dir() {
            return Err(data_err(
                &c,
                "a file beside the class folders (each class is a folder of images)",
            ));
        }
        let name = c
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let mut files = Vec::new();
        for f in sorted_entries(&c)? {
            let ext = f
                .extension()
                .map(|e| e.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            if f.symlink_metadata()
                .is_ok_and(|m| m.file_type().is_symlink())
                && !f.exists()
            {
                return Err(data_err(
                    &f,
                    "a broken symbolic link (its target does not exist)",
                ));
            }
            if !f.is_file() || !EXTENSIONS.contains(&ext.as_str()) {
                return Err(data_err(
                    &f,
                    format!(
                        "not an image file (expected {} in a class folder)",
                        EXTENSIONS.map(|e| format!(".{e}")).join(", ")
                    ),
                ));
            }
            files.push(f);
        }
        if files.is_empty() {
            return Err(data_err(&c, "class folder without images"));
        }
        classes.push((name, files));
    }
    if classes.len() < 2 {
        return Err(data_err(
            split_dir,
            format!("{} class folder(s); need at least 2", classes.len()),
        ));
    }
    Ok(classes)
}

fn is_grey(c: ColorType) -> bool {
    matches!(
        c,
        ColorType::L8 | ColorType::L16 | ColorType::La8 | ColorType::La16
    )
}

/// The colour type of an image file, from its header (nothing is decoded).
///
/// # Errors
/// An unreadable file, or one whose header does not decode (naming it).
fn color_type(path: &Path) -> Result<ColorType> {
    use image::ImageDecoder;
    let r = image::ImageReader::open(path)
        .map_err(|e| io_err(path, e))?
        .with_guessed_format()
        .map_err(|e| io_err(path, e))?;
    let d = r
        .into_decoder()
        .map_err(|e| data_err(path, format!("cannot decode the image: {e}")))?;
    Ok(d.color_type())
}

/// Decode one image file (format guessed from its bytes).
///
/// # Errors
/// An unreadable file, or one that does not decode (naming it).
pub fn decode(path: &Path) -> Result<DynamicImage> {
    image::ImageReader::open(path)
        .map_err(|e| io_err(path, e))?
        .with_guessed_format()
        .map_err(|e| io_err(path, e))?
        .decode()
        .map_err(|e| data_err(path, format!("cannot decode the image: {e}")))
}

/// Decode the listed images into one dataset; `channels` is 1 or 3, `size` (width, height)
/// the size every image must have.
fn decode_all(
    classes: &[(String, Vec<PathBuf>)],
    channels: usize,
    size: (u32, u32),
) -> Result<Dataset> {
    let n: usize = classes.iter().map(|(_, f)| f.len()).sum();
    let plane = (size.0 * size.1) as usize;
    crate::limits::check(
        || format!("{n} decoded images of {}×{}×{channels}", size.0, size.1),
        (n as u128) * (plane * channels * 4) as u128,
    )?;
    let mut x = Vec::with_capacity(n * plane * channels);
    let mut y = Vec::with_capacity(n);
    for (k, (_, files)) in classes.iter().enumerate() {
        for f in files {
            let img = decode(f)?;
            if (img.width(), img.height()) != size {
                return Err(data_err(
                    f,
                    format!(
                        "{}×{} pixels, but the first image is {}×{}: every image must have one size",
                        img.width(),
                        img.height(),
                        size.0,
                        size.1
                    ),
                ));
            }
            if channels == 1 && !is_grey(img.color()) {
                return Err(data_err(
                    f,
                    "a colour image in a dataset whose first image is grey (1 channel)",
                ));
            }
            if channels == 1 {
                x.extend(
                    img.to_luma8()
                        .as_raw()
                        .iter()
                        .map(|&p| f32::from(p) / 255.0),
                );
            } else {
                let rgb = img.to_rgb8();
                let raw = rgb.as_raw();
                for ch in 0..3 {
                    x.extend(
                        raw.iter()
                            .skip(ch)
                            .step_by(3)
                            .map(|&p| f32::from(p) / 255.0),
                    );
                }
            }
            y.push(k);
        }
    }
    Ok(Dataset {
        x,
        y,
        shape: [channels, size.1 as usize, size.0 as usize],
        classes: classes.len(),
        class_names: Some(classes.iter().map(|(c, _)| c.clone()).collect()),
    })
}

/// Load `DIR/train` and `DIR/test` (see the module documentation).
///
/// # Errors
/// As [`list`]; training and test class sets that differ; undecodable images; images of mixed
/// sizes; a dataset larger than the memory limit.
pub fn load_dir(dir: &Path) -> Result<(Dataset, Dataset)> {
    let train = list(&dir.join("train"))?;
    let test = list(&dir.join("test"))?;
    let names = |v: &[(String, Vec<PathBuf>)]| v.iter().map(|(c, _)| c.clone()).collect::<Vec<_>>();
    if names(&train) != names(&test) {
        return Err(data_err(
            dir,
            format!(
                "the training classes {:?} and the test classes {:?} differ",
                names(&train),
                names(&test)
            ),
        ));
    }
    // The first image fixes the size; one channel only if every image is grey (read from the
    // headers, so the result does not depend on which image sorts first): a dataset with any
    // colour image has three, its grey images expanded.
    let first = decode(&train[0].1[0])?;
    let size = (first.width(), first.height());
    let mut channels = 1;
    for f in train.iter().chain(&test).flat_map(|(_, fs)| fs) {
        if !is_grey(color_type(f)?) {
            channels = 3;
            break;
        }
    }
    let tr = decode_all(&train, channels, size)?;
    let te = decode_all(&test, channels, size)?;
    Ok((tr, te))
}
