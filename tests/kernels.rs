//! mr2's CPU kernels (`mr2::model::cpu`) against burn's own layers, forward and gradients,
//! on random shapes, strides, paddings, odd sizes and batch 1 (norm-wise relative error
//! ≤ 1e-5), plus finite differences through the layer functions, the running statistics,
//! the fallbacks, and whole networks (same outputs and gradients with and without kernels).

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor, TensorData};
use mr2::model::cpu::{
    batch_norm, burn_shortcut_a, conv2d, kernel_calls, max_pool2d, shortcut_a, with_burn_layers,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const REL: f64 = 1e-5;

/// A convolution built and materialised under mr2's device-RNG lock: an unlocked lazy draw
/// would race with the seeded models of the parity test running beside it.
fn locked_conv(cfg: Conv2dConfig, seed: u64, dev: &Device) -> Conv2d {
    mr2::model::with_device_rng(dev, seed, || {
        let layer = cfg.init(dev);
        let _ = layer.clone().into_record();
        layer
    })
}

fn random(shape: [usize; 4], seed: u64, dev: &Device) -> Tensor<4> {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    let n = shape.iter().product();
    let v: Vec<f32> = (0..n).map(|_| r.random_range(-1.0f32..1.0)).collect();
    Tensor::from_data(TensorData::new(v, shape), dev)
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().expect("f32 tensor")
}

/// ‖a − b‖ / ‖b‖.
fn rel(a: &[f32], b: &[f32]) -> f64 {
    assert_eq!(a.len(), b.len(), "lengths differ");
    let num: f64 = a.iter().zip(b).map(|(x, y)| f64::from(x - y).powi(2)).sum();
    let den: f64 = b.iter().map(|y| f64::from(*y).powi(2)).sum();
    (num / den.max(1e-300)).sqrt()
}

fn close(what: &str, a: Vec<f32>, b: Vec<f32>) {
    let e = rel(&a, &b);
    assert!(e <= REL, "{what}: relative error {e:.3e} > {REL:e}");
}

struct ConvCase {
    batch: usize,
    c_in: usize,
    hw: [usize; 2],
    c_out: usize,
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: PaddingConfig2d,
    dilation: [usize; 2],
    bias: bool,
}

fn conv_cases() -> Vec<ConvCase> {
    let p1 = PaddingConfig2d::Explicit(1, 1, 1, 1);
    let c = |batch, c_in, hw, c_out, kernel, stride, padding, dilation, bias| ConvCase {
        batch,
        c_in,
        hw,
        c_out,
        kernel,
        stride,
        padding,
        dilation,
        bias,
    };
    vec![
        // The shapes mr2's networks use.
        c(
            4,
            3,
            [32, 32],
            16,
            [3, 3],
            [1, 1],
            p1.clone(),
            [1, 1],
            false,
        ),
        c(
            3,
            16,
            [16, 16],
            32,
            [3, 3],
            [2, 2],
            p1.clone(),
            [1, 1],
            false,
        ),
        c(
            2,
            16,
            [8, 8],
            32,
            [1, 1],
            [2, 2],
            PaddingConfig2d::Valid,
            [1, 1],
            false,
        ),
        c(5, 1, [28, 28], 16, [3, 3], [1, 1], p1.clone(), [1, 1], true),
        c(
            2,
            16,
            [12, 12],
            16,
            [3, 3],
            [1, 1],
            p1.clone(),
            [1, 1],
            false,
        ),
        // Same width at stride 1 with asymmetric padding (the shifted-row weight gradient).
        c(
            2,
            8,
            [6, 7],
            12,
            [3, 5],
            [1, 1],
            PaddingConfig2d::Explicit(2, 1, 0, 3),
            [1, 1],
            true,
        ),
        // Odd sizes, asymmetric padding, dilation, batch 1, rectangular kernels.
        c(1, 5, [7, 9], 3, [3, 3], [1, 1], p1, [1, 1], true),
        c(
            2,
            4,
            [9, 6],
            6,
            [2, 3],
            [2, 1],
            PaddingConfig2d::Explicit(0, 2, 1, 0),
            [1, 1],
            true,
        ),
        c(
            3,
            2,
            [11, 10],
            4,
            [3, 2],
            [1, 2],
            PaddingConfig2d::Explicit(2, 1, 2, 1),
            [2, 1],
            false,
        ),
        c(
            1,
            7,
            [5, 5],
            2,
            [5, 5],
            [3, 3],
            PaddingConfig2d::Explicit(1, 2, 0, 1),
            [1, 1],
            true,
        ),
        c(
            2,
            3,
            [4, 4],
            5,
            [1, 1],
            [1, 1],
            PaddingConfig2d::Valid,
            [1, 1],
            true,
        ),
    ]
}

impl ConvCase {
    fn layer(&self, dev: &Device) -> Conv2d {
        let cfg = Conv2dConfig::new([self.c_in, self.c_out], self.kernel)
            .with_stride(self.stride)
            .with_padding(self.padding.clone())
            .with_dilation(self.dilation)
            .with_bias(self.bias);
        locked_conv(cfg, 7, dev)
    }
    fn input(&self, seed: u64, dev: &Device) -> Tensor<4> {
        random([self.batch, self.c_in, self.hw[0], self.hw[1]], seed, dev)
    }
}

#[test]
fn convolution_matches_burn_forward_and_gradients() {
    let dev = Device::flex().autodiff();
    for (i, case) in conv_cases().iter().enumerate() {
        let seed = 100 * i as u64;
        let layer = case.layer(&dev);
        let x = case.input(seed, &dev).require_grad();
        let want = layer.forward(x.clone());
        let before = kernel_calls();
        let got = conv2d(&layer, x.clone());
        assert_eq!(kernel_calls(), before + 1, "case {i} took the kernel path");
        assert_eq!(got.dims(), want.dims(), "case {i}");
        let r = random(want.dims(), seed + 1, &dev);
        let gw = (want.clone() * r.clone()).sum().backward();
        let gg = (got.clone() * r).sum().backward();
        close(&format!("case {i} forward"), values(got), values(want));
        let grad = |t: &Tensor<4>, g| values(t.grad(g).expect("gradient"));
        close(&format!("case {i} dx"), grad(&x, &gg), grad(&x, &gw));
        close(
            &format!("case {i} dw"),
            values(layer.weight.grad(&gg).expect("dw")),
            values(layer.weight.grad(&gw).expect("dw")),
        );
        if let Some(b) = &layer.bias {
            close(
                &format!("case {i} dbias"),
                values(b.grad(&gg).expect("db")),
                values(b.grad(&gw).expect("db")),
            );
        }
        // Inference device (no autodiff): same forward.
        let plain = layer.valid();
        let xv = case.input(seed, &Device::flex());
        close(
            &format!("case {i} inference"),
            values(conv2d(&plain, xv.clone())),
            values(plain.forward(xv)),
        );
    }
}

#[test]
fn convolution_gradients_match_finite_differences() {
    // Central differences of L = Σ r·conv(x) in f64 arithmetic on the f32 layer: the map is
    // linear in x, so the difference quotient is exact up to rounding.
    let dev = Device::flex();
    let case = &conv_cases()[6];
    let layer = case.layer(&dev.clone().autodiff());
    let x = case.input(7, &dev.clone().autodiff()).require_grad();
    let y = conv2d(&layer, x.clone());
    let r = random(y.dims(), 8, &dev.clone().autodiff());
    let g = (y * r.clone()).sum().backward();
    let dx = values(x.grad(&g).expect("dx"));
    let plain = layer.valid();
    let (xs, rs) = (values(x.clone().inner()), values(r.inner()));
    let loss = |v: &[f32]| -> f64 {
        let t = Tensor::<4>::from_data(TensorData::new(v.to_vec(), x.dims()), &dev);
        values(conv2d(&plain, t))
            .iter()
            .zip(&rs)
            .map(|(a, b)| f64::from(*a) * f64::from(*b))
            .sum()
    };
    let h = 0.5f32;
    let fd: Vec<f32> = (0..xs.len())
        .map(|j| {
            let (mut p, mut m) = (xs.clone(), xs.clone());
            p[j] += h;
            m[j] -= h;
            ((loss(&p) - loss(&m)) / f64::from(2.0 * h)) as f32
        })
        .collect();
    let e = rel(&dx, &fd);
    assert!(e < 1e-5, "finite differences: {e:.3e}");
}

fn bn_layer(c: usize, seed: u64, dev: &Device) -> BatchNorm {
    let mut bn = BatchNormConfig::new(c).init(dev);
    // Non-trivial affine parameters.
    let g = random([1, 1, 1, c], seed, dev).reshape([c]) + 1.5;
    let b = random([1, 1, 1, c], seed + 1, dev).reshape([c]);
    bn.gamma = bn.gamma.map(|_| g.detach().require_grad());
    bn.beta = bn.beta.map(|_| b.detach().require_grad());
    bn
}

#[test]
fn batch_norm_matches_burn_forward_gradients_and_running_statistics() {
    let dev = Device::flex().autodiff();
    let shapes = [[4, 16, 32, 32], [3, 5, 7, 9], [1, 3, 4, 4], [6, 8, 1, 1]];
    for (i, shape) in shapes.into_iter().enumerate() {
        for (residual, apply_relu) in [(false, false), (false, true), (true, true)] {
            let seed = 1000 + 10 * i as u64;
            let what = format!("{shape:?} residual={residual} relu={apply_relu}");
            let ours = bn_layer(shape[1], seed, &dev);
            let theirs = ours.clone();
            let x = (random(shape, seed + 2, &dev) * 3.0 + 0.7).require_grad();
            let res = random(shape, seed + 3, &dev).require_grad();
            let want = {
                let y = theirs.forward(x.clone());
                let y = if residual { y + res.clone() } else { y };
                if apply_relu {
                    relu(y)
                } else {
                    y
                }
            };
            let before = kernel_calls();
            let got = batch_norm(&ours, x.clone(), residual.then(|| res.clone()), apply_relu);
            assert_eq!(kernel_calls(), before + 1, "{what} took the kernel path");
            let r = random(shape, seed + 4, &dev);
            let gw = (want.clone() * r.clone()).sum().backward();
            let gg = (got.clone() * r).sum().backward();
            close(&format!("{what} forward"), values(got), values(want));
            close(
                &format!("{what} dx"),
                values(x.grad(&gg).expect("dx")),
                values(x.grad(&gw).expect("dx")),
            );
            close(
                &format!("{what} dgamma"),
                values(ours.gamma.grad(&gg).expect("dgamma")),
                values(theirs.gamma.grad(&gw).expect("dgamma")),
            );
            close(
                &format!("{what} dbeta"),
                values(ours.beta.grad(&gg).expect("dbeta")),
                values(theirs.beta.grad(&gw).expect("dbeta")),
            );
            if residual {
                close(
                    &format!("{what} dresidual"),
                    values(res.grad(&gg).expect("dres")),
                    values(res.grad(&gw).expect("dres")),
                );
            }
            close(
                &format!("{what} running mean"),
                values(ours.running_mean.value()),
                values(theirs.running_mean.value()),
            );
            close(
                &format!("{what} running variance"),
                values(ours.running_var.value()),
                values(theirs.running_var.value()),
            );
            // Inference with the updated running statistics.
            let (ov, tv) = (ours.valid(), theirs.valid());
            let xv = random(shape, seed + 5, &Device::flex());
            let want = tv.forward(xv.clone());
            let want = if apply_relu { relu(want) } else { want };
            close(
                &format!("{what} inference"),
                values(batch_norm(&ov, xv, None, apply_relu)),
                values(want),
            );
        }
    }
}

#[test]
fn shortcut_matches_burn_forward_and_gradient() {
    let dev = Device::flex().autodiff();
    for (i, (shape, pad)) in [([3, 16, 32, 32], 8), ([1, 3, 6, 4], 0), ([2, 5, 2, 8], 3)]
        .into_iter()
        .enumerate()
    {
        let x = random(shape, 3500 + i as u64, &dev).require_grad();
        let want = burn_shortcut_a(x.clone(), pad);
        let before = kernel_calls();
        let got = shortcut_a(x.clone(), pad);
        assert_eq!(kernel_calls(), before + 1, "case {i} took the kernel path");
        assert_eq!(got.dims(), want.dims(), "case {i}");
        let r = random(want.dims(), 3600 + i as u64, &dev);
        let gw = (want.clone() * r.clone()).sum().backward();
        let gg = (got.clone() * r).sum().backward();
        assert_eq!(
            values(got),
            values(want),
            "case {i} forward (a copy is exact)"
        );
        assert_eq!(
            values(x.grad(&gg).expect("dx")),
            values(x.grad(&gw).expect("dx")),
            "case {i} dx"
        );
        let xv = random(shape, 3500 + i as u64, &Device::flex());
        assert_eq!(
            values(shortcut_a(xv.clone(), pad)),
            values(burn_shortcut_a(xv, pad))
        );
    }
    // Inside with_burn_layers the composition of burn operations runs instead.
    let x = random([1, 2, 4, 4], 3700, &dev);
    let before = kernel_calls();
    let _ = with_burn_layers(|| shortcut_a(x, 1));
    assert_eq!(
        kernel_calls(),
        before,
        "with_burn_layers bypasses the kernel"
    );
}

#[test]
fn max_pool_matches_burn_forward_and_gradients() {
    let dev = Device::flex().autodiff();
    let cases: Vec<(MaxPool2d, [usize; 4])> = vec![
        (
            MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            [4, 16, 28, 28],
        ),
        (
            MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            [1, 3, 7, 9],
        ),
        (
            MaxPool2dConfig::new([3, 3])
                .with_strides([1, 2])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(),
            [2, 4, 9, 8],
        ),
        (
            MaxPool2dConfig::new([3, 2]).with_strides([2, 3]).init(),
            [3, 2, 10, 11],
        ),
    ];
    for (i, (layer, shape)) in cases.iter().enumerate() {
        let x = random(*shape, 3000 + i as u64, &dev).require_grad();
        let want = layer.forward(x.clone());
        let before = kernel_calls();
        let got = max_pool2d(layer, x.clone());
        assert_eq!(kernel_calls(), before + 1, "case {i} took the kernel path");
        assert_eq!(got.dims(), want.dims(), "case {i}");
        let r = random(want.dims(), 3100 + i as u64, &dev);
        let gw = (want.clone() * r.clone()).sum().backward();
        let gg = (got.clone() * r).sum().backward();
        assert_eq!(
            values(got),
            values(want),
            "case {i} forward (a maximum is exact)"
        );
        assert_eq!(
            values(x.grad(&gg).expect("dx")),
            values(x.grad(&gw).expect("dx")),
            "case {i} dx"
        );
        let xv = random(*shape, 3000 + i as u64, &Device::flex());
        assert_eq!(
            values(max_pool2d(layer, xv.clone())),
            values(layer.forward(xv))
        );
    }
}

#[test]
fn unsupported_settings_fall_back_to_burn() {
    let dev = Device::flex().autodiff();
    let before = kernel_calls();
    // Grouped convolution, "same" padding, f64 input: burn's layers, same results.
    let locked = |cfg: Conv2dConfig| locked_conv(cfg, 8, &dev);
    let grouped = locked(Conv2dConfig::new([4, 4], [3, 3]).with_groups(2));
    let x = random([2, 4, 6, 6], 1, &dev);
    assert_eq!(
        values(conv2d(&grouped, x.clone())),
        values(grouped.forward(x.clone()))
    );
    let same = locked(Conv2dConfig::new([4, 2], [3, 3]).with_padding(PaddingConfig2d::Same));
    assert_eq!(
        values(conv2d(&same, x.clone())),
        values(same.forward(x.clone()))
    );
    let dilated = MaxPool2dConfig::new([2, 2]).with_dilation([2, 2]).init();
    assert_eq!(
        values(max_pool2d(&dilated, x.clone())),
        values(dilated.forward(x.clone()))
    );
    let ceil = MaxPool2dConfig::new([2, 2])
        .with_strides([2, 2])
        .with_ceil_mode(true)
        .init();
    let odd = random([1, 2, 5, 5], 2, &dev);
    assert_eq!(
        values(max_pool2d(&ceil, odd.clone())),
        values(ceil.forward(odd))
    );
    let x64 = x.clone().cast(burn::tensor::DType::F64);
    let mut conv64 = locked(Conv2dConfig::new([4, 3], [3, 3]));
    conv64.weight = conv64.weight.map(|w| w.cast(burn::tensor::DType::F64));
    conv64.bias = conv64
        .bias
        .map(|b| b.map(|b| b.cast(burn::tensor::DType::F64)));
    let y = conv2d(&conv64, x64.clone());
    assert_eq!(y.dtype(), burn::tensor::DType::F64);
    let a: Vec<f64> = y.into_data().try_to_vec().expect("f64");
    let b: Vec<f64> = conv64.forward(x64).into_data().try_to_vec().expect("f64");
    assert_eq!(a, b);
    assert_eq!(kernel_calls(), before, "every case above takes burn's path");
    // And with_burn_layers forces it.
    let plain = locked(Conv2dConfig::new([4, 3], [3, 3]));
    with_burn_layers(|| conv2d(&plain, x.clone()));
    assert_eq!(kernel_calls(), before);
    conv2d(&plain, x);
    assert_eq!(kernel_calls(), before + 1);
}

/// Whole networks: kernels and burn's layers give the same logits and parameter gradients.
#[test]
fn networks_agree_with_burn_layers() {
    use mr2::model::{Arch, ModelConfig, Net};
    let dev = Device::flex().autodiff();
    for arch in [Arch::Cnn, Arch::Resnet20, Arch::PreactResnet20] {
        let cfg = ModelConfig {
            arch,
            ..ModelConfig::default()
        };
        let net = Net::new_seeded(&cfg, [3, 16, 16], 10, mr2::model::HeadKind::Linear, &dev, 5)
            .expect("network");
        let x = random([3, 3, 16, 16], 9, &dev).require_grad();
        let calls = kernel_calls();
        let (z, _) = net.forward(x.clone());
        assert!(kernel_calls() > calls, "{arch:?} uses the kernels");
        let before = kernel_calls();
        let (zb, _) = with_burn_layers(|| net.forward(x.clone()));
        assert_eq!(kernel_calls(), before);
        close(
            &format!("{arch:?} logits"),
            values(z.clone()),
            values(zb.clone()),
        );
        let r = random([1, 1, 3, 10], 10, &dev).reshape([3, 10]);
        let g = (z * r.clone()).sum().backward();
        let gb = (zb * r).sum().backward();
        let w = |g| values(net.head_weight_tensor().grad(g).expect("head gradient"));
        close(&format!("{arch:?} head gradient"), w(&g), w(&gb));
        // The input gradient passes every ReLU: a unit whose input lies within rounding of 0
        // can switch between the two summation orders (≈ 0.1 such units per run here), which
        // changes the gradient at that unit. The per-layer tests above check every gradient to
        // 1e-5; here the direction must agree.
        let (a, b) = (
            values(x.grad(&g).expect("dx")),
            values(x.grad(&gb).expect("dx")),
        );
        let dot = |u: &[f32], v: &[f32]| -> f64 {
            u.iter()
                .zip(v)
                .map(|(p, q)| f64::from(*p) * f64::from(*q))
                .sum()
        };
        let cos = dot(&a, &b) / (dot(&a, &a) * dot(&b, &b)).sqrt();
        assert!(cos > 0.999, "{arch:?} input gradient: cosine {cos}");
    }
}

/// The device-parity harness (`bench --parity`, what a GPU check runs) on the CPU: mr2's
/// kernels against burn's layers. Every objective on the MLP, CE and MR² on the CNN and the
/// CIFAR ResNets; each stage within its stated tolerance, and the harness reports a
/// difference when one exists (zero tolerances fail where the paths differ).
#[test]
fn device_parity_harness_passes_on_the_cpu_and_can_fail() {
    use mr2::bench::parity::{parity, parity_table, rel_diff, Side, Tolerances};
    let reference = Side {
        device: mr2::train::device(),
        burn_layers: false,
    };
    let candidate = Side {
        device: mr2::train::device(),
        burn_layers: true,
    };
    let all: Vec<&str> = mr2::loss::METHODS.iter().map(|m| m.name).collect();
    // Two samples of each of the 10 classes (DRL needs every class; ℓ_s̄ needs pairs).
    let mut rows = parity(&reference, &candidate, &["mlp"], &all, 20, Tolerances::CPU).unwrap();
    rows.extend(
        parity(
            &reference,
            &candidate,
            &["cnn", "resnet20", "resnet32"],
            &["ce", "mr2"],
            20,
            Tolerances::CPU,
        )
        .unwrap(),
    );
    let table = parity_table(&rows);
    assert!(rows.iter().all(|r| r.pass()), "{table}");
    assert_eq!(rows.len(), 7 * (all.len() + 6));
    assert!(table.ends_with(&format!("{0} of {0} checks within tolerance\n", rows.len())));
    // The convolutional paths differ by rounding; with no tolerance that is a failure.
    let strict = Tolerances {
        forward: 0.0,
        loss: 0.0,
        gradients: 0.0,
        step: 0.0,
        run: 0.0,
    };
    let rows = parity(&reference, &candidate, &["cnn"], &["ce"], 8, strict).unwrap();
    let logits = rows.iter().find(|r| r.check == "logits").unwrap();
    assert!(logits.rel_diff > 0.0 && !logits.pass());
    assert!(parity_table(&rows).contains("FAIL"));
    // Bad names and sizes are errors that name them.
    let e = parity(&reference, &candidate, &["vgg"], &["ce"], 8, strict).unwrap_err();
    assert!(e.to_string().contains("vgg"), "{e}");
    assert!(parity(&reference, &candidate, &["mlp"], &["ce"], 1, strict).is_err());
    // The relative L2 difference.
    assert_eq!(rel_diff(&[3.0, 4.0], &[3.0, 4.0]), 0.0);
    assert!((rel_diff(&[3.0, 4.0], &[3.0, 5.0]) - 0.2).abs() < 1e-12);
    assert!(rel_diff(&[1.0], &[1.0, 2.0]).is_infinite());
    assert!(rel_diff(&[1.0], &[f32::NAN]).is_infinite());
    assert_eq!(rel_diff(&[0.0], &[0.5]), 0.5);
}
