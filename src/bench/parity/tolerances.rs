//! The tolerance of each stage of a parity check, and why it has its value.

/// The relative tolerance of each stage (relative L2 differences).
///
/// CPU against CPU: only the summation order differs between mr2's kernels and burn's ops.
/// - forward, loss: f32 dot products of ≤ 576 terms (3·3·64) carry ≈ √576·2⁻²⁴ ≈ 1.4e-6
///   relative rounding per layer; measured ≤ 9e-7 on ResNet-20/32 at batch 16; bound 1e-5.
/// - gradients: a ReLU whose input lies within rounding of 0 can switch on one path and not
///   the other, and then passes (or blocks) that unit's whole gradient. One such switch in a
///   layer of `U` units changes the gradients below it by ≈ 1/√U relative (U = 16·32·16·16 at
///   batch 16 in ResNet's middle stage: 2.8e-3, as measured: 2.9e-3 for CE on ResNet-20).
///   Expected switches per network are ≈ 0.1–1 (units within 1e-7 of the kink); 2e-2 allows
///   five, and a wrong gradient formula is off by O(1).
/// - one SGD step: parameters move by lr·g ≪ ‖w‖, so they agree far better than the
///   gradients (measured ≤ 1.1e-5); bound 1e-4.
/// - 20 steps at lr 0.01 on one batch: each step adds its own switches and the map amplifies
///   them (measured ≤ 3.5e-2 on ResNet-20 for CE and MR², up to 1.9e-1 for LDAM's scaled
///   logits on ResNet-32); bound 1e-1, or [`CHAOS_FACTOR`] times the drift of the reference
///   itself under a one-ulp nudge of the inputs where that is larger.
///
/// GPU (a hypothesis until a GPU run checks it): matmuls and convolutions may round inputs to
/// TF32 (10-bit mantissa, 2⁻¹¹ ≈ 4.9e-4 relative per product), so the forward bound is 2e-3;
/// kink switches are ~500× likelier (√500 ≈ 22× the gradient difference), bounded at 1e-1;
/// the step and the run at 1e-3 and 2e-1.
#[derive(Debug, Clone, Copy)]
pub struct Tolerances {
    /// Logits and features.
    pub forward: f64,
    /// The loss.
    pub loss: f64,
    /// The gradients of one backward pass.
    pub gradients: f64,
    /// The parameters after one step.
    pub step: f64,
    /// The loss and parameters after [`RUN_STEPS`] steps.
    pub run: f64,
}

impl Tolerances {
    /// CPU against CPU (mr2's kernels against burn's ops).
    pub const CPU: Self = Self {
        forward: 1e-5,
        loss: 1e-5,
        gradients: 2e-2,
        step: 1e-4,
        run: 1e-1,
    };
    /// CPU against a GPU.
    pub const GPU: Self = Self {
        forward: 2e-3,
        loss: 2e-3,
        gradients: 1e-1,
        step: 1e-3,
        run: 2e-1,
    };
}

impl Tolerances {
    /// The tolerances for objective `name`: DRL's ten times wider (its forward pass is the
    /// network's, unchanged). DRL's distances
    /// `√(‖φ‖² + ‖μ‖² − 2φ·μ)` cancel where a feature lies near its class centre (relative
    /// rounding error ≈ 2⁻²⁴·‖φ‖²/‖φ − μ‖²), and it divides them by a temperature τ = 0.1, so
    /// its loss and gradients carry one more order of rounding than the others on any device.
    pub fn for_objective(self, name: &str) -> Self {
        if name == "drl" {
            Self {
                forward: self.forward,
                loss: self.loss * 10.0,
                gradients: self.gradients * 10.0,
                step: self.step * 10.0,
                run: self.run * 10.0,
            }
        } else {
            self
        }
    }
}
