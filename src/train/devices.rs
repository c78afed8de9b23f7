//! Which compute device a run uses: `--device cpu|cuda[:N]|wgpu[:N]`.
//!
//! `cpu` is burn's Flex backend with mr2's own kernels (the fast path on this machine);
//! `cuda` is burn's CUDA backend (the `cuda` feature, `scripts/build-gpu.sh`); `wgpu` is
//! burn's Vulkan backend (the `wgpu` feature), the fallback GPU backend that needs no LLVM.
//! A device that is not compiled in, or that does not answer, is an error naming it — never a
//! silent CPU run. The device is not part of a run's configuration: a checkpoint written on
//! one device resumes on another.

use std::fmt;
use std::str::FromStr;

use burn::tensor::{Device, Tensor};

use crate::error::{Error, Result};

/// The CPU device (Flex, mr2's kernels); [`DeviceChoice`] opens the others. On the CPU
/// the allocator keeps freed memory mapped from here on
/// ([`mr2_kernels::memory::retain_freed_memory`]): the step's buffers are reused rather than
/// re-faulted as zeroed pages every step.
pub fn device() -> Device {
    mr2_kernels::memory::retain_freed_memory();
    Device::flex()
}

/// A device opened once by [`DeviceChoice::open`] and carried to what runs on it: every run,
/// grid and benchmark takes one of these (the default is the CPU), never an `Option` whose
/// `None` means the CPU.
#[derive(Debug, Clone)]
pub struct OpenedDevice(Device);

impl OpenedDevice {
    /// The CPU (burn Flex + mr2's kernels, [`device`]); it needs no probe.
    pub fn cpu() -> Self {
        Self(device())
    }

    /// The burn device.
    pub fn device(&self) -> &Device {
        &self.0
    }
}

impl Default for OpenedDevice {
    fn default() -> Self {
        Self::cpu()
    }
}

/// A compute device as given on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceChoice {
    /// The CPU (burn Flex + mr2's kernels).
    #[default]
    Cpu,
    /// CUDA GPU `N` (default 0).
    Cuda(usize),
    /// Discrete GPU `N` through wgpu on Vulkan.
    Wgpu(usize),
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Cpu => write!(f, "cpu"),
            Self::Cuda(n) => write!(f, "cuda:{n}"),
            Self::Wgpu(n) => write!(f, "wgpu:{n}"),
        }
    }
}

impl FromStr for DeviceChoice {
    type Err = Error;

    /// `cpu`, `cuda`, `cuda:N`, `wgpu`, `wgpu:N`.
    fn from_str(s: &str) -> Result<Self> {
        let bad = |reason: &str| Error::Device {
            device: s.to_string(),
            reason: reason.to_string(),
        };
        let (name, index) = match s.split_once(':') {
            Some((n, i)) => {
                let i = i
                    .parse::<usize>()
                    .map_err(|_| bad("the index after ':' must be a GPU number, e.g. cuda:0"))?;
                (n, Some(i))
            }
            None => (s, None),
        };
        match (name, index) {
            ("cpu", None) => Ok(Self::Cpu),
            ("cpu", Some(_)) => Err(bad("the CPU takes no index (use cpu)")),
            ("cuda", i) => Ok(Self::Cuda(i.unwrap_or(0))),
            ("wgpu", i) => Ok(Self::Wgpu(i.unwrap_or(0))),
            _ => Err(bad("must be cpu, cuda, cuda:N, wgpu or wgpu:N")),
        }
    }
}

impl DeviceChoice {
    /// Whether this binary was built with the backend this device needs.
    pub fn compiled(self) -> bool {
        match self {
            Self::Cpu => true,
            Self::Cuda(_) => cfg!(feature = "cuda"),
            Self::Wgpu(_) => cfg!(feature = "wgpu"),
        }
    }

    /// The burn device, checked to work: a one-element tensor is created and read back (a
    /// missing driver or GPU panics inside the backend; that panic becomes this error).
    ///
    /// On the CPU the convolution algorithm that `MR2_CONV` names is checked here too
    /// (`unfold`, the default, or `winograd`; `mr2_kernels::conv::Algorithm`).
    ///
    /// # Errors
    /// [`Error::Device`]: the backend is not compiled into this binary (with the command that
    /// builds one), the device does not answer (with the backend's message), or `MR2_CONV`
    /// names no algorithm.
    pub fn open(self) -> Result<OpenedDevice> {
        let err = |reason: String| Error::Device {
            device: self.to_string(),
            reason,
        };
        if self == Self::Cpu {
            mr2_kernels::conv::Algorithm::from_env().map_err(err)?;
        }
        if !self.compiled() {
            let feature = if matches!(self, Self::Cuda(_)) {
                "cuda"
            } else {
                "wgpu"
            };
            return Err(err(format!(
                "this binary was built without the `{feature}` feature; build one with scripts/build-gpu.sh (docs/gpu.md) or `cargo build --release --features {feature}`"
            )));
        }
        let dev = self.device();
        let probe = std::panic::catch_unwind(|| {
            crate::tensor::to_vec(Tensor::<1>::ones([1], &dev), "a probe tensor")
                .map_err(|e| e.to_string())
        });
        match probe {
            Ok(Ok(v)) if v == [1.0] => Ok(OpenedDevice(dev)),
            Ok(Ok(v)) => Err(err(format!("a probe tensor read back as {v:?}, not [1.0]"))),
            Ok(Err(e)) => Err(err(e)),
            Err(p) => {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "the backend panicked".into());
                Err(err(format!("the backend could not open it: {msg}")))
            }
        }
    }

    /// The burn device (unchecked; [`DeviceChoice::open`] checks it).
    fn device(self) -> Device {
        match self {
            Self::Cpu => device(),
            #[cfg(feature = "cuda")]
            Self::Cuda(n) => Device::cuda(n),
            #[cfg(feature = "wgpu")]
            Self::Wgpu(n) => Device::vulkan(burn::tensor::DeviceKind::DiscreteGpu(n)),
            #[allow(unreachable_patterns)]
            _ => device(),
        }
    }
}
