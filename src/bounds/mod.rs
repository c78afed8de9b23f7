//! Bounds versus reality — the library layer from a trained model to a report:
//! [`inputs`] (features, labels, head, γ and observed error, from a net, a run directory or
//! files) → [`mod@compute`] (every bound of §4 by the theory function its claim checks, kept by its
//! terms) → [`report`] (text, CSV, JSON, plots). [`certificate`] fits a head on held-out data
//! so that the bound holds for it; [`pac_bayes`] certifies a head per class (test-set and
//! last-layer PAC-Bayes bounds, [`certify_report`] writes them next to Eq. 15); [`demo`] trains
//! the ERM and MR² models `bounds` uses when given none; [`npy`] reads numpy's formats with
//! every declared size checked.
//!
//! The head's bias is folded in as a constant feature 1 (and a last weight coordinate), so the
//! linear class `f(x, y) = w_yᵀφ(x)` of the paper covers it. Features learned on the same data
//! make the bound a diagnostic; certificate mode gives a bound that holds for the head.

pub mod certificate;
pub mod certify_report;
pub mod compute;
pub mod demo;
pub mod files;
pub mod inputs;
pub mod npy;
pub mod pac_bayes;
pub mod rank;
pub mod report;
pub mod seeds;

pub use compute::{compute, BoundReport, BoundSettings, ClassBound};
pub use inputs::{BoundInputs, TestSet};
pub use rank::{kendall, ranks, spearman};
pub use report::Mode;
