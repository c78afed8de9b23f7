//! `verify` — the claim catalogue: every mathematical claim of §3–§4 and Appendix B of the MR²
//! paper, checked numerically, with its verdict (holds / loose / typo / false).
//!
//! Expected outcome: all claims report the verdict the suite expects; the exit status is 1 if
//! any computed verdict differs from the registry's expectation (a regression or a new finding).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use mr2_core::catalogue;
use mr2_core::search::Budget;

/// Check every printed claim of the MR² paper's theory (§3–§4, Appendix B) and print the
/// catalogue: id, paper reference, verdict, observed vs theoretical, and a note.
#[derive(Parser, Debug)]
#[command(version, about, long_about = None)]
struct Args {
    /// Search depth and Monte Carlo size.
    #[arg(long, value_enum, default_value = "quick")]
    budget: Budget,
    /// Write the catalogue as JSON: {"claims":[{id, paper_ref, statement, kind, verdict, observed,
    /// theoretical, worst_input, corrected, note, ...}]}.
    #[arg(long, value_name = "PATH")]
    json: Option<PathBuf>,
    /// Write the catalogue as a Markdown table (the claim table of docs/claims.md).
    #[arg(long, value_name = "PATH")]
    markdown: Option<PathBuf>,
    /// Only claims whose id contains this text (repeatable).
    #[arg(long, value_name = "TEXT")]
    only: Vec<String>,
    /// List the claims without checking them.
    #[arg(long)]
    list: bool,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
}

fn main() -> std::process::ExitCode {
    mr2_core::cli::exit_code(run())
}

fn run() -> Result<()> {
    let args = Args::parse();
    let budget = args.budget;
    let claims = catalogue::select(&args.only).map_err(anyhow::Error::msg)?;
    if args.list {
        for c in &claims {
            println!("{:<28} {:<40} {}", c.id, c.paper_ref, c.statement);
        }
        return Ok(());
    }
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let start = Instant::now();
    let records = catalogue::check_all(&claims, budget, threads, |d, total, r| {
        eprintln!(
            "[{d:>2}/{total}] {:<28} {:<6} ({:.1} s)",
            r.id,
            r.verdict.to_string(),
            r.seconds
        );
    });
    print!("{}", catalogue::claims_text(&records));
    if let Some(p) = &args.json {
        std::fs::write(p, catalogue::claims_json(&records)?)
            .with_context(|| format!("writing {}", p.display()))?;
        eprintln!("wrote {}", p.display());
    }
    if let Some(p) = &args.markdown {
        std::fs::write(p, catalogue::claims_markdown(&records))
            .with_context(|| format!("writing {}", p.display()))?;
        eprintln!("wrote {}", p.display());
    }
    println!(
        "\n{} claims in {:.1} s ({:?} budget): {}",
        records.len(),
        start.elapsed().as_secs_f64(),
        budget,
        catalogue::verdict_counts(&records)
    );
    let mismatches: Vec<_> = records.iter().filter(|r| !r.as_expected).collect();
    if !mismatches.is_empty() {
        for r in &mismatches {
            eprintln!(
                "UNEXPECTED: {} gave `{}`, the suite expects `{}`",
                r.id, r.verdict, r.expected
            );
        }
        std::process::exit(1);
    }
    Ok(())
}
