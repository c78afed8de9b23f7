//! # mr2 — the MR² paper under test
//!
//! Zhu et al., "Reducing Class-Wise Performance Disparity via Margin Regularization" (MR²)
//! proves a class-sensitive margin bound and derives two regularisers. This crate checks every
//! mathematical claim of its §3–§4 and Appendix B numerically (`cargo test`, and the
//! `verify` binary prints the catalogue).
//!
//! The numerical core — the paper's objects as plain `f64` functions, the claim registry, the
//! adversarial search and the tolerances — is the `mr2-core` crate (no burn; it builds in
//! seconds), re-exported here as [`theory`], [`claims`], [`search`], [`tolerance`] and
//! [`catalogue`]; its crate documentation maps every paper object to its function and
//! `proofs/` file.
//!
//! ## Trainer and bounds
//!
//! Layers point down (each imports only from layers below it; `tests/architecture.rs` fails on
//! a backward import or a circle between files):
//!
//! 1. [`tensor`], [`settings`], [`report`] — tensor ↔ vector conversions, settings helpers,
//!    tables and plots (no mr2 imports);
//! 2. [`data`]; 3. [`model`] (with its [`model::Predictions`]); 4. [`loss`] (on `theory`);
//! 5. [`eval`]; 6. [`train`]; 7. [`bounds`]; 8. [`outputs`] (what a finished run writes);
//! 9. [`experiments`]; 10. [`mod@bench`] ← the binaries, which only parse arguments.
//!
//! | piece | module | one definition shared with | tested in |
//! |---|---|---|---|
//! | `ℓ_γ,ce` (Eq. 1), `ℓ_s̄` (Eq. 2), MR² (Eq. 4), LA + MR² on tensors | [`loss::mr2`] | [`theory::objective::mr2_batch`], [`theory::margin::gamma_ce_softmax`], [`theory::lse::rep_margin_losses`] | `tests/losses.rs` (values, f64 and f32, finite-difference gradients) |
//! | per-class EMA statistics, γ, s̄ | [`loss::MarginState`] | [`theory::moments::class_moments`], [`theory::moments::s_bar`], [`theory::gamma::optimal_gamma`] | `tests/losses.rs` |
//! | the baselines (ERM, LS, focal, LDAM-DRW, EQL, LA, MM, group DRO, FairDRO, SupCon, centre loss, DRL, L-GM, CSR, JTT, LfF, LM-softmax, sample margin) | [`loss`] ([`loss::Method`], [`loss::Objective`]) | — (numpy: `scripts/reference-losses.py`) | `tests/baselines.rs` (values, gradients), `tests/training.rs` (training, JTT, LfF, SAM) |
//! | data (synthetic, IDX, CIFAR, transforms) | [`data`] | | `tests/data.rs`, `tests/fuzz_loaders.rs`, `tests/reliability.rs` |
//! | models: feature extractor + linear / cosine / Gaussian head | [`model`] | | `tests/models.rs` |
//! | configuration, loop and hooks, SAM, verified checkpoints, run lock | [`train`] | | `tests/training.rs`, `tests/reliability.rs` |
//! | predictions of a model on a dataset | [`model::predict`] | | `tests/models.rs` |
//! | per-class metrics, Table 4 margins, summaries, `compare` | [`eval`] | [`theory::margin::output_margin`] | `tests/training.rs`, `tests/reliability.rs` |
//! | trained model → bound inputs → bounds → report; certificate head | [`bounds`] | [`theory::bounds::prop1_terms`], [`theory::bounds::per_class_terms`], [`theory::rademacher`] | `tests/bounds.rs`, `tests/inputs.rs` |
//! | per-class certificates: test-set (binomial inversion) and last-layer PAC-Bayes | [`bounds::pac_bayes`] | [`theory::certificates`] | `proofs/certificates.rs`, `tests/bounds.rs` |
//! | experiments: grids of runs, resumable and shardable, aggregated into tables and plots | [`experiments`] | [`eval::compare::mean_sd`], [`eval::Groups`] | `tests/experiments.rs` |
//! | summary.json, plots and feature export of a finished run | [`outputs`] | | `tests/training.rs`, `tests/reliability.rs` |
//! | training-step timing, device parity | [`mod@bench`] | | `tests/kernels.rs` |
//!
#![warn(missing_docs)]
#![forbid(unsafe_code)]
#![deny(clippy::float_cmp)]

pub use mr2_core::{catalogue, claims, cli, error, limits, search, stats, theory, tolerance};
pub use mr2_core::{Error, Result};

#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// burn, re-exported so that users build tensors with the exact version and features mr2 uses.
pub use burn;

pub mod bench;
pub mod bounds;
pub mod data;
pub mod eval;
pub mod experiments;
pub mod loss;
pub mod model;
pub mod outputs;
pub mod report;
pub mod settings;
pub mod tensor;
pub mod train;
