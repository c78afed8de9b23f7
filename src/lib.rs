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
//! | piece | module | one definition shared with | tested in |
//! |---|---|---|---|
//! | `ℓ_γ,ce` (Eq. 1), `ℓ_s̄` (Eq. 2), MR² (Eq. 4) on tensors | [`loss`] | [`theory::margin::gamma_ce_softmax`], [`theory::lse::rep_margin_losses`] | `tests/losses.rs` (values and finite-difference gradients) |
//! | per-class EMA statistics, γ, s̄ | [`loss::MarginState`] | [`theory::moments::class_moments`], [`theory::gamma::optimal_gamma`] | `tests/losses.rs` |
//! | data (synthetic, IDX, CIFAR, transforms) | [`data`] | | `tests/data.rs` |
//! | models returning (logits, features) | [`model`] | | `tests/models.rs` |
//! | training loop, checkpoints, resume | [`train`] | | `tests/training.rs` |
//! | per-class metrics, Table 4 margins | [`eval`] | [`theory::margin::output_margin`] | `tests/training.rs` |
//! | bounds from a trained model | [`bounds`] | [`theory::rademacher`], [`theory::bounds`] | `tests/bounds.rs` |
//!
#![warn(missing_docs)]
#![forbid(unsafe_code)]
#![deny(clippy::float_cmp)]

pub use mr2_core::{catalogue, claims, cli, error, search, theory, tolerance};
pub use mr2_core::{Error, Result};

pub mod bounds;

pub mod data;
pub mod eval;
pub mod loss;
pub mod model;
pub mod report;
pub mod train;
