//! `compare` — mean ± standard deviation of `summary.json` files over seeds, per group of runs,
//! and the paired differences between two groups (e.g. MR² − ERM with the same seeds).
//!
//! Usage: `compare --label ERM a/summary.json b/summary.json --label MR2 c/summary.json d/summary.json`
//! (files of the two groups are paired in order).

use anyhow::{bail, Context, Result};
use mr2::train::Summary;

fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let sd = if v.len() > 1 {
        (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        f64::NAN
    };
    (m, sd)
}

type Metric = (&'static str, fn(&Summary) -> f64);

const METRICS: [Metric; 6] = [
    ("overall %", |s| 100.0 * s.overall),
    ("easy %", |s| 100.0 * s.groups.easy),
    ("medium %", |s| 100.0 * s.groups.medium),
    ("hard %", |s| 100.0 * s.groups.hard),
    ("output margin", |s| s.output_margin.avg),
    ("classifier margin °", |s| s.classifier_margin_deg),
];

fn main() -> std::process::ExitCode {
    mr2::cli::exit_code(run())
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() || args.iter().any(|a| a == "--help" || a == "-h") {
        println!("compare --label NAME SUMMARY.json... [--label NAME SUMMARY.json...]\n\nMean ± sd of overall / easy / medium / hard accuracy and the Table 4 margins over the\nsummary.json files of each group; with two groups of equal size, also the paired differences\n(second − first, files paired in order).");
        return Ok(());
    }
    let mut groups: Vec<(String, Vec<Summary>)> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--label" {
            let name = it.next().context("--label needs a name")?;
            groups.push((name.clone(), Vec::new()));
        } else {
            let Some(g) = groups.last_mut() else {
                bail!("give --label NAME before the files ({a})")
            };
            let s: Summary = serde_json::from_str(
                &std::fs::read_to_string(a).with_context(|| format!("reading {a}"))?,
            )
            .with_context(|| format!("parsing {a}"))?;
            g.1.push(s);
        }
    }
    if let Some((name, _)) = groups.iter().find(|g| g.1.is_empty()) {
        bail!("group {name} has no summary.json files");
    }
    print!("{:<22}", "metric");
    for (name, g) in &groups {
        print!(" {:>22}", format!("{name} (n={})", g.len()));
    }
    if groups.len() == 2 && groups[0].1.len() == groups[1].1.len() {
        print!(" {:>22}", format!("{} − {}", groups[1].0, groups[0].0));
    }
    println!();
    for (label, f) in METRICS {
        print!("{label:<22}");
        for (_, g) in &groups {
            let (m, sd) = mean_sd(&g.iter().map(f).collect::<Vec<_>>());
            print!(" {:>22}", format!("{m:.3} ± {sd:.3}"));
        }
        if groups.len() == 2 && groups[0].1.len() == groups[1].1.len() {
            let d: Vec<f64> = groups[0]
                .1
                .iter()
                .zip(&groups[1].1)
                .map(|(a, b)| f(b) - f(a))
                .collect();
            let (m, sd) = mean_sd(&d);
            print!(" {:>22}", format!("{m:+.3} ± {sd:.3}"));
        }
        println!();
    }
    let k = groups[0].1[0].per_class.len();
    println!("\nper-class accuracy % (mean over runs)");
    for c in 0..k {
        print!("{:<22}", groups[0].1[0].per_class[c].name);
        for (_, g) in &groups {
            let (m, _) = mean_sd(
                &g.iter()
                    .map(|s| 100.0 * s.per_class[c].accuracy)
                    .collect::<Vec<_>>(),
            );
            print!(" {m:>22.2}");
        }
        println!();
    }
    Ok(())
}
