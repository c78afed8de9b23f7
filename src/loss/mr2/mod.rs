//! MR² on tensors: the γ-margin cross-entropy `ℓ_γ,ce` (Eq. 1), the representation-margin loss
//! `ℓ_s̄` (Eq. 2), their sum (Eq. 4), the per-class EMA statistics that set γ and s̄, and the
//! ablations of Table 3 (`gamma-ce`, `rep`) and the composition with logit adjustment of Table 7
//! (`la-mr2`).
//!
//! One definition of each formula: γ comes from [`crate::theory::gamma::optimal_gamma`], the
//! statistics from [`crate::theory::moments`]; the tensor losses are tested against
//! [`crate::theory::objective::mr2_batch`] (`tests/losses.rs`).

mod loss;
mod params;
mod spec;

pub use loss::*;
pub use params::{
    ClassStatistic, LaMr2Params, LaOrder, Mr2Params, RepReduction, RepScale, RepScaling,
};
pub(crate) use spec::{gamma_ce_table, rep_table};
pub use spec::{GammaMargin, LogitAdjustment, Mr2Form, Mr2Spec, RepMargin};
