//! `bench` — training-step time and images/s for the MLP, the small CNN and ResNet-20 at batch
//! 128 on the CPU (Flex) backend, for cross-entropy and for MR² (the overhead of the margin
//! losses is the ratio MR²/CE measured in the same run).
//!
//! Expected outcome: MR² costs a few percent more than CE per step (one extra B×B distance
//! matrix and a per-class statistics pass); absolute times depend on the machine.

use anyhow::Result;
use clap::Parser;
use mr2::bench::StepTiming;
use mr2::loss::Method;
use mr2::model::Arch;

/// Time training steps (forward, loss, backward, SGD update) at a fixed batch size.
#[derive(Parser, Debug)]
#[command(version, about, long_about = None)]
struct Args {
    /// Batch size.
    #[arg(long, default_value_t = 128)]
    batch: usize,
    /// Timed steps per model and loss (ResNet-20 uses a third of them).
    #[arg(long, default_value_t = 15)]
    steps: usize,
    /// Warm-up steps.
    #[arg(long, default_value_t = 2)]
    warmup: usize,
    /// Alternating CE / MR² rounds; the medians are reported.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Write the table as JSON here.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

#[derive(serde::Serialize)]
struct Row {
    model: String,
    loss: String,
    ms_per_step: f64,
    images_per_s: f64,
}

fn time_model(arch: Arch, shape: [usize; 3], loss: &str, a: &Args) -> Result<f64> {
    let mut method = Method::from_name(loss)?;
    if loss == "mr2" {
        method = method.with_params(&[("rep_scaling".into(), "\"reference\"".into())], "bench")?;
    }
    Ok(StepTiming {
        arch,
        shape,
        method,
        batch: a.batch,
        steps: if arch == Arch::Resnet20 {
            (a.steps / 3).max(2)
        } else {
            a.steps
        },
        warmup: a.warmup,
    }
    .ms_per_step()?)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> std::process::ExitCode {
    mr2::cli::exit_code(run())
}

fn run() -> Result<()> {
    let a = Args::parse();
    let mut rows = Vec::new();
    println!(
        "{:<10} {:>10} {:>10} {:>12} {:>10}",
        "model", "loss", "ms/step", "images/s", "MR²/CE"
    );
    for (name, arch, shape) in [
        ("MLP", Arch::Mlp, [1, 28, 28]),
        ("CNN", Arch::Cnn, [1, 28, 28]),
        ("ResNet-20", Arch::Resnet20, [3, 32, 32]),
    ] {
        let (mut ces, mut mr2s) = (Vec::new(), Vec::new());
        for _ in 0..a.rounds.max(1) {
            ces.push(time_model(arch, shape, "ce", &a)?);
            mr2s.push(time_model(arch, shape, "mr2", &a)?);
        }
        let (ce, mr2) = (median(&mut ces), median(&mut mr2s));
        for (loss, ms) in [("ce", ce), ("mr2", mr2)] {
            let ips = a.batch as f64 / (ms / 1e3);
            println!(
                "{:<10} {:>10} {:>10.1} {:>12.0} {:>10}",
                name,
                loss,
                ms,
                ips,
                if loss == "mr2" {
                    format!("{:.3}", mr2 / ce)
                } else {
                    String::new()
                }
            );
            rows.push(Row {
                model: name.into(),
                loss: loss.into(),
                ms_per_step: ms,
                images_per_s: ips,
            });
        }
    }
    println!(
        "(batch {}, medians of {} alternating rounds of {} timed steps after {} warm-up (ResNet-20: a third of the steps); MLP width 256 on 28×28, CNN on 28×28, ResNet-20 on 3×32×32; 10 classes)",
        a.batch, a.rounds, a.steps, a.warmup
    );
    if let Some(p) = &a.json {
        std::fs::write(p, serde_json::to_string_pretty(&rows)?)?;
    }
    Ok(())
}
