//! `bounds` — the paper's class-sensitive bounds (Prop. 1, Eq. 15, Lemma 2, Prop. 2) computed
//! from trained models, as printed and as corrected, next to the observed per-class test error.
//!
//! Expected outcome (default run, synthetic mixture, seconds): every bound is far above the
//! observed error (they are vacuous at this scale), but the per-class bound ranks the classes
//! like their test error (positive Spearman / Kendall). Features learned on the same data make
//! the bound a diagnostic; `--certificate` computes one that holds for the head, and
//! `--certify` adds per-class certificates (test-set and last-layer PAC-Bayes) that are not
//! vacuous.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Parser;
use mr2::bounds::certify_report;
use mr2::bounds::demo::QuickModels;
use mr2::bounds::pac_bayes::{Certificates, CertifySettings};
use mr2::bounds::{compute, report, BoundInputs, BoundSettings, Mode};
use mr2::data::DatasetName;

/// Compute the class-sensitive generalisation bounds of trained models and plot them against
/// their observed per-class test error. With no arguments: trains ERM and MR² on the embedded
/// synthetic mixture and writes results/bounds/.
#[derive(Parser, Debug)]
#[command(version, about, long_about = None, allow_negative_numbers = true)]
struct Args {
    /// Use runs written by `train` (directories with config.json + checkpoints/); repeat the
    /// flag to compare several (e.g. ERM and MR²) in one report and plot.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["dataset", "certificate"])]
    checkpoint: Vec<PathBuf>,
    /// Bring your own model: features, labels and the linear head of a model trained elsewhere,
    /// as a directory of .npy files, one .npz, or one .safetensors file (names:
    /// train_features, train_labels, head_weight, [head_bias, gamma], and test_features +
    /// test_labels or test_accuracy; see docs/bounds.md "Bring your own model"). Repeatable.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["dataset", "certificate", "checkpoint"])]
    features: Vec<PathBuf>,
    /// Train quick ERM and MR² models on this dataset (default: synthetic).
    #[arg(long, value_enum)]
    dataset: Option<DatasetName>,
    /// Epochs for the quick models (not with --checkpoint or --features, which bring trained
    /// models).
    #[arg(long, conflicts_with_all = ["checkpoint", "features"])]
    epochs: Option<usize>,
    /// Keep this fraction of a real training set for the quick models (speed; default 0.2; not
    /// with --checkpoint or --features).
    #[arg(long, conflicts_with_all = ["checkpoint", "features"])]
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
    /// re-fitted (norm-constrained, γ fixed from the first half) and the bound computed on the
    /// other half, so the bound holds for that head.
    #[arg(long)]
    certificate: bool,
    /// Certificates: as --certificate (features on half the training set, the bound on the
    /// other half), plus per-class upper bounds on the true error that hold with probability
    /// ≥ 1 − δ: the test-set bound (binomial tail inversion) of each model's head and a PAC-Bayes
    /// bound for a Gaussian posterior on the head's weights (see docs/bounds.md "Certificates"); written
    /// to OUT/certificates.{txt,json,csv} and OUT/certificates_<model>.png next to the Eq. 15
    /// report.
    ///
    /// With --checkpoint or --features (models whose features saw their whole training set,
    /// so no sample is left for a PAC-Bayes bound): the test-set certificates only.
    #[arg(long)]
    certify: bool,
    /// --certify on the models `bounds` trains: several seeds (e.g. 0,1,2,3,4), each in
    /// OUT/seed-S (a seed whose certificates.json exists is reused), and
    /// OUT/certificates-seeds.md with the paired MR² − ERM differences and their 95% intervals.
    #[arg(long, value_delimiter = ',', requires = "certify", conflicts_with_all = ["checkpoint", "features", "seed"])]
    seeds: Vec<u64>,
    /// --certify: weight draws for the Gibbs classifier's error (default 1000; the PAC-Bayes
    /// certificates of the models `bounds` trains, not with --checkpoint or --features).
    #[arg(long, requires = "certify", conflicts_with_all = ["checkpoint", "features"])]
    draws: Option<usize>,
    /// Output directory.
    #[arg(long, default_value = "results/bounds")]
    out: PathBuf,
    /// Seed (quick models and Monte Carlo).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Lift the memory check on feature files and models (see docs/reliability.md).
    #[arg(long)]
    allow_large: bool,
}

/// Weight draws of the Gibbs classifier when `--draws` is not given.
const DEFAULT_DRAWS: usize = 1000;

fn main() -> std::process::ExitCode {
    mr2::cli::exit_code(run())
}

fn run() -> Result<()> {
    let a = Args::parse();
    mr2::limits::allow_large(a.allow_large);
    let settings = BoundSettings {
        delta: a.delta,
        p: a.p,
        mc_samples: a.mc,
        seed: a.seed,
    };
    settings.validate()?;
    let t0 = std::time::Instant::now();
    if a.certify && (!a.checkpoint.is_empty() || !a.features.is_empty()) {
        let mut reports = Vec::new();
        for i in &given_models(&a)? {
            let c = mr2::bounds::pac_bayes::test_set_certificates(i, a.delta)?;
            reports.push((compute(i, &settings)?, c));
        }
        let eq15: Vec<_> = reports.iter().map(|(b, _)| b.clone()).collect();
        report::write(&a.out, &eq15, Mode::Diagnostic)?;
        print!("{}", certify_report::write(&a.out, &reports)?);
        eprintln!(
            "wrote {} (test-set certificates and the Eq. 15 report) in {:.1} s",
            a.out.display(),
            t0.elapsed().as_secs_f64()
        );
        return Ok(());
    }
    if a.certify && !a.seeds.is_empty() {
        mr2::bounds::seeds::check_seeds(&a.seeds)?;
        let want = mr2::bounds::seeds::SeedSettings {
            dataset: format!("{:?}", a.dataset.unwrap_or(DatasetName::Synthetic)),
            epochs: a.epochs,
            subset: a.subset,
            delta: a.delta,
            mc_samples: a.mc,
            p: a.p,
            draws: a.draws.unwrap_or(DEFAULT_DRAWS),
        };
        let mut runs = Vec::new();
        for &seed in &a.seeds {
            let dir = a.out.join(format!("seed-{seed}"));
            let certs = match mr2::bounds::seeds::reusable(&dir, &want)? {
                Some(c) => {
                    eprintln!("seed {seed}: reusing {} (same settings)", dir.display());
                    c
                }
                None => {
                    eprintln!("seed {seed}:");
                    let c = certify_quick(&a, seed, &settings, &dir)?;
                    mr2::bounds::seeds::record(&dir, &want)?;
                    c
                }
            };
            runs.push((seed, certs));
        }
        let table = format!(
            "Settings: {want:?}.\n\n{}",
            certify_report::across_seeds(&runs)?
        );
        let p = a.out.join("certificates-seeds.md");
        std::fs::write(&p, &table)?;
        print!("{table}");
        eprintln!(
            "wrote {} in {:.1} s",
            p.display(),
            t0.elapsed().as_secs_f64()
        );
        return Ok(());
    }
    if a.certify {
        certify_quick(&a, a.seed, &settings, &a.out)?;
        eprintln!(
            "wrote {} (certificates.txt/json/csv, certificates_<model>.png, and the Eq. 15 report) in {:.1} s",
            a.out.display(),
            t0.elapsed().as_secs_f64()
        );
        return Ok(());
    }
    let inputs: Vec<BoundInputs> = if a.features.is_empty() && a.checkpoint.is_empty() {
        QuickModels {
            dataset: a.dataset.unwrap_or(DatasetName::Synthetic),
            epochs: a.epochs,
            subset: a.subset,
            seed: a.seed,
            certificate: a.certificate,
        }
        .train()?
    } else {
        given_models(&a)?
    };
    if inputs.is_empty() {
        bail!("no model to compute bounds for");
    }
    let reports = inputs
        .iter()
        .map(|i| compute(i, &settings))
        .collect::<mr2::Result<Vec<_>>>()?;
    let mode = if a.certificate {
        Mode::Certificate
    } else {
        Mode::Diagnostic
    };
    print!("{}", report::write(&a.out, &reports, mode)?);
    eprintln!(
        "wrote {} (report.txt, bounds.json, bounds.csv, PNG + SVG plots) in {:.1} s",
        a.out.display(),
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Train the quick ERM and MR² models of `seed` (features on half the training set), certify
/// them, write the Eq. 15 report and the certificates into `out`; returns the certificates.
fn certify_quick(
    a: &Args,
    seed: u64,
    settings: &BoundSettings,
    out: &std::path::Path,
) -> Result<Vec<Certificates>> {
    let cs = CertifySettings {
        delta: a.delta,
        draws: a.draws.unwrap_or(DEFAULT_DRAWS),
        seed,
        ..CertifySettings::default()
    };
    let pairs = QuickModels {
        dataset: a.dataset.unwrap_or(DatasetName::Synthetic),
        epochs: a.epochs,
        subset: a.subset,
        seed,
        certificate: true,
    }
    .train_certified(&cs)?;
    let mut reports = Vec::new();
    for (inputs, c) in pairs {
        reports.push((compute(&inputs, &BoundSettings { seed, ..*settings })?, c));
    }
    let eq15: Vec<_> = reports.iter().map(|(b, _)| b.clone()).collect();
    report::write(out, &eq15, Mode::Certificate)?;
    print!("{}", certify_report::write(out, &reports)?);
    Ok(reports.into_iter().map(|(_, c)| c).collect())
}

/// The models given with `--features` or `--checkpoint` (the two exclude each other).
fn given_models(a: &Args) -> mr2::Result<Vec<BoundInputs>> {
    for list in [&a.checkpoint, &a.features] {
        for (i, p) in list.iter().enumerate() {
            if list[..i].contains(p) {
                return Err(mr2::error::invalid(
                    "--checkpoint/--features",
                    p.display(),
                    "given twice: one model would count as two samples",
                ));
            }
        }
    }
    if a.features.is_empty() {
        a.checkpoint
            .iter()
            .map(|d| BoundInputs::from_run(d))
            .collect()
    } else {
        a.features
            .iter()
            .map(|p| mr2::bounds::files::read(p))
            .collect()
    }
}
