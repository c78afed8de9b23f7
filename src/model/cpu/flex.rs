//! `CpuOps` for burn's Flex backend: contiguous f32 buffers in, kernels, buffers out. The
//! forward helpers here are shared with the autodiff implementation.

use burn::backend::flex::{FlexTensor, Layout};
use burn::backend::ops::ConvOptions;
use burn::backend::Flex;
use burn::tensor::{Bytes, DType, Shape};
use mr2_kernels::{batch_norm as bn, conv, pool, shortcut};

use super::CpuOps;

/// The f32 contents of a contiguous tensor.
pub(super) fn data(t: &FlexTensor) -> &[f32] {
    t.as_slice::<f32>().unwrap_or_else(|| {
        panic!(
            "mr2 kernels: expected a contiguous f32 tensor, got {:?}",
            t.dtype()
        )
    })
}

/// A contiguous copy (or the same buffer when already contiguous).
pub(super) fn contiguous(t: FlexTensor) -> FlexTensor {
    assert_eq!(
        t.dtype(),
        DType::F32,
        "mr2 kernels: expected f32, got {:?}",
        t.dtype()
    );
    t.to_contiguous()
}

pub(super) fn tensor<const N: usize>(v: Vec<f32>, shape: [usize; N]) -> FlexTensor {
    FlexTensor::new(
        Bytes::from_elems(v),
        Layout::contiguous(Shape::new(shape)),
        DType::F32,
    )
}

pub(super) fn dims<const N: usize>(t: &FlexTensor) -> [usize; N] {
    let s = t.layout().shape();
    assert_eq!(
        s.num_dims(),
        N,
        "mr2 kernels: expected a rank-{N} tensor, got shape {s:?}"
    );
    std::array::from_fn(|i| s[i])
}

pub(super) fn conv_geometry(x: &FlexTensor, w: &FlexTensor, o: &ConvOptions<2>) -> conv::Conv2d {
    let [batch, c_in, h, wd] = dims(x);
    let [c_out, wc, kh, kw] = dims(w);
    assert_eq!(
        wc, c_in,
        "mr2 kernels: weight expects {wc} input channels, input has {c_in}"
    );
    assert_eq!(o.groups, 1, "mr2 kernels: grouped convolutions go to burn");
    conv::Conv2d {
        batch,
        c_in,
        h,
        w: wd,
        c_out,
        kernel: [kh, kw],
        stride: o.stride,
        padding: o.padding,
        dilation: o.dilation,
    }
}

/// Forward convolution on contiguous tensors.
pub(super) fn conv_forward(
    x: &FlexTensor,
    w: &FlexTensor,
    bias: Option<&FlexTensor>,
    g: &conv::Conv2d,
) -> FlexTensor {
    let [ho, wo] = g.output_size().unwrap_or_else(|e| panic!("{e}"));
    let mut y = mr2_kernels::zeros(g.output_len());
    conv::forward(g, data(x), data(w), bias.map(data), &mut y);
    tensor(y, [g.batch, g.c_out, ho, wo])
}

pub(super) fn bn_shape(x: &FlexTensor) -> bn::Shape {
    let [batch, channels, h, w] = dims(x);
    bn::Shape {
        batch,
        channels,
        spatial: h * w,
    }
}

/// Training-mode forward: output and statistics.
pub(super) fn bn_forward(
    x: &FlexTensor,
    gamma: &FlexTensor,
    beta: &FlexTensor,
    residual: Option<&FlexTensor>,
    eps: f64,
    relu: bool,
) -> (FlexTensor, bn::Stats) {
    let s = bn_shape(x);
    let mut y = mr2_kernels::zeros(s.len());
    let stats = bn::train_forward(
        &s,
        data(x),
        data(gamma),
        data(beta),
        eps,
        residual.map(data),
        relu,
        &mut y,
    );
    (tensor(y, dims::<4>(x)), stats)
}

pub(super) fn stats_tensors(stats: &bn::Stats) -> (FlexTensor, FlexTensor) {
    let c = stats.mean.len();
    (
        tensor(stats.mean.clone(), [c]),
        tensor(stats.var.clone(), [c]),
    )
}

pub(super) fn pool_geometry(
    x: &FlexTensor,
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [(usize, usize); 2],
) -> pool::Pool2d {
    let [n, c, h, w] = dims(x);
    pool::Pool2d {
        planes: n * c,
        h,
        w,
        kernel,
        stride,
        padding,
    }
}

/// Max-pool forward: output and argmax bytes.
pub(super) fn pool_forward(x: &FlexTensor, g: &pool::Pool2d) -> (FlexTensor, Vec<u8>) {
    let [n, c, _, _] = dims(x);
    let [ho, wo] = g.output_size().unwrap_or_else(|e| panic!("{e}"));
    let mut y = mr2_kernels::zeros(g.output_len());
    let mut arg = mr2_kernels::zeros::<u8>(y.len());
    pool::max_forward(g, data(x), &mut y, &mut arg);
    (tensor(y, [n, c, ho, wo]), arg)
}

/// The option-A shortcut geometry of `x` with `pad` zero channels on each side.
pub(super) fn shortcut_geometry(x: &FlexTensor, pad: usize) -> shortcut::Shortcut {
    let [batch, channels, h, w] = dims(x);
    shortcut::Shortcut {
        batch,
        channels,
        h,
        w,
        pad,
    }
}

/// Option-A shortcut forward on a contiguous tensor.
pub(super) fn shortcut_forward(x: &FlexTensor, s: &shortcut::Shortcut) -> FlexTensor {
    let mut y = mr2_kernels::zeros(s.output_len());
    shortcut::forward(s, data(x), &mut y);
    tensor(y, [s.batch, s.out_channels(), s.h / 2, s.w / 2])
}

impl CpuOps for Flex {
    fn mr2_conv2d(x: FlexTensor, weight: FlexTensor, options: ConvOptions<2>) -> FlexTensor {
        let (x, w) = (contiguous(x), contiguous(weight));
        let g = conv_geometry(&x, &w, &options);
        conv_forward(&x, &w, None, &g)
    }

    fn mr2_conv2d_bias(
        x: FlexTensor,
        weight: FlexTensor,
        bias: FlexTensor,
        options: ConvOptions<2>,
    ) -> FlexTensor {
        let (x, w, b) = (contiguous(x), contiguous(weight), contiguous(bias));
        let g = conv_geometry(&x, &w, &options);
        conv_forward(&x, &w, Some(&b), &g)
    }

    fn mr2_bn_train(
        x: FlexTensor,
        gamma: FlexTensor,
        beta: FlexTensor,
        epsilon: f64,
        relu: bool,
    ) -> (FlexTensor, FlexTensor, FlexTensor) {
        let (x, g, b) = (contiguous(x), contiguous(gamma), contiguous(beta));
        let (y, stats) = bn_forward(&x, &g, &b, None, epsilon, relu);
        let (m, v) = stats_tensors(&stats);
        (y, m, v)
    }

    fn mr2_bn_add_relu_train(
        x: FlexTensor,
        gamma: FlexTensor,
        beta: FlexTensor,
        residual: FlexTensor,
        epsilon: f64,
    ) -> (FlexTensor, FlexTensor, FlexTensor) {
        let (x, g, b, r) = (
            contiguous(x),
            contiguous(gamma),
            contiguous(beta),
            contiguous(residual),
        );
        let (y, stats) = bn_forward(&x, &g, &b, Some(&r), epsilon, true);
        let (m, v) = stats_tensors(&stats);
        (y, m, v)
    }

    fn mr2_bn_infer(
        x: FlexTensor,
        gamma: FlexTensor,
        beta: FlexTensor,
        mean: FlexTensor,
        var: FlexTensor,
        epsilon: f64,
    ) -> FlexTensor {
        let x = contiguous(x);
        let [g, b, m, v] = [gamma, beta, mean, var].map(contiguous);
        let s = bn_shape(&x);
        let mut y = mr2_kernels::zeros(s.len());
        bn::infer_forward(
            &s,
            data(&x),
            data(&g),
            data(&b),
            data(&m),
            data(&v),
            epsilon,
            &mut y,
        );
        tensor(y, dims::<4>(&x))
    }

    fn mr2_shortcut_a(x: FlexTensor, pad: usize) -> FlexTensor {
        let x = contiguous(x);
        let s = shortcut_geometry(&x, pad);
        shortcut_forward(&x, &s)
    }

    fn mr2_max_pool2d(
        x: FlexTensor,
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [(usize, usize); 2],
    ) -> FlexTensor {
        let x = contiguous(x);
        let g = pool_geometry(&x, kernel, stride, padding);
        pool_forward(&x, &g).0
    }
}
