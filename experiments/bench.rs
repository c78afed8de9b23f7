//! `bench` — training-step time and images/s for the MLP, the small CNN and ResNet-20 at batch
//! 128 on the CPU (Flex) backend, for cross-entropy and for MR² (the overhead of the margin
//! losses is the ratio MR²/CE measured in the same run).
//!
//! Expected outcome: MR² costs a few percent more than CE per step (one extra B×B distance
//! matrix and a per-class statistics pass); absolute times depend on the machine.

use std::time::Instant;

use anyhow::Result;
use burn::module::Module;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{GradientsParams, SgdConfig};
use burn::tensor::{Distribution, Tensor};
use clap::Parser;
use mr2::loss::{batch_loss, LossConfig, LossKind, MarginState};
use mr2::model::{Arch, ModelConfig, Net};

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

fn time_model(arch: Arch, shape: [usize; 3], kind: LossKind, a: &Args) -> Result<f64> {
    let dev = mr2::train::device().autodiff();
    let cfg = ModelConfig {
        arch,
        width: 256,
        depth: 16,
    };
    let mut model = Net::new_seeded(&cfg, shape, 10, &dev, 0)?;
    let mut opt = SgdConfig::new()
        .with_momentum(Some(
            MomentumConfig::new().with_momentum(0.9).with_dampening(0.0),
        ))
        .init();
    let lc = LossConfig {
        kind,
        rep_scaling: mr2::loss::RepScaling::Reference,
        ..LossConfig::default()
    };
    let mut st = MarginState::new(10, 0.9)?;
    let [c, h, w] = shape;
    let x = Tensor::<4>::random([a.batch, c, h, w], Distribution::Normal(0.0, 1.0), &dev);
    let y: Vec<usize> = (0..a.batch).map(|i| (i * 7) % 10).collect();
    let steps = if arch == Arch::Resnet20 {
        (a.steps / 3).max(2)
    } else {
        a.steps
    };
    let mut run = |model: Net, st: &mut MarginState| -> Result<Net> {
        let (logits, feats) = model.forward(x.clone());
        let bl = batch_loss(&lc, st, logits, feats, &y, &dev)?;
        let grads = GradientsParams::from_grads(bl.total.backward(), &model);
        Ok(opt.step(0.01, model, grads))
    };
    for _ in 0..a.warmup {
        model = run(model, &mut st)?;
    }
    let t0 = Instant::now();
    for _ in 0..steps {
        model = run(model, &mut st)?;
    }
    let _ = model.valid();
    Ok(t0.elapsed().as_secs_f64() * 1e3 / steps as f64)
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
            ces.push(time_model(arch, shape, LossKind::Ce, &a)?);
            mr2s.push(time_model(arch, shape, LossKind::Mr2, &a)?);
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
