//! Experiments: the paper's tables as grids of `train` runs (method × hyper-parameters × seed)
//! plus an aggregation.
//!
//! * [`grids`] — what each experiment trains ([`Experiment::plan`]) under a [`Preset`];
//! * [`presets`] — the presets and the MR² [`Variant`]s;
//! * [`runner`] — runs the missing runs of a plan (finished ones are skipped, interrupted ones
//!   resume), in slices (`--shard I/N`) or as `train` commands for a cluster (`--plan`);
//! * [`report`] — aggregates whatever has finished into `table.md`, `results.csv`,
//!   `results.json` and plots;
//! * [`contrasts`] — paired differences between rows with their intervals, and the paper's
//!   claims for the same rows;
//! * [`audit`] — `regularization-audit`'s validation-picked strengths;
//! * [`session`] — one `experiments` invocation: directories, train or report, aggregate;
//! * [`bounds_vs_error`] — the class-sensitive bound of every finished run of a grid against
//!   its per-class and per-method error;
//! * [`claims`] — README's table of the paper's claims, generated from the committed results
//!   with the one verdict rule;
//! * [`tune`] — the paper's validation selection of c̄ and λ;
//! * [`jpeg_effect`] — the 2 × 2 table of the JPEG copy's cost (train / test on official
//!   pixels or the JPEG copy).
//!
//! Every run lives in `ROOT/runs/ID/` (the directory `train --out` writes); `ROOT/plan.json`
//! records the preset, its settings and every run's full configuration.

mod aggregate;
pub mod audit;
pub mod bounds_vs_error;
pub mod claims;
mod claims_rows;
pub mod contrasts;
mod experiment;
pub mod figures;
pub mod grids;
pub mod jpeg_effect;
mod paper;
mod plan;
pub mod presets;
mod render;
mod render_contrasts;
pub mod report;
mod rows;
pub mod runner;
pub mod session;
pub mod tune;

pub use aggregate::aggregate;
pub use grids::{Experiment, Preset, PresetSettings, Variant};
pub use plan::{PaperTable, Plan, RunSpec, LDAM_EARLY_EVAL_EVERY};
pub use report::Report;
pub use runner::{execute, plan_commands, status, CommandLine, RunState, RunnerOptions};
