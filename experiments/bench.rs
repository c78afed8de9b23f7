//! `bench` — training-step time of the MLP, the small CNN and ResNet-20 at batch 128 on the CPU
//! (Flex) backend, for cross-entropy and MR², and the same against a PyTorch twin.
//!
//! Expected outcome: MR² costs a few percent more than CE per step; `--compare-pytorch` prints
//! mr2/PyTorch ratios from alternating rounds of fresh processes (medians).

use anyhow::Result;
use clap::Parser;
use mr2::bench::suite::{measure, median_table, ops_report, select, steps_for, Settings};
use mr2::bench::{compare, comparison_table};

/// Time training steps (forward, loss, backward, SGD update) at batch 128, alone or against
/// PyTorch (`--compare-pytorch`; needs `torch` importable by --python, e.g. a venv with
/// `pip install torch` outside the repository).
#[derive(Parser, Debug)]
#[command(version, about, long_about = None)]
struct Args {
    /// Only this model (mlp, cnn, resnet20); with --loss, prints one JSON line.
    #[arg(long)]
    model: Option<String>,
    /// Only this objective (ce, mr2).
    #[arg(long)]
    loss: Option<String>,
    /// Batch size.
    #[arg(long, default_value_t = 128)]
    batch: usize,
    /// Timed steps per measurement (ResNet-20: a third of them).
    #[arg(long, default_value_t = 15)]
    steps: usize,
    /// Warm-up steps.
    #[arg(long, default_value_t = 2)]
    warmup: usize,
    /// Rounds (alternating); medians are reported.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Run the PyTorch twin (scripts/bench_torch.py) in alternating rounds, each measurement in a
    /// fresh process, and print mr2/PyTorch ratios.
    #[arg(long)]
    compare_pytorch: bool,
    /// Python with torch installed, for --compare-pytorch.
    #[arg(long, default_value = "python3")]
    python: String,
    /// Per-operation table instead: each convolution, batch norm and pool of the model(s)
    /// timed alone, mr2's kernels against burn's Flex ops, plus the step's forward / backward /
    /// optimiser split.
    #[arg(long)]
    ops: bool,
    /// Write the measurements as JSON here.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

fn main() -> std::process::ExitCode {
    mr2::cli::exit_code(run())
}

fn run() -> Result<()> {
    let a = Args::parse();
    let (models, losses) = select(a.model.as_deref(), a.loss.as_deref())?;
    let s = Settings {
        batch: a.batch,
        steps: a.steps,
        warmup: a.warmup,
    };
    let write_json = |v: serde_json::Value| -> Result<()> {
        if let Some(p) = &a.json {
            std::fs::write(p, serde_json::to_string_pretty(&v)?)?;
        }
        Ok(())
    };
    if a.ops {
        let (text, json) = ops_report(&models, losses[0], s)?;
        print!("{text}");
        return write_json(json);
    }
    if a.compare_pytorch {
        let exe = std::env::current_exe()?.display().to_string();
        let script =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/bench_torch.py");
        let configs: Vec<(String, String, usize)> = models
            .iter()
            .flat_map(|m| {
                losses
                    .iter()
                    .map(move |l| (m.0.to_string(), l.to_string(), steps_for(m.0, a.steps)))
            })
            .collect();
        let all = compare(
            &[exe],
            &[a.python.clone(), script.display().to_string()],
            &configs,
            a.rounds,
            a.warmup,
        )?;
        println!("{}", comparison_table(&all));
        println!("(batch {}, 2 threads, medians of {} alternating rounds, each measurement a fresh process)", a.batch, a.rounds);
        return write_json(serde_json::to_value(&all)?);
    }
    // One model and one loss: a single measurement as one JSON line (what --compare-pytorch
    // runs in each fresh process).
    if a.model.is_some() && a.loss.is_some() {
        let all = measure(&models, &losses, 1, s)?;
        println!("{}", serde_json::to_string(&all[0])?);
        return Ok(());
    }
    let all = measure(&models, &losses, a.rounds, s)?;
    print!("{}", median_table(&all, a.batch));
    write_json(serde_json::to_value(&all)?)
}
