//! `bench` — training-step time of the MLP, the small CNN, ResNet-20 and ResNet-32 at batch 128
//! on the CPU (Flex) backend, for cross-entropy and MR², and the same against a PyTorch twin, on
//! N(0, 1) draws or on real images (`--data-dir`).
//!
//! Expected outcome: MR² costs a few percent more than CE per step; `--compare-pytorch` prints
//! mr2/PyTorch ratios from alternating rounds of fresh processes (medians).

use anyhow::Result;
use clap::Parser;
use mr2::bench::suite::{
    compare_configs, for_input, measure, median_table, ops_report, select, Settings,
};
use mr2::bench::{compare, comparison_table};

/// Time training steps (forward, loss, backward, SGD update) at batch 128, alone or against
/// PyTorch (`--compare-pytorch`; needs `torch` importable by --python, e.g. a venv with
/// `pip install torch` outside the repository).
#[derive(Parser, Debug)]
#[command(version, about, long_about = None)]
struct Args {
    /// Only this model (mlp, cnn, resnet20, resnet32); with --loss, prints one JSON line.
    #[arg(long)]
    model: Option<String>,
    /// Only this objective (ce, mr2).
    #[arg(long)]
    loss: Option<String>,
    /// Batch size.
    #[arg(long, default_value_t = 128)]
    batch: usize,
    /// Timed steps per measurement (the ResNets: a third of them).
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
    /// Time the steps on a batch of real training images from DIR instead of N(0, 1) draws:
    /// --batch images taken class by class in turn, standardised per channel as training does.
    /// DIR is a CIFAR-10 copy (one folder per class, or the official binary files; for resnet20
    /// and resnet32) or an IDX dataset such as Fashion-MNIST (mlp, cnn); only the models that
    /// take its images are timed. With --compare-pytorch both engines read the same bytes.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["ops", "pipeline", "parity", "input"])]
    data_dir: Option<std::path::PathBuf>,
    /// Time the steps on the batch in FILE (written by --compare-pytorch for each process it
    /// starts; format in src/bench/input.rs).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["ops", "pipeline", "parity"])]
    input: Option<std::path::PathBuf>,
    /// Per-operation table instead: each convolution, batch norm and pool of the model(s)
    /// timed alone, mr2's kernels against burn's Flex ops, plus the step's forward / backward /
    /// optimiser split.
    #[arg(long)]
    ops: bool,
    /// The data pipeline (crop + flip of a CIFAR-shaped batch and its copy to the device)
    /// against the ResNet-20 / ResNet-32 training step, at --batch.
    #[arg(long, conflicts_with_all = ["ops", "compare_pytorch"])]
    pipeline: bool,
    /// Device parity: every model (or --model: mlp, cnn, resnet20, resnet32) × every objective
    /// (or --loss NAME) on one fixed batch of --batch (default here 16 when --batch is 128),
    /// CPU with mr2's kernels against --device (cpu: the CPU with burn's own layers): logits,
    /// features, loss, gradients, one SGD step and a 20-step run, each against a stated
    /// tolerance (src/bench/parity.rs). Exits non-zero when a check fails.
    #[arg(long, conflicts_with_all = ["ops", "compare_pytorch", "pipeline"])]
    parity: bool,
    /// Device for --parity and the step timings: cpu, cuda[:N], wgpu[:N].
    #[arg(long, default_value_t = mr2::train::DeviceChoice::default(), value_name = "DEVICE")]
    device: mr2::train::DeviceChoice,
    /// One training epoch of the `cifar` preset's run (10% of CIFAR-10, ResNet-32, crop + flip,
    /// ERM, seed 0) on --device, with the CIFAR-10 files in DIR; writes the run to --out and
    /// prints its epoch line (steps, data pipeline and evaluation seconds).
    #[arg(long, value_name = "DIR")]
    train_epoch: Option<std::path::PathBuf>,
    /// Output directory of --train-epoch (default results/train-epoch).
    #[arg(long, value_name = "DIR")]
    out: Option<std::path::PathBuf>,
    /// Write the measurements as JSON here.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

fn main() -> std::process::ExitCode {
    mr2::cli::exit_code(run())
}

fn run() -> Result<()> {
    let a = Args::parse();
    mr2::bench::check_sizes(a.batch, a.steps, a.rounds)?;
    if let Some(p) = &a.json {
        // Checked before measuring (minutes), not after.
        let dir = p.parent().filter(|d| !d.as_os_str().is_empty());
        if dir.is_some_and(|d| !d.is_dir()) {
            anyhow::bail!("--json {}: the directory does not exist", p.display());
        }
    }
    let write_json = |v: serde_json::Value| -> Result<()> {
        if let Some(p) = &a.json {
            std::fs::write(p, serde_json::to_string_pretty(&v)?)?;
        }
        Ok(())
    };
    if a.parity {
        use mr2::bench::parity::{names, parity, parity_table, sides};
        let (reference, candidate, tol) = sides(a.device)?;
        let (models, losses) = names(a.model.as_deref(), a.loss.as_deref());
        let n = if a.batch == 128 { 16 } else { a.batch };
        let rows = parity(&reference, &candidate, &models, &losses, n, tol)?;
        print!("{}", parity_table(&rows));
        println!(
            "(reference: cpu with mr2's kernels; candidate: {}{}; batch {n})",
            a.device,
            if candidate.burn_layers {
                " with burn's layers"
            } else {
                ""
            }
        );
        write_json(serde_json::to_value(&rows)?)?;
        let failed = rows.iter().filter(|r| !r.pass()).count();
        if failed > 0 {
            anyhow::bail!("{failed} parity check(s) outside their tolerance");
        }
        return Ok(());
    }
    if let Some(dir) = &a.train_epoch {
        let device = a.device.open()?;
        let out = a
            .out
            .clone()
            .unwrap_or_else(|| std::path::PathBuf::from("results/train-epoch"));
        let m = mr2::bench::train_epoch(dir, &out, device)?;
        println!("{}", m.log_line(1));
        return write_json(serde_json::to_value(&m)?);
    }
    let (models, losses) = select(a.model.as_deref(), a.loss.as_deref())?;
    let real = match (&a.data_dir, &a.input) {
        (Some(dir), _) => Some(mr2::bench::input::real_batch(dir, a.batch)?),
        (None, Some(file)) => Some(mr2::bench::input::read_batch(file)?),
        (None, None) => None,
    };
    let models = match &real {
        Some(b) => for_input(&models, b.shape)?,
        None => models,
    };
    let s = Settings {
        batch: a.batch,
        steps: a.steps,
        warmup: a.warmup,
        device: a.device.open()?,
        input: real.clone(),
    };
    if a.pipeline {
        let rows = mr2::bench::pipeline::pipeline(
            a.batch,
            a.steps.div_ceil(3).max(2),
            a.warmup,
            a.rounds,
        )?;
        print!("{}", mr2::bench::pipeline::pipeline_table(&rows));
        return write_json(serde_json::to_value(&rows)?);
    }
    if a.ops {
        let (text, json) = ops_report(&models, losses[0], s)?;
        print!("{text}");
        return write_json(json);
    }
    if a.compare_pytorch {
        let exe = std::env::current_exe()?.display().to_string();
        let script =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/bench_torch.py");
        let dir = std::env::temp_dir().join(format!("mr2-bench-{}", std::process::id()));
        let label = match (&a.data_dir, &a.input) {
            (Some(d), _) => Some(format!("{} images of {}", a.batch, d.display())),
            (None, Some(f)) => Some(format!("the batch in {}", f.display())),
            (None, None) => None,
        };
        let configs = compare_configs(
            &models,
            &losses,
            a.steps,
            a.batch,
            real.as_ref().zip(label.as_deref()),
            &dir,
        )?;
        let shared = [
            "--batch".to_string(),
            a.batch.to_string(),
            "--device".into(),
            a.device.to_string(),
        ];
        let mut mr2_cmd = vec![exe];
        mr2_cmd.extend(shared.iter().cloned());
        let mut torch_cmd = vec![a.python.clone(), script.display().to_string()];
        torch_cmd.extend(shared.iter().cloned());
        let all = compare(&mr2_cmd, &torch_cmd, &configs, a.rounds, a.warmup);
        let _ = std::fs::remove_dir_all(&dir);
        let all = all?;
        println!("{}", comparison_table(&all));
        println!(
            "(batch {}, device {}, input {}: the same bytes for both engines; medians of {} alternating rounds, each measurement a fresh process)",
            a.batch,
            a.device,
            label.as_deref().unwrap_or("N(0, 1) draws"),
            a.rounds
        );
        return write_json(serde_json::to_value(&all)?);
    }
    // One model and one loss: a single measurement as one JSON line (what --compare-pytorch
    // runs in each fresh process).
    if a.model.is_some() && a.loss.is_some() {
        let all = measure(&models, &losses, 1, s)?;
        println!("{}", serde_json::to_string(&all[0])?);
        return write_json(serde_json::to_value(&all)?);
    }
    let all = measure(&models, &losses, a.rounds, s)?;
    print!("{}", median_table(&all, a.batch));
    write_json(serde_json::to_value(&all)?)
}
