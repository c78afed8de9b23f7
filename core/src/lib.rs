//! # mr2-core — the numerical core of mr2
//!
//! Zhu et al., "Reducing Class-Wise Performance Disparity via Margin Regularization" (MR²)
//! proves a class-sensitive margin bound and derives two regularisers. This crate holds the
//! paper's objects as plain `f64` functions and checks every mathematical claim of its §3–§4
//! and Appendix B numerically (`cargo test`; the `verify` binary prints the catalogue). It has
//! no deep-learning dependency, so it builds in seconds; the `mr2` crate (trainer, bounds of
//! trained models) re-exports it.
//!
//! ## Map: paper object → function → claim and proofs file
//!
//! | paper | function | `X`: its claims in `claims/X.rs` (the engine under them: `claims/engine.rs`), checked in `proofs/X.rs` |
//! |---|---|---|
//! | LogSumExp; `ℓ_s̄` (Eq. 2/18) and `ℓ̂_s̄` (Eq. 3/19) | [`theory::lse::logsumexp`], [`theory::lse::rep_margin_loss`], [`theory::lse::rep_margin_hinge`] | `b1_b2` |
//! | `‖μ̂_k‖²`, `‖ŝ_k‖²`, `r²_{k,p}` (§3, Eq. 72), EMA | [`theory::moments::class_moments`], [`theory::moments::Ema`] | `lemma2`, `b1_b2` |
//! | pairwise distance vs `2‖ŝ‖²` (B.2, Eq. 22–24) | [`theory::moments::mean_pairwise_sq_dist_all`], [`theory::moments::mean_pairwise_sq_dist_distinct`] | `b1_b2`, `sec3` |
//! | margin (Eq. 8), ramp `Φ_γ` and `ℓ_γ` (Def. 1, Eq. 9) | [`theory::margin::margin`], [`theory::margin::ramp`], [`theory::margin::gamma_margin_loss`] | `sec3`, `lemma1` |
//! | `ℓ_γ,ce` (Eq. 1 and Eq. 5) | [`theory::margin::gamma_ce_softmax`], [`theory::margin::gamma_ce_pairwise`] | `sec3`, `lemma3` |
//! | empirical γ-margin Rademacher complexity (Def. 2, Eq. 10) | [`theory::rademacher::gamma_margin_complexity`] (exact / Monte Carlo), [`theory::rademacher::gamma_margin_complexity_bruteforce`] | `lemma2` |
//! | Lemma 1 (Eq. 11) and B.3 | [`theory::bounds::lemma1_bound`], [`theory::contraction`] | `lemma1` |
//! | Lemma 2 (Eq. 12), printed and corrected | [`theory::rademacher::lemma2_printed`], [`theory::rademacher::lemma2_corrected`], [`theory::rademacher::lemma2_general`] | `lemma2` |
//! | Lemma 3/4 (Eq. 58, B.5) | [`theory::margin::lemma4_rhs`] | `lemma3` |
//! | Prop. 1 (Eq. 13) | [`theory::bounds::prop1_bound`] | `prop1` |
//! | Cor. 1 (Eq. 14), Eq. 17, B.6 | [`theory::gamma::optimal_gamma`], [`theory::gamma::multiplier_printed`], [`theory::gamma::multiplier_corrected`] | `cor1` |
//! | Prop. 2 (Eq. 16/73), Khintchine (Eq. 86) | [`theory::rademacher::prop2_constant_printed`], [`theory::rademacher::prop2_constant_corrected`], [`theory::khintchine`] | `prop2` |
//! | per-class bound (Eq. 15, B.8) | [`theory::rademacher::class_complexity`], [`theory::bounds::per_class_bound`] | `b8` |
//!
//! Every claim is an entry of [`claims::registry`] with its paper reference, a check that
//! gathers evidence (adversarial search with argmin in [`search`], exact enumeration of sign
//! vectors, Monte Carlo with standard errors) and a verdict (`holds`, `loose`, `typo`, `false`).
//! Tolerances live in [`tolerance`], each with its justification.
#![warn(missing_docs)]
#![forbid(unsafe_code)]
#![deny(clippy::float_cmp)]

pub mod catalogue;
pub mod claims;
pub mod cli;
pub mod error;
pub mod limits;
pub mod search;
pub mod stats;
pub mod theory;
pub mod tolerance;

pub use error::{Error, Result};
