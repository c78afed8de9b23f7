//! mr2's own CPU kernels ([`mr2_kernels`]) inside burn: a backend extension ([`CpuOps`],
//! implemented for burn's Flex backend and for `Autodiff<Flex>` with hand-written backward
//! passes) and the layer functions the architectures call — [`conv2d`], [`batch_norm`] (with
//! an optional fused residual add and ReLU), [`max_pool2d`] and the ResNets' option-A
//! [`shortcut_a`].
//!
//! Each layer function uses the kernels when the input is an f32 tensor on the Flex device
//! and the layer's settings are supported, and otherwise calls burn's own layer (the CUDA
//! backend, f64 tensors, grouped convolutions, "same" padding, dilated or ceil-mode pooling).
//! Setting the environment variable `MR2_KERNELS=burn` forces burn's layers everywhere (for
//! A/B timing and as an escape hatch), [`with_burn_layers`] does so for one closure;
//! parameters, records and checkpoints are identical on both paths.

mod autodiff;
mod flex;

use std::cell::Cell;
use std::sync::OnceLock;

use burn::backend::ops::ConvOptions;
use burn::backend::tensor::FloatTensor;
use burn::backend::{backend_extension, Backend, Dispatch};
use burn::nn::conv::Conv2d;
use burn::nn::pool::MaxPool2d;
use burn::nn::{BatchNorm, PaddingConfig2d};
use burn::tensor::activation::relu;
use burn::tensor::{DType, Device, Tensor};

/// The extension: every op takes and returns f32 primitives of the backend it runs on.
#[backend_extension(Flex, Autodiff)]
pub trait CpuOps: Backend {
    /// Convolution without bias (groups = 1).
    fn mr2_conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self>;
    /// Convolution with bias (groups = 1).
    fn mr2_conv2d_bias(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self>;
    /// Training-mode batch norm, then ReLU if `relu`: (output, batch mean, biased batch
    /// variance), the statistics detached.
    fn mr2_bn_train(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f64,
        relu: bool,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>);
    /// Training-mode `relu(batch_norm(x) + residual)`: (output, batch mean, biased variance).
    fn mr2_bn_add_relu_train(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        residual: FloatTensor<Self>,
        epsilon: f64,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>);
    /// Inference-mode batch norm with the given statistics.
    fn mr2_bn_infer(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        mean: FloatTensor<Self>,
        var: FloatTensor<Self>,
        epsilon: f64,
    ) -> FloatTensor<Self>;
    /// Option-A shortcut: every second row and column, `pad` zero channels on each side
    /// (height and width even).
    fn mr2_shortcut_a(x: FloatTensor<Self>, pad: usize) -> FloatTensor<Self>;
    /// Max pooling (no dilation, floor mode); padding as `(begin, end)` pairs.
    fn mr2_max_pool2d(
        x: FloatTensor<Self>,
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [(usize, usize); 2],
    ) -> FloatTensor<Self>;
}

thread_local! {
    static BURN_LAYERS: Cell<bool> = const { Cell::new(false) };
    static KERNEL_CALLS: Cell<u64> = const { Cell::new(0) };
}

/// How many layer calls on this thread took the kernel path (for tests and diagnostics: a
/// fallback that silently took burn's path would leave it unchanged).
pub fn kernel_calls() -> u64 {
    KERNEL_CALLS.with(Cell::get)
}

fn count() {
    KERNEL_CALLS.with(|c| c.set(c.get() + 1));
}

/// Whether burn's layers are in force: `MR2_KERNELS=burn` (read once per process), or inside
/// [`with_burn_layers`] on this thread.
pub fn kernels_disabled() -> bool {
    static OFF: OnceLock<bool> = OnceLock::new();
    BURN_LAYERS.with(Cell::get)
        || *OFF.get_or_init(|| std::env::var("MR2_KERNELS").is_ok_and(|v| v == "burn"))
}

/// Run `f` with burn's layers instead of the kernels on this thread (forward passes built
/// inside `f` also run burn's backward).
pub fn with_burn_layers<R>(f: impl FnOnce() -> R) -> R {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            BURN_LAYERS.with(|c| c.set(self.0));
        }
    }
    let _reset = Reset(BURN_LAYERS.with(|c| c.replace(true)));
    f()
}

/// Whether the kernels apply to these tensors: f32 on the Flex device, all with the same
/// autodiff context.
fn on_kernels(x: &Tensor<4>, params: &[&Tensor<1>]) -> bool {
    let d = x.device();
    !kernels_disabled()
        && d == Device::flex()
        && x.dtype() == DType::F32
        && params.iter().all(|p| {
            let pd = p.device();
            p.dtype() == DType::F32 && pd == d && pd.is_autodiff() == d.is_autodiff()
        })
}

fn padding_pairs(p: &PaddingConfig2d) -> Option<[(usize, usize); 2]> {
    match *p {
        PaddingConfig2d::Valid => Some([(0, 0), (0, 0)]),
        PaddingConfig2d::Explicit(top, left, bottom, right) => Some([(top, bottom), (left, right)]),
        PaddingConfig2d::Same => None,
    }
}

/// `layer.forward(x)`, on mr2's kernels where they apply.
pub fn conv2d(layer: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    let w = layer.weight.val();
    let same_context = {
        let (d, wd) = (x.device(), w.device());
        wd == d && wd.is_autodiff() == d.is_autodiff() && w.dtype() == DType::F32
    };
    let bias = layer.bias.as_ref().map(|b| b.val());
    let supported =
        layer.groups == 1 && same_context && on_kernels(&x, &bias.iter().collect::<Vec<_>>());
    let Some(padding) = padding_pairs(&layer.padding).filter(|_| supported) else {
        return layer.forward(x);
    };
    let options = ConvOptions::new_with_padding(layer.stride, padding, layer.dilation, 1);
    count();
    let out = match bias {
        Some(b) => <Dispatch as CpuOps>::mr2_conv2d_bias(
            x.into_dispatch(),
            w.into_dispatch(),
            b.into_dispatch(),
            options,
        ),
        None => <Dispatch as CpuOps>::mr2_conv2d(x.into_dispatch(), w.into_dispatch(), options),
    };
    Tensor::from_dispatch(out)
}

/// `relu?(layer.forward(x) + residual?)`, fused on mr2's kernels where they apply: in
/// training (an autodiff device and the layer's training flag on) the batch statistics
/// update the running averages exactly as burn's `BatchNorm` does (biased variance,
/// `running·(1 − momentum) + batch·momentum`).
pub fn batch_norm(
    layer: &BatchNorm,
    x: Tensor<4>,
    residual: Option<Tensor<4>>,
    apply_relu: bool,
) -> Tensor<4> {
    let (gamma, beta) = (layer.gamma.val(), layer.beta.val());
    let training = x.device().is_autodiff() && layer.training.is_enabled();
    let residual_ok = residual.as_ref().is_none_or(|r| {
        let (rd, d) = (r.device(), x.device());
        r.dims() == x.dims()
            && r.dtype() == DType::F32
            && rd == d
            && rd.is_autodiff() == d.is_autodiff()
    });
    let fused = residual.is_none() || apply_relu;
    if !(on_kernels(&x, &[&gamma, &beta]) && residual_ok && fused && x.dims()[0] > 0) {
        return burn_batch_norm(layer, x, residual, apply_relu);
    }
    let eps = layer.epsilon;
    if training {
        count();
        let (out, mean, var) = match residual {
            Some(r) => <Dispatch as CpuOps>::mr2_bn_add_relu_train(
                x.into_dispatch(),
                gamma.into_dispatch(),
                beta.into_dispatch(),
                r.into_dispatch(),
                eps,
            ),
            None => <Dispatch as CpuOps>::mr2_bn_train(
                x.into_dispatch(),
                gamma.into_dispatch(),
                beta.into_dispatch(),
                eps,
                apply_relu,
            ),
        };
        let (mean, var) = (
            Tensor::<1>::from_dispatch(mean),
            Tensor::<1>::from_dispatch(var),
        );
        let device = mean.device();
        let m = layer.momentum;
        let rm = layer.running_mean.value_sync().to_device(&device);
        let rv = layer.running_var.value_sync().to_device(&device);
        layer.running_mean.update(
            rm.mul_scalar(1.0 - m)
                .add(mean.detach().mul_scalar(m))
                .detach(),
        );
        layer.running_var.update(
            rv.mul_scalar(1.0 - m)
                .add(var.detach().mul_scalar(m))
                .detach(),
        );
        return Tensor::from_dispatch(out);
    }
    if x.device().is_autodiff() {
        // A frozen batch norm on a training device: burn's differentiable inference path.
        return burn_batch_norm(layer, x, residual, apply_relu);
    }
    count();
    let device = x.device();
    let mean = layer.running_mean.value().to_device(&device);
    let var = layer.running_var.value().to_device(&device);
    let y = Tensor::from_dispatch(<Dispatch as CpuOps>::mr2_bn_infer(
        x.into_dispatch(),
        gamma.into_dispatch(),
        beta.into_dispatch(),
        mean.into_dispatch(),
        var.into_dispatch(),
        eps,
    ));
    finish(y, residual, apply_relu)
}

fn finish(y: Tensor<4>, residual: Option<Tensor<4>>, apply_relu: bool) -> Tensor<4> {
    let y = match residual {
        Some(r) => y + r,
        None => y,
    };
    if apply_relu {
        relu(y)
    } else {
        y
    }
}

fn burn_batch_norm(
    layer: &BatchNorm,
    x: Tensor<4>,
    residual: Option<Tensor<4>>,
    apply_relu: bool,
) -> Tensor<4> {
    finish(layer.forward(x), residual, apply_relu)
}

/// `layer.forward(x)`, on mr2's kernels where they apply (no dilation, floor mode, explicit
/// or no padding).
pub fn max_pool2d(layer: &MaxPool2d, x: Tensor<4>) -> Tensor<4> {
    let window = layer.kernel_size[0] * layer.kernel_size[1];
    let padding = padding_pairs(&layer.padding).filter(|_| {
        on_kernels(&x, &[])
            && layer.dilation == [1, 1]
            && !layer.ceil_mode
            && (1..255).contains(&window)
    });
    let Some(padding) = padding else {
        return layer.forward(x);
    };
    let [_, _, h, w] = x.dims();
    let fits = (0..2).all(|d| {
        layer.stride[d] > 0 && layer.kernel_size[d] <= [h, w][d] + padding[d].0 + padding[d].1
    });
    if !fits {
        return layer.forward(x);
    }
    count();
    Tensor::from_dispatch(<Dispatch as CpuOps>::mr2_max_pool2d(
        x.into_dispatch(),
        layer.kernel_size,
        layer.stride,
        padding,
    ))
}

/// The option-A shortcut of the CIFAR ResNets: every second row and column of `x`, with `pad`
/// zero channels on each side — on mr2's kernel where it applies (f32 on the Flex device,
/// even height and width), otherwise as burn tensor operations (a reshape, two slices and a
/// concatenation with zeros).
pub fn shortcut_a(x: Tensor<4>, pad: usize) -> Tensor<4> {
    let [_, _, h, w] = x.dims();
    if !(on_kernels(&x, &[]) && h.is_multiple_of(2) && w.is_multiple_of(2)) {
        return burn_shortcut_a(x, pad);
    }
    count();
    Tensor::from_dispatch(<Dispatch as CpuOps>::mr2_shortcut_a(x.into_dispatch(), pad))
}

/// [`shortcut_a`] in burn's tensor operations.
pub fn burn_shortcut_a(x: Tensor<4>, pad: usize) -> Tensor<4> {
    let [b, c, h, w] = x.dims();
    let x: Tensor<6> = x.reshape([b, c, h / 2, 2, w / 2, 2]);
    let x: Tensor<4> = x
        .narrow(3, 0, 1)
        .narrow(5, 0, 1)
        .reshape([b, c, h / 2, w / 2]);
    if pad == 0 {
        return x;
    }
    let z = Tensor::<4>::zeros([b, pad, h / 2, w / 2], &x.device());
    Tensor::cat(vec![z.clone(), x, z], 1)
}
