//! Bring your own model: bound inputs read from feature files written by numpy (`.npy`, `.npz`)
//! or PyTorch (`.safetensors`), through the maintained `ndarray-npy` and `safetensors` crates.
//!
//! The arrays, by name (a directory of `NAME.npy` files, or entries of one `.npz` or
//! `.safetensors` file):
//!
//! | name | shape | required | meaning |
//! |---|---|---|---|
//! | `train_features` | N × d | yes | penultimate features φ(x) of the training set |
//! | `train_labels` | N | yes | integer labels in 0..K |
//! | `head_weight` | K × d | yes | the linear head's weights (PyTorch's `fc.weight`) |
//! | `head_bias` | K | no | its bias (folded in as a constant feature) |
//! | `gamma` | K | no | margins the logits were divided by in training (default 1) |
//! | `test_features`, `test_labels` | M × d, M | one of these two | test features: the error is the head's on them |
//! | `test_accuracy` | K (+1) | | per-class test accuracy, optionally followed by the overall one (default: the mean) |
//!
//! Features may be float32 or float64, labels any integer type (or whole floats). A cosine-head
//! model should be exported with L2-normalised features and head rows (and its logit scale as
//! `1/γ`), a Gaussian-mixture head as `w_k = μ_k`, `b_k = −½‖μ_k‖²`.

use std::collections::BTreeMap;
use std::path::Path;

use ndarray::{Array2, ArrayD, Ix1, Ix2};
use safetensors::{Dtype, SafeTensors};

use super::inputs::{BoundInputs, TestSet};
use super::npy;
use crate::error::{data_err, io_err, Result};
use crate::model::LinearHead;

/// The array names read (see the module documentation).
pub const NAMES: [&str; 9] = [
    "train_features",
    "train_labels",
    "head_weight",
    "head_bias",
    "gamma",
    "test_features",
    "test_labels",
    "test_accuracy",
    "class_names",
];

type Arrays = BTreeMap<String, ArrayD<f64>>;

fn from_dir(dir: &Path, limit: u64) -> Result<Arrays> {
    let mut out = Arrays::new();
    let mut left = limit;
    for name in NAMES {
        let p = dir.join(format!("{name}.npy"));
        if p.exists() {
            let a = npy::read_npy(&p, left)?;
            left = left.saturating_sub(8 * a.len() as u64);
            out.insert(name.into(), a);
        }
    }
    Ok(out)
}

fn from_npz(path: &Path, limit: u64) -> Result<Arrays> {
    Ok(npy::read_npz(path, |n| NAMES.contains(&n), limit)?
        .into_iter()
        .collect())
}

fn from_safetensors(path: &Path, limit: u64) -> Result<Arrays> {
    let len = std::fs::metadata(path).map_err(|e| io_err(path, e))?.len();
    crate::limits::check_within(
        || format!("{} (the file)", path.display()),
        len.into(),
        limit,
    )?;
    let bytes = std::fs::read(path).map_err(|e| io_err(path, e))?;
    let mut left = limit.saturating_sub(len);
    let st = SafeTensors::deserialize(&bytes)
        .map_err(|e| data_err(path, format!("not a readable .safetensors file: {e}")))?;
    let mut out = Arrays::new();
    for (name, view) in st.tensors() {
        if !NAMES.contains(&name.as_str()) {
            continue;
        }
        let d = view.data();
        let values = (8 * d.len()) / view.dtype().bitsize().max(1);
        crate::limits::check_within(
            || format!("tensor `{name}` of {} as float64", path.display()),
            8 * values as u128,
            left,
        )?;
        left = left.saturating_sub(8 * values as u64);
        macro_rules! decode {
            ($t:ty, $n:expr) => {
                d.chunks_exact($n)
                    .map(|c| <$t>::from_le_bytes(c.try_into().unwrap_or([0; $n])) as f64)
                    .collect::<Vec<f64>>()
            };
        }
        let v: Vec<f64> = match view.dtype() {
            Dtype::F64 => decode!(f64, 8),
            Dtype::F32 => decode!(f32, 4),
            Dtype::I64 => decode!(i64, 8),
            Dtype::I32 => decode!(i32, 4),
            Dtype::I16 => decode!(i16, 2),
            // Half precision, as PyTorch users often save features.
            Dtype::F16 => d
                .chunks_exact(2)
                .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f64())
                .collect(),
            Dtype::BF16 => d
                .chunks_exact(2)
                .map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f64())
                .collect(),
            Dtype::U8 => d.iter().map(|&b| f64::from(b)).collect(),
            Dtype::I8 => d.iter().map(|&b| f64::from(b as i8)).collect(),
            other => {
                return Err(data_err(
                    path,
                    format!(
                    "tensor `{name}` has dtype {other:?}; use float16/bfloat16/float32/float64 or an integer type"
                ),
                ))
            }
        };
        let a = ArrayD::from_shape_vec(view.shape().to_vec(), v)
            .map_err(|e| data_err(path, format!("tensor `{name}`: {e}")))?;
        out.insert(name, a);
    }
    Ok(out)
}

fn take2(a: &mut Arrays, name: &str, src: &Path) -> Result<Option<Array2<f64>>> {
    a.remove(name)
        .map(|x| {
            x.into_dimensionality::<Ix2>()
                .map_err(|_| data_err(src, format!("`{name}` must be a 2-d array")))
        })
        .transpose()
}

fn take1(a: &mut Arrays, name: &str, src: &Path) -> Result<Option<Vec<f64>>> {
    a.remove(name)
        .map(|x| {
            x.into_dimensionality::<Ix1>()
                .map(|v| v.to_vec())
                .map_err(|_| data_err(src, format!("`{name}` must be a 1-d array")))
        })
        .transpose()
}

fn labels(v: Vec<f64>, name: &str, src: &Path) -> Result<Vec<usize>> {
    v.into_iter()
        .enumerate()
        .map(|(i, x)| {
            if x >= 0.0 && x.fract() == 0.0 && x < 1e9 {
                Ok(x as usize)
            } else {
                Err(data_err(
                    src,
                    format!("`{name}`[{i}] = {x} is not a class index"),
                ))
            }
        })
        .collect()
}

/// Read bound inputs from `path`: a directory of `.npy` files, one `.npz`, or one
/// `.safetensors` file (see the module documentation). Class names come from a
/// `class_names.txt` next to the files (one per line), if present.
///
/// # Errors
/// Unreadable files, missing required arrays, arrays of the wrong shape or type, labels that
/// are not class indices — each naming the file and the array; then [`BoundInputs::new`]'s
/// checks.
pub fn read(path: &Path) -> Result<BoundInputs> {
    read_limited(path, crate::limits::budget())
}

/// [`read`] with the arrays, as `f64`, limited to `limit` bytes in all (checked from the
/// files' headers before anything is allocated).
///
/// # Errors
/// As [`read`]; [`crate::Error::Memory`] over the limit.
pub fn read_limited(path: &Path, limit: u64) -> Result<BoundInputs> {
    if !path.exists() {
        return Err(data_err(path, "does not exist"));
    }
    let mut a = if path.is_dir() {
        from_dir(path, limit)?
    } else {
        match path.extension().and_then(|e| e.to_str()) {
            Some("npz") => from_npz(path, limit)?,
            Some("safetensors") => from_safetensors(path, limit)?,
            Some("npy") => {
                return Err(data_err(
                    path,
                    "give the directory holding the .npy files (train_features.npy, train_labels.npy, head_weight.npy, …), not one file",
                ))
            }
            _ => return Err(data_err(path, "expected a directory of .npy files, a .npz or a .safetensors file")),
        }
    };
    let need = |a: &mut Arrays, name: &str| -> Result<()> {
        if a.contains_key(name) {
            Ok(())
        } else {
            Err(data_err(
                path,
                format!("no `{name}` array (required: train_features, train_labels, head_weight)"),
            ))
        }
    };
    for n in ["train_features", "train_labels", "head_weight"] {
        need(&mut a, n)?;
    }
    let train = take2(&mut a, "train_features", path)?.unwrap_or_default();
    let y = labels(
        take1(&mut a, "train_labels", path)?.unwrap_or_default(),
        "train_labels",
        path,
    )?;
    let w = take2(&mut a, "head_weight", path)?.unwrap_or_default();
    let k = w.nrows();
    let head = LinearHead {
        weights: w.rows().into_iter().map(|r| r.to_vec()).collect(),
        bias: take1(&mut a, "head_bias", path)?.unwrap_or_else(|| vec![0.0; k]),
        normalize_features: false,
    };
    let gamma = take1(&mut a, "gamma", path)?.unwrap_or_else(|| vec![1.0; k]);
    let test = match (
        take2(&mut a, "test_features", path)?,
        take1(&mut a, "test_labels", path)?,
    ) {
        (Some(f), Some(l)) => TestSet::Features(f, labels(l, "test_labels", path)?),
        (Some(_), None) | (None, Some(_)) => {
            return Err(data_err(
                path,
                "give both test_features and test_labels, or test_accuracy",
            ))
        }
        (None, None) => match take1(&mut a, "test_accuracy", path)? {
            Some(mut acc) => {
                let overall = if acc.len() == k + 1 {
                    acc.pop().unwrap_or(f64::NAN)
                } else {
                    acc.iter().sum::<f64>() / acc.len().max(1) as f64
                };
                TestSet::Accuracy {
                    per_class: acc,
                    overall,
                }
            }
            None => return Err(data_err(
                path,
                "no test_features/test_labels and no test_accuracy: the observed error is needed",
            )),
        },
    };
    let names_file = if path.is_dir() {
        path.join("class_names.txt")
    } else {
        path.with_file_name("class_names.txt")
    };
    let names = std::fs::read_to_string(&names_file).ok().map(|s| {
        s.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect()
    });
    let name = path
        .file_stem()
        .map_or("model".into(), |n| n.to_string_lossy().into_owned());
    BoundInputs::new(name, &train, y, &head, gamma, names, test)
}

/// Write bound inputs in the format [`read`] takes: `dir/{train,test}_{features,labels}.npy`,
/// `head_weight.npy`, `head_bias.npy`, `gamma.npy` (numpy's own format, through `ndarray-npy`)
/// and `class_names.txt`. Features are written as the head sees them (normalised for a cosine
/// head), the head as its [`LinearHead`].
///
/// # Errors
/// I/O.
pub fn export(
    dir: &Path,
    head: &LinearHead,
    train: &crate::eval::Predictions,
    test: &crate::eval::Predictions,
    gamma: &[f64],
    class_names: &[String],
) -> Result<()> {
    use ndarray::Array1;
    use ndarray_npy::write_npy;
    std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
    let rows = |p: &crate::eval::Predictions| {
        let mut f = super::inputs::feature_matrix(p);
        if head.normalize_features {
            for mut r in f.rows_mut() {
                let n = r
                    .iter()
                    .map(|v| v * v)
                    .sum::<f64>()
                    .sqrt()
                    .max(f64::from(crate::model::NORM_EPS));
                r.mapv_inplace(|v| v / n);
            }
        }
        f
    };
    let labels =
        |p: &crate::eval::Predictions| Array1::from_iter(p.labels.iter().map(|&y| y as i64));
    let k = head.weights.len();
    let d = head.weights.first().map_or(0, Vec::len);
    let w = Array2::from_shape_fn((k, d), |(i, j)| head.weights[i][j]);
    let put = |name: &str, r: std::result::Result<(), ndarray_npy::WriteNpyError>| {
        r.map_err(|e| data_err(dir.join(name), e.to_string()))
    };
    put(
        "train_features.npy",
        write_npy(dir.join("train_features.npy"), &rows(train)),
    )?;
    put(
        "train_labels.npy",
        write_npy(dir.join("train_labels.npy"), &labels(train)),
    )?;
    put(
        "test_features.npy",
        write_npy(dir.join("test_features.npy"), &rows(test)),
    )?;
    put(
        "test_labels.npy",
        write_npy(dir.join("test_labels.npy"), &labels(test)),
    )?;
    put(
        "head_weight.npy",
        write_npy(dir.join("head_weight.npy"), &w),
    )?;
    put(
        "head_bias.npy",
        write_npy(
            dir.join("head_bias.npy"),
            &Array1::from_vec(head.bias.clone()),
        ),
    )?;
    put(
        "gamma.npy",
        write_npy(dir.join("gamma.npy"), &Array1::from_vec(gamma.to_vec())),
    )?;
    let p = dir.join("class_names.txt");
    std::fs::write(&p, class_names.join("\n") + "\n").map_err(|e| io_err(&p, e))
}
