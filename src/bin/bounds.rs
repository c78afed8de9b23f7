//! `bounds` — the paper's class-sensitive bounds (Prop. 1, Eq. 15, Lemma 2, Prop. 2) computed
//! from trained models, as printed and as corrected, next to the observed per-class test error.
//!
//! Expected outcome (default run, synthetic mixture, seconds): every bound is far above the
//! observed error (they are vacuous at this scale), but the per-class bound ranks the classes
//! like their test error (positive Spearman / Kendall), and MR²'s γ_k grow with the class
//! spread. Features learned on the same data make the bound a diagnostic; `--certificate`
//! computes one that holds for the head.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use burn::module::Module;
use clap::Parser;
use mr2::bounds::{compute, BoundInputs, BoundReport};
use mr2::data::transform;
use mr2::eval::{predict, Predictions};
use mr2::loss::{LossKind, MarginState};
use mr2::model::Net;
use mr2::report::plot;
use mr2::train::{
    device, load_data, train_on, CheckpointState, DatasetName, RunOptions, Splits, TrainConfig,
};
use ndarray::Array2;

/// Compute the class-sensitive generalisation bounds of a trained model and plot them against
/// its observed per-class test error. With no arguments: trains ERM and MR² on the embedded
/// synthetic mixture and writes results/bounds/.
#[derive(Parser, Debug)]
#[command(version, about, long_about = None)]
struct Args {
    /// Use models trained by `train` (output directories with config.json + checkpoint/);
    /// repeat the flag to compare several (e.g. ERM and MR²) in one report and plot.
    #[arg(long, value_name = "DIR", conflicts_with = "dataset")]
    checkpoint: Vec<PathBuf>,
    /// Train quick ERM and MR² models on this dataset (default: synthetic).
    #[arg(long, value_enum)]
    dataset: Option<DatasetName>,
    /// Epochs for the quick models.
    #[arg(long)]
    epochs: Option<usize>,
    /// Keep this fraction of a real training set for the quick models (speed).
    #[arg(long)]
    subset: Option<f64>,
    /// Confidence level: the bounds hold with probability ≥ 1 − δ.
    #[arg(long, default_value_t = 0.05)]
    delta: f64,
    /// L_p exponent for Prop. 2 (reported next to p = 2).
    #[arg(long, default_value_t = 3.0)]
    p: f64,
    /// Monte Carlo draws for the Rademacher complexities.
    #[arg(long, default_value_t = 1000)]
    mc: usize,
    /// Certificate mode: features learned on one half of the training data; the head is
    /// re-trained (norm-constrained, γ fixed from the first half) and the bound computed on the
    /// other half, so the bound holds for that head.
    #[arg(long)]
    certificate: bool,
    /// Output directory.
    #[arg(long, default_value = "results/bounds")]
    out: PathBuf,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

struct Model {
    name: String,
    net: Net,
    gamma: Vec<f64>,
}

fn with_bias(p: &Predictions) -> Array2<f64> {
    let n = p.labels.len();
    Array2::from_shape_fn((n, p.d + 1), |(i, j)| {
        if j < p.d {
            f64::from(p.features[i * p.d + j])
        } else {
            1.0
        }
    })
}

fn head_of(net: &Net) -> Vec<Vec<f64>> {
    let w = net.head_weights();
    let b = net.head_bias();
    w.iter()
        .zip(&b)
        .map(|(r, bb)| {
            r.iter()
                .map(|v| f64::from(*v))
                .chain(std::iter::once(f64::from(*bb)))
                .collect()
        })
        .collect()
}

fn gamma_used(cfg: &TrainConfig, st: &MarginState) -> Vec<f64> {
    match cfg.loss.kind {
        LossKind::GammaCe | LossKind::Mr2 => st.gamma(&cfg.loss),
        _ => vec![1.0; st.alpha.values.len()],
    }
}

/// Softmax regression on fixed features with γ-scaled logits, each head row projected onto the
/// ball ‖w_y‖₂ ≤ Λ (Λ chosen before seeing this half of the data).
fn fit_head(
    f: &Array2<f64>,
    y: &[usize],
    k: usize,
    gamma: &[f64],
    lambda: f64,
    iters: usize,
) -> Vec<Vec<f64>> {
    let (n, d) = f.dim();
    let mut w = vec![vec![0.0; d]; k];
    let lr = 0.5;
    for _ in 0..iters {
        let mut g = vec![vec![0.0; d]; k];
        for i in 0..n {
            let z: Vec<f64> = (0..k)
                .map(|c| {
                    w[c].iter()
                        .zip(f.row(i).iter())
                        .map(|(a, b)| a * b)
                        .sum::<f64>()
                        / gamma[y[i]]
                })
                .collect();
            let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let e: Vec<f64> = z.iter().map(|v| (v - m).exp()).collect();
            let s: f64 = e.iter().sum();
            for c in 0..k {
                let coef = (e[c] / s - f64::from(u8::from(c == y[i]))) / gamma[y[i]] / n as f64;
                for (gj, xj) in g[c].iter_mut().zip(f.row(i).iter()) {
                    *gj += coef * xj;
                }
            }
        }
        for c in 0..k {
            for j in 0..d {
                w[c][j] -= lr * g[c][j];
            }
            let nrm = w[c].iter().map(|v| v * v).sum::<f64>().sqrt();
            if nrm > lambda {
                w[c].iter_mut().for_each(|v| *v *= lambda / nrm);
            }
        }
    }
    w
}

fn per_class_error(test: &Predictions) -> Vec<f64> {
    test.per_class_accuracy().iter().map(|a| 1.0 - a).collect()
}

fn report_for(m: &Model, splits: &Splits, a: &Args) -> Result<BoundReport> {
    let dev = device();
    let trp = predict(&m.net, &splits.train, 256, &dev);
    let tep = predict(&m.net, &splits.test, 256, &dev);
    let f = with_bias(&trp);
    let head = head_of(&m.net);
    let err = per_class_error(&tep);
    Ok(compute(&BoundInputs {
        features: &f,
        labels: &trp.labels,
        head: &head,
        gamma: &m.gamma,
        test_error_per_class: &err,
        test_error: 1.0 - tep.accuracy(),
        delta: a.delta,
        p: a.p,
        mc_samples: a.mc,
        seed: a.seed,
    })?)
}

/// Certificate: features from the model (trained on half A), head re-fitted on half B.
fn certificate_for(
    m: &Model,
    half_b: &mr2::data::Dataset,
    test: &mr2::data::Dataset,
    a: &Args,
) -> Result<BoundReport> {
    let dev = device();
    let bp = predict(&m.net, half_b, 256, &dev);
    let tp = predict(&m.net, test, 256, &dev);
    let fb = with_bias(&bp);
    let ft = with_bias(&tp);
    let k = half_b.classes;
    // Λ fixed from the model trained on half A, before looking at half B.
    let lambda = head_of(&m.net)
        .iter()
        .map(|w| w.iter().map(|v| v * v).sum::<f64>().sqrt())
        .fold(0.0, f64::max);
    let head = fit_head(&fb, &bp.labels, k, &m.gamma, lambda, 300);
    let mut hit = vec![0usize; k];
    let mut tot = vec![0usize; k];
    for i in 0..tp.labels.len() {
        let z: Vec<f64> = head
            .iter()
            .map(|w| w.iter().zip(ft.row(i).iter()).map(|(x, y)| x * y).sum())
            .collect();
        let pred = (0..k).fold(0, |b, j| if z[j] > z[b] { j } else { b });
        tot[tp.labels[i]] += 1;
        hit[tp.labels[i]] += usize::from(pred == tp.labels[i]);
    }
    let err: Vec<f64> = hit
        .iter()
        .zip(&tot)
        .map(|(h, t)| 1.0 - *h as f64 / (*t).max(1) as f64)
        .collect();
    let overall = 1.0 - hit.iter().sum::<usize>() as f64 / tot.iter().sum::<usize>().max(1) as f64;
    Ok(compute(&BoundInputs {
        features: &fb,
        labels: &bp.labels,
        head: &head,
        gamma: &m.gamma,
        test_error_per_class: &err,
        test_error: overall,
        delta: a.delta,
        p: a.p,
        mc_samples: a.mc,
        seed: a.seed,
    })?)
}

fn quick_config(a: &Args, kind: LossKind) -> TrainConfig {
    let mut c = TrainConfig {
        seed: a.seed,
        ..TrainConfig::default()
    };
    let name = a.dataset.unwrap_or(DatasetName::Synthetic);
    c.data.name = name;
    c.loss.kind = kind;
    if name == DatasetName::Synthetic {
        c.epochs = a.epochs.unwrap_or(15);
        c.loss.lambda = 0.1;
    } else {
        c.model.arch = mr2::model::Arch::Cnn;
        c.epochs = a.epochs.unwrap_or(3);
        c.data.subset = Some(a.subset.unwrap_or(0.2));
        c.loss.rep_scaling = mr2::loss::RepScaling::Reference;
    }
    c
}

fn load_checkpoint(dir: &Path) -> Result<(TrainConfig, Model)> {
    let cfg: TrainConfig = serde_json::from_str(
        &std::fs::read_to_string(dir.join("config.json"))
            .with_context(|| format!("reading {}/config.json", dir.display()))?,
    )
    .with_context(|| format!("parsing {}/config.json", dir.display()))?;
    let st: CheckpointState = serde_json::from_str(
        &std::fs::read_to_string(dir.join("checkpoint/state.json"))
            .with_context(|| format!("reading {}/checkpoint/state.json", dir.display()))?,
    )
    .with_context(|| format!("parsing {}/checkpoint/state.json", dir.display()))?;
    let splits = load_data(&cfg)?;
    let net = Net::new(
        &cfg.model,
        splits.train.shape,
        splits.train.classes,
        &device(),
    )?
    .try_load_file(dir.join("checkpoint/model.bpk"))
    .map_err(|e| anyhow::anyhow!("{}: {e:?}", dir.join("checkpoint/model.bpk").display()))?;
    let gamma = gamma_used(&cfg, &st.margin_state);
    Ok((
        cfg,
        Model {
            name: dir
                .file_name()
                .map_or("model".into(), |n| n.to_string_lossy().into_owned()),
            net,
            gamma,
        },
    ))
}

fn print_report(name: &str, r: &BoundReport, names: &[String]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\n== {name}: N = {}, K = {}, d = {} (bias included), Λ = {:.3}, δ = {}",
        r.n, r.k, r.d, r.lambda_2, r.delta
    );
    let _ = writeln!(
        s,
        "train error {:.4}  ramp risk R̂^γ {:.4}  CE surrogate R̂^γ,ce {:.4}  test error {:.4}",
        r.train_error, r.ramp_risk, r.ce_risk, r.test_error
    );
    let _ = writeln!(
        s,
        "γ-margin complexity (p=2): measured {:.4} ± {:.4}; Lemma 2 printed {:.4} (typo), corrected {:.4}, with class sizes {:.4}",
        r.complexity_2.mean, r.complexity_2.se, r.lemma2_printed, r.lemma2_corrected, r.lemma2_general
    );
    let _ = writeln!(
        s,
        "γ-margin complexity (p={}): measured {:.4} ± {:.4}; Prop. 2 printed {:.4}, corrected {:.4}",
        r.p, r.complexity_p.mean, r.complexity_p.se, r.prop2_printed, r.prop2_corrected
    );
    let _ = writeln!(
        s,
        "Prop. 1 total bound: printed {:.3}, corrected (constant 4, measured complexity) {:.3}, corrected with Cor. 1's γ* {:.3}; observed test error {:.4}",
        r.prop1_printed, r.prop1_corrected, r.prop1_corrected_gamma_opt, r.test_error
    );
    let _ = writeln!(
        s,
        "{:<22} {:>5} {:>6} {:>6} {:>7} {:>7} {:>8} {:>9} {:>9} {:>9} {:>8}",
        "class",
        "N_k",
        "γ_k",
        "γ*_k",
        "‖ŝ_k‖",
        "ramp",
        "R̂_k",
        "Eq15 pr.",
        "Eq15 der",
        "Eq15 tight",
        "test err"
    );
    for c in &r.classes {
        let _ = writeln!(
            s,
            "{:<22} {:>5} {:>6.3} {:>6.3} {:>7.3} {:>7.4} {:>8.4} {:>9.3} {:>9.2} {:>9.3} {:>8.4}",
            names.get(c.class).cloned().unwrap_or_default(),
            c.n,
            c.gamma,
            c.gamma_opt,
            c.spread,
            c.ramp_risk,
            c.complexity.mean,
            c.bound_printed,
            c.bound_corrected,
            c.bound_tight,
            c.test_error
        );
    }
    let _ = writeln!(s, "rank correlation of the per-class bound (tight) with the per-class test error: Spearman {:.3}, Kendall {:.3}", r.spearman, r.kendall);
    s
}

fn main() -> std::process::ExitCode {
    mr2::cli::exit_code(run())
}

fn run() -> Result<()> {
    let a = Args::parse();
    if !(a.delta > 0.0 && a.delta < 1.0) {
        bail!("--delta must lie in (0, 1), got {}", a.delta);
    }
    if a.p.is_nan() || a.p < 1.0 {
        bail!("--p must be >= 1, got {}", a.p);
    }
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let t0 = std::time::Instant::now();
    let mut runs: Vec<(Model, Splits)> = Vec::new();
    let mut halves: Option<mr2::data::Dataset> = None;
    if a.certificate && !a.checkpoint.is_empty() {
        bail!("--certificate trains its own features on half the data; it cannot use --checkpoint");
    }
    if !a.checkpoint.is_empty() {
        for dir in &a.checkpoint {
            let (cfg, m) = load_checkpoint(dir)?;
            runs.push((m, load_data(&cfg)?));
        }
    } else {
        for (label, kind) in [("ERM", LossKind::Ce), ("MR²", LossKind::Mr2)] {
            let cfg = quick_config(&a, kind);
            let mut splits = load_data(&cfg)?;
            if a.certificate {
                let (ha, hb) = transform::split(&splits.train, 0.5, cfg.seed)?;
                splits.train = ha;
                halves = Some(hb);
            }
            eprintln!(
                "training {label} ({:?}, {} epochs)…",
                cfg.data.name, cfg.epochs
            );
            let t = train_on(&cfg, splits, &RunOptions::default())?;
            let gamma = gamma_used(&cfg, &t.margin_state);
            runs.push((
                Model {
                    name: label.into(),
                    net: t.model,
                    gamma,
                },
                t.splits,
            ));
        }
    }
    let mut reports = Vec::new();
    let mut text = String::new();
    for (m, splits) in &runs {
        let names: Vec<String> = (0..splits.train.classes)
            .map(|k| splits.train.class_name(k))
            .collect();
        let r = match (&halves, a.certificate) {
            (Some(hb), true) => certificate_for(m, hb, &splits.test, &a)?,
            _ => report_for(m, splits, &a)?,
        };
        text += &print_report(&m.name, &r, &names);
        reports.push((m.name.clone(), r, names));
    }
    let mode = if a.certificate {
        "certificate (head and bound on the held-out half)"
    } else {
        "diagnostic (features learned on the same data)"
    };
    text += &format!(
        "\nMode: {mode}. The bounds are as printed in the paper and as corrected by `cargo run --release --bin verify` (Lemma 2 typo, Prop. 1 constant 4 instead of 4√(2K), Eq. 15 coefficient K√(2K) larger than printed).\n"
    );
    print!("{text}");
    std::fs::write(a.out.join("report.txt"), &text)?;
    // JSON and CSV.
    let js: Vec<serde_json::Value> = reports.iter().map(|(n, r, names)| serde_json::json!({"model": n, "class_names": names, "mode": mode, "report": r})).collect();
    std::fs::write(
        a.out.join("bounds.json"),
        serde_json::to_string_pretty(&js)?,
    )?;
    let mut csv = String::from("model,class,name,n,gamma,gamma_opt,mean_norm,spread,ramp_risk,ce_risk,complexity,complexity_se,confidence,bound_printed,bound_corrected,bound_tight,test_error\n");
    for (n, r, names) in &reports {
        for c in &r.classes {
            let _ = writeln!(
                csv,
                "{n},{},{},{},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6}",
                c.class, names[c.class], c.n, c.gamma, c.gamma_opt, c.mean_norm, c.spread, c.ramp_risk, c.ce_risk, c.complexity.mean, c.complexity.se, c.confidence, c.bound_printed, c.bound_corrected, c.bound_tight, c.test_error
            );
        }
    }
    std::fs::write(a.out.join("bounds.csv"), csv)?;
    // Plot 1: per-class bound vs observed error.
    let series: Vec<(String, Vec<plot::LabeledPoint>)> = reports
        .iter()
        .map(|(n, r, names)| {
            (
                format!("{n} (ρ_S = {:.2}, τ = {:.2})", r.spearman, r.kendall),
                r.classes
                    .iter()
                    .map(|c| (c.test_error, c.bound_tight, names[c.class].clone()))
                    .collect(),
            )
        })
        .collect();
    plot::scatter_labeled(
        &a.out.join("bound_vs_error"),
        "Per-class bound (Eq. 15, corrected, tight constant) vs observed test error",
        "observed per-class test error",
        "per-class bound (log scale)",
        &series,
        true,
        true,
    )?;
    // Plot 2: stacked terms per model.
    for (n, r, names) in &reports {
        let mut order: Vec<usize> = (0..r.k).collect();
        order.sort_by(|&x, &y| r.classes[x].test_error.total_cmp(&r.classes[y].test_error));
        let stacks: Vec<Vec<f64>> = order
            .iter()
            .map(|&c| {
                let cb = &r.classes[c];
                vec![
                    cb.ce_risk / std::f64::consts::LN_2,
                    cb.bound_tight - cb.ce_risk / std::f64::consts::LN_2 - cb.confidence,
                    cb.confidence,
                ]
            })
            .collect();
        let obs: Vec<f64> = order.iter().map(|&c| r.classes[c].test_error).collect();
        let nm: Vec<String> = order.iter().map(|&c| names[c].clone()).collect();
        let slug: String = n
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_lowercase();
        plot::stacked_terms(
            &a.out.join(format!("bound_terms_{slug}")),
            &format!(
                "{n}: per-class bound terms (Eq. 15, tight constant), classes by observed error"
            ),
            &nm,
            &[
                "empirical R̂^γ,ce/ln2",
                "complexity 4K/γ_k·R̂_k",
                "confidence",
            ],
            &stacks,
            &obs,
        )?;
    }
    // Plot 3: γ_k against spread and mean norm.
    let gs: Vec<(String, Vec<plot::LabeledPoint>)> = reports
        .iter()
        .map(|(n, r, names)| {
            (
                format!("{n}: γ_k used"),
                r.classes
                    .iter()
                    .map(|c| (c.spread, c.gamma, names[c.class].clone()))
                    .collect(),
            )
        })
        .collect();
    let mut gs_all = gs.clone();
    gs_all.extend(reports.iter().map(|(n, r, names)| {
        (
            format!("{n}: Cor. 1 γ*_k"),
            r.classes
                .iter()
                .map(|c| (c.spread, c.gamma_opt, names[c.class].clone()))
                .collect(),
        )
    }));
    plot::scatter_labeled(
        &a.out.join("gamma_vs_spread"),
        "γ_k against the per-class spread ‖ŝ_k‖",
        "‖ŝ_k‖ (training features)",
        "γ_k",
        &gs_all,
        false,
        false,
    )?;
    let gm: Vec<(String, Vec<plot::LabeledPoint>)> = reports
        .iter()
        .map(|(n, r, names)| {
            (
                format!("{n}: Cor. 1 γ*_k"),
                r.classes
                    .iter()
                    .map(|c| (c.mean_norm, c.gamma_opt, names[c.class].clone()))
                    .collect(),
            )
        })
        .collect();
    plot::scatter_labeled(
        &a.out.join("gamma_vs_mean"),
        "Cor. 1's γ_k against the per-class mean norm ‖μ̂_k‖",
        "‖μ̂_k‖ (training features)",
        "γ*_k",
        &gm,
        false,
        false,
    )?;
    eprintln!(
        "wrote {} (report.txt, bounds.json, bounds.csv, PNG + SVG plots) in {:.1} s",
        a.out.display(),
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}
