//! Device parity: the same model, weights, batch and objective on a reference and a candidate
//! compute path, compared at each stage of a training step — the forward logits and features,
//! the loss, the gradients of one backward pass, the parameters after one SGD step, and the
//! loss and parameters after 20 steps on the fixed batch.
//!
//! On a GPU the reference is the CPU (Flex with mr2's kernels) and the candidate the GPU
//! (`bench --parity --device cuda`, what `scripts/gpu-check.sh` runs). Without one, the
//! candidate is the CPU with burn's own layers instead of mr2's kernels: the same harness, the
//! check the test suite runs, and a test of mr2's kernels against burn's ops end to end.
//!
//! Each difference is relative in the L2 norm, ‖candidate − reference‖ / ‖reference‖, over the
//! whole tensor (all parameters for the gradients and the steps).

mod compare;
mod tolerances;
mod trace;

pub use compare::{names, parity, parity_method, parity_table, rel_diff, sides, ParityRow};
pub use tolerances::Tolerances;
pub use trace::{flat_params, Side};

/// Steps of the short run on the fixed batch.
pub const RUN_STEPS: usize = 20;

/// How far the candidate's 20-step run may drift, in multiples of the drift the reference
/// shows when every input moves by one ulp (the run's own sensitivity to rounding): a
/// rounding-level difference drifts like that nudge, a wrong term does not stay within 4×
/// of it. The fixed [`Tolerances::run`] applies where the nudge drifts less.
pub const CHAOS_FACTOR: f64 = 4.0;

/// The short run's learning rate (SGD, momentum 0.9, weight decay 5e-4): small enough that 20
/// steps on one batch stay in the smooth regime where a rounding difference is not amplified
/// by a factor of thousands (at lr 0.05 the two CPU paths of ResNet-20 drift apart by up to 36%).
pub const RUN_LR: f64 = 0.01;
