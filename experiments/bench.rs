//! `bench` — training-step time of the MLP, the small CNN and ResNet-20 at batch 128 on the CPU
//! (Flex) backend, for cross-entropy and MR², and the same against a PyTorch twin.
//!
//! Expected outcome: MR² costs a few percent more than CE per step; `--compare-pytorch` prints
//! mr2/PyTorch ratios from alternating rounds of fresh processes (medians).

use anyhow::{bail, Result};
use clap::Parser;
use mr2::bench::{
    bench_method, compare, comparison_table, median, Measurement, StepTiming, MODELS,
};

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

fn steps_for(model: &str, steps: usize) -> usize {
    if model == "resnet20" {
        (steps / 3).max(2)
    } else {
        steps
    }
}

fn run() -> Result<()> {
    let a = Args::parse();
    let models: Vec<_> = MODELS
        .iter()
        .filter(|m| a.model.as_deref().is_none_or(|x| x == m.0))
        .collect();
    if models.is_empty() {
        bail!("--model must be one of mlp, cnn, resnet20");
    }
    let losses: Vec<&str> = ["ce", "mr2"]
        .into_iter()
        .filter(|l| a.loss.as_deref().is_none_or(|x| x == *l))
        .collect();
    if losses.is_empty() {
        bail!("--loss must be ce or mr2");
    }
    if a.ops {
        let mut out = Vec::new();
        for (name, arch, shape) in models.iter().filter(|m| m.0 != "mlp") {
            let rows = mr2::bench::ops::op_table(name, a.batch, a.steps.max(3));
            println!("{}", mr2::bench::ops::op_markdown(name, &rows));
            let times = StepTiming {
                arch: *arch,
                shape: *shape,
                method: bench_method(losses[0])?,
                batch: a.batch,
                steps: steps_for(name, a.steps),
                warmup: a.warmup,
            }
            .times()?;
            println!(
                "{name} {} step: {:.1} ms = forward {:.1} + backward {:.1} + optimiser {:.1} (+ {:.1} other)\n",
                losses[0],
                times.total,
                times.forward,
                times.backward,
                times.optimizer,
                times.total - times.forward - times.backward - times.optimizer
            );
            out.push(serde_json::json!({"model": name, "ops": rows, "step": times}));
        }
        if let Some(p) = &a.json {
            std::fs::write(p, serde_json::to_string_pretty(&out)?)?;
        }
        return Ok(());
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
        println!("(batch 128, 2 threads, medians of {} alternating rounds, each measurement a fresh process)", a.rounds);
        if let Some(p) = &a.json {
            std::fs::write(p, serde_json::to_string_pretty(&all)?)?;
        }
        return Ok(());
    }
    let single = a.model.is_some() && a.loss.is_some();
    let mut all = Vec::new();
    for (name, arch, shape) in models {
        for _ in 0..if single { 1 } else { a.rounds.max(1) } {
            for l in &losses {
                let ms = StepTiming {
                    arch: *arch,
                    shape: *shape,
                    method: bench_method(l)?,
                    batch: a.batch,
                    steps: steps_for(name, a.steps),
                    warmup: a.warmup,
                }
                .ms_per_step()?;
                all.push(Measurement {
                    model: name.to_string(),
                    loss: l.to_string(),
                    ms_per_step: ms,
                    engine: "mr2".into(),
                });
            }
        }
    }
    if single {
        println!("{}", serde_json::to_string(&all[0])?);
        return Ok(());
    }
    println!(
        "{:<10} {:>6} {:>10} {:>12}",
        "model", "loss", "ms/step", "images/s"
    );
    for (name, _, _) in MODELS {
        for l in &losses {
            let mut v: Vec<f64> = all
                .iter()
                .filter(|m| m.model == name && m.loss == *l)
                .map(|m| m.ms_per_step)
                .collect();
            if v.is_empty() {
                continue;
            }
            let ms = median(&mut v);
            println!(
                "{:<10} {:>6} {:>10.1} {:>12.0}",
                name,
                l,
                ms,
                a.batch as f64 / (ms / 1e3)
            );
        }
    }
    if let Some(p) = &a.json {
        std::fs::write(p, serde_json::to_string_pretty(&all)?)?;
    }
    Ok(())
}
