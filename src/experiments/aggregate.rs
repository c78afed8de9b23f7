//! Aggregating an experiment: collect whatever runs of a plan have finished ([`super::report`]),
//! render the markdown table and write `table.md`, `results.csv`, `results.json` and the plots
//! ([`super::render`]). The top of the report's files.

use std::path::Path;

use super::report::{collect, Report};
use super::{render, Plan};
use crate::error::Result;

/// Read the finished runs of `plan` under `root`, aggregate them and write `table.md`,
/// `results.csv`, `results.json` and the plots into `root`.
///
/// # Errors
/// No run has finished; a finished run whose recorded configuration differs from the plan's;
/// unreadable summaries; summaries of different class sets; I/O.
pub fn aggregate(plan: &Plan, root: &Path) -> Result<Report> {
    let mut report = collect(plan, root)?;
    report.markdown = render::markdown(
        plan,
        &report.rows,
        &report.runs,
        &report.classes,
        &report.spread,
        &report.contrasts,
        &report.selections,
    );
    if plan.experiment == "tune" {
        if let Some(c) = super::tune::choose(plan, &report.runs) {
            super::tune::write_choice(root, &c)?;
            report
                .markdown
                .push_str(&super::tune::markdown(&c, &plan.preset));
        }
    }
    render::write(&report, root)?;
    Ok(report)
}
