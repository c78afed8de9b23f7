//! Models (burn, CPU Flex device; CUDA with the `cuda` feature). Every model returns the logits
//! and the penultimate features φ(x) (the classification head's input).

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{AdaptiveAvgPool2d, AdaptiveAvgPool2dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::{invalid, Result};

/// Which architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Arch {
    /// A linear classifier on the raw input (features = input).
    Linear,
    /// Two hidden layers of `width` units.
    Mlp,
    /// Two conv (3×3) + max-pool stages and a 128-unit hidden layer.
    Cnn,
    /// CIFAR ResNet-20 (3 stages 16/32/64, option-A shortcuts as in LDAM-DRW).
    Resnet20,
    /// CIFAR ResNet-32.
    Resnet32,
    /// Pre-activation ResNet-20.
    PreactResnet20,
    /// Pre-activation ResNet-32.
    PreactResnet32,
    /// Wide ResNet (depth `depth`, widen factor `width`).
    Wrn,
}

/// Architecture hyper-parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// Architecture.
    pub arch: Arch,
    /// MLP hidden width, or WRN widen factor.
    pub width: usize,
    /// WRN depth (6n + 4).
    pub depth: usize,
}

impl Default for ModelConfig {
    fn default() -> Self {
        Self {
            arch: Arch::Mlp,
            width: 128,
            depth: 16,
        }
    }
}

/// A network: logits and penultimate features.
#[derive(Module, Debug)]
pub enum Net {
    /// Linear.
    Linear(LinearNet),
    /// MLP.
    Mlp(Mlp),
    /// Small CNN.
    Cnn(SmallCnn),
    /// CIFAR ResNet (post-activation, option A).
    ResNet(ResNet),
    /// Pre-activation ResNet / Wide ResNet.
    PreAct(PreActResNet),
}

impl Net {
    /// Build for inputs of shape `[c, h, w]` and `classes` outputs.
    ///
    /// # Errors
    /// Image architectures on flat inputs, zero widths, WRN depth not `6n + 4`.
    pub fn new(
        cfg: &ModelConfig,
        shape: [usize; 3],
        classes: usize,
        device: &Device,
    ) -> Result<Self> {
        let [c, h, w] = shape;
        let image = h > 1 && w > 1;
        if classes < 2 {
            return Err(invalid("classes", classes, "need at least 2 classes"));
        }
        if !image && !matches!(cfg.arch, Arch::Linear | Arch::Mlp) {
            return Err(invalid(
                "model",
                format!("{:?}", cfg.arch),
                "convolutional models need image inputs (h, w > 1); use linear or mlp",
            ));
        }
        if cfg.width == 0 {
            return Err(invalid("width", 0, "width must be >= 1"));
        }
        Ok(match cfg.arch {
            Arch::Linear => Net::Linear(LinearNet {
                fc: LinearConfig::new(c * h * w, classes).init(device),
            }),
            Arch::Mlp => Net::Mlp(Mlp {
                l1: LinearConfig::new(c * h * w, cfg.width).init(device),
                l2: LinearConfig::new(cfg.width, cfg.width).init(device),
                fc: LinearConfig::new(cfg.width, classes).init(device),
            }),
            Arch::Cnn => Net::Cnn(SmallCnn::new(c, h, w, classes, device)),
            Arch::Resnet20 => Net::ResNet(ResNet::new(c, 3, classes, device)),
            Arch::Resnet32 => Net::ResNet(ResNet::new(c, 5, classes, device)),
            Arch::PreactResnet20 => Net::PreAct(PreActResNet::new(c, 3, 1, classes, device)),
            Arch::PreactResnet32 => Net::PreAct(PreActResNet::new(c, 5, 1, classes, device)),
            Arch::Wrn => {
                if cfg.depth < 10 || !(cfg.depth - 4).is_multiple_of(6) {
                    return Err(invalid(
                        "depth",
                        cfg.depth,
                        "WRN depth must be 6n + 4 with n >= 1 (10, 16, 22, 28, …)",
                    ));
                }
                Net::PreAct(PreActResNet::new(
                    c,
                    (cfg.depth - 4) / 6,
                    cfg.width,
                    classes,
                    device,
                ))
            }
        })
    }

    /// Build with a seeded initialisation. burn's device RNG may be process-global, so seeding
    /// and initialising happen under one lock: concurrent runs (tests, parallel experiments)
    /// cannot interleave their draws, and the same seed gives the same weights.
    ///
    /// # Errors
    /// As [`Net::new`].
    pub fn new_seeded(
        cfg: &ModelConfig,
        shape: [usize; 3],
        classes: usize,
        device: &Device,
        seed: u64,
    ) -> Result<Self> {
        static INIT: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _guard = INIT.lock().unwrap_or_else(|p| p.into_inner());
        device.seed(seed);
        let net = Self::new(cfg, shape, classes, device)?;
        // burn initialises parameters lazily (on first use). Collecting the record reads every
        // parameter — clones share the lazy state — so all draws happen here, under the lock.
        let _ = net.clone().into_record();
        Ok(net)
    }

    /// `(logits [B, K], features [B, d])` for a batch `[B, c, h, w]`.
    pub fn forward(&self, x: Tensor<4>) -> (Tensor<2>, Tensor<2>) {
        match self {
            Net::Linear(m) => {
                let f = x.flatten(1, 3);
                (m.fc.forward(f.clone()), f)
            }
            Net::Mlp(m) => {
                let f = relu(m.l2.forward(relu(m.l1.forward(x.flatten(1, 3)))));
                (m.fc.forward(f.clone()), f)
            }
            Net::Cnn(m) => m.forward(x),
            Net::ResNet(m) => m.forward(x),
            Net::PreAct(m) => m.forward(x),
        }
    }

    /// The head's bias `b_k` (zeros if the head has none).
    pub fn head_bias(&self) -> Vec<f32> {
        let fc = self.head();
        match &fc.bias {
            Some(b) => b
                .val()
                .into_data()
                .convert::<f32>()
                .try_to_vec::<f32>()
                .unwrap_or_default(),
            None => vec![0.0; fc.weight.val().dims()[1]],
        }
    }

    fn head(&self) -> &Linear {
        match self {
            Net::Linear(m) => &m.fc,
            Net::Mlp(m) => &m.fc,
            Net::Cnn(m) => &m.fc2,
            Net::ResNet(m) => &m.fc,
            Net::PreAct(m) => &m.fc,
        }
    }

    /// The head's weight matrix `W` as `[K][d]` (rows `w_k`), for margins and bounds.
    pub fn head_weights(&self) -> Vec<Vec<f32>> {
        let fc = self.head();
        // burn stores Linear weights as [d_in, d_out].
        let w = fc.weight.val();
        let [din, dout] = w.dims();
        let v: Vec<f32> = w
            .into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .unwrap_or_default();
        (0..dout)
            .map(|k| (0..din).map(|j| v[j * dout + k]).collect())
            .collect()
    }
}

/// Linear classifier.
#[derive(Module, Debug)]
pub struct LinearNet {
    fc: Linear,
}

/// MLP with two hidden layers.
#[derive(Module, Debug)]
pub struct Mlp {
    l1: Linear,
    l2: Linear,
    fc: Linear,
}

/// Two conv + pool stages (16, 32 channels), a 128-unit hidden layer (the features), the head.
#[derive(Module, Debug)]
pub struct SmallCnn {
    c1: Conv2d,
    c2: Conv2d,
    pool: MaxPool2d,
    fc1: Linear,
    fc2: Linear,
}

fn conv3(cin: usize, cout: usize, stride: usize, d: &Device) -> Conv2d {
    Conv2dConfig::new([cin, cout], [3, 3])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .with_bias(false)
        .init(d)
}

impl SmallCnn {
    fn new(c: usize, h: usize, w: usize, classes: usize, d: &Device) -> Self {
        let pad = PaddingConfig2d::Explicit(1, 1, 1, 1);
        Self {
            c1: Conv2dConfig::new([c, 16], [3, 3])
                .with_padding(pad.clone())
                .init(d),
            c2: Conv2dConfig::new([16, 32], [3, 3])
                .with_padding(pad)
                .init(d),
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            fc1: LinearConfig::new(32 * (h / 4) * (w / 4), 128).init(d),
            fc2: LinearConfig::new(128, classes).init(d),
        }
    }
    fn forward(&self, x: Tensor<4>) -> (Tensor<2>, Tensor<2>) {
        let x = self.pool.forward(relu(self.c1.forward(x)));
        let x = self.pool.forward(relu(self.c2.forward(x)));
        let f = relu(self.fc1.forward(x.flatten(1, 3)));
        (self.fc2.forward(f.clone()), f)
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

/// Option-A shortcut: subsample by 2 and zero-pad channels on both sides.
fn shortcut_a(x: Tensor<4>, stride: usize, pad: usize) -> Tensor<4> {
    if stride == 1 && pad == 0 {
        return x;
    }
    let [b, c, h, w] = x.dims();
    let x: Tensor<6> = x.reshape([b, c, h / 2, 2, w / 2, 2]);
    let x: Tensor<4> = x
        .narrow(3, 0, 1)
        .narrow(5, 0, 1)
        .reshape([b, c, h / 2, w / 2]);
    let dev = x.device();
    let z = Tensor::<4>::zeros([b, pad, h / 2, w / 2], &dev);
    Tensor::cat(vec![z.clone(), x, z], 1)
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
        let out = relu(self.bn1.forward(self.conv1.forward(x.clone())));
        let out = self.bn2.forward(self.conv2.forward(out));
        relu(out + shortcut_a(x, self.stride, self.pad_channels))
    }
}

/// CIFAR ResNet-(6n+2) with option-A shortcuts.
#[derive(Module, Debug)]
pub struct ResNet {
    conv1: Conv2d,
    bn1: BatchNorm,
    blocks: Vec<BasicBlock>,
    pool: AdaptiveAvgPool2d,
    fc: Linear,
}

impl ResNet {
    fn new(c: usize, n: usize, classes: usize, d: &Device) -> Self {
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
            fc: LinearConfig::new(64, classes).init(d),
        }
    }
    fn forward(&self, x: Tensor<4>) -> (Tensor<2>, Tensor<2>) {
        let mut x = relu(self.bn1.forward(self.conv1.forward(x)));
        for b in &self.blocks {
            x = b.forward(x);
        }
        let f = self.pool.forward(x).flatten(1, 3);
        (self.fc.forward(f.clone()), f)
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
        let a = relu(self.bn1.forward(x.clone()));
        let sc = match &self.proj {
            Some(p) => p.forward(a.clone()),
            None => x,
        };
        let out = self.conv1.forward(a);
        let out = self.conv2.forward(relu(self.bn2.forward(out)));
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
    fc: Linear,
}

impl PreActResNet {
    fn new(c: usize, n: usize, k: usize, classes: usize, d: &Device) -> Self {
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
            fc: LinearConfig::new(cin, classes).init(d),
        }
    }
    fn forward(&self, x: Tensor<4>) -> (Tensor<2>, Tensor<2>) {
        let mut x = self.conv1.forward(x);
        for b in &self.blocks {
            x = b.forward(x);
        }
        let f = self.pool.forward(relu(self.bn.forward(x))).flatten(1, 3);
        (self.fc.forward(f.clone()), f)
    }
}
