//! Small conversions between burn tensors and plain vectors, with backend failures reported as
//! [`Error::Backend`] instead of being hidden.
//!
//! # Examples
//! ```
//! use mr2::burn::tensor::{Device, Tensor};
//! use mr2::tensor::{scalar, tensor2, On};
//!
//! let dev = Device::flex();
//! let t: Tensor<2> = tensor2(&[1.0, 2.0, 3.0, 4.0], [2, 2], &On::f32(&dev));
//! assert_eq!(scalar(t.sum(), "sum").unwrap(), 10.0);
//! ```

use burn::tensor::{DType, Device, Int, Tensor, TensorData};

use crate::error::{Error, Result};

/// The elements of a float tensor (any rank) as `f64`, row-major (exact for f32 and f64
/// tensors).
///
/// # Errors
/// [`Error::Backend`] naming `what` when the backend cannot return the data.
pub fn to_vec64<const D: usize>(t: Tensor<D>, what: &'static str) -> Result<Vec<f64>> {
    t.into_data()
        .convert::<f64>()
        .try_into_vec::<f64>()
        .map_err(|e| Error::Backend {
            what,
            reason: format!("{e:?}"),
        })
}

/// The elements of a float tensor (any rank) as `f32`, row-major.
///
/// # Errors
/// [`Error::Backend`] naming `what` when the backend cannot return the data.
pub fn to_vec<const D: usize>(t: Tensor<D>, what: &'static str) -> Result<Vec<f32>> {
    t.into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .map_err(|e| Error::Backend {
            what,
            reason: format!("{e:?}"),
        })
}

/// The elements of an integer tensor as `i64`.
///
/// # Errors
/// As [`to_vec`].
pub fn to_vec_int<const D: usize>(t: Tensor<D, Int>, what: &'static str) -> Result<Vec<i64>> {
    t.into_data()
        .convert::<i64>()
        .try_into_vec::<i64>()
        .map_err(|e| Error::Backend {
            what,
            reason: format!("{e:?}"),
        })
}

/// The value of a one-element tensor as `f64`.
///
/// # Errors
/// As [`to_vec`], and a tensor that does not hold exactly one element.
pub fn scalar<const D: usize>(t: Tensor<D>, what: &'static str) -> Result<f64> {
    let v = to_vec64(t, what)?;
    match v.as_slice() {
        [x] => Ok(*x),
        _ => Err(Error::Backend {
            what,
            reason: format!("expected one element, got {}", v.len()),
        }),
    }
}

/// Where new tensors go: the device and float type of the tensors they meet (the losses run in
/// f32 in training and in f64 in the tests that compare them with finite differences).
#[derive(Debug, Clone)]
pub struct On {
    /// Device.
    pub device: Device,
    /// Float type.
    pub dtype: DType,
}

impl On {
    /// The device and float type of `t`.
    pub fn of<const D: usize>(t: &Tensor<D>) -> Self {
        Self {
            device: t.device(),
            dtype: t.dtype(),
        }
    }

    /// f32 on `device`.
    pub fn f32(device: &Device) -> Self {
        Self {
            device: device.clone(),
            dtype: DType::F32,
        }
    }

    fn float<const D: usize>(&self, v: &[f64], shape: [usize; D]) -> Tensor<D> {
        let t: Tensor<D> = if self.dtype == DType::F64 {
            Tensor::<D>::from_data(TensorData::new(v.to_vec(), shape), &self.device)
                .cast(DType::F64)
        } else {
            Tensor::from_data(
                TensorData::new(v.iter().map(|x| *x as f32).collect::<Vec<_>>(), shape),
                &self.device,
            )
        };
        if t.dtype() == self.dtype {
            t
        } else {
            t.cast(self.dtype)
        }
    }
}

/// `t` in the float type of `on` (a cast only when they differ; differentiable).
pub fn like<const D: usize>(t: Tensor<D>, on: &On) -> Tensor<D> {
    if t.dtype() == on.dtype {
        t
    } else {
        t.cast(on.dtype)
    }
}

/// A float tensor of `shape` from `f64` values.
pub fn tensor2(v: &[f64], shape: [usize; 2], on: &On) -> Tensor<2> {
    on.float(v, shape)
}

/// A float vector tensor from `f64` values.
pub fn tensor1(v: &[f64], on: &On) -> Tensor<1> {
    on.float(v, [v.len()])
}

/// Labels as an integer tensor `[B]`.
pub fn labels_tensor(labels: &[usize], on: &On) -> Tensor<1, Int> {
    Tensor::from_data(
        TensorData::new(
            labels.iter().map(|&v| v as i64).collect::<Vec<_>>(),
            [labels.len()],
        ),
        &on.device,
    )
}

/// One-hot rows `[B, K]` (1 at each sample's label), as a float tensor.
pub fn one_hot(labels: &[usize], k: usize, on: &On) -> Tensor<2> {
    let mut v = vec![0.0; labels.len() * k];
    for (i, &y) in labels.iter().enumerate() {
        v[i * k + y] = 1.0;
    }
    tensor2(&v, [labels.len(), k], on)
}

/// The per-class value `per_class[y_i]` of each sample, `[B]`.
pub fn per_sample(per_class: &[f64], labels: &[usize], on: &On) -> Tensor<1> {
    let v: Vec<f64> = labels.iter().map(|&y| per_class[y]).collect();
    tensor1(&v, on)
}
