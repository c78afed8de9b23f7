//! Training objectives: MR² and its ablations, and the baselines it is compared against — one
//! module per family, each method documented with its formula, source and hyper-parameters.
//!
//! A [`Method`] is the configuration (a name and its validated parameters; what `train --loss
//! NAME --param key=value` and the `[loss]` table of a config file select). An [`Objective`] is
//! the method with its training state (EMA statistics, DRO weights, centres, …), built for a
//! training set, saved in every checkpoint, and called once per batch by the trainer.
//!
//! | name | family | formula (per sample unless said) | source |
//! |---|---|---|---|
//! | `ce` | ERM | `−ln softmax(z)_y` | — |
//! | `label-smoothing` | ERM | `(1−ε)·CE + ε·(1/K)Σ_k −ln softmax(z)_k` | Szegedy et al. 2016 §7 |
//! | `focal` | ERM | `(1 − e^{−CE})^γ · CE` | Lin et al. 2017 Eq. 5 (softmax form of the LDAM-DRW code) |
//! | `ldam` | margin | `CE(s·(cos θ − Δ_y 1_y))`, `Δ_j ∝ n_j^{−1/4}`, max `Δ = m`; `drw`: class-balanced weights late | Cao et al. 2019 Eq. 12–13, Alg. 1 |
//! | `eql` | margin | softmax EQL: `−ln e^{z_y}/Σ_k w̃_k e^{z_k}`, `w̃_k = 1 − β T_λ(f_k)(1 − y_k)`, `β ∼ Bern(γ)` | Tan et al. 2020 (softmax form) |
//! | `la` | margin | `CE(z + τ ln π)` | Menon et al. 2021 |
//! | `mm` | margin | `CE(s·(cos θ − Δ^MM 1_y))`, `Δ^MM = e^{−|g| − δ^±}` (+ LDAM offsets, DRW) | Kang et al. (paper 004) Eq. 1–7 |
//! | `group-dro` | robust | `Σ_k q_k ℓ̄_k`, `q_k ∝ q_k e^{η(ℓ̄_k + C/√n_k)}`, classes as groups | Sagawa et al. 2020 Alg. 1 (code form) |
//! | `fair-dro` | robust | `Σ_k q_k ℓ̄_k`, `q` moved each epoch towards the χ²-ball maximiser | Jung et al. 2023 (classes as groups, non-classwise code variant) |
//! | `supcon` | representation | `CE + λ·SupCon(φ/‖φ‖; τ)` (single view, no projection head) | Khosla et al. 2020 Eq. 2 |
//! | `center` | representation | `CE + λ·½Σ_i‖φ_i − c_{y_i}‖²`, centres by Wen's update | Wen et al. 2016 Eq. 2–5 (DFL) |
//! | `drl` | representation | `CE + w·L_rob`, distances to per-epoch class centroids with learnable radii | Samuel & Chechik 2021 (official code form) |
//! | `lgm` | representation | Gaussian head `z_k = −½‖φ−μ_k‖²`, `(1+α)` on `z_y`, `+ λ·½‖φ−μ_y‖²` | Wan et al. 2018 (identity covariance) |
//! | `csr` | reweighting | `0.7·CE + 0.3·G[ŷ, y]·CE`, `G` from the top singular pair of the confusion matrix | Jin et al. 2025 (clean, as MR² C.1) |
//! | `jtt` | reweighting | ERM for `T` epochs, then a new model with the error set up-sampled | Liu et al. 2021 |
//! | `lff` | reweighting | biased net with GCE; main net `W(x)·CE`, `W = ê_B/(ê_B + ê_D)` | Nam et al. 2020 |
//! | `lm-softmax` | largest margin | `(1/s) ln Σ_{k≠y} e^{s(cos θ_k − cos θ_y)}` (+ zero-centroid) | Zhou et al. 2022 (3rd-party form) |
//! | `sample-margin` | largest margin | `CE + λ·(max_{k≠y} cos θ_k − cos θ_y)` | Zhou et al. 2022 (3rd-party form) |
//! | `gamma-ce` | MR² ablation | `ℓ_γ,ce` (Eq. 1) | Table 3 rows b, c |
//! | `rep` | MR² ablation | `CE + λ ℓ_s̄` (Eq. 2) | Table 3 rows d, e |
//! | `mr2` | MR² | `ℓ_γ,ce + λ ℓ_s̄` (Eq. 4) | the paper |
//! | `la-mr2` | MR² + LA | `ℓ_γ,ce` on `z + τ ln π`, `+ λ ℓ_s̄` | Table 7 (our reading: adjust inside the loss) |
//!
//! SAM (Foret et al. 2021) is an optimiser, not a loss: `train --sam RHO` combines it with any
//! of these. CMIC-DL, the fourteenth baseline of the paper, is not implemented: its separation
//! term could not be pinned down from the material available (abstract only, no code).

mod batch;
pub mod ce;
pub mod dro;
pub mod largest_margin;
pub mod margin;
mod method;
pub mod mr2;
mod objective;
pub mod representation;
pub mod reweight;

pub(crate) use batch::{check_finite_nonneg, check_positive, check_unit};
pub use batch::{log_prior, Batch, EpochPlan, EpochStart, Terms, TrainingSet};
pub use method::{CeParams, Method, MethodInfo, METHODS};
pub use mr2::{MarginState, RepScaling};
pub use objective::Objective;
