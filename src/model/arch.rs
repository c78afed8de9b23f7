//! The feature extractors φ of the architectures (everything up to the classification head).

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{AdaptiveAvgPool2d, AdaptiveAvgPool2dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

use super::cpu::{batch_norm, conv2d, max_pool2d, shortcut_a};

/// Feature dimension of the small CNN.
pub(super) const SMALL_CNN_FEATURES: usize = 128;

/// CIFAR ResNet feature dimension (last stage width).
pub(super) const RESNET_FEATURES: usize = 64;

/// MLP with two hidden layers (the second layer's ReLU output is the feature).
#[derive(Module, Debug)]
pub struct Mlp {
    l1: Linear,
    l2: Linear,
}

impl Mlp {
    pub(super) fn new(input: usize, width: usize, d: &Device) -> Self {
        Self {
            l1: LinearConfig::new(input, width).init(d),
            l2: LinearConfig::new(width, width).init(d),
        }
    }
    pub(super) fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        relu(self.l2.forward(relu(self.l1.forward(x.flatten(1, 3)))))
    }
}

/// Two conv + pool stages (16, 32 channels) and a 128-unit hidden layer (the features).
#[derive(Module, Debug)]
pub struct SmallCnn {
    c1: Conv2d,
    c2: Conv2d,
    pool: MaxPool2d,
    fc1: Linear,
}

fn conv3(cin: usize, cout: usize, stride: usize, d: &Device) -> Conv2d {
    Conv2dConfig::new([cin, cout], [3, 3])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .with_bias(false)
        .init(d)
}

impl SmallCnn {
    pub(super) fn new(c: usize, h: usize, w: usize, d: &Device) -> Self {
        let pad = PaddingConfig2d::Explicit(1, 1, 1, 1);
        Self {
            c1: Conv2dConfig::new([c, 16], [3, 3])
                .with_padding(pad.clone())
                .init(d),
            c2: Conv2dConfig::new([16, 32], [3, 3])
                .with_padding(pad)
                .init(d),
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            fc1: LinearConfig::new(32 * (h / 4) * (w / 4), SMALL_CNN_FEATURES).init(d),
        }
    }
    pub(super) fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let x = max_pool2d(&self.pool, relu(conv2d(&self.c1, x)));
        let x = max_pool2d(&self.pool, relu(conv2d(&self.c2, x)));
        relu(self.fc1.forward(x.flatten(1, 3)))
    }
}

/// Post-activation basic block with an option-A (parameter-free) shortcut.
#[derive(Module, Debug)]
pub struct BasicBlock {
    conv1: Conv2d,
    bn1: BatchNorm,
    conv2: Conv2d,
    bn2: BatchNorm,
    stride: usize,
    pad_channels: usize,
}

/// Option-A shortcut: subsample by 2 and zero-pad channels on both sides (none when the block
/// keeps the shape).
fn shortcut(x: Tensor<4>, stride: usize, pad: usize) -> Tensor<4> {
    if stride == 1 && pad == 0 {
        return x;
    }
    shortcut_a(x, pad)
}

impl BasicBlock {
    fn new(cin: usize, cout: usize, stride: usize, d: &Device) -> Self {
        Self {
            conv1: conv3(cin, cout, stride, d),
            bn1: BatchNormConfig::new(cout).init(d),
            conv2: conv3(cout, cout, 1, d),
            bn2: BatchNormConfig::new(cout).init(d),
            stride,
            pad_channels: (cout - cin) / 2,
        }
    }
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let out = batch_norm(&self.bn1, conv2d(&self.conv1, x.clone()), None, true);
        let shortcut = shortcut(x, self.stride, self.pad_channels);
        batch_norm(&self.bn2, conv2d(&self.conv2, out), Some(shortcut), true)
    }
}

/// CIFAR ResNet-(6n+2) with option-A shortcuts.
#[derive(Module, Debug)]
pub struct ResNet {
    conv1: Conv2d,
    bn1: BatchNorm,
    blocks: Vec<BasicBlock>,
    pool: AdaptiveAvgPool2d,
}

impl ResNet {
    pub(super) fn new(c: usize, n: usize, d: &Device) -> Self {
        let mut blocks = Vec::new();
        let mut cin = 16;
        for (cout, stride) in [(16, 1), (32, 2), (64, 2)] {
            for i in 0..n {
                blocks.push(BasicBlock::new(
                    cin,
                    cout,
                    if i == 0 { stride } else { 1 },
                    d,
                ));
                cin = cout;
            }
        }
        Self {
            conv1: conv3(c, 16, 1, d),
            bn1: BatchNormConfig::new(16).init(d),
            blocks,
            pool: AdaptiveAvgPool2dConfig::new([1, 1]).init(),
        }
    }
    pub(super) fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let mut x = batch_norm(&self.bn1, conv2d(&self.conv1, x), None, true);
        for b in &self.blocks {
            x = b.forward(x);
        }
        self.pool.forward(x).flatten(1, 3)
    }
}

/// Pre-activation block with a 1×1 projection when the shape changes.
#[derive(Module, Debug)]
pub struct PreActBlock {
    bn1: BatchNorm,
    conv1: Conv2d,
    bn2: BatchNorm,
    conv2: Conv2d,
    proj: Option<Conv2d>,
}

impl PreActBlock {
    fn new(cin: usize, cout: usize, stride: usize, d: &Device) -> Self {
        let proj = (stride != 1 || cin != cout).then(|| {
            Conv2dConfig::new([cin, cout], [1, 1])
                .with_stride([stride, stride])
                .with_bias(false)
                .init(d)
        });
        Self {
            bn1: BatchNormConfig::new(cin).init(d),
            conv1: conv3(cin, cout, stride, d),
            bn2: BatchNormConfig::new(cout).init(d),
            conv2: conv3(cout, cout, 1, d),
            proj,
        }
    }
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let a = batch_norm(&self.bn1, x.clone(), None, true);
        let sc = match &self.proj {
            Some(p) => conv2d(p, a.clone()),
            None => x,
        };
        let out = conv2d(&self.conv1, a);
        let out = conv2d(&self.conv2, batch_norm(&self.bn2, out, None, true));
        out + sc
    }
}

/// Pre-activation ResNet / Wide ResNet: 3 stages of `n` blocks, widths 16k/32k/64k.
#[derive(Module, Debug)]
pub struct PreActResNet {
    conv1: Conv2d,
    blocks: Vec<PreActBlock>,
    bn: BatchNorm,
    pool: AdaptiveAvgPool2d,
}

impl PreActResNet {
    /// Feature dimension of widen factor `k`.
    pub(super) fn features(k: usize) -> usize {
        64 * k
    }
    pub(super) fn new(c: usize, n: usize, k: usize, d: &Device) -> Self {
        let mut blocks = Vec::new();
        let mut cin = 16;
        for (cout, stride) in [(16 * k, 1), (32 * k, 2), (64 * k, 2)] {
            for i in 0..n {
                blocks.push(PreActBlock::new(
                    cin,
                    cout,
                    if i == 0 { stride } else { 1 },
                    d,
                ));
                cin = cout;
            }
        }
        Self {
            conv1: conv3(c, 16, 1, d),
            blocks,
            bn: BatchNormConfig::new(cin).init(d),
            pool: AdaptiveAvgPool2dConfig::new([1, 1]).init(),
        }
    }
    pub(super) fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let mut x = conv2d(&self.conv1, x);
        for b in &self.blocks {
            x = b.forward(x);
        }
        self.pool
            .forward(batch_norm(&self.bn, x, None, true))
            .flatten(1, 3)
    }
}
