//! The bounds report: a text table, `bounds.json`, `bounds.csv` (via `csv`) and the plots.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use super::compute::BoundReport;
use crate::error::{io_err, Result};
use crate::report::plot;

/// Whether the bounds are diagnostics (features learned on the same data) or certificates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Features learned on the data the bound is computed on.
    Diagnostic,
    /// Head and bound on data the features never saw.
    Certificate,
}

impl Mode {
    /// One-line description.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Diagnostic => "diagnostic (features learned on the same data)",
            Self::Certificate => "certificate (head and bound on the held-out half)",
        }
    }
}

/// The text table of one report.
pub fn text(r: &BoundReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\n== {}: N = {}, K = {}, d = {}, Λ = {:.3}, δ = {}",
        r.name, r.n, r.k, r.d, r.weight_norm_2, r.settings.delta
    );
    if let Some(p) = &r.provenance {
        let _ = writeln!(s, "model: {p}");
    }
    let _ = writeln!(
        s,
        "train error {:.4}  ramp risk R̂^γ {:.4}  CE surrogate R̂^γ,ce {:.4}  test error {:.4}",
        r.train_error, r.ramp_risk, r.ce_risk, r.test_error
    );
    let _ = writeln!(
        s,
        "γ-margin complexity (p=2): measured {:.4} ± {:.4}; Lemma 2 printed {:.4} (typo), corrected {:.4}, with class sizes {:.4}",
        r.complexity_2.mean, r.complexity_2.se, r.lemma2_printed, r.lemma2_corrected, r.lemma2_general
    );
    let _ = writeln!(
        s,
        "γ-margin complexity (p={}): measured {:.4} ± {:.4}; Prop. 2 printed {:.4}, corrected {:.4}",
        r.settings.p, r.complexity_p.mean, r.complexity_p.se, r.prop2_printed, r.prop2_corrected
    );
    let _ = writeln!(
        s,
        "Prop. 1 total bound: printed {:.3}, corrected (constant 4, measured complexity) {:.3}, corrected with Cor. 1's γ* {:.3}; observed test error {:.4}",
        r.prop1_printed.total(),
        r.prop1_corrected.total(),
        r.prop1_corrected_gamma_opt.total(),
        r.test_error
    );
    let _ = writeln!(
        s,
        "{:<22} {:>5} {:>6} {:>6} {:>7} {:>7} {:>8} {:>9} {:>9} {:>10} {:>8}",
        "class",
        "N_k",
        "γ_k",
        "γ*_k",
        "‖ŝ_k‖",
        "ramp",
        "R̂_k",
        "Eq15 pr.",
        "Eq15 der",
        "Eq15 tight",
        "test err"
    );
    for c in &r.classes {
        let _ = writeln!(
            s,
            "{:<22} {:>5} {:>6.3} {:>6.3} {:>7.3} {:>7.4} {:>8.4} {:>9.3} {:>9.2} {:>10.3} {:>8.4}",
            c.name,
            c.n,
            c.gamma,
            c.gamma_opt,
            c.spread,
            c.ramp_risk,
            c.complexity.mean,
            c.printed.total(),
            c.derived.total(),
            c.tight.total(),
            c.test_error
        );
    }
    let _ = writeln!(
        s,
        "rank correlation of the per-class bound (tight) with the per-class test error: Spearman {:.3}, Kendall {:.3}{}",
        r.spearman,
        r.kendall,
        untested_note(r)
    );
    if r.size_spearman.is_finite() {
        let _ = writeln!(
            s,
            "the class sizes alone (1/√N_k) rank them at Spearman {:.3}: the bound {} them",
            r.size_spearman,
            if r.spearman > r.size_spearman {
                "ranks better than"
            } else {
                "ranks no better than"
            }
        );
    }
    s
}

/// With two models or more: how the per-class bound's ranking (its Spearman correlation with
/// the per-class test error, one value per model) varies across them — the range, how many are
/// above 0, and the mean with its 95% t-interval over the models (as over seeds: models of one
/// recipe trained with different seeds are independent draws). `None` for fewer than two
/// finite values; with two, the figures are given and the reading is inconclusive (the verdict
/// rule's minimum of three). One model's ranking of ten classes is a weak signal (a Spearman of ±0.5 arises
/// by chance often); only the interval over models says whether the bound ranks the classes.
pub fn ranking_across_models(spearman: &[f64]) -> Option<String> {
    let rho: Vec<f64> = spearman.iter().copied().filter(|v| v.is_finite()).collect();
    if rho.len() < 2 {
        return None;
    }
    let (lo, hi) = rho
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let positive = rho.iter().filter(|&&v| v > 0.0).count();
    let p = crate::stats::paired(&rho);
    let reading = if p.n < crate::stats::MIN_PAIRS {
        "inconclusive with fewer than three models (the verdict rule's minimum)"
    } else if p.lo > 0.0 {
        "the interval excludes 0: across these models the bound ranks the classes with their error"
    } else if p.hi < 0.0 {
        "the interval excludes 0: across these models the bound ranks the classes against their error"
    } else {
        "the interval includes 0: no consistent ranking across these models"
    };
    Some(format!(
        "across the {} models the per-class bound's Spearman with the per-class test error runs from {lo:+.3} to {hi:+.3} ({positive} of {} above 0); mean {}: {reading}\n",
        rho.len(),
        rho.len(),
        p.display(3)
    ))
}

/// `""`, or why the rank correlations leave classes out (no test samples: no error).
pub fn untested_note(r: &BoundReport) -> String {
    let missing: Vec<&str> = r
        .classes
        .iter()
        .filter(|c| !c.test_error.is_finite())
        .map(|c| c.name.as_str())
        .collect();
    if missing.is_empty() {
        String::new()
    } else {
        format!(
            " (over {} of {} classes: {} ha{} no test samples, so no test error)",
            r.classes.len() - missing.len(),
            r.classes.len(),
            missing.join(", "),
            if missing.len() == 1 { "s" } else { "ve" }
        )
    }
}

/// One row of `bounds.csv`.
#[derive(Debug, Serialize)]
struct CsvRow<'a> {
    model: &'a str,
    class: usize,
    name: &'a str,
    n: usize,
    gamma: f64,
    gamma_opt: f64,
    mean_norm: f64,
    spread: f64,
    ramp_risk: f64,
    ce_risk: f64,
    complexity: f64,
    complexity_se: f64,
    empirical_term: f64,
    complexity_term_printed: f64,
    complexity_term_derived: f64,
    complexity_term_tight: f64,
    confidence_term: f64,
    bound_printed: f64,
    bound_derived: f64,
    bound_tight: f64,
    test_error: f64,
}

fn slug(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase()
}

/// Write `report.txt`, `bounds.json`, `bounds.csv` and the plots (`bound_vs_error`,
/// `bound_terms_<model>`, `gamma_vs_spread`, `gamma_vs_mean`, PNG + SVG) into `out`; returns
/// the text.
///
/// # Errors
/// I/O and plotting failures.
pub fn write(out: &Path, reports: &[BoundReport], mode: Mode) -> Result<String> {
    std::fs::create_dir_all(out).map_err(|e| io_err(out, e))?;
    let mut txt: String = reports.iter().map(text).collect();
    let rho: Vec<f64> = reports.iter().map(|r| r.spearman).collect();
    if let Some(line) = ranking_across_models(&rho) {
        let _ = write!(txt, "\n{line}");
    }
    let _ = writeln!(
        txt,
        "\nMode: {}. The bounds are as printed in the paper and as corrected by `cargo run --bin verify` (Lemma 2 typo, Prop. 1 constant 4 instead of 4√(2K), Eq. 15 coefficient K√(2K) larger than printed).",
        mode.describe()
    );
    let p = out.join("report.txt");
    std::fs::write(&p, &txt).map_err(|e| io_err(&p, e))?;
    let js = serde_json::json!({ "mode": mode, "reports": reports });
    let p = out.join("bounds.json");
    std::fs::write(&p, crate::error::json_for(&p, &js)?).map_err(|e| io_err(&p, e))?;
    let p = out.join("bounds.csv");
    let mut w =
        csv::Writer::from_path(&p).map_err(|e| io_err(&p, std::io::Error::other(e.to_string())))?;
    for r in reports {
        for c in &r.classes {
            w.serialize(CsvRow {
                model: &r.name,
                class: c.class,
                name: &c.name,
                n: c.n,
                gamma: c.gamma,
                gamma_opt: c.gamma_opt,
                mean_norm: c.mean_norm,
                spread: c.spread,
                ramp_risk: c.ramp_risk,
                ce_risk: c.ce_risk,
                complexity: c.complexity.mean,
                complexity_se: c.complexity.se,
                empirical_term: c.tight.empirical,
                complexity_term_printed: c.printed.complexity,
                complexity_term_derived: c.derived.complexity,
                complexity_term_tight: c.tight.complexity,
                confidence_term: c.tight.confidence,
                bound_printed: c.printed.total(),
                bound_derived: c.derived.total(),
                bound_tight: c.tight.total(),
                test_error: c.test_error,
            })
            .map_err(|e| io_err(&p, std::io::Error::other(e.to_string())))?;
        }
    }
    w.flush().map_err(|e| io_err(&p, e))?;
    plots(out, reports)?;
    Ok(txt)
}

fn plots(out: &Path, reports: &[BoundReport]) -> Result<()> {
    let series: Vec<(String, Vec<plot::LabeledPoint>)> = reports
        .iter()
        .map(|r| {
            (
                format!("{} (ρ_S = {:.2}, τ = {:.2})", r.name, r.spearman, r.kendall),
                r.classes
                    .iter()
                    .map(|c| (c.test_error, c.tight.total(), c.name.clone()))
                    .collect(),
            )
        })
        .collect();
    plot::scatter_labeled(
        &out.join("bound_vs_error"),
        "Per-class bound (Eq. 15, corrected, tight constant) vs observed test error",
        "observed per-class test error",
        "per-class bound (log scale)",
        &series,
        true,
        true,
    )?;
    for r in reports {
        let mut order: Vec<usize> = (0..r.k).collect();
        order.sort_by(|&x, &y| r.classes[x].test_error.total_cmp(&r.classes[y].test_error));
        let stacks: Vec<Vec<f64>> = order
            .iter()
            .map(|&c| {
                let t = &r.classes[c].tight;
                vec![t.empirical, t.complexity, t.confidence]
            })
            .collect();
        let obs: Vec<f64> = order.iter().map(|&c| r.classes[c].test_error).collect();
        let nm: Vec<String> = order.iter().map(|&c| r.classes[c].name.clone()).collect();
        plot::stacked_terms(
            &out.join(format!("bound_terms_{}", slug(&r.name))),
            &format!(
                "{}: per-class bound terms (Eq. 15, tight constant), classes by observed error",
                r.name
            ),
            &nm,
            &[
                "empirical R̂^γ,ce/ln2",
                "complexity 4K/γ_k·R̂_k",
                "confidence",
            ],
            &stacks,
            &obs,
        )?;
    }
    let pick = |f: fn(&super::compute::ClassBound) -> (f64, f64),
                label: &str|
     -> Vec<(String, Vec<plot::LabeledPoint>)> {
        reports
            .iter()
            .map(|r| {
                (
                    format!("{}: {label}", r.name),
                    r.classes
                        .iter()
                        .map(|c| {
                            let (x, y) = f(c);
                            (x, y, c.name.clone())
                        })
                        .collect(),
                )
            })
            .collect()
    };
    let mut gs = pick(|c| (c.spread, c.gamma), "γ_k used");
    gs.extend(pick(|c| (c.spread, c.gamma_opt), "Cor. 1 γ*_k"));
    plot::scatter_labeled(
        &out.join("gamma_vs_spread"),
        "γ_k against the per-class spread ‖ŝ_k‖",
        "‖ŝ_k‖ (training features)",
        "γ_k",
        &gs,
        false,
        false,
    )?;
    plot::scatter_labeled(
        &out.join("gamma_vs_mean"),
        "Cor. 1's γ_k against the per-class mean norm ‖μ̂_k‖",
        "‖μ̂_k‖ (training features)",
        "γ*_k",
        &pick(|c| (c.mean_norm, c.gamma_opt), "Cor. 1 γ*_k"),
        false,
        false,
    )
}
