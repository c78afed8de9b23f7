//! The experiment runner: every experiment end to end with `--preset quick`; skipping finished
//! runs, resuming interrupted ones, shards that partition the grid, `--plan` commands whose
//! configurations reproduce the planned runs, and the aggregation's arithmetic.

use std::path::PathBuf;

use mr2::experiments::runner::{parse_shard, shard_of, CommandLine};
use mr2::experiments::{
    aggregate, execute, plan_commands, status, Experiment, Preset, RunState, RunnerOptions,
};
use mr2::tolerance::IDENTITY;
use mr2::train::TrainConfig;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mr2-exp-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// The values of the column named `name` of a CSV text without quoted fields.
fn csv_column(csv: &str, name: &str) -> Vec<f64> {
    let col = csv
        .lines()
        .next()
        .unwrap()
        .split(',')
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    csv.lines()
        .skip(1)
        .map(|l| l.split(',').nth(col).unwrap().parse().unwrap())
        .collect()
}

fn opts(root: &std::path::Path) -> RunnerOptions {
    RunnerOptions {
        root: root.to_path_buf(),
        jobs: 2,
        shard: None,
        quiet: true,
        rerun_mismatched: false,
        device: Default::default(),
        reuse_from: vec![],
    }
}

/// An invocation of `experiment` under the quick preset with every other setting at its
/// default (CPU, one job, quiet), writing to `out`; tests change the fields they need.
fn invocation(
    experiment: Experiment,
    out: &std::path::Path,
    mode: mr2::experiments::session::Mode,
) -> mr2::experiments::session::Invocation {
    mr2::experiments::session::Invocation {
        experiment,
        preset: Preset::Quick,
        variant: mr2::experiments::Variant::Preset,
        dataset: None,
        data_dir: None,
        seeds: None,
        out: Some(out.to_path_buf()),
        source: None,
        shard: None,
        mode,
        train_bin: "train".into(),
        jobs: 1,
        quiet: true,
        rerun_mismatched: false,
        reuse_from: vec![],
        device: mr2::train::DeviceChoice::Cpu,
        bounds: mr2::bounds::BoundSettings::default(),
        jpeg_copy: "data/cifar10-jpeg".into(),
        params: vec![],
        ldam_subset: false,
        epochs: None,
        allow_large: false,
    }
}

#[test]
fn a_shortened_grid_keeps_a_valid_schedule_and_says_it_is_a_slice() {
    let full = Experiment::PerClass
        .plan(Preset::Cifar, Some(&[0]))
        .unwrap();
    assert!(full.runs.iter().all(|r| r.config.optim.warmup_epochs == 5));
    let short = full.clone().with_epochs(2).unwrap();
    for r in &short.runs {
        assert_eq!(r.config.epochs, 2, "{}", r.id);
        assert_eq!(r.config.optim.warmup_epochs, 1, "{}", r.id);
        r.config.validate().unwrap();
    }
    assert!(short
        .settings
        .ends_with("shortened to 2 epochs (a timing or smoke slice, not a result)"));
    let lt = Experiment::LongTail
        .plan(Preset::Cifar, Some(&[0]))
        .unwrap()
        .with_epochs(85)
        .unwrap();
    // The 100-epoch LDAM schedule decays at 80 and 90: the decay at 90 is past the end.
    assert!(lt.runs.iter().all(|r| r.config.optim.milestones == [80]));
    let e = full.with_epochs(0).unwrap_err().to_string();
    assert!(e.contains("--epochs"), "{e}");
    // Its own directory: a slice never lands in the full grid's.
    let mut inv = invocation(
        Experiment::PerClass,
        std::path::Path::new("x"),
        mr2::experiments::session::Mode::Commands,
    );
    inv.out = None;
    inv.preset = Preset::Cifar;
    inv.epochs = Some(2);
    let plan = inv.plan().unwrap();
    let (root, _) = inv.directories(&plan).unwrap();
    assert!(
        root.to_string_lossy().ends_with("-2ep"),
        "{}",
        root.display()
    );
}

#[test]
fn every_experiment_runs_end_to_end_with_the_quick_preset() {
    for e in Experiment::ALL {
        let plan = e.plan(Preset::Quick, None).unwrap();
        let root = tmp(e.name());
        let done = execute(&plan, &opts(&root)).unwrap();
        assert!(done.failed.is_empty(), "{}: {:?}", e.name(), done.failed);
        assert_eq!(done.trained.len(), plan.runs.len());
        let report = aggregate(&plan, &root).unwrap();
        assert_eq!(report.rows.len(), plan.rows().len(), "{}", e.name());
        for f in ["table.md", "results.csv", "results.json", "plan.json"] {
            assert!(root.join(f).is_file(), "{}: {f}", e.name());
        }
        // Every row finished, its figures are finite accuracies.
        for r in &report.rows {
            assert_eq!(r.finished, r.planned, "{} {}", e.name(), r.row);
            let overall = r.stats[0].1;
            assert!((0.0..=100.0).contains(&overall), "{} {}", e.name(), r.row);
        }
        if e == Experiment::Spread {
            assert!(root.join("spread.png").is_file());
            assert_eq!(report.spread.len(), 2);
            for c in &report.spread {
                let epochs: Vec<f64> = c.thirds[2].iter().map(|p| p.0).collect();
                assert_eq!(epochs, [1.0, 2.0, 3.0, 4.0], "{}", c.row);
            }
            assert!(report.markdown.contains("Mean ‖ŝ_y‖"));
        }
        if e == Experiment::RegularizationAudit {
            // One selection per method (weight decay only: no crop on the synthetic mixture),
            // each the strength with the best mean validation accuracy, ties to the weaker.
            assert_eq!(report.selections.len(), 2);
            for s in &report.selections {
                assert_eq!(s.candidates.len(), 4, "{s:?}");
                let best = s.candidates.iter().map(|c| c.2).fold(f64::MIN, f64::max);
                let first_best = s.candidates.iter().find(|c| c.2 == best).unwrap();
                assert_eq!(s.picked, first_best.0, "{s:?}");
                assert!(s.none_val.is_finite() && s.none_val > 0.0);
                // The paired change of the picked row against none, from the runs.
                let acc = |row: &str| {
                    let mut v: Vec<(u64, f64)> = report
                        .runs
                        .iter()
                        .filter(|r| r.row == row)
                        .map(|r| (r.seed, r.overall))
                        .collect();
                    v.sort_by_key(|x| x.0);
                    v
                };
                let d: Vec<f64> = acc(&s.picked)
                    .iter()
                    .zip(acc(&s.none))
                    .map(|(a, b)| a.1 - b.1)
                    .collect();
                // (Debug form: one seed gives NaN interval ends, and NaN ≠ NaN.)
                assert_eq!(
                    format!("{:?}", s.overall),
                    format!("{:?}", mr2::stats::paired(&d))
                );
            }
            assert!(report.markdown.contains("Picked by validation"));
            assert!(!report.markdown.contains("crop padding"));
        }
        if e == Experiment::Margins {
            assert!(report.markdown.contains("Table 4 — output-level margin"));
            assert!(report
                .markdown
                .contains("| MR2 | 0.373 | 0.435 | 0.396 | 0.289 | 81.8 |"));
            assert!(report
                .runs
                .iter()
                .all(|r| r.output_margin_thirds.iter().all(|v| v.is_finite())));
        }
        if e == Experiment::Sweep {
            for axis in ["p", "c-bar", "lambda-released", "lambda-printed"] {
                assert!(root.join(format!("sweep-{axis}.png")).is_file(), "{axis}");
            }
        }
        let _ = std::fs::remove_dir_all(&root);
    }
}

#[test]
fn grids_follow_the_paper_tables() {
    let ab = Experiment::Ablation.plan(Preset::Cpu, None).unwrap();
    assert_eq!(ab.runs.len(), 6 * 3);
    let names: Vec<&str> = ab
        .runs
        .iter()
        .step_by(3)
        .map(|r| r.config.loss.name())
        .collect();
    assert_eq!(names, ["ce", "gamma-ce", "gamma-ce", "rep", "rep", "mr2"]);
    let params = |i: usize| ab.runs[3 * i].config.loss.params();
    let has = |i: usize, k: &str, v: &str| params(i).iter().any(|(pk, pv)| pk == k && pv == v);
    assert!(has(1, "uniform_gamma", "true") && has(2, "uniform_gamma", "false"));
    assert!(has(3, "s_bar_zero", "true") && has(4, "s_bar_zero", "false"));
    // The CPU preset uses the released code's ℓ_s̄ for every MR²-family row, and says so.
    for row in [3, 4, 5] {
        assert!(has(row, "rep_scaling", "\"released\""), "{:?}", params(row));
    }
    assert!(
        ab.settings
            .contains("MR²-family parameters rep_scaling = \"released\""),
        "{}",
        ab.settings
    );
    // Zero warm-up and evaluation every epoch are said plainly (cpu preset: cosine, no warm-up).
    assert!(
        ab.settings.contains("Cosine schedule, augment")
            && ab.settings.contains("test evaluated every epoch,"),
        "{}",
        ab.settings
    );
    // Every preset and variant keeps each row's defining switch: the released configuration
    // sets s̄ = 0 on CIFAR, which must not make row (e) a copy of row (d).
    for preset in [
        Preset::Quick,
        Preset::Cpu,
        Preset::Cifar,
        Preset::PaperCifar,
        Preset::CifarFull,
    ] {
        for v in [
            mr2::experiments::Variant::Preset,
            mr2::experiments::Variant::Printed,
            mr2::experiments::Variant::Released,
        ] {
            let ab = Experiment::Ablation
                .plan_variant(preset, Some(&[0]), v)
                .unwrap();
            let form = |i: usize| ab.runs[i].config.loss.mr2_form().unwrap().1;
            let at = format!("{} {}", preset.name(), v.name());
            assert!(form(1).uniform_gamma && !form(2).uniform_gamma, "{at}");
            assert!(form(3).s_bar_zero && !form(4).s_bar_zero, "{at}");
            assert_ne!(ab.runs[3].config, ab.runs[4].config, "{at}");
            // The released code restarts its EMA every epoch whatever the loss: every
            // MR²-family row (b)–(f) does too under the released variant, and only there.
            for i in 1..6 {
                let released = v == mr2::experiments::Variant::Released;
                assert_eq!(form(i).ema_reset, released, "{at}: row {i}");
            }
        }
    }
    let sweep = Experiment::Sweep.plan(Preset::Cpu, Some(&[0])).unwrap();
    let lambdas: Vec<f64> = sweep
        .runs
        .iter()
        .filter(|r| r.axis.as_ref().is_some_and(|a| a.0 == "lambda (printed)"))
        .map(|r| r.axis.as_ref().unwrap().1)
        .collect();
    assert_eq!(lambdas, [0.01, 0.1, 0.3, 0.5, 0.7, 0.9]);
    let paper_scaled = sweep
        .runs
        .iter()
        .find(|r| r.row == "lambda=0.5 printed")
        .unwrap();
    assert!(paper_scaled
        .config
        .loss
        .params()
        .iter()
        .any(|(k, v)| k == "rep_scaling" && v == "\"printed\""));
    let lt = Experiment::Imbalanced
        .plan(Preset::Cpu, Some(&[0]))
        .unwrap();
    assert!(lt.runs.iter().all(|r| r.config.data.imbalance.is_some()));
    let pc = Experiment::PerClass.plan(Preset::Cpu, Some(&[0])).unwrap();
    assert!(pc.runs.iter().all(|r| r.config.data.subset == Some(0.1)));
    let bl = Experiment::Baselines.plan(Preset::Cpu, Some(&[0])).unwrap();
    assert!(bl.runs.len() >= 20);
    assert!(bl
        .runs
        .iter()
        .any(|r| r.row == "SAM" && IDENTITY.close(r.config.optim.sam_rho, 0.05)));
    let ids: std::collections::HashSet<&str> = bl.runs.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), bl.runs.len(), "run ids are unique");
    // Table 14's rows from its per-class accuracies, thirds cut as ours (3 / 4 / 3 classes):
    // ERM overall 779.1 / 10; hard = cat, bird, dog.
    let t14 = Experiment::PerClass
        .plan(Preset::Cpu, Some(&[0]))
        .unwrap()
        .paper
        .unwrap();
    let (erm, mr) = (t14.rows[0].1, t14.rows[1].1);
    assert!(IDENTITY.close(erm[0], 77.91) && IDENTITY.close(mr[0], 81.93));
    assert!(IDENTITY.close(erm[3], (62.5 + 70.1 + 70.5) / 3.0));
    assert!(IDENTITY.close(mr[3], (71.6 + 78.3 + 77.3) / 3.0));
    assert!(IDENTITY.close(erm[1], (91.4 + 87.1 + 85.5) / 3.0));
    // The paper's figures are attached to rows that exist (or that start rows: `MR2` for
    // `MR2 printed`).
    for e in Experiment::ALL {
        let plan = e.plan(Preset::Cpu, Some(&[0])).unwrap();
        if let Some(p) = &plan.paper {
            for (row, v) in &p.rows {
                assert!(
                    plan.rows().iter().any(|r| r.starts_with(row.as_str())),
                    "{}: {row}",
                    e.name()
                );
                // A percentage, or NaN where the source publishes none (long-tail's thirds).
                assert!((0.0..=100.0).contains(&v[0]), "{}: {row}", e.name());
                assert!(v.iter().all(|x| x.is_nan() || (0.0..=100.0).contains(x)));
            }
            assert_eq!(p.rows[0].0, plan.reference_row);
        }
    }
    // Spread is about the theory: the synthetic mixture under every preset.
    let sp = Experiment::Spread.plan(Preset::Cpu, None).unwrap();
    assert!(sp
        .runs
        .iter()
        .all(|r| r.config.data.name == mr2::data::DatasetName::Synthetic));
    let audit = Experiment::RegularizationAudit
        .plan(Preset::Cpu, Some(&[0]))
        .unwrap();
    let row = |name: &str| &audit.runs.iter().find(|r| r.row == name).unwrap().config;
    let none = row("ERM, none");
    assert_eq!(none.optim.weight_decay, 0.0);
    assert!(!none.data.augment && none.data.val_fraction == Some(0.1));
    assert_eq!(row("MR2, wd=0.005").optim.weight_decay, 0.005);
    assert!(!row("MR2, wd=0.005").data.augment);
    let pad2 = row("MR2, crop pad 2");
    assert!(pad2.data.augment && pad2.data.augment_pad == 2 && pad2.optim.weight_decay == 0.0);
    assert!(audit
        .runs
        .iter()
        .all(|r| r.config.data.val_fraction == Some(0.1)));
    // (1 none + 4 weight decays + 3 paddings) × 2 methods.
    assert_eq!(audit.runs.len(), 16);
    assert_eq!(audit.contrasts.len(), 1);
    // A crop padding outside 1..=16 is refused, naming the setting.
    let mut c = row("ERM, crop pad 4").clone();
    c.data.augment_pad = 0;
    assert!(c
        .validate()
        .unwrap_err()
        .to_string()
        .contains("augment_pad"));
    // Augmentation on data without an image layout is refused, naming the setting.
    let mut c = TrainConfig::defaults_for(mr2::data::DatasetName::Synthetic);
    c.data.augment = true;
    let e = c.validate().unwrap_err().to_string();
    assert!(e.contains("augment") && e.contains("image"), "{e}");
    for e in Experiment::ALL {
        let plan = e.plan(Preset::Cpu, Some(&[0])).unwrap();
        for (_, a, b) in &plan.contrasts {
            assert!(
                plan.rows().contains(a) && plan.rows().contains(b),
                "{}: {a} / {b}",
                e.name()
            );
        }
    }
    let paper = Experiment::Ablation.plan(Preset::CifarFull, None).unwrap();
    assert_eq!(paper.runs[0].config.epochs, 200);
    cifar_preset_is_table_14s_setting();
    assert!(Experiment::Ablation.plan(Preset::Quick, Some(&[])).is_err());
    assert!(Experiment::Ablation
        .plan(Preset::Quick, Some(&[1, 1]))
        .is_err());
}

#[test]
fn finished_runs_are_skipped_and_interrupted_ones_resume() {
    let plan = Experiment::PerClass
        .plan(Preset::Quick, Some(&[0, 1]))
        .unwrap();
    let root = tmp("resume");
    // Slice 0 of 2 first: half the grid.
    let mut o = opts(&root);
    o.shard = Some((0, 2));
    let first = execute(&plan, &o).unwrap();
    assert_eq!(first.trained.len(), 2);
    let st = status(&plan, &root);
    assert_eq!(st.iter().filter(|s| **s == RunState::Done).count(), 2);
    // The report aggregates what has finished.
    let partial = aggregate(&plan, &root).unwrap();
    assert_eq!(partial.runs.len(), 2);
    // Interrupt a run of slice 1 after its first epoch.
    let victim = shard_of(&plan, Some((1, 2)))[0];
    let dir = mr2::experiments::Plan::run_dir(&root, victim);
    mr2::train::train(
        &victim.config,
        mr2::train::RunOptions {
            out: Some(dir.clone()),
            stop_after: Some(1),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(status(&plan, &root)[1], RunState::Started);
    o.shard = None;
    let second = execute(&plan, &o).unwrap();
    assert_eq!(second.skipped.len(), 2);
    assert_eq!(second.trained.len(), 2);
    assert!(status(&plan, &root).iter().all(|s| *s == RunState::Done));
    // The resumed run ends where an uninterrupted one does.
    let fresh = tmp("resume-fresh");
    let uninterrupted = mr2::train::train(
        &victim.config,
        mr2::train::RunOptions {
            out: Some(fresh.clone()),
            ..Default::default()
        },
    )
    .unwrap();
    // Every column of metrics.csv but the last four (the epoch's seconds and their split).
    let rows = |p: PathBuf| -> Vec<String> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .map(|l| {
                let cols: Vec<&str> = l.split(',').collect();
                assert_eq!(
                    cols[cols.len() - 4],
                    if cols[0] == "epoch" {
                        "seconds"
                    } else {
                        cols[cols.len() - 4]
                    }
                );
                cols[..cols.len() - 4].join(",")
            })
            .collect()
    };
    let resumed = rows(dir.join("metrics.csv"));
    assert_eq!(resumed.len(), uninterrupted.history.len() + 1);
    assert_eq!(resumed, rows(fresh.join("metrics.csv")));
}

#[test]
fn shards_partition_the_grid() {
    let plan = Experiment::Sweep
        .plan(Preset::Quick, Some(&[0, 1]))
        .unwrap();
    for n in 1..5 {
        let mut seen: Vec<&str> = (0..n)
            .flat_map(|i| shard_of(&plan, Some((i, n))))
            .map(|r| r.id.as_str())
            .collect();
        seen.sort_unstable();
        let mut all: Vec<&str> = plan.runs.iter().map(|r| r.id.as_str()).collect();
        all.sort_unstable();
        assert_eq!(seen, all, "n = {n}");
    }
    assert_eq!(parse_shard("1/4").unwrap(), (1, 4));
    for bad in ["4/4", "1", "a/2", "0/0", "-1/3"] {
        let e = parse_shard(bad).unwrap_err().to_string();
        assert!(e.contains("--shard") && e.contains(bad), "{e}");
    }
    let mut o = opts(&tmp("jobs0"));
    o.jobs = 0;
    assert!(execute(&plan, &o)
        .unwrap_err()
        .to_string()
        .contains("--jobs"));
}

/// `--plan` with `--device cuda`, `--allow-large`, a `train` path with a space and a working
/// directory: every command carries them (it used to print neither the device nor
/// `--allow-large`, so a job array of its commands trained on the CPU without a word).
#[test]
fn plan_commands_carry_the_device_and_every_run_affecting_flag() {
    let plan = Experiment::Ablation.plan(Preset::Quick, None).unwrap();
    let root = tmp("plan-device");
    let line = CommandLine {
        train_bin: "/opt/my tools/train".into(),
        device: "cuda:1".parse().unwrap(),
        allow_large: true,
        cwd: Some("/work/a b".into()),
    };
    let cmds = plan_commands(&plan, &root, None, &line).unwrap();
    assert_eq!(cmds.len(), plan.runs.len());
    for c in &cmds {
        assert!(
            c.starts_with("cd '/work/a b' && '/opt/my tools/train' --config "),
            "{c}"
        );
        assert!(
            c.ends_with(" --resume --quiet --device cuda:1 --allow-large"),
            "{c}"
        );
    }
    // The CPU is the default and is not written; nothing else is added.
    let cmds = plan_commands(&plan, &root, None, &CommandLine::plain("train")).unwrap();
    assert!(cmds
        .iter()
        .all(|c| c.ends_with("--resume --quiet") && c.starts_with("train ")));
    // Through an invocation: the device flag reaches the commands.
    let inv = mr2::experiments::session::Invocation {
        device: "cuda".parse().unwrap(),
        allow_large: true,
        ..invocation(
            Experiment::Ablation,
            &tmp("plan-device-inv"),
            mr2::experiments::session::Mode::Commands,
        )
    };
    let mr2::experiments::session::Outcome::Commands(c) =
        mr2::experiments::session::run(&inv, &|_| ()).unwrap()
    else {
        panic!("--plan gives commands")
    };
    assert!(
        c.iter()
            .all(|l| l.contains("--device cuda:0 --allow-large") && l.starts_with("cd ")),
        "{c:?}"
    );
}

#[test]
fn plan_commands_carry_the_planned_configurations() {
    for e in Experiment::ALL {
        let plan = e.plan(Preset::Cpu, None).unwrap();
        let root = tmp(&format!("plan-{}", e.name()));
        let cmds = plan_commands(&plan, &root, None, &CommandLine::plain("train")).unwrap();
        assert_eq!(cmds.len(), plan.runs.len());
        for (c, r) in cmds.iter().zip(&plan.runs) {
            let words: Vec<&str> = c.split(' ').collect();
            assert_eq!(words[0], "train");
            let cfg = words[words.iter().position(|w| *w == "--config").unwrap() + 1];
            let out = words[words.iter().position(|w| *w == "--out").unwrap() + 1];
            assert!(c.contains("--resume"));
            let back = TrainConfig::from_file(std::path::Path::new(cfg), None).unwrap();
            assert_eq!(back, r.config, "{}", r.id);
            assert!(out.ends_with(&r.id));
        }
    }
}

#[test]
fn the_aggregation_groups_by_the_reference_model_and_pairs_seeds() {
    // Two seeds of the ERM-vs-MR² grid of `spread` (full quick training sets, so the two
    // models differ), trained; then the figures are recomputed by hand from the summaries.
    let mut plan = Experiment::Spread
        .plan(Preset::Quick, Some(&[0, 1]))
        .unwrap();
    // The paper's headline rows, as the margins plan carries them, to check the claim columns.
    plan.paper = Experiment::Margins.plan(Preset::Quick, None).unwrap().paper;
    let root = tmp("agg");
    execute(&plan, &opts(&root)).unwrap();
    let report = aggregate(&plan, &root).unwrap();
    let read = |id: &str| {
        mr2::eval::Summary::read(&root.join("runs").join(id).join("summary.json")).unwrap()
    };
    let acc = |s: &mr2::eval::Summary| s.per_class.iter().map(|c| c.accuracy).collect::<Vec<f64>>();
    let mut hard_deltas = vec![];
    for seed in [0, 1] {
        let erm = read(&format!("erm-s{seed}"));
        let mr2 = read(&format!("mr2-s{seed}"));
        let g = mr2::eval::Groups::from_accuracy(&acc(&erm));
        let hard = |s: &mr2::eval::Summary| {
            let a = acc(s);
            100.0 * g.hard.iter().map(|&i| a[i]).sum::<f64>() / g.hard.len() as f64
        };
        let run = report
            .runs
            .iter()
            .find(|r| r.id == format!("mr2-s{seed}"))
            .unwrap();
        assert!(run.reference_groups);
        assert!(IDENTITY.close(run.hard, hard(&mr2)));
        // Table 4's output margins by the same (ERM's) thirds, from the per-class margins,
        // whose mean is the summary's average (balanced test set).
        let margins: Vec<f64> = mr2.per_class.iter().map(|c| c.output_margin).collect();
        let third = |g: &[usize]| g.iter().map(|&i| margins[i]).sum::<f64>() / g.len() as f64;
        assert!(IDENTITY.close(run.output_margin_thirds[0], third(&g.easy)));
        assert!(IDENTITY.close(run.output_margin_thirds[2], third(&g.hard)));
        let mean = margins.iter().sum::<f64>() / margins.len() as f64;
        assert!(
            IDENTITY.close(mean, mr2.output_margin.avg),
            "{mean} {}",
            mr2.output_margin.avg
        );
        assert!(IDENTITY.close(run.overall, 100.0 * mr2.overall));
        hard_deltas.push(hard(&mr2) - hard(&erm));
    }
    // The differences are not zero, so their sign and pairing are checked.
    assert!(
        hard_deltas.iter().all(|d| !IDENTITY.close(*d, 0.0)),
        "{hard_deltas:?}"
    );
    let row = report.rows.iter().find(|r| r.row == "MR2").unwrap();
    let m = (hard_deltas[0] + hard_deltas[1]) / 2.0;
    let sd = (hard_deltas[0] - hard_deltas[1]).abs() / 2f64.sqrt();
    assert!(IDENTITY.close(row.delta_hard.mean, m) && IDENTITY.close(row.delta_hard.sd, sd));
    assert_eq!(row.delta_hard.n, 2);
    // Its 95% interval: m ± t(0.975, 1)·sd/√2, t(0.975, 1) = 12.7062.
    let half = mr2::stats::t_quantile(0.975, 1) * sd / 2f64.sqrt();
    assert!(
        IDENTITY.close(row.delta_hard.lo, m - half),
        "{:?}",
        row.delta_hard
    );
    // The reference row's own difference is zero.
    let erm = report.rows.iter().find(|r| r.row == "ERM").unwrap();
    assert_eq!(erm.delta_hard.mean, 0.0);
    // The contrast carries the same interval, per class too.
    let c = &report.contrasts[0];
    assert_eq!((c.from.as_str(), c.to.as_str()), ("ERM", "MR2"));
    assert_eq!(c.hard, row.delta_hard);
    assert_eq!(c.per_class.len(), report.classes.len());
    // The paper's claim for the same rows (its headline Table 1(a): +3.0 overall, +5.2 hard),
    // scaled to this ERM's headroom: Δ · (100 − ours) / (100 − 70.9) overall.
    let claim = c.paper.as_ref().expect("the plan carries Table 1(a)");
    let erm_overall = report
        .runs
        .iter()
        .filter(|r| r.row == "ERM")
        .map(|r| r.overall)
        .sum::<f64>()
        / 2.0;
    assert!(IDENTITY.close(claim.delta[0], 3.0) && IDENTITY.close(claim.delta[1], 5.2));
    assert!(
        IDENTITY.close(
            claim.scaled[0],
            3.0 * (100.0 - erm_overall) / (100.0 - 70.9)
        ),
        "{claim:?}"
    );
    assert_eq!(claim.verdict[1], c.hard.verdict_words(claim.scaled[1]));
    assert!(report
        .markdown
        .contains("| contrast | n | Δ overall | p | detectable |"));
    // The per-class table is sorted by the reference row's accuracy and shows Δ.
    assert!(report
        .markdown
        .contains("| class | ERM % | Δ MR2 − ERM [95%] |"));
    let csv = std::fs::read_to_string(root.join("results.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + plan.runs.len());
    // The training error of every run: its summary's, in %, in the CSV and as the table's last
    // column.
    for (v, run) in csv_column(&csv, "train_error")
        .into_iter()
        .zip(&report.runs)
    {
        let s = mr2::eval::Summary::read(&root.join("runs").join(&run.id).join("summary.json"))
            .unwrap();
        assert!(IDENTITY.close(v, 100.0 * s.train_error) && (0.0..=100.0).contains(&v));
    }
    assert!(report
        .markdown
        .contains("| classifier margin ° | train error % |"));
    // Each run's time is the sum of its epochs' seconds (the `seconds` column of metrics.csv),
    // and the table states the total.
    let mut total = 0.0;
    let mut each = vec![];
    for run in &report.runs {
        let m =
            std::fs::read_to_string(root.join("runs").join(&run.id).join("metrics.csv")).unwrap();
        let secs: f64 = csv_column(&m, "seconds").iter().sum();
        assert!(
            secs > 0.0 && IDENTITY.close(run.seconds, secs),
            "{} {secs}",
            run.seconds
        );
        total += secs;
        each.push(secs);
    }
    each.sort_by(f64::total_cmp);
    assert_eq!(each.len(), 4);
    let median = (each[1] + each[2]) / 2.0;
    // (quick runs take seconds: below two minutes the total is printed in seconds)
    let line = format!(
        "Compute: {} finished run(s), {total:.1} s in all",
        report.runs.len()
    );
    assert!(report.markdown.contains(&line), "{line}");
    let line = format!("median {median:.1} s per run");
    assert!(report.markdown.contains(&line), "{line}");
}

#[test]
fn an_empty_root_is_a_clear_error() {
    let plan = Experiment::Ablation.plan(Preset::Quick, None).unwrap();
    let root = tmp("empty");
    let e = aggregate(&plan, &root).unwrap_err().to_string();
    assert!(e.contains("no run of `ablation` has finished"), "{e}");
}

#[test]
fn bounds_vs_error_bounds_every_finished_run_and_reuses_what_it_computed() {
    use mr2::bounds::BoundSettings;
    use mr2::experiments::bounds_vs_error::{compute_all, write};
    let e = Experiment::BoundsVsError;
    assert_eq!(e.grid(), Experiment::Baselines);
    let plan = e.plan(Preset::Quick, None).unwrap();
    assert_eq!(
        plan,
        Experiment::Baselines.plan(Preset::Quick, None).unwrap()
    );
    let root = tmp("bve-runs");
    let out = tmp("bve-out");
    let settings = BoundSettings {
        mc_samples: 40,
        ..BoundSettings::default()
    };
    // Nothing trained yet: a clear error naming the directory.
    let err = compute_all(&plan, &root, &out, &settings, |_| ()).unwrap_err();
    assert!(err.to_string().contains("train the grid first"), "{err}");
    // Half the grid trained: the rest is reported as skipped.
    let half = RunnerOptions {
        shard: Some((0, 2)),
        ..opts(&root)
    };
    execute(&plan, &half).unwrap();
    let part = compute_all(&plan, &root, &out, &settings, |_| ()).unwrap();
    assert_eq!(part.runs.len() + part.skipped.len(), plan.runs.len());
    assert!(!part.skipped.is_empty() && !part.runs.is_empty());
    execute(&plan, &opts(&root)).unwrap();
    let lines = std::sync::Mutex::new(Vec::new());
    let r = compute_all(&plan, &root, &out, &settings, |l| {
        lines.lock().unwrap().push(l.to_string())
    })
    .unwrap();
    // Only the runs not bounded before were computed now.
    assert_eq!(lines.into_inner().unwrap().len(), part.skipped.len());
    // A run retrained since (its summary changed) is bounded again, the others reused.
    let first = &plan.runs[0];
    let summary = root.join("runs").join(&first.id).join("summary.json");
    let text = std::fs::read_to_string(&summary).unwrap();
    std::fs::write(&summary, format!("{text}\n")).unwrap();
    let again = std::sync::Mutex::new(Vec::new());
    compute_all(&plan, &root, &out, &settings, |l| {
        again.lock().unwrap().push(l.to_string())
    })
    .unwrap();
    let again = again.into_inner().unwrap();
    assert_eq!(again.len(), 1, "{again:?}");
    assert!(again[0].starts_with(&first.id), "{again:?}");
    assert_eq!(r.runs.len(), plan.runs.len(), "skipped: {:?}", r.skipped);
    assert_eq!(r.rows.len(), plan.rows().len());
    for run in &r.runs {
        // The bound's test error is the trained model's (up to argmax ties of f32 vs f64).
        let s = mr2::eval::Summary::read(&root.join("runs").join(&run.id).join("summary.json"))
            .unwrap();
        // The quick preset's test set: 100 samples per class.
        let n_test = 100.0 * run.class_error.len() as f64;
        assert!(
            (run.test_error - 100.0 * (1.0 - s.overall)).abs() <= 2.0 * 100.0 / n_test,
            "{}: {} vs {}",
            run.id,
            run.test_error,
            s.overall
        );
        for (c, e) in s.per_class.iter().zip(&run.class_error) {
            assert!((e - 100.0 * (1.0 - c.accuracy)).abs() <= 2.0 * 100.0 / 100.0);
        }
        assert!((-1.0..=1.0).contains(&run.spearman) && (-1.0..=1.0).contains(&run.kendall));
        assert!(
            run.bound > 0.0 && run.bound_printed > run.bound,
            "{}",
            run.id
        );
        assert_eq!(
            run.spearman,
            mr2::bounds::spearman(&run.class_bound, &run.class_error)
        );
    }
    // Across methods, one correlation per seed, computed from the runs.
    let (b, te): (Vec<f64>, Vec<f64>) = r.runs.iter().map(|x| (x.bound, x.test_error)).unzip();
    assert_eq!(
        r.across_methods,
        vec![(0, Some(mr2::bounds::spearman(&b, &te)))]
    );
    // Row means are the means of the row's runs.
    let erm: Vec<_> = r.runs.iter().filter(|x| x.row == "ERM").collect();
    let row = r.rows.iter().find(|x| x.row == "ERM").unwrap();
    assert_eq!(
        row.bound.0,
        erm.iter().map(|x| x.bound).sum::<f64>() / erm.len() as f64
    );
    write(&out, &r).unwrap();
    for f in [
        "table.md",
        "results.json",
        "results.csv",
        "bound_vs_error.png",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    let k = r.runs[0].class_error.len();
    assert_eq!(csv.lines().count(), 1 + k * r.runs.len());
    // Other settings: every run is computed again.
    let again = std::sync::atomic::AtomicUsize::new(0);
    let other = BoundSettings {
        mc_samples: 41,
        ..settings
    };
    compute_all(&plan, &root, &out, &other, |_| {
        again.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    })
    .unwrap();
    assert_eq!(again.into_inner(), plan.runs.len());
    let _ = std::fs::remove_dir_all(&root);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_finished_run_with_another_configuration_is_refused_or_rerun() {
    // per-class then imbalanced into one directory: both have an `erm-s0`, with different data.
    let root = tmp("mismatch");
    let per_class = Experiment::PerClass.plan(Preset::Quick, None).unwrap();
    execute(&per_class, &opts(&root)).unwrap();
    let imbalanced = Experiment::Imbalanced.plan(Preset::Quick, None).unwrap();
    let err = execute(&imbalanced, &opts(&root)).unwrap_err().to_string();
    assert!(err.contains("erm-s0"), "{err}");
    assert!(err.contains("data."), "names the field: {err}");
    assert!(err.contains("--rerun-mismatched"), "{err}");
    // Nothing was written: plan.json is still the per-class plan.
    let saved = std::fs::read_to_string(root.join("plan.json")).unwrap();
    assert!(saved.contains("\"experiment\": \"per-class\""), "{saved}");
    // The aggregation refuses the mixed directory too.
    let err = aggregate(&imbalanced, &root).unwrap_err().to_string();
    assert!(err.contains("erm-s0"), "{err}");
    // Asked to, the runner retrains it and keeps the old run beside it.
    let rerun = RunnerOptions {
        rerun_mismatched: true,
        ..opts(&root)
    };
    let done = execute(&imbalanced, &rerun).unwrap();
    assert!(done.trained.contains(&"erm-s0".to_string()), "{done:?}");
    assert!(root.join("runs/erm-s0.stale/summary.json").is_file());
    let report = aggregate(&imbalanced, &root).unwrap();
    assert_eq!(report.runs.len(), imbalanced.runs.len());
    // The same plan again reuses everything.
    let again = execute(&imbalanced, &opts(&root)).unwrap();
    assert_eq!(again.skipped.len(), imbalanced.runs.len());
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn variants_set_the_mr2_rows() {
    use mr2::experiments::Variant;
    use mr2::loss::mr2::{LaOrder, Mr2Params};
    use mr2::loss::{Method, RepScaling};
    let mr2_of = |p: &mr2::experiments::grids::Preset, v: Variant| {
        let plan = Experiment::Margins.plan_variant(*p, Some(&[0]), v).unwrap();
        match &plan
            .runs
            .iter()
            .find(|r| r.row == "MR2")
            .unwrap()
            .config
            .loss
        {
            Method::Mr2(m) => *m,
            m => panic!("{m:?}"),
        }
    };
    let cpu = Preset::Cpu;
    // The cpu preset: the paper's c̄, λ, p with the released ℓ_s̄.
    let preset = mr2_of(&cpu, Variant::Preset);
    assert_eq!(preset.rep_scaling, RepScaling::Released);
    assert_eq!((preset.c_bar, preset.lambda, preset.p), (2.0, 0.5, 2.0));
    assert_eq!(
        mr2_of(&cpu, Variant::Printed).rep_scaling,
        RepScaling::Printed
    );
    // The released configuration: s̄ kept on Fashion-MNIST, zero on CIFAR.
    assert_eq!(mr2_of(&cpu, Variant::Released), Mr2Params::released(false));
    assert_eq!(
        mr2_of(&Preset::CifarFull, Variant::Released),
        Mr2Params::released(true)
    );
    // The plan's settings line names the variant with every parameter its MR² rows train with.
    for p in [Preset::Cpu, Preset::CifarFull] {
        for v in [Variant::Preset, Variant::Printed, Variant::Released] {
            let plan = Experiment::Margins.plan_variant(p, Some(&[0]), v).unwrap();
            let want = format!("variant {} ({})", v.name(), mr2_of(&p, v).summary());
            assert!(plan.settings.contains(&want), "{}\n{want}", plan.settings);
        }
    }
    assert_eq!(
        Mr2Params::released(true).summary(),
        "c̄ = 1, λ = 0.1, p = 5, EMA decay 0.9, γ per class, s̄ = 0, ℓ_s̄ released, EMA restarted every epoch"
    );
    assert_eq!(
        Mr2Params::default().summary(),
        "c̄ = 2, λ = 0.5, p = 2, EMA decay 0.9, γ per class, s̄ estimated, ℓ_s̄ printed, EMA kept across epochs"
    );
    let r = Mr2Params::released(false);
    assert_eq!((r.c_bar, r.lambda, r.p), (1.0, 0.1, 5.0));
    assert!(r.ema_reset && r.rep_scaling == RepScaling::Released);
    // The fidelity grid: ERM and three MR² rows, each as its variant says.
    let f = Experiment::Fidelity.plan(cpu, Some(&[0])).unwrap();
    let rows: Vec<&str> = f.runs.iter().map(|r| r.row.as_str()).collect();
    assert_eq!(rows, ["ERM", "MR2 printed", "MR2 preset", "MR2 released"]);
    assert_eq!(
        f.runs[3].config.loss,
        Method::Mr2(Mr2Params::released(false))
    );
    // Imbalanced: LA + MR² with the shift after ÷γ (default) and before it.
    let im = Experiment::Imbalanced.plan(cpu, Some(&[0])).unwrap();
    let orders: Vec<LaOrder> = im
        .runs
        .iter()
        .filter_map(|r| match &r.config.loss {
            Method::LaMr2(p) => Some(p.la_order),
            _ => None,
        })
        .collect();
    assert_eq!(orders, [LaOrder::AfterGamma, LaOrder::BeforeGamma]);
    // The released variant sets every released setting on LA + MR² too, the EMA restart
    // included (its objective restarts the statistics).
    let im_r = Experiment::Imbalanced
        .plan_variant(cpu, Some(&[0]), Variant::Released)
        .unwrap();
    let la: Vec<mr2::loss::mr2::LaMr2Params> = im_r
        .runs
        .iter()
        .filter_map(|r| match &r.config.loss {
            Method::LaMr2(p) => Some(*p),
            _ => None,
        })
        .collect();
    assert!(!la.is_empty());
    for p in la {
        assert_eq!(p.mr2, Mr2Params::released(false), "every released setting");
        let spec = Method::LaMr2(p).mr2_spec().unwrap().unwrap();
        assert!(spec.params().ema_reset && spec.la().is_some());
    }
}

/// The `cifar` preset: Table 14's 10% of CIFAR-10 with ResNet-32, crop + flip and the paper's
/// optimiser; its per-class grid runs MR² as printed and as released; the long tail is cut
/// from the whole training set; `--data-dir` reaches every run.
#[test]
fn cifar_preset_is_table_14s_setting() {
    use mr2::data::DatasetName;
    use mr2::loss::{Method, RepScaling};
    let pc = Experiment::PerClass.plan(Preset::Cifar, None).unwrap();
    assert_eq!(pc.rows(), ["ERM", "MR2", "MR2 released"]);
    assert_eq!(pc.runs.len(), 15, "3 rows × 5 seeds");
    for r in &pc.runs {
        let c = &r.config;
        assert_eq!(c.data.name, DatasetName::Cifar10);
        assert_eq!(
            c.data.dir.as_deref(),
            Some(std::path::Path::new("data/cifar10-jpeg"))
        );
        assert_eq!(c.data.subset, Some(0.1));
        assert!(c.data.augment && c.data.augment_pad == 4);
        assert_eq!(c.model.arch, mr2::model::Arch::Resnet32);
        assert_eq!((c.optim.lr, c.optim.weight_decay), (0.1, 5e-4));
        assert_eq!((c.optim.warmup_epochs, c.batch_size), (5, 128));
        c.validate().unwrap();
    }
    let mr2_of = |row: &str| match &pc.runs.iter().find(|r| r.row == row).unwrap().config.loss {
        Method::Mr2(p) => *p,
        m => panic!("{row}: {m:?}"),
    };
    assert_eq!(mr2_of("MR2").rep_scaling, RepScaling::Printed);
    assert_eq!(
        mr2_of("MR2 released"),
        mr2::loss::mr2::Mr2Params::released(true)
    );
    assert_eq!(pc.contrasts.len(), 2);
    // The other presets' per-class grid keeps its two rows.
    let cpu = Experiment::PerClass.plan(Preset::Cpu, Some(&[0])).unwrap();
    assert_eq!(cpu.rows(), ["ERM", "MR2"]);
    assert_eq!(cpu.contrasts.len(), 1);
    let lt = Experiment::Imbalanced
        .plan(Preset::Cifar, Some(&[0]))
        .unwrap();
    assert!(lt.runs.iter().all(|r| r.config.data.subset.is_none()));
    let bin = pc
        .with_data_dir(std::path::Path::new("data/cifar-10-batches-bin"))
        .unwrap();
    assert!(bin
        .runs
        .iter()
        .all(|r| r.config.data.dir.as_deref()
            == Some(std::path::Path::new("data/cifar-10-batches-bin"))));
    assert!(bin
        .settings
        .ends_with("data from data/cifar-10-batches-bin"));
    // One default CIFAR-10 folder: the presets read the folder `train --dataset cifar10` reads.
    let trained = mr2::train::TrainConfig::resolve(
        None,
        &mr2::train::Overrides {
            dataset: Some(mr2::data::DatasetName::Cifar10),
            ..Default::default()
        },
    )
    .unwrap();
    let fresh = Experiment::PerClass.plan(Preset::Cifar, None).unwrap();
    for r in &fresh.runs {
        assert_eq!(
            r.config.data.resolved_dir(),
            trained.data.resolved_dir(),
            "{}",
            r.id
        );
    }
    let quick = Experiment::PerClass
        .plan(Preset::Quick, Some(&[0]))
        .unwrap();
    let e = quick
        .with_data_dir(std::path::Path::new("x"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("--data-dir") && e.contains("synthetic"), "{e}");
}

/// Table 3 on CIFAR-10 under the released configuration shares two rows with Table 14: rows
/// (a) and (f) are the `per-class --preset cifar` ERM and `MR2 released` runs, configuration for
/// configuration, so their finished run directories can be copied into the ablation's (the
/// runner checks the recorded configuration before it reuses one; docs/results.md). Row (b)
/// there is plain cross-entropy in another name: γ_k = c̄ = 1 for every class.
#[test]
fn the_cifar_ablation_shares_table_14s_runs() {
    use mr2::experiments::Variant;
    let ab = Experiment::Ablation
        .plan_variant(Preset::Cifar, None, Variant::Released)
        .unwrap();
    let pc = Experiment::PerClass.plan(Preset::Cifar, None).unwrap();
    for (ab_row, pc_row) in [("(a) CE", "ERM"), ("(f) MR2", "MR2 released")] {
        let a: Vec<_> = ab.runs.iter().filter(|r| r.row == ab_row).collect();
        let p: Vec<_> = pc.runs.iter().filter(|r| r.row == pc_row).collect();
        assert_eq!(a.len(), 5, "{ab_row}");
        for (x, y) in a.iter().zip(&p) {
            assert_eq!(x.seed, y.seed);
            assert_eq!(
                mr2::experiments::runner::config_difference(&x.config, &y.config),
                None,
                "{ab_row} vs {pc_row}"
            );
        }
    }
    let b = ab.runs.iter().find(|r| r.row.starts_with("(b)")).unwrap();
    let (_, p) = b.config.loss.mr2_form().unwrap();
    assert!(p.uniform_gamma && p.c_bar == 1.0, "{p:?}");
}

/// Row (b) of the released ablation, ℓ_γ,ce with γ_k = c̄ = 1 for every class, trains exactly as
/// row (a), cross-entropy: the same parameters bit for bit and the same loss every epoch (one
/// process, one machine). So (b) adds no information under the released configuration and the
/// CIFAR-10 grid trains (c)–(e) first (docs/results.md).
#[test]
fn released_row_b_trains_as_row_a() {
    use mr2::bench::parity::flat_params;
    use mr2::experiments::Variant;
    let plan = Experiment::Ablation
        .plan_variant(Preset::Quick, Some(&[0]), Variant::Released)
        .unwrap();
    let run = |prefix: &str| {
        let r = plan
            .runs
            .iter()
            .find(|r| r.row.starts_with(prefix))
            .unwrap();
        mr2::train::train(&r.config, Default::default()).unwrap()
    };
    let b_cfg = &plan
        .runs
        .iter()
        .find(|r| r.row.starts_with("(b)"))
        .unwrap()
        .config;
    let (_, p) = b_cfg.loss.mr2_form().unwrap();
    assert!(p.uniform_gamma && p.c_bar == 1.0, "{p:?}");
    let (a, b) = (run("(a)"), run("(b)"));
    assert_ne!(a.method, b.method);
    let loss = |t: &mr2::train::Trained| t.history.iter().map(|m| m.train_loss).collect::<Vec<_>>();
    assert_eq!(loss(&a), loss(&b));
    assert_eq!(
        flat_params(&a.model).unwrap(),
        flat_params(&b.model).unwrap()
    );
    // What the test can see: another c̄ gives other parameters.
    let mut other = b_cfg.clone();
    other.loss = mr2::loss::Method::GammaCe(mr2::loss::mr2::Mr2Params { c_bar: 2.0, ..p });
    let c = mr2::train::train(&other, Default::default()).unwrap();
    assert_ne!(
        flat_params(&a.model).unwrap(),
        flat_params(&c.model).unwrap()
    );
}

/// One `experiments` invocation through the library (what the binary calls): the default
/// directories, `--plan` commands, an empty shard, a shard trained then the rest, `--report`,
/// and `--source` refused outside bounds-vs-error.
#[test]
fn an_invocation_plans_trains_in_shards_and_reports() {
    use mr2::experiments::session::{default_root, run, Mode, Outcome};
    use mr2::experiments::Variant;
    assert_eq!(
        default_root(Preset::Cpu, Variant::Preset, None, "ablation"),
        PathBuf::from("results/ablation")
    );
    assert_eq!(
        default_root(
            Preset::Quick,
            Variant::Released,
            Some(mr2::data::DatasetName::Mnist),
            "sweep"
        ),
        PathBuf::from("results/sweep-quick-mnist-released")
    );
    let out = tmp("session");
    let mut inv = invocation(Experiment::Spread, &out, Mode::Commands);
    let n = inv.plan().unwrap().runs.len();
    assert_eq!(n, 2, "spread: ERM and MR², one seed");
    let Outcome::Commands(c) = run(&inv, &|_| ()).unwrap() else {
        panic!("--plan gives commands")
    };
    assert_eq!(c.len(), n);
    // Each command runs in the directory its relative paths need.
    assert!(
        c.iter()
            .all(|l| l.starts_with("cd ") && l.contains(" && train ")),
        "{c:?}"
    );
    // More slices than runs: the last is empty, and nothing is written.
    inv.mode = Mode::Train;
    inv.shard = Some((n, n + 1));
    assert!(matches!(
        run(&inv, &|_| ()).unwrap(),
        Outcome::EmptyShard { runs, .. } if runs == n
    ));
    assert!(!out.join("runs").exists());
    // Half the grid, then the rest: the log counts, and the report covers both.
    inv.shard = Some((0, 2));
    let lines = std::cell::RefCell::new(Vec::new());
    let log = |l: &str| lines.borrow_mut().push(l.to_string());
    let Outcome::Done { failed, .. } = run(&inv, &log).unwrap() else {
        panic!("trained")
    };
    assert!(failed.is_empty());
    assert!(
        lines
            .borrow()
            .iter()
            .any(|l| l.contains("1 trained now") && l.contains(&format!("1/{n} of the grid"))),
        "{:?}",
        lines.borrow()
    );
    inv.shard = Some((1, 2));
    run(&inv, &|_| ()).unwrap();
    inv.mode = Mode::Report;
    inv.shard = None;
    let Outcome::Done {
        markdown, out: o, ..
    } = run(&inv, &|_| ()).unwrap()
    else {
        panic!("reported")
    };
    assert_eq!(o, out);
    assert!(
        markdown.contains("ERM") && markdown.contains("MR2"),
        "{markdown}"
    );
    assert!(out.join("table.md").exists());
    // --source belongs to bounds-vs-error.
    inv.source = Some(out.clone());
    let e = run(&inv, &|_| ()).unwrap_err().to_string();
    assert!(
        e.contains("--source") && e.contains("bounds-vs-error"),
        "{e}"
    );
}

/// `long-tail`: LDAM-DRW's long-tailed CIFAR-10 recipe (ρ = 100 from the whole training set;
/// step ×0.01 at 160 and 180 of 200 epochs after 5 warm-up epochs; weight decay 2e-4; DRW for
/// LDAM and MM-DRW from 80%) with the published anchors under it; the cifar preset's 100 epochs
/// keep the shape (warm-up 2, milestones 80 and 90).
#[test]
fn long_tail_is_ldam_drws_setting() {
    use mr2::data::Imbalance;
    use mr2::loss::Method;
    use mr2::train::ScheduleKind;
    let plan = Experiment::LongTail
        .plan(Preset::CifarFull, Some(&[0]))
        .unwrap();
    assert_eq!(
        plan.rows(),
        ["ERM", "LDAM-DRW", "LA", "MM", "MM-DRW", "MR2", "LA + MR2"]
    );
    for r in &plan.runs {
        let c = &r.config;
        assert_eq!(c.epochs, 200);
        assert_eq!(c.data.subset, None);
        assert_eq!(c.data.imbalance, Some(Imbalance::LongTail { ratio: 100.0 }));
        assert_eq!(c.optim.schedule, ScheduleKind::Step);
        assert_eq!(c.optim.warmup_epochs, 5);
        assert_eq!(c.optim.milestones, [160, 180]);
        assert_eq!((c.optim.step_factor, c.optim.weight_decay), (0.01, 2e-4));
        assert_eq!((c.optim.lr, c.batch_size), (0.1, 128));
        let drw = match &c.loss {
            Method::Ldam(p) => Some((p.drw, p.drw_start)),
            Method::Mm(p) => Some((p.drw, p.drw_start)),
            _ => None,
        };
        match r.row.as_str() {
            "LDAM-DRW" | "MM-DRW" => assert_eq!(drw, Some((true, 0.8)), "{}", r.row),
            "MM" => assert_eq!(drw, Some((false, 0.8))),
            _ => assert_eq!(drw, None, "{}", r.row),
        }
        c.validate().unwrap();
    }
    let paper = plan.paper.as_ref().expect("the published anchors");
    let acc = |row: &str| paper.rows.iter().find(|r| r.0 == row).unwrap().1[0];
    assert_eq!(
        [acc("ERM"), acc("LDAM-DRW"), acc("MM"), acc("MM-DRW")],
        [100.0 - 29.64, 100.0 - 22.97, 100.0 - 26.56, 100.0 - 21.98]
    );
    let cifar = Experiment::LongTail
        .plan(Preset::Cifar, Some(&[0]))
        .unwrap();
    let o = &cifar.runs[0].config.optim;
    assert_eq!(
        (o.warmup_epochs, o.milestones.as_slice()),
        (2, &[80, 90][..])
    );
    assert_eq!(cifar.runs[0].config.data.subset, None);
    // The settings line (plan.json, the table's header) describes what the rows run, not the
    // preset's base (10% of each class, cosine, weight decay 5e-4 under `cifar`).
    for (plan, epochs) in [(&plan, "200 epochs"), (&cifar, "100 epochs")] {
        let s = &plan.settings;
        for part in [
            "long-tailed, ρ = 100",
            "weight decay 0.0002",
            "Step schedule",
            epochs,
        ] {
            assert!(s.contains(part), "{part:?} missing from {s:?}");
        }
        assert!(!s.contains("of each training class"), "{s}");
    }
    assert!(
        cifar
            .settings
            .contains("Step schedule (2 warm-up epochs, ×0.01 at epochs [80, 90])"),
        "{}",
        cifar.settings
    );
    assert!(
        plan.settings
            .contains("Step schedule (5 warm-up epochs, ×0.01 at epochs [160, 180])"),
        "{}",
        plan.settings
    );
}

/// `reuse_from`: a sibling grid's run finished with the same configuration is copied (every
/// file byte for byte, without checkpoints or lock) instead of trained; a run whose
/// configuration differs there (the MR² row under another variant) is trained here; a run
/// already started here is left to resume, not replaced.
#[test]
fn runner_copies_identical_runs_from_a_sibling_grid() {
    let a_plan = Experiment::Spread.plan(Preset::Quick, None).unwrap();
    let a = tmp("sibling-a");
    execute(&a_plan, &opts(&a)).unwrap();
    let b_plan = Experiment::Spread
        .plan_variant(Preset::Quick, None, mr2::experiments::Variant::Released)
        .unwrap();
    let ids = |f: &dyn Fn(&str) -> bool| -> Vec<String> {
        b_plan
            .runs
            .iter()
            .filter(|r| f(r.config.loss.name()))
            .map(|r| r.id.clone())
            .collect()
    };
    let (erm, others) = (ids(&|n| n == "ce"), ids(&|n| n != "ce"));
    assert!(!erm.is_empty() && !others.is_empty());
    let b = tmp("sibling-b");
    let with = |root: &std::path::Path| RunnerOptions {
        reuse_from: vec![tmp("sibling-empty"), a.clone()],
        ..opts(root)
    };
    let done = execute(&b_plan, &with(&b)).unwrap();
    let copied: Vec<String> = done.copied.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(copied, erm, "{done:?}");
    assert!(done.copied.iter().all(|(_, root)| *root == a));
    let mut trained = done.trained.clone();
    trained.sort();
    let mut want = others.clone();
    want.sort();
    assert_eq!(trained, want, "{done:?}");
    for id in &erm {
        let (from, to) = (a.join("runs").join(id), b.join("runs").join(id));
        let mut n = 0;
        for e in std::fs::read_dir(&from).unwrap() {
            let e = e.unwrap();
            if e.path().is_file() && e.file_name() != ".lock" {
                let there = std::fs::read(e.path()).unwrap();
                assert_eq!(std::fs::read(to.join(e.file_name())).unwrap(), there);
                n += 1;
            }
        }
        assert!(n >= 3, "config, metrics and summary at least");
        assert!(!to.join("checkpoints").exists() && !to.join(".lock").exists());
        assert!(!b.join("runs").join(format!("{id}.copying")).exists());
    }
    // The copies report like trained runs.
    aggregate(&b_plan, &b).unwrap();
    // Copy only (what `experiments --report --reuse-from` does): nothing is trained.
    let d = tmp("sibling-d");
    let refs: Vec<&mr2::experiments::RunSpec> = b_plan.runs.iter().collect();
    let only =
        mr2::experiments::runner::copy_from_siblings(&refs, &d, std::slice::from_ref(&a)).unwrap();
    assert_eq!(
        only.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(),
        erm
    );
    assert!(others.iter().all(|id| !d.join("runs").join(id).exists()));
    // The same through an invocation: `experiments spread --preset quick --variant released
    // --report --reuse-from A` copies, says so, and reports without training.
    use mr2::experiments::session::{run, Invocation, Mode};
    let e = tmp("sibling-e");
    let inv = Invocation {
        variant: mr2::experiments::Variant::Released,
        reuse_from: vec![a.clone()],
        ..invocation(Experiment::Spread, &e, Mode::Report)
    };
    let lines = std::sync::Mutex::new(Vec::<String>::new());
    run(&inv, &|l| lines.lock().unwrap().push(l.to_string())).unwrap();
    let lines = lines.into_inner().unwrap();
    for id in &erm {
        let want = format!("copied: {id} from {}", a.display());
        assert!(lines.contains(&want), "{lines:?}");
        assert!(e.join("runs").join(id).join("summary.json").is_file());
    }
    assert!(others.iter().all(|id| !e.join("runs").join(id).exists()));
    // Started here (a directory without a summary): resumed here, not copied.
    let c = tmp("sibling-c");
    std::fs::create_dir_all(c.join("runs").join(&erm[0])).unwrap();
    let done = execute(&b_plan, &with(&c)).unwrap();
    assert!(done.trained.contains(&erm[0]), "{done:?}");
    assert!(done.copied.iter().all(|(id, _)| *id != erm[0]), "{done:?}");
}

/// The settings line states the λ the MR² runs train with (on the synthetic mixture it said the
/// paper's 0.5 while every run's configuration had the synthetic default 0.1).
#[test]
fn the_settings_line_states_the_lambda_the_runs_train_with() {
    for (preset, e) in [
        (Preset::Quick, Experiment::Spread),
        (Preset::Quick, Experiment::Margins),
        (Preset::Cpu, Experiment::Margins),
        (Preset::Cifar, Experiment::PerClass),
    ] {
        let plan = e.plan(preset, Some(&[0])).unwrap();
        let lambda = plan
            .runs
            .iter()
            .find_map(|r| match &r.config.loss {
                mr2::loss::Method::Mr2(p) => Some(p.lambda),
                _ => None,
            })
            .expect("an MR² row");
        assert!(
            plan.settings.contains(&format!("λ = {lambda},")),
            "{} {}: runs λ = {lambda}; {}",
            preset.name(),
            e.name(),
            plan.settings
        );
    }
}

/// `tune`: ERM and the nine (c̄, λ) rows, each on a 10% validation split; the report picks the
/// row with the best mean validation accuracy and writes it to `choice.json`.
#[test]
fn tune_picks_c_bar_and_lambda_by_validation() {
    use mr2::experiments::tune;
    let plan = Experiment::Tune.plan(Preset::Quick, None).unwrap();
    assert_eq!(plan.rows().len(), 10);
    for r in &plan.runs {
        assert_eq!(r.config.data.val_fraction, Some(0.1), "{}", r.row);
        if let mr2::loss::Method::Mr2(p) = &r.config.loss {
            assert_eq!(r.row, tune::row(p.c_bar, p.lambda));
            assert_eq!(p.rep_scaling, mr2::loss::RepScaling::Released);
            assert_eq!((p.p, p.decay, p.ema_reset), (2.0, 0.9, false));
        }
    }
    let root = tmp("tune");
    let done = execute(&plan, &opts(&root)).unwrap();
    assert!(done.failed.is_empty(), "{:?}", done.failed);
    let report = aggregate(&plan, &root).unwrap();
    let c: tune::Choice =
        serde_json::from_str(&std::fs::read_to_string(root.join("choice.json")).unwrap()).unwrap();
    assert_eq!(c.table.len(), 9);
    let best = c.table.iter().map(|r| r.2).fold(f64::MIN, f64::max);
    let first = c.table.iter().find(|r| r.2 == best).unwrap();
    assert_eq!((c.c_bar, c.lambda), (first.0, first.1));
    // The means are the runs' validation accuracies.
    let val = |row: &str| report.runs.iter().find(|r| r.row == row).unwrap().val_acc;
    assert_eq!(c.val, val(&tune::row(c.c_bar, c.lambda)));
    assert!(report.markdown.contains("Chosen by validation"));
    // --param carries a choice into another grid's MR² rows (and is named in the settings).
    let kv = vec![
        ("c_bar".to_string(), mr2::settings::Value::from(3.0)),
        ("lambda".to_string(), mr2::settings::Value::from(0.9)),
    ];
    let p = Experiment::PerClass
        .plan_with(
            Preset::Quick,
            None,
            mr2::experiments::Variant::Preset,
            None,
            &kv,
        )
        .unwrap();
    let m = p.runs.iter().find(|r| r.row == "MR2").unwrap();
    let (_, mp) = m.config.loss.mr2_form().unwrap();
    assert_eq!((mp.c_bar, mp.lambda), (3.0, 0.9));
    assert!(p.settings.contains("--param c_bar = 3"), "{}", p.settings);
    // A parameter MR² does not have is refused, named.
    let bad = vec![("c_barr".to_string(), mr2::settings::Value::from(3.0))];
    let e = Experiment::PerClass
        .plan_with(
            Preset::Quick,
            None,
            mr2::experiments::Variant::Preset,
            None,
            &bad,
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("c_barr"), "{e}");
}

/// `jpeg-effect` end to end on files the test writes: ten classes of official-pixel records,
/// their JPEG counterparts written from a JPEG copy through the index files, both rows
/// trained, each evaluated on both test copies, the 2 × 2 table from them.
#[test]
fn jpeg_effect_trains_both_copies_and_tests_each_on_both() {
    use mr2::experiments::jpeg_effect;
    let base = tmp("jpeg-effect");
    let exact = base.join("exact");
    let copy = base.join("copy");
    std::fs::create_dir_all(&exact).unwrap();
    let classes = [
        "airplane",
        "automobile",
        "bird",
        "cat",
        "deer",
        "dog",
        "frog",
        "horse",
        "ship",
        "truck",
    ];
    // Per split: records (label, 3072 channel-major bytes) and the JPEG copy + index.
    for (split, n) in [("train", 40usize), ("test", 20)] {
        let mut recs = Vec::new();
        let mut index = String::from("official_index\tlabel\tjpeg_path\n");
        let mut rank = [0usize; 10];
        for i in 0..n {
            let l = (i * 3) % 10;
            let img = image::RgbImage::from_fn(32, 32, |x, y| {
                let v = ((x * 7 + y * 3 + (i as u32) * 11 + (l as u32) * 40) % 256) as u8;
                image::Rgb([v, v.wrapping_mul(3), 255 - v])
            });
            recs.push(l as u8);
            for ch in 0..3 {
                recs.extend(img.pixels().map(|p| p.0[ch]));
            }
            let rel = format!("{split}/{}/{:04}.jpg", classes[l], rank[l]);
            rank[l] += 1;
            let path = copy.join(&rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            img.save(&path).unwrap();
            index += &format!("{i}\t{l}\t{rel}\n");
        }
        std::fs::write(exact.join(format!("{split}_0000.bin")), &recs).unwrap();
        std::fs::write(exact.join(format!("jpeg_copy_{split}_index.tsv")), index).unwrap();
    }
    let out = base.join("out");
    let inv = mr2::experiments::session::Invocation {
        data_dir: Some(exact.clone()),
        seeds: Some(vec![0, 1]),
        jobs: 2,
        jpeg_copy: copy.clone(),
        ..invocation(
            Experiment::JpegEffect,
            &out,
            mr2::experiments::session::Mode::Train,
        )
    };
    let plan = inv.plan().unwrap();
    // Seed by seed, official then JPEG; the JPEG row reads the prepared directory.
    let rows: Vec<(&str, u64)> = plan.runs.iter().map(|r| (r.row.as_str(), r.seed)).collect();
    assert_eq!(
        rows,
        [
            (jpeg_effect::ROW_OFFICIAL, 0),
            (jpeg_effect::ROW_JPEG, 0),
            (jpeg_effect::ROW_OFFICIAL, 1),
            (jpeg_effect::ROW_JPEG, 1)
        ]
    );
    let (o, j) = jpeg_effect::directories(&plan).unwrap();
    assert_eq!(
        (o.clone(), j.clone()),
        (exact.clone(), jpeg_effect::jpeg_dir_for(&exact))
    );
    let mr2::experiments::session::Outcome::Done { failed, .. } =
        mr2::experiments::session::run(&inv, &|_| ()).unwrap()
    else {
        panic!("trains and reports")
    };
    assert!(failed.is_empty(), "{failed:?}");
    // The counterpart: same labels, other pixels.
    let (la, pa) = mr2::data::pairs::read_raw(&o.join("train_0000.bin")).unwrap();
    let (lb, pb) = mr2::data::pairs::read_raw(&j.join("train_0000.bin")).unwrap();
    assert_eq!(la, lb);
    assert_ne!(pa, pb);
    let t: jpeg_effect::JpegTable =
        serde_json::from_str(&std::fs::read_to_string(out.join("jpeg-effect.json")).unwrap())
            .unwrap();
    assert_eq!(t.seeds, vec![0, 1]);
    for (s, cells) in t.seeds.iter().zip(&t.cells) {
        let summary = |row: &str| {
            let spec = plan
                .runs
                .iter()
                .find(|r| r.row == row && r.seed == *s)
                .unwrap();
            mr2::eval::Summary::read(
                &mr2::experiments::Plan::run_dir(&out, spec).join("summary.json"),
            )
            .unwrap()
            .overall
        };
        // The diagonal is each run's own test set: its summary.
        assert!((cells[0] - 100.0 * summary(jpeg_effect::ROW_OFFICIAL)).abs() < 1e-9);
        assert!((cells[3] - 100.0 * summary(jpeg_effect::ROW_JPEG)).abs() < 1e-9);
        assert!(cells.iter().all(|c| (0.0..=100.0).contains(c)));
    }
    // The differences are of the cells.
    let (label, d) = &t.differences[4];
    assert!(label.starts_with("all JPEG − all official"));
    let want: Vec<f64> = t.cells.iter().map(|c| c[3] - c[0]).collect();
    assert_eq!(d.n, 2);
    assert!((d.mean - (want[0] + want[1]) / 2.0).abs() < 1e-9);
    assert!(t.pixels.mean_abs > 0.0 && t.pixels.equal < 1.0);
    let md = std::fs::read_to_string(out.join("jpeg-effect.md")).unwrap();
    assert!(
        md.contains("| official pixels |") && md.contains("Holm"),
        "{md}"
    );
    // Reporting again evaluates nothing new and gives the same table.
    let again = mr2::experiments::session::Invocation {
        mode: mr2::experiments::session::Mode::Report,
        ..inv
    };
    mr2::experiments::session::run(&again, &|_| ()).unwrap();
    assert_eq!(
        std::fs::read_to_string(out.join("jpeg-effect.md")).unwrap(),
        md
    );
}

/// `--jobs N` gives each concurrent run its own pool of cores/N threads, and the results do not
/// depend on N: the same grid trained with one job and with three gives bit-identical
/// summaries and metrics (every column but the timings).
#[test]
fn results_do_not_depend_on_the_number_of_jobs() {
    use mr2::experiments::runner::threads_per_job;
    assert!(threads_per_job(1) >= threads_per_job(2));
    assert_eq!(threads_per_job(10_000), 1);
    let plan = Experiment::Margins
        .plan(Preset::Quick, Some(&[0, 1]))
        .unwrap();
    let one = tmp("jobs-one");
    let three = tmp("jobs-three");
    let mut o = opts(&one);
    o.jobs = 1;
    execute(&plan, &o).unwrap();
    let mut o = opts(&three);
    o.jobs = 3;
    execute(&plan, &o).unwrap();
    for r in &plan.runs {
        let read = |root: &PathBuf, f: &str| {
            std::fs::read_to_string(mr2::experiments::Plan::run_dir(root, r).join(f)).unwrap()
        };
        assert_eq!(
            read(&one, "summary.json"),
            read(&three, "summary.json"),
            "{}",
            r.id
        );
        let strip = |t: String| -> Vec<String> {
            t.lines()
                .map(|l| l.split(',').take(16).collect::<Vec<_>>().join(","))
                .collect()
        };
        assert_eq!(
            strip(read(&one, "metrics.csv")),
            strip(read(&three, "metrics.csv")),
            "{}",
            r.id
        );
    }
}

/// A grid's directory is not given to another experiment, to bounds-vs-error, or to a `--plan`
/// with other configurations: each used to replace the grid's table or plan (exit 0).
#[test]
fn a_grid_directory_is_never_overwritten_by_another_invocation() {
    use mr2::experiments::session::{check_outputs, Invocation, Mode};
    let dir = tmp("guard");
    let ablation = Experiment::Ablation.plan(Preset::Quick, None).unwrap();
    ablation.save(&dir).unwrap();
    let inv = |e: Experiment, variant: mr2::experiments::Variant, mode: Mode| Invocation {
        variant,
        ..invocation(e, &dir, mode)
    };
    use mr2::experiments::Variant;
    // Another experiment into the ablation grid.
    let i = inv(Experiment::Baselines, Variant::Preset, Mode::Train);
    let e = mr2::experiments::session::run(&i, &|_| ())
        .unwrap_err()
        .to_string();
    assert!(e.contains("holds the ablation grid"), "{e}");
    // bounds-vs-error writing its report into a grid.
    let i = inv(Experiment::BoundsVsError, Variant::Preset, Mode::Report);
    let p = i.plan().unwrap();
    let e = check_outputs(&i, &p, &dir, &dir).unwrap_err().to_string();
    assert!(e.contains("bounds-vs-error would replace"), "{e}");
    // --plan of the released variant into the preset grid: names the run and the field.
    let i = inv(Experiment::Ablation, Variant::Released, Mode::Commands);
    let e = mr2::experiments::session::run(&i, &|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("plans run") && e.contains("--rerun-mismatched"),
        "{e}"
    );
    let before = std::fs::read_to_string(dir.join("plan.json")).unwrap();
    assert_eq!(
        before,
        std::fs::read_to_string(dir.join("plan.json")).unwrap()
    );
    // The same plan again is fine.
    let i = inv(Experiment::Ablation, Variant::Preset, Mode::Commands);
    mr2::experiments::session::run(&i, &|_| ()).unwrap();
    // --reuse-from a missing directory (it retrained everything, exit 0) or another grid.
    let mut i = inv(Experiment::Ablation, Variant::Preset, Mode::Report);
    i.reuse_from = vec![dir.join("nowhere")];
    let e = mr2::experiments::session::run(&i, &|_| ())
        .unwrap_err()
        .to_string();
    assert!(e.contains("nowhere") && e.contains("--reuse-from"), "{e}");
    let other = tmp("guard-other");
    Experiment::Spread
        .plan(Preset::Quick, None)
        .unwrap()
        .save(&other)
        .unwrap();
    i.reuse_from = vec![other];
    let e = mr2::experiments::session::run(&i, &|_| ())
        .unwrap_err()
        .to_string();
    assert!(e.contains("holds the spread grid"), "{e}");
}

/// Two `experiments` on one output directory: every run is trained by exactly one of them (the
/// other finds it locked, finished at the start, or finished meanwhile — it used to retrain
/// the finished ones' last epoch and count them as "trained now" too).
#[test]
fn two_invocations_on_one_directory_train_each_run_once() {
    let plan = Experiment::Margins
        .plan(Preset::Quick, Some(&[0, 1, 2]))
        .unwrap();
    let root = tmp("two-invocations");
    let mut o = opts(&root);
    o.jobs = 1;
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| execute(&plan, &o).unwrap());
        let b = s.spawn(|| execute(&plan, &o).unwrap());
        (a.join().unwrap(), b.join().unwrap())
    });
    let mut trained: Vec<String> = a.trained.iter().chain(&b.trained).cloned().collect();
    trained.sort();
    let mut all: Vec<String> = plan.runs.iter().map(|r| r.id.clone()).collect();
    all.sort();
    // Runs the other process was training when asked are "busy": trained there.
    assert!(a.failed.is_empty() && b.failed.is_empty());
    let mut dedup = trained.clone();
    dedup.dedup();
    assert_eq!(dedup, trained, "a run counted as trained twice");
    for id in &all {
        assert!(
            root.join("runs").join(id).join("summary.json").is_file(),
            "{id}"
        );
    }
}

/// `--ldam-subset`: every long-tailed run draws LDAM-DRW's subset and evaluates each epoch from
/// the first decay on (for the best epoch), and before it only every tenth epoch; a grid without
/// a long-tailed run is refused naming the flag.
#[test]
fn the_ldam_subset_grid_evaluates_every_epoch_after_the_first_decay_only() {
    use mr2::data::Imbalance;
    use mr2::experiments::LDAM_EARLY_EVAL_EVERY;
    let plan = Experiment::LongTail
        .plan(Preset::CifarFull, Some(&[0]))
        .unwrap()
        .with_ldam_subset()
        .unwrap();
    assert!(!plan.runs.is_empty());
    for r in &plan.runs {
        let c = &r.config;
        assert!(
            matches!(c.data.imbalance, Some(Imbalance::LongTailLdam { ratio }) if ratio == 100.0),
            "{}",
            r.id
        );
        c.validate().unwrap();
        let decay = *c.optim.milestones.iter().min().unwrap();
        let evaluated: Vec<usize> = (1..=c.total_epochs())
            .filter(|&e| c.evaluates_after(e))
            .collect();
        let before: Vec<usize> = evaluated.iter().copied().filter(|&e| e <= decay).collect();
        let want: Vec<usize> = (1..=decay)
            .filter(|e| e % LDAM_EARLY_EVAL_EVERY == 0)
            .collect();
        assert_eq!(before, want, "{}", r.id);
        assert!(
            (decay + 1..=c.total_epochs()).all(|e| c.evaluates_after(e)),
            "{}",
            r.id
        );
    }
    assert!(plan.settings.contains("LDAM-DRW's own long-tailed subset"));
    assert!(plan.settings.contains("every epoch from it"));
    let e = Experiment::PerClass
        .plan(Preset::Quick, Some(&[0]))
        .unwrap()
        .with_ldam_subset()
        .unwrap_err()
        .to_string();
    assert!(e.contains("--ldam-subset"), "{e}");
}

/// A plan whose paper table has gaps (long-tail: the published tables give no thirds) is read
/// back from its `plan.json`: `serde_json` writes NaN as `null`, and a second `--plan` or a
/// resumed grid must not stop at "not a grid's plan".
#[test]
fn a_plan_with_missing_paper_figures_reads_back() {
    let plan = Experiment::LongTail
        .plan(Preset::Cifar, Some(&[0]))
        .unwrap();
    let paper = plan.paper.as_ref().unwrap();
    assert!(paper.rows.iter().any(|(_, v)| v.iter().any(|x| x.is_nan())));
    let text = serde_json::to_string_pretty(&plan).unwrap();
    let back: mr2::experiments::Plan = serde_json::from_str(&text).unwrap();
    assert_eq!(back.runs, plan.runs);
    let back_rows = &back.paper.as_ref().unwrap().rows;
    assert_eq!(back_rows.len(), paper.rows.len());
    for ((n0, v0), (n1, v1)) in paper.rows.iter().zip(back_rows) {
        assert_eq!(n0, n1);
        for (a, b) in v0.iter().zip(v1) {
            assert!(
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                "{n0}: {a} vs {b}"
            );
        }
    }
}
