//! `compare` — mean ± standard deviation of `summary.json` files over seeds, per group of runs,
//! and the paired differences between two groups (e.g. MR² − ERM with the same seeds).
//!
//! Usage: `compare --label ERM a/summary.json b/summary.json --label MR2 c/summary.json d/summary.json`
//! (files of the two groups are paired in order).

use anyhow::{bail, Context, Result};
use mr2::eval::compare::compare;
use mr2::eval::Summary;

fn main() -> std::process::ExitCode {
    mr2::cli::exit_code(run())
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        bail!("no summaries given: compare --label NAME SUMMARY.json... [--label NAME SUMMARY.json...] (--help for more)");
    }
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("compare --label NAME SUMMARY.json... [--label NAME SUMMARY.json...]\n\nMean ± sd of overall / easy / medium / hard accuracy and the Table 4 margins over the\nsummary.json files of each group; with two groups of equal size, also the paired differences\n(second − first, files paired in order). All summaries must have the same classes.");
        return Ok(());
    }
    let mut groups: Vec<(String, Vec<Summary>)> = Vec::new();
    // Files of the current group (a file twice in one group would count one run as two samples).
    let mut seen: Vec<std::path::PathBuf> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--version" || a == "-V" {
            println!("compare {}", env!("CARGO_PKG_VERSION"));
            return Ok(());
        }
        if a.starts_with("--") && a != "--label" {
            bail!("unknown option {a}: compare takes --label NAME SUMMARY.json… (--help)");
        }
        if a == "--label" {
            let name = it.next().context("--label needs a name")?;
            groups.push((name.clone(), Vec::new()));
            seen.clear();
        } else {
            let Some(g) = groups.last_mut() else {
                bail!("give --label NAME before the files ({a})")
            };
            let path = std::path::Path::new(a);
            let id = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
            if seen.contains(&id) {
                bail!("{a} is given twice in one group: one run would count as two samples");
            }
            seen.push(id);
            g.1.push(Summary::read(path)?);
        }
    }
    print!("{}", compare(&groups)?);
    Ok(())
}
