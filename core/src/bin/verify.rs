//! `verify` — the claim catalogue: every mathematical claim of §3–§4 and Appendix B of the MR²
//! paper, checked numerically, with its verdict (holds / loose / typo / false).
//!
//! Expected outcome: all claims report the verdict the suite expects; the exit status is 1 if
//! any computed verdict differs from the registry's expectation (a regression or a new finding).

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use mr2_core::catalogue::{claims_json, claims_markdown, ClaimRecord};
use mr2_core::claims::{registry, Claim, Evidence};
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
    /// Write the catalogue as a Markdown table (the README's claim table).
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
    let claims: Vec<Claim> = registry()
        .into_iter()
        .filter(|c| args.only.is_empty() || args.only.iter().any(|o| c.id.contains(o.as_str())))
        .collect();
    if claims.is_empty() {
        anyhow::bail!(
            "no claim id matches {:?}; run `verify --list` for the ids",
            args.only
        );
    }
    if args.list {
        for c in &claims {
            println!("{:<28} {:<40} {}", c.id, c.paper_ref, c.statement);
        }
        return Ok(());
    }
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let start = Instant::now();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<(Evidence, f64)>>> = Mutex::new(vec![None; claims.len()]);
    let total = claims.len();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= total {
                    break;
                }
                let t = Instant::now();
                let ev = (claims[i].check)(budget);
                let secs = t.elapsed().as_secs_f64();
                let d = done.fetch_add(1, Ordering::SeqCst) + 1;
                eprintln!(
                    "[{d:>2}/{total}] {:<28} {:<6} ({secs:.1} s)",
                    claims[i].id,
                    ev.verdict.to_string()
                );
                results.lock().expect("no poisoned lock")[i] = Some((ev, secs));
            });
        }
    });
    let results = results.into_inner().expect("no poisoned lock");
    let records: Vec<ClaimRecord> = claims
        .iter()
        .zip(results)
        .map(|(c, r)| {
            let (ev, secs) = r.expect("every claim ran");
            ClaimRecord::new(c, ev, secs)
        })
        .collect();
    print_table(&records)?;
    let mismatches: Vec<&ClaimRecord> = records.iter().filter(|r| !r.as_expected).collect();
    if let Some(p) = &args.json {
        std::fs::write(p, claims_json(&records)?)
            .with_context(|| format!("writing {}", p.display()))?;
        eprintln!("wrote {}", p.display());
    }
    if let Some(p) = &args.markdown {
        std::fs::write(p, claims_markdown(&records))
            .with_context(|| format!("writing {}", p.display()))?;
        eprintln!("wrote {}", p.display());
    }
    let mut counts = std::collections::BTreeMap::new();
    for r in &records {
        *counts.entry(r.verdict.to_string()).or_insert(0) += 1;
    }
    println!(
        "\n{} claims in {:.1} s ({:?} budget): {}",
        records.len(),
        start.elapsed().as_secs_f64(),
        budget,
        counts
            .iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
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

fn print_table(records: &[ClaimRecord]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<26} {:<34} {:<7} {:>12} {:>12}  note",
        "id", "paper", "verdict", "observed", "theory"
    )?;
    writeln!(out, "{}", "-".repeat(130))?;
    for r in records {
        let note: String = r.note.chars().take(90).collect();
        writeln!(
            out,
            "{:<26} {:<34} {:<7} {:>12.5} {:>12.5}  {}",
            r.id,
            r.paper_ref.chars().take(34).collect::<String>(),
            r.verdict.to_string(),
            r.observed,
            r.theoretical,
            note
        )?;
    }
    Ok(())
}
