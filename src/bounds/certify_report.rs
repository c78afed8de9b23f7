//! `bounds --certify`'s report: per class, the observed error, the test-set certificate, the
//! PAC-Bayes certificate and the paper's Eq. 15 — as text, `certificates.json`,
//! `certificates.csv` and one plot per model.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use super::compute::BoundReport;
use super::pac_bayes::Certificates;
use super::rank::spearman;
use crate::error::{io_err, Result};
use crate::report::plot;

/// One row of `certificates.csv`.
#[derive(Serialize)]
struct Row<'a> {
    model: &'a str,
    class: &'a str,
    n_bound: usize,
    n_test: usize,
    test_error: f64,
    test_set_certificate: f64,
    gibbs_test_error: f64,
    gibbs_error_bound_sample: f64,
    pac_bayes_certificate: f64,
    sigma: f64,
    posterior_mean: &'a str,
    kl: f64,
    eq15_printed: f64,
    eq15_corrected: f64,
}

/// `v` to `digits` decimals, or `n/a` when it is not defined.
fn num(v: f64, digits: usize) -> String {
    if v.is_finite() {
        format!("{v:.digits$}")
    } else {
        "n/a".into()
    }
}

fn fmt_rank(v: f64) -> String {
    if v.is_finite() {
        format!("{v:+.2}")
    } else {
        "n/a".into()
    }
}

fn short(posterior: &str) -> &str {
    match posterior {
        "prior head" => "prior",
        "refit on B" => "refit",
        other => other,
    }
}

/// The text of one model's certificates next to its Eq. 15 bounds (`eq15`: the bound report of
/// the same features and bound sample, from [`super::compute`]).
pub fn text(c: &Certificates, eq15: &BoundReport) -> String {
    let mut s = String::new();
    if c.choices == 0 {
        let _ = writeln!(
            s,
            "\n== {}: test-set certificates at δ = {} ({})",
            c.name, c.settings.delta, c.stochastic
        );
    } else {
        let _ = writeln!(
            s,
            "\n== {}: certificates at δ = {} (stochastic: {}; {} weight draws; {} (mean, σ) choices in the union bound)",
            c.name, c.settings.delta, c.stochastic, c.settings.draws, c.choices
        );
    }
    let _ = writeln!(
        s,
        "{:<22} {:>6} {:>6} {:>8} {:>9} {:>9} {:>9} {:>11} {:>9} {:>9}",
        "class",
        "n_B",
        "n_test",
        "test err",
        "test-set",
        "Gibbs err",
        "PAC-Bayes",
        "posterior",
        "Eq15 pr.",
        "Eq15 cor."
    );
    let mut row = |r: &super::pac_bayes::Certified, eq_printed: f64, eq_corrected: f64| {
        let _ = writeln!(
            s,
            "{:<22} {:>6} {:>6} {:>8.4} {:>9} {:>9} {:>9} {:>11} {:>9.2} {:>9.2}",
            r.name,
            r.n_bound,
            r.n_test,
            r.test_error,
            num(r.test_set, 4),
            num(r.gibbs_test_error, 4),
            num(r.pac_bayes, 4),
            short(&r.posterior_mean),
            eq_printed,
            eq_corrected
        );
    };
    for (r, b) in c.classes.iter().zip(&eq15.classes) {
        row(r, b.printed.total(), b.tight.total());
    }
    // The overall row: Prop. 1 printed and corrected.
    row(
        &c.overall,
        eq15.prop1_printed.total(),
        eq15.prop1_corrected.total(),
    );
    let o = &c.overall;
    let err: Vec<f64> = c.classes.iter().map(|r| r.test_error).collect();
    let col = |f: &dyn Fn(usize) -> f64| -> Vec<f64> { (0..c.classes.len()).map(f).collect() };
    let below = |f: &dyn Fn(&super::pac_bayes::Certified) -> f64| {
        c.classes.iter().filter(|r| f(r) < 0.5).count()
    };
    if c.choices == 0 {
        let _ = writeln!(
            s,
            "Spearman ρ with the per-class test error: test-set {}, Eq. 15 corrected {}; classes with a test-set certificate < 0.5: {} of {}",
            fmt_rank(spearman(&col(&|k| c.classes[k].test_set), &err)),
            fmt_rank(spearman(&col(&|k| eq15.classes[k].tight.total()), &err)),
            below(&|r| r.test_set),
            c.classes.len()
        );
    } else {
        let _ = writeln!(
            s,
            "Spearman ρ with the per-class test error: test-set {}, PAC-Bayes {}, Eq. 15 corrected {}; overall PAC-Bayes / test error = {}; classes with a PAC-Bayes certificate < 0.5: {} of {}",
            fmt_rank(spearman(&col(&|k| c.classes[k].test_set), &err)),
            fmt_rank(spearman(&col(&|k| c.classes[k].pac_bayes), &err)),
            fmt_rank(spearman(&col(&|k| eq15.classes[k].tight.total()), &err)),
            num(o.pac_bayes / o.test_error.max(f64::MIN_POSITIVE), 2),
            below(&|r| r.pac_bayes),
            c.classes.len()
        );
    }
    s
}

/// Write the text (`certificates.txt`), `certificates.json`, `certificates.csv` and a plot per
/// model (`certificates_<model>`: per class, each bound against the observed error, log scale)
/// into `out`; returns the text.
///
/// # Errors
/// I/O and plotting failures.
pub fn write(out: &Path, models: &[(BoundReport, Certificates)]) -> Result<String> {
    std::fs::create_dir_all(out).map_err(|e| io_err(out, e))?;
    let txt: String = models.iter().map(|(b, c)| text(c, b)).collect();
    let p = out.join("certificates.txt");
    std::fs::write(&p, &txt).map_err(|e| io_err(&p, e))?;
    let certs: Vec<&Certificates> = models.iter().map(|(_, c)| c).collect();
    let p = out.join("certificates.json");
    std::fs::write(&p, crate::error::json_for(&p, &certs)?).map_err(|e| io_err(&p, e))?;
    let p = out.join("certificates.csv");
    let mut w =
        csv::Writer::from_path(&p).map_err(|e| io_err(&p, std::io::Error::other(e.to_string())))?;
    for (b, c) in models {
        let eq = b
            .classes
            .iter()
            .map(|x| (x.printed.total(), x.tight.total()))
            .chain([(b.prop1_printed.total(), b.prop1_corrected.total())]);
        for (r, (pr, co)) in c.classes.iter().chain([&c.overall]).zip(eq) {
            w.serialize(Row {
                model: &c.name,
                class: &r.name,
                n_bound: r.n_bound,
                n_test: r.n_test,
                test_error: r.test_error,
                test_set_certificate: r.test_set,
                gibbs_test_error: r.gibbs_test_error,
                gibbs_error_bound_sample: r.gibbs_error_bound_sample,
                pac_bayes_certificate: r.pac_bayes,
                sigma: r.sigma,
                posterior_mean: &r.posterior_mean,
                kl: r.kl,
                eq15_printed: pr,
                eq15_corrected: co,
            })
            .map_err(|e| io_err(&p, std::io::Error::other(e.to_string())))?;
        }
    }
    w.flush().map_err(|e| io_err(&p, e))?;
    for (b, c) in models {
        let pts = |f: &dyn Fn(usize) -> f64| -> Vec<plot::LabeledPoint> {
            c.classes
                .iter()
                .enumerate()
                .map(|(k, r)| (r.test_error, f(k), r.name.clone()))
                .collect()
        };
        let slug: String = c
            .name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_lowercase();
        plot::scatter_labeled(
            &out.join(format!("certificates_{slug}")),
            &format!("{}: per-class certificates against the test error", c.name),
            "observed test error of the class",
            "upper bound on the class's true error (log)",
            &[
                (
                    "test-set (binomial)".into(),
                    pts(&|k| c.classes[k].test_set),
                ),
                (
                    "PAC-Bayes (Gibbs head)".into(),
                    pts(&|k| c.classes[k].pac_bayes),
                ),
                (
                    "Eq. 15 corrected".into(),
                    pts(&|k| b.classes[k].tight.total()),
                ),
            ],
            true,
            true,
        )?;
    }
    Ok(txt)
}

/// Per class and overall, over seeds: each model's mean test error and PAC-Bayes certificate,
/// and the paired difference of the second model against the first (e.g. MR² − ERM) with its
/// 95% interval ([`crate::stats::paired`]), as a markdown table. `runs`: per seed, the
/// certificates of the models in one order.
///
/// # Errors
/// Fewer than two models, or seeds whose models or classes differ.
pub fn across_seeds(runs: &[(u64, Vec<Certificates>)]) -> Result<String> {
    let first = runs
        .first()
        .ok_or_else(|| crate::error::invalid("seeds", 0, "no seed"))?;
    if first.1.len() < 2 {
        return Err(crate::error::invalid(
            "models",
            first.1.len(),
            "a comparison needs two models",
        ));
    }
    let names: Vec<&str> = first.1[0].classes.iter().map(|c| c.name.as_str()).collect();
    for (seed, m) in runs {
        let same = m.len() == first.1.len()
            && m.iter().zip(&first.1).all(|(a, b)| {
                a.name == b.name
                    && a.classes
                        .iter()
                        .map(|c| c.name.as_str())
                        .eq(names.iter().copied())
            });
        if !same {
            return Err(crate::error::invalid(
                "seeds",
                seed,
                "every seed must certify the same models and classes",
            ));
        }
    }
    let (a, b) = (&first.1[0].name, &first.1[1].name);
    let pick = |k: usize, m: usize, f: &dyn Fn(&super::pac_bayes::Certified) -> f64| -> Vec<f64> {
        runs.iter()
            .map(|(_, ms)| {
                let c = &ms[m];
                f(if k < c.classes.len() {
                    &c.classes[k]
                } else {
                    &c.overall
                })
            })
            .collect()
    };
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let mut s = format!(
        "| class | {a} test error | {a} PAC-Bayes | {b} test error | {b} PAC-Bayes | Δ PAC-Bayes ({b} − {a}) [95%] | Δ test error [95%] |\n|---|---|---|---|---|---|---|\n"
    );
    for k in 0..=names.len() {
        let (ea, eb) = (pick(k, 0, &|c| c.test_error), pick(k, 1, &|c| c.test_error));
        let (pa, pb) = (pick(k, 0, &|c| c.pac_bayes), pick(k, 1, &|c| c.pac_bayes));
        let diff = |x: &[f64], y: &[f64]| {
            crate::stats::paired(&y.iter().zip(x).map(|(q, p)| q - p).collect::<Vec<_>>())
        };
        let _ = writeln!(
            s,
            "| {} | {:.4} | {:.4} | {:.4} | {:.4} | {} | {} |",
            names.get(k).copied().unwrap_or("overall"),
            mean(&ea),
            mean(&pa),
            mean(&eb),
            mean(&pb),
            diff(&pa, &pb).display(4),
            diff(&ea, &eb).display(4)
        );
    }
    let seeds: Vec<String> = runs.iter().map(|(s, _)| s.to_string()).collect();
    let _ = writeln!(
        s,
        "\nSeeds {} (n = {}): each seed draws its own split of the training set into A and B, its own training and its own weight draws; Δ is paired by seed.",
        seeds.join(", "),
        runs.len()
    );
    Ok(s)
}
