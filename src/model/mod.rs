//! Models (burn, CPU Flex device; CUDA with the `cuda` feature). A [`Net`] is a feature
//! extractor φ (an [`Arch`]) followed by a classification head over the penultimate features;
//! every net returns the logits and φ(x). A [`Model`] is what a training run optimises: the net,
//! plus the second (biased) net of LfF or the learnable per-class radii of DRL when the
//! objective needs them.

mod arch;
pub mod cpu;
mod init;
mod predictions;

use burn::module::{Module, Param};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::{invalid, Result};
use crate::tensor::to_vec;
pub use arch::{BasicBlock, Mlp, PreActBlock, PreActResNet, ResNet, SmallCnn};
pub use init::{kaiming_normal_std, Init};
pub use predictions::{predict, Predictions};

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

/// The input sizes an architecture can take, checked before it is built (an unchecked size
/// panicked inside a reshape or an index): the small CNN pools twice by 2, so each side must
/// be at least 4; ResNet-20/32 downsample twice by 2 with option-A shortcuts (a reshape that
/// halves each side exactly), so each side must be a multiple of 4. The pre-activation ResNets
/// and the WRN downsample with strided projections and take any image size.
///
/// # Errors
/// A side the architecture cannot take, naming the size and the model.
pub fn check_input_size(arch: Arch, h: usize, w: usize) -> Result<()> {
    let option_a = matches!(arch, Arch::Resnet20 | Arch::Resnet32);
    if option_a && (!h.is_multiple_of(4) || !w.is_multiple_of(4)) {
        return Err(invalid(
            "model",
            format!("{arch:?} on {h}×{w} images"),
            "ResNet-20/32's option-A shortcuts halve each side exactly, twice: each side must be a multiple of 4 (e.g. 32×32)",
        ));
    }
    if arch == Arch::Cnn && (h < 4 || w < 4) {
        return Err(invalid(
            "model",
            format!("cnn on {h}×{w} images"),
            "the small CNN pools twice by 2: each side must be at least 4",
        ));
    }
    Ok(())
}

/// Architecture hyper-parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelConfig {
    /// Architecture.
    pub arch: Arch,
    /// MLP hidden width, or WRN widen factor.
    pub width: usize,
    /// WRN depth (6n + 4).
    pub depth: usize,
    /// How the convolution and linear weights are drawn ([`Init`]; not written when default).
    #[serde(skip_serializing_if = "Init::is_default")]
    pub init: Init,
}

impl ModelConfig {
    /// The number of parameters the settings ask for, before anything is built: exact for the
    /// linear model and the MLP (`input` inputs, `classes` outputs), the convolutions' count
    /// for the Wide ResNet (16k/32k/64k channels, `(depth − 4)/6` blocks of two 3×3
    /// convolutions per stage); the fixed architectures (CNN, ResNets) need no check and give
    /// their head's count. Saturates instead of wrapping.
    pub fn parameter_estimate(&self, input: usize, classes: usize) -> u128 {
        let (i, w, k) = (input as u128, self.width as u128, classes as u128);
        let head = |features: u128| features.saturating_mul(k).saturating_add(k);
        match self.arch {
            Arch::Linear => head(i),
            Arch::Mlp => i
                .saturating_mul(w)
                .saturating_add(w)
                .saturating_add(w.saturating_mul(w).saturating_add(w))
                .saturating_add(head(w)),
            Arch::Wrn => {
                let n = (self.depth.saturating_sub(4) / 6) as u128;
                // Σ_stages n · 2 · 9 · (16·2^s·w)² = 18 n w² · 256 · (1 + 4 + 16).
                let convs = crate::limits::product(&[18, n, 256 * 21, w, w]);
                convs.saturating_add(head(64u128.saturating_mul(w)))
            }
            _ => head(64),
        }
    }
}

impl Default for ModelConfig {
    fn default() -> Self {
        Self {
            arch: Arch::Mlp,
            width: 128,
            depth: 16,
            init: Init::Default,
        }
    }
}

/// How the head turns features into logits. The objective decides it (see
/// [`crate::loss::Method::head`]): the paper's linear head `z_k = w_kᵀφ + b_k`; the cosine head
/// of LDAM, MM and LM-softmax `z_k = ⟨φ/‖φ‖, w_k/‖w_k‖⟩` (no bias; the loss applies its scale
/// `s`); the Gaussian-mixture head of L-GM `z_k = −½‖φ − μ_k‖²` with the means `μ_k` stored as
/// the head's weight columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum HeadKind {
    /// `z_k = w_kᵀφ + b_k`.
    #[default]
    Linear,
    /// `z_k = cos∠(φ, w_k)`.
    Cosine,
    /// `z_k = −½‖φ − μ_k‖²`.
    Gaussian,
}

/// The feature extractor of an architecture (a linear classifier has none: its features are
/// the flattened input).
#[derive(Module, Debug)]
pub enum Backbone {
    /// MLP.
    Mlp(Mlp),
    /// Small CNN.
    Cnn(SmallCnn),
    /// CIFAR ResNet (post-activation, option A).
    ResNet(ResNet),
    /// Pre-activation ResNet / Wide ResNet.
    PreAct(PreActResNet),
}

/// A network: feature extractor and head; returns logits and penultimate features.
#[derive(Module, Debug)]
pub struct Net {
    backbone: Option<Backbone>,
    fc: Linear,
    #[module(skip)]
    head_kind: HeadKind,
}

/// A linear scoring rule `f(x, y) = w_yᵀφ̃(x) + b_y` that ranks the classes exactly as a
/// net's head does, on the features `φ̃` it names — the input the paper's bounds take.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearHead {
    /// Rows `w_k` (`K × d`).
    pub weights: Vec<Vec<f64>>,
    /// Biases `b_k` (zeros when the head has none).
    pub bias: Vec<f64>,
    /// Whether the features must be L2-normalised first (cosine head).
    pub normalize_features: bool,
}

impl Net {
    /// Build for inputs of shape `[c, h, w]` and `classes` outputs with a linear head.
    ///
    /// # Errors
    /// Image architectures on flat inputs, zero widths, WRN depth not `6n + 4`, fewer than two
    /// classes.
    pub fn new(
        cfg: &ModelConfig,
        shape: [usize; 3],
        classes: usize,
        device: &Device,
    ) -> Result<Self> {
        Self::with_head(cfg, shape, classes, HeadKind::Linear, device)
    }

    /// Build with the given head.
    ///
    /// # Errors
    /// As [`Net::new`].
    pub fn with_head(
        cfg: &ModelConfig,
        shape: [usize; 3],
        classes: usize,
        head_kind: HeadKind,
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
        check_input_size(cfg.arch, h, w)?;
        // Parameters as f32 with their gradient and two optimiser moments, checked before any
        // is allocated (a width of 10⁸ must be refused, not swapped to death).
        crate::limits::check(
            || {
                let hint = if cfg.arch == Arch::Wrn && cfg.width > 20 {
                    " — for wrn, --width is the widen factor (the default 128 is the MLP's width): give e.g. --width 10"
                } else {
                    ""
                };
                format!(
                    "the model ({:?}, width {}, depth {}: about {} parameters){hint}",
                    cfg.arch,
                    cfg.width,
                    cfg.depth,
                    cfg.parameter_estimate(c * h * w, classes)
                )
            },
            cfg.parameter_estimate(c * h * w, classes)
                .saturating_mul(16),
        )?;
        let (backbone, features) = match cfg.arch {
            Arch::Linear => (None, c * h * w),
            Arch::Mlp => (
                Some(Backbone::Mlp(Mlp::new(c * h * w, cfg.width, device))),
                cfg.width,
            ),
            Arch::Cnn => (
                Some(Backbone::Cnn(SmallCnn::new(c, h, w, device))),
                arch::SMALL_CNN_FEATURES,
            ),
            Arch::Resnet20 => (
                Some(Backbone::ResNet(ResNet::new(c, 3, device))),
                arch::RESNET_FEATURES,
            ),
            Arch::Resnet32 => (
                Some(Backbone::ResNet(ResNet::new(c, 5, device))),
                arch::RESNET_FEATURES,
            ),
            Arch::PreactResnet20 => (
                Some(Backbone::PreAct(PreActResNet::new(c, 3, 1, device))),
                PreActResNet::features(1),
            ),
            Arch::PreactResnet32 => (
                Some(Backbone::PreAct(PreActResNet::new(c, 5, 1, device))),
                PreActResNet::features(1),
            ),
            Arch::Wrn => {
                if cfg.depth < 10 || !(cfg.depth - 4).is_multiple_of(6) {
                    return Err(invalid(
                        "depth",
                        cfg.depth,
                        "WRN depth must be 6n + 4 with n >= 1 (10, 16, 22, 28, …)",
                    ));
                }
                (
                    Some(Backbone::PreAct(PreActResNet::new(
                        c,
                        (cfg.depth - 4) / 6,
                        cfg.width,
                        device,
                    ))),
                    PreActResNet::features(cfg.width),
                )
            }
        };
        Ok(cfg.init.apply(Self {
            backbone,
            fc: LinearConfig::new(features, classes)
                .with_bias(head_kind == HeadKind::Linear)
                .init(device),
            head_kind,
        }))
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
        head_kind: HeadKind,
        device: &Device,
        seed: u64,
    ) -> Result<Self> {
        with_device_rng(device, seed, || {
            let net = Self::with_head(cfg, shape, classes, head_kind, device)?;
            // burn initialises parameters lazily (on first use). Collecting the record reads
            // every parameter — clones share the lazy state — so all draws happen here, under
            // the lock.
            let _ = net.clone().into_record();
            Ok(net)
        })
    }

    /// The head kind.
    pub fn head_kind(&self) -> HeadKind {
        self.head_kind
    }

    /// Penultimate features `[B, d]` of a batch `[B, c, h, w]`.
    pub fn features(&self, x: Tensor<4>) -> Tensor<2> {
        match &self.backbone {
            None => x.flatten(1, 3),
            Some(Backbone::Mlp(m)) => m.forward(x),
            Some(Backbone::Cnn(m)) => m.forward(x),
            Some(Backbone::ResNet(m)) => m.forward(x),
            Some(Backbone::PreAct(m)) => m.forward(x),
        }
    }

    /// Logits `[B, K]` of features `[B, d]` under the head.
    pub fn logits(&self, f: Tensor<2>) -> Tensor<2> {
        match self.head_kind {
            HeadKind::Linear => self.fc.forward(f),
            HeadKind::Cosine => {
                let w = self.fc.weight.val(); // [d, K]
                let wn = w.clone() / w.square().sum_dim(0).sqrt().clamp_min(NORM_EPS);
                let fnorm = f.clone() / f.square().sum_dim(1).sqrt().clamp_min(NORM_EPS);
                fnorm.matmul(wn)
            }
            HeadKind::Gaussian => {
                let mu = self.fc.weight.val(); // [d, K], columns μ_k
                let cross = f.clone().matmul(mu.clone());
                let fsq = f.powi_scalar(2).sum_dim(1); // [B, 1]
                let musq = mu.powi_scalar(2).sum_dim(0); // [1, K]
                (cross * 2.0 - fsq - musq) * 0.5
            }
        }
    }

    /// `(logits [B, K], features [B, d])` for a batch `[B, c, h, w]`.
    pub fn forward(&self, x: Tensor<4>) -> (Tensor<2>, Tensor<2>) {
        let f = self.features(x);
        (self.logits(f.clone()), f)
    }

    /// The head's weight matrix as a tensor `[d, K]` (columns `w_k`; L-GM: the means `μ_k`).
    pub fn head_weight_tensor(&self) -> Tensor<2> {
        self.fc.weight.val()
    }

    /// The head's weight rows `w_k` as `[K][d]`, for margins and bounds.
    ///
    /// # Errors
    /// The backend cannot return the weights.
    pub fn head_weights(&self) -> Result<Vec<Vec<f32>>> {
        let w = self.fc.weight.val();
        let [din, dout] = w.dims();
        let v = to_vec(w, "head weights")?;
        Ok((0..dout)
            .map(|k| (0..din).map(|j| v[j * dout + k]).collect())
            .collect())
    }

    /// The head's bias `b_k` (zeros if the head has none).
    ///
    /// # Errors
    /// The backend cannot return the bias.
    pub fn head_bias(&self) -> Result<Vec<f32>> {
        match &self.fc.bias {
            Some(b) => to_vec(b.val(), "head bias"),
            None => Ok(vec![0.0; self.fc.weight.val().dims()[1]]),
        }
    }

    /// The head as a linear scoring rule on (possibly normalised) features, ranking the classes
    /// and giving the same pairwise logit differences as the head itself: the linear head as
    /// is; the cosine head as unit rows on unit features; the Gaussian head as `w_k = μ_k`,
    /// `b_k = −½‖μ_k‖²` (the dropped `−½‖φ‖²` is the same for every class).
    ///
    /// # Errors
    /// The backend cannot return the head.
    pub fn linear_head(&self) -> Result<LinearHead> {
        let w: Vec<Vec<f64>> = self
            .head_weights()?
            .into_iter()
            .map(|r| r.into_iter().map(f64::from).collect())
            .collect();
        let norm = |r: &[f64]| r.iter().map(|v| v * v).sum::<f64>().sqrt();
        Ok(match self.head_kind {
            HeadKind::Linear => LinearHead {
                bias: self.head_bias()?.into_iter().map(f64::from).collect(),
                weights: w,
                normalize_features: false,
            },
            HeadKind::Cosine => LinearHead {
                bias: vec![0.0; w.len()],
                weights: w
                    .iter()
                    .map(|r| {
                        let n = norm(r).max(f64::from(NORM_EPS));
                        r.iter().map(|v| v / n).collect()
                    })
                    .collect(),
                normalize_features: true,
            },
            HeadKind::Gaussian => LinearHead {
                bias: w.iter().map(|r| -0.5 * norm(r).powi(2)).collect(),
                weights: w,
                normalize_features: false,
            },
        })
    }
}

/// Norms are clamped below at this value before dividing (cosine head, normalised features), as
/// PyTorch's `F.normalize` does.
pub const NORM_EPS: f32 = 1e-12;

/// What a training run optimises: the net, and the extra trainable parts some objectives need.
#[derive(Module, Debug)]
pub struct Model {
    /// The classifier that is evaluated and reported.
    pub net: Net,
    /// LfF's intentionally biased second net (trained with the generalised CE), if any.
    pub biased: Option<Net>,
    /// DRL's learnable per-class radii ε_k (initialised to 1), if any.
    pub radii: Option<Param<Tensor<1>>>,
}

/// Which extra parts a [`Model`] carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Extras {
    /// A second, biased net (LfF).
    pub biased_net: bool,
    /// Learnable per-class radii (DRL).
    pub radii: bool,
}

impl Model {
    /// Build the net (and the extras) with a seeded initialisation; the biased net draws after
    /// the main one, so the main net's initialisation does not depend on the objective.
    ///
    /// # Errors
    /// As [`Net::new`].
    pub fn new_seeded(
        cfg: &ModelConfig,
        shape: [usize; 3],
        classes: usize,
        head_kind: HeadKind,
        extras: Extras,
        device: &Device,
        seed: u64,
    ) -> Result<Self> {
        let net = Net::new_seeded(cfg, shape, classes, head_kind, device, seed)?;
        let biased = if extras.biased_net {
            Some(Net::new_seeded(
                cfg,
                shape,
                classes,
                head_kind,
                device,
                seed.wrapping_add(0x5eed_b1a5),
            )?)
        } else {
            None
        };
        let radii = extras
            .radii
            .then(|| Param::from_tensor(Tensor::<1>::ones([classes], device)));
        Ok(Self { net, biased, radii })
    }
}

/// Serialises every use of burn's (possibly process-global) device RNG made by mr2: seeded
/// initialisation and [`seeded_random`].
static DEVICE_RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A random tensor drawn from burn's device RNG seeded with `seed`, under the same lock as
/// [`Net::new_seeded`]. An unlocked `Tensor::random` running on another thread while a model is
/// initialised would consume that model's draws and change its weights; use this instead
/// wherever runs may happen concurrently (tests, parallel experiments).
pub fn seeded_random<const D: usize>(
    shape: [usize; D],
    distribution: burn::tensor::Distribution,
    seed: u64,
    device: &Device,
) -> Tensor<D> {
    with_device_rng(device, seed, || {
        let t = Tensor::<D>::random(shape, distribution, device);
        // Materialise the draw while the lock is held.
        Tensor::<D>::from_data(t.into_data(), device)
    })
}

/// Run `f` with burn's device RNG seeded with `seed` and held by this thread alone (the lock of
/// [`Net::new_seeded`] and [`seeded_random`]). Every draw `f` makes is reproducible only if it
/// happens inside `f`: burn initialises layers lazily, so `f` must materialise what it builds
/// (e.g. `let _ = layer.clone().into_record();`). Use it for any layer built outside mr2's
/// constructors where runs may happen concurrently (tests, parallel experiments): an unlocked
/// draw on another thread would consume a seeded model's draws and change its weights.
pub fn with_device_rng<R>(device: &Device, seed: u64, f: impl FnOnce() -> R) -> R {
    let _guard = DEVICE_RNG.lock().unwrap_or_else(|p| p.into_inner());
    device.seed(seed);
    f()
}
