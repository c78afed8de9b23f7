//! How the weights of a [`super::Net`] are drawn: burn's default, or LDAM-DRW's Kaiming-normal.

use burn::module::{Module, ModuleMapper, Param};
use burn::tensor::{Distribution, Tensor};
use serde::{Deserialize, Serialize};

/// The initialisation of the convolution and linear weights.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Init {
    /// burn's layer defaults, which are PyTorch's: every weight and bias `U(±1/√fan_in)`
    /// (Kaiming-uniform with `a = √5`).
    #[default]
    Default,
    /// LDAM-DRW's `_weights_init` (`models/resnet_cifar.py`, Cao et al. 2019): every
    /// convolution and linear weight (the head's too) drawn from `N(0, 2/fan_in)`
    /// (`torch.nn.init.kaiming_normal_` with its defaults); biases and batch-norm parameters
    /// keep the default. `fan_in` = input channels × kernel area for a convolution, inputs for a
    /// linear layer.
    KaimingNormal,
}

impl Init {
    /// Whether this is the default (then `config.json` does not name it, so configurations
    /// written before the option existed read and compare unchanged).
    pub fn is_default(&self) -> bool {
        *self == Self::Default
    }

    /// `net` with its weights drawn as `self` says, from burn's device RNG (call it where that
    /// RNG is seeded and locked: [`super::Net::new_seeded`]).
    pub(super) fn apply<M: Module>(self, net: M) -> M {
        match self {
            Self::Default => net,
            Self::KaimingNormal => net.map(&mut KaimingNormal),
        }
    }
}

/// The standard deviation `√(2/fan_in)` of [`Init::KaimingNormal`] for a weight of shape
/// `dims`: burn stores a convolution weight as `[out, in, kh, kw]` and a linear weight as
/// `[in, out]`; `None` for any other parameter (biases, batch-norm scales and shifts).
pub fn kaiming_normal_std(dims: &[usize]) -> Option<f64> {
    let fan_in = match *dims {
        [_, cin, kh, kw] => cin * kh * kw,
        [inputs, _] => inputs,
        _ => return None,
    };
    Some((2.0 / fan_in as f64).sqrt())
}

/// Redraws every 2-D (linear) and 4-D (convolution) weight, keeping parameter ids.
struct KaimingNormal;

impl ModuleMapper for KaimingNormal {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        param.map(|w| {
            let dims = w.dims();
            match kaiming_normal_std(&dims) {
                Some(std) => {
                    let grad = w.is_require_grad();
                    Tensor::<D>::random(dims, Distribution::Normal(0.0, std), &w.device())
                        .set_require_grad(grad)
                }
                None => w,
            }
        })
    }
}
