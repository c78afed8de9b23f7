//! `tune`: the paper's hyper-parameter selection for MR² (§5, "c̄ is selected from {1, 2, 3} and
//! λ tuned over {0.1, 0.3, 0.5, 0.7, 0.9} on validation sets"), on a seeded 10% validation
//! split of the training set (never the test set). The report ranks the (c̄, λ) rows by mean
//! validation accuracy over seeds and writes the choice to `choice.json`, with the command
//! that trains Table 14 with it.

use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::figures::RunFigures;
use super::Plan;
use crate::error::{data_err, io_err, Result};

/// c̄ values tried (the paper's set).
pub const C_BAR: [f64; 3] = [1.0, 2.0, 3.0];
/// λ values tried by default (three of the paper's five, for the CPU budget).
pub const LAMBDA: [f64; 3] = [0.1, 0.5, 0.9];
/// The validation share held out of every tuning run's training set.
pub const VALIDATION: f64 = 0.1;

/// The row label of one (c̄, λ).
pub fn row(c_bar: f64, lambda: f64) -> String {
    format!("MR2 c_bar={c_bar} lambda={lambda}")
}

/// The selection: the (c̄, λ) with the best mean validation accuracy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    /// Chosen c̄.
    pub c_bar: f64,
    /// Chosen λ.
    pub lambda: f64,
    /// Its mean validation accuracy (%) and seeds.
    pub val: f64,
    /// Seeds behind each mean.
    pub seeds: usize,
    /// Every finished (c̄, λ): mean validation % and mean test % over its seeds.
    pub table: Vec<(f64, f64, f64, f64)>,
    /// ERM's mean validation % on the same splits, for reference.
    pub erm_val: f64,
    /// Epochs the tuning runs trained.
    pub epochs: usize,
}

/// The choice from the finished runs (`None` before any MR² row finished).
pub fn choose(plan: &Plan, runs: &[RunFigures]) -> Option<Choice> {
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let mut table = Vec::new();
    let mut seeds = usize::MAX;
    for r in plan.rows() {
        let Some((c, l)) = parse_row(&r) else {
            continue;
        };
        let mine: Vec<&RunFigures> = runs.iter().filter(|x| x.row == r).collect();
        if mine.is_empty() {
            continue;
        }
        seeds = seeds.min(mine.len());
        let val: Vec<f64> = mine.iter().map(|x| x.val_acc).collect();
        let test: Vec<f64> = mine.iter().map(|x| x.overall).collect();
        table.push((c, l, mean(&val), mean(&test)));
    }
    let best = table
        .iter()
        .copied()
        .reduce(|a, b| if b.2 > a.2 { b } else { a })?;
    let erm: Vec<f64> = runs
        .iter()
        .filter(|r| r.row == plan.reference_row)
        .map(|r| r.val_acc)
        .collect();
    Some(Choice {
        c_bar: best.0,
        lambda: best.1,
        val: best.2,
        seeds,
        table,
        erm_val: if erm.is_empty() { f64::NAN } else { mean(&erm) },
        epochs: plan.runs.first().map_or(0, |r| r.config.epochs),
    })
}

fn parse_row(row: &str) -> Option<(f64, f64)> {
    let rest = row.strip_prefix("MR2 c_bar=")?;
    let (c, l) = rest.split_once(" lambda=")?;
    Some((c.parse().ok()?, l.parse().ok()?))
}

/// Two grid values are the same setting (they come from the same constants).
fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits()
}

/// The tuning table in Markdown, and the command that trains Table 14 with the choice.
pub fn markdown(c: &Choice, preset: &str) -> String {
    let mut t = format!(
        "\nTuning on the validation split ({}% of each training class held out, seeded; {} epochs; the smallest number of seeds behind a row: {}). Mean validation / test accuracy %:\n\n| c̄ \\ λ |",
        100.0 * VALIDATION,
        c.epochs,
        c.seeds
    );
    let mut lambdas: Vec<f64> = c.table.iter().map(|r| r.1).collect();
    lambdas.sort_by(f64::total_cmp);
    lambdas.dedup();
    let mut cbars: Vec<f64> = c.table.iter().map(|r| r.0).collect();
    cbars.sort_by(f64::total_cmp);
    cbars.dedup();
    for l in &lambdas {
        let _ = write!(t, " {l} |");
    }
    let _ = write!(t, "\n|---|");
    for _ in &lambdas {
        let _ = write!(t, "---|");
    }
    let _ = writeln!(t);
    for cb in &cbars {
        let _ = write!(t, "| {cb} |");
        for l in &lambdas {
            match c.table.iter().find(|r| same(r.0, *cb) && same(r.1, *l)) {
                Some(r) => {
                    let mark = if same(r.0, c.c_bar) && same(r.1, c.lambda) {
                        "**"
                    } else {
                        ""
                    };
                    let _ = write!(t, " {mark}{:.2} / {:.2}{mark} |", r.2, r.3);
                }
                None => {
                    let _ = write!(t, " — |");
                }
            }
        }
        let _ = writeln!(t);
    }
    let _ = writeln!(
        t,
        "\nChosen by validation: **c̄ = {}, λ = {}** ({:.2}%; ERM on the same splits {:.2}%). Table 14 with it: `experiments per-class --preset {preset} --param c_bar={} --param lambda={}`.",
        c.c_bar, c.lambda, c.val, c.erm_val, c.c_bar, c.lambda
    );
    t
}

/// Write `choice.json` into `root`.
///
/// # Errors
/// I/O.
pub fn write_choice(root: &Path, c: &Choice) -> Result<()> {
    let path = root.join("choice.json");
    let text = serde_json::to_string_pretty(c).map_err(|e| data_err(&path, e.to_string()))?;
    std::fs::write(&path, text).map_err(|e| io_err(&path, e))
}
