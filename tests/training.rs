//! Training: determinism, resume equivalence (bit-identical, also for stateful objectives),
//! the NaN guard, configuration validation, the γ each objective reports, every method
//! training on the synthetic data, what makes JTT, LfF and SAM different, and the `train`
//! binary end to end (all on the embedded synthetic data, seconds each).

use mr2::eval::Summary;
use mr2::loss::{EpochStart, Method, Objective, TrainingSet, METHODS};
use mr2::tolerance::{F32_VS_F64, IDENTITY};
use mr2::train::{train, EpochMetrics, RunOptions, TrainConfig};

fn small() -> TrainConfig {
    let mut c = TrainConfig::default();
    c.data.synthetic.train_per_class = 150;
    c.data.synthetic.test_per_class = 40;
    c.epochs = 4;
    c.batch_size = 32;
    c
}

fn with_method(mut c: TrainConfig, name: &str) -> TrainConfig {
    c.loss = TrainConfig::default_method(Method::from_name(name).unwrap(), c.data.name);
    c
}

fn path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("mr2-train-{name}-{}", std::process::id()))
}

/// A fresh (removed) directory path.
fn tmp(name: &str) -> std::path::PathBuf {
    let d = path(name);
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn opts(out: &std::path::Path) -> RunOptions {
    RunOptions {
        out: Some(out.to_path_buf()),
        ..Default::default()
    }
}

/// Every number of a history, as bits.
fn bits(h: &[EpochMetrics]) -> Vec<Vec<u64>> {
    h.iter()
        .map(|m| {
            [
                m.lr,
                m.train_loss,
                m.train_acc,
                m.test_acc,
                m.easy,
                m.hard,
                m.gamma_mean,
                m.gamma_range,
                m.s_bar,
                m.spread_hard,
            ]
            .iter()
            .map(|v| v.to_bits())
            .chain([m.epoch as u64])
            .collect()
        })
        .collect()
}

#[test]
fn same_seed_same_metrics() {
    let a = train(&small(), RunOptions::default()).unwrap();
    let b = train(&small(), RunOptions::default()).unwrap();
    assert_eq!(bits(&a.history), bits(&b.history));
    assert!(
        a.history.last().unwrap().test_acc > 0.5,
        "the MLP learns the mixture"
    );
}

/// Train `cfg` uninterrupted and interrupted after `stop` epochs then resumed; both must end
/// bit-identical (history, objective state, weights).
fn resume_equivalence(cfg: &TrainConfig, name: &str, stop: usize) {
    let full = tmp(&format!("{name}-full"));
    let part = tmp(&format!("{name}-part"));
    let a = train(cfg, opts(&full)).unwrap();
    let first = train(
        cfg,
        RunOptions {
            stop_after: Some(stop),
            ..opts(&part)
        },
    )
    .unwrap();
    assert_eq!(first.history.len(), stop);
    let b = train(
        cfg,
        RunOptions {
            resume: true,
            ..opts(&part)
        },
    )
    .unwrap();
    assert_eq!(
        bits(&a.history),
        bits(&b.history),
        "{name}: resumed history differs"
    );
    assert_eq!(a.objective, b.objective, "{name}: objective state differs");
    assert_eq!(
        a.model.head_weights().unwrap(),
        b.model.head_weights().unwrap(),
        "{name}: weights differ"
    );
    let csv = mr2::train::metrics::read_csv(&part.join("metrics.csv")).unwrap();
    assert_eq!(
        bits(&csv),
        bits(&b.history),
        "{name}: metrics.csv must read back exactly"
    );
}

#[test]
fn resume_matches_uninterrupted_run() {
    let cfg = small();
    resume_equivalence(&cfg, "mr2", 2);
    let part = path("mr2-part");
    for f in [
        "config.json",
        "metrics.csv",
        "checkpoints/epoch-0004/state.json",
        "checkpoints/epoch-0004/model.bpk",
        "checkpoints/epoch-0004/optim.bpk",
        "checkpoints/epoch-0003/state.json",
    ] {
        assert!(part.join(f).exists(), "missing {f}");
    }
    assert!(
        !part.join("checkpoints/epoch-0002").exists(),
        "older checkpoints are removed"
    );
    // Resuming with a different configuration is refused.
    let mut other = cfg.clone();
    other.seed = 9;
    let e = train(
        &other,
        RunOptions {
            resume: true,
            ..opts(&part)
        },
    )
    .err()
    .expect("a changed configuration must be refused")
    .to_string();
    assert!(e.contains("different configuration"), "{e}");
}

#[test]
fn stateful_objectives_resume_exactly() {
    // EQL's random stream, group DRO's weights, the centres, LfF's tables and two nets, and
    // JTT's switch to its second stage (interrupted before it: stage 1 has 2 epochs).
    for name in ["eql", "group-dro", "center", "lff", "jtt", "ldam"] {
        let mut cfg = with_method(small(), name);
        cfg.epochs = 3;
        resume_equivalence(&cfg, name, 2);
    }
}

#[test]
fn sam_resumes_and_differs_from_sgd_only_by_its_perturbation() {
    let mut cfg = with_method(small(), "ce");
    cfg.epochs = 2;
    let plain = train(&cfg, RunOptions::default()).unwrap();
    let mut tiny = cfg.clone();
    tiny.optim.sam_rho = 1e-30; // w + ε rounds back to w: the same steps as SGD
    let t = train(&tiny, RunOptions::default()).unwrap();
    assert_eq!(bits(&plain.history), bits(&t.history));
    let mut sam = cfg.clone();
    sam.optim.sam_rho = 0.05;
    let s = train(&sam, RunOptions::default()).unwrap();
    assert_ne!(
        bits(&plain.history),
        bits(&s.history),
        "SAM's gradient is taken at w + ε"
    );
    resume_equivalence(&sam, "sam", 1);
}

#[test]
fn sam_perturbation_has_radius_rho() {
    use burn::optim::GradientsParams;
    use mr2::model::{Arch, Extras, HeadKind, Model, ModelConfig};
    use mr2::train::optim::{grad_norm, sam_perturbed};
    let dev = burn::tensor::Device::flex().autodiff();
    let cfg = ModelConfig {
        arch: Arch::Mlp,
        width: 5,
        depth: 16,
        ..Default::default()
    };
    let m = Model::new_seeded(
        &cfg,
        [3, 1, 1],
        2,
        HeadKind::Linear,
        Extras::default(),
        &dev,
        1,
    )
    .unwrap();
    let x = mr2::model::seeded_random(
        [4, 3, 1, 1],
        burn::tensor::Distribution::Normal(0.0, 1.0),
        11,
        &dev,
    );
    let (l, _) = m.net.forward(x);
    let g = GradientsParams::from_grads(l.square().sum().backward(), &m);
    let n = grad_norm(&m, &g).unwrap();
    assert!(n > 0.0);
    let p = sam_perturbed(&m, &g, 0.05).unwrap();
    // ‖w' − w‖ over all parameters = ρ.
    let flat = |m: &Model| -> Vec<f64> {
        let mut v = Vec::new();
        for w in m.net.head_weights().unwrap() {
            v.extend(w.into_iter().map(f64::from));
        }
        v.extend(m.net.head_bias().unwrap().into_iter().map(f64::from));
        v
    };
    let (a, b) = (flat(&m), flat(&p));
    let head_shift: f64 = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f64>()
        .sqrt();
    assert!(
        head_shift > 0.0 && (head_shift < 0.05 || F32_VS_F64.close(head_shift, 0.05)),
        "head moved {head_shift}"
    );
}

#[test]
fn every_method_trains_on_the_synthetic_data() {
    for info in METHODS {
        let mut cfg = with_method(small(), info.name);
        cfg.epochs = 4;
        let t = train(&cfg, RunOptions::default()).unwrap_or_else(|e| panic!("{}: {e}", info.name));
        let h = &t.history;
        let first = cfg.loss.extra_epochs(); // JTT: compare within its second stage
        assert!(
            h.last().unwrap().train_loss < h[first].train_loss,
            "{}: loss did not decrease: {:?}",
            info.name,
            h.iter().map(|m| m.train_loss).collect::<Vec<_>>()
        );
        assert!(
            h.last().unwrap().test_acc > 0.4,
            "{}: test accuracy {}",
            info.name,
            h.last().unwrap().test_acc
        );
    }
}

#[test]
fn jtt_upweights_its_error_set_after_stage_one() {
    let set = TrainingSet {
        counts: vec![2, 2],
        labels: vec![0, 0, 1, 1],
        seed: 0,
    };
    let m = Method::from_name("jtt")
        .unwrap()
        .with_params(
            &[
                ("identification_epochs".into(), 2.into()),
                ("up_weight".into(), 3.into()),
            ],
            "t",
        )
        .unwrap();
    let mut o = Objective::new(&m, &set).unwrap();
    // Predictions of the stage-1 model: samples 1 and 2 wrong.
    let preds = || mr2::eval::Predictions {
        logits: vec![1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0],
        features: vec![0.0; 4],
        d: 1,
        k: 2,
        labels: vec![0, 0, 1, 1],
    };
    let mut calls = 0;
    let mut f = || {
        calls += 1;
        Ok(preds())
    };
    let plan = |o: &mut Objective,
                e: usize,
                f: &mut dyn FnMut() -> mr2::Result<mr2::eval::Predictions>| {
        o.on_epoch_start(&mut EpochStart {
            epoch: e,
            epochs: 5,
            train_predictions: f,
        })
        .unwrap()
    };
    for e in 0..2 {
        let p = plan(&mut o, e, &mut f);
        assert!(
            !p.reset_model && p.repeats.is_none(),
            "stage 1 is plain ERM"
        );
    }
    let p = plan(&mut o, 2, &mut f);
    assert!(p.reset_model, "stage 2 starts from a fresh model");
    assert_eq!(p.repeats, Some(vec![1, 4, 4, 1]));
    let p = plan(&mut o, 3, &mut f);
    assert!(!p.reset_model);
    assert_eq!(
        p.repeats,
        Some(vec![1, 4, 4, 1]),
        "the error set stays fixed"
    );
    assert_eq!(
        calls, 1,
        "the training set is evaluated once, at the end of stage 1"
    );
}

#[test]
fn lff_weights_favour_what_the_biased_model_finds_hard() {
    let set = TrainingSet {
        counts: vec![2, 2],
        labels: vec![0, 0, 1, 1],
        seed: 0,
    };
    let Objective::Lff(mut o) = Objective::new(&Method::from_name("lff").unwrap(), &set).unwrap()
    else {
        unreachable!()
    };
    // Sample 0: biased loss high, main low → W near 1; sample 1: the reverse → W near 0.
    let w = o.weights(&[0, 1, 2, 3], &[4.0, 0.1, 1.0, 1.0], &[0.1, 4.0, 1.0, 1.0]);
    // First visit: e = c; class 0 maxima: biased 4.0, main 4.0.
    let want0 = (4.0 / 4.0) / (4.0 / 4.0 + 0.1 / 4.0 + 1e-8);
    assert!(
        IDENTITY.close(w[0], want0) && w[0] > 0.9 && w[1] < 0.1,
        "{w:?}"
    );
    assert!(
        IDENTITY.close(w[2], 0.5 / (1.0 + 5e-9)),
        "equal difficulty → 1/2: {w:?}"
    );
    // EMA on the second visit: e = 0.7 e + 0.3 c.
    let _ = o.weights(&[0], &[0.0], &[0.0]);
    assert!(IDENTITY.close(o.ema_biased[0], 2.8));
    // A training run keeps two nets and reports the main one.
    let cfg = with_method(small(), "lff");
    let t = train(&cfg, RunOptions::default()).unwrap();
    assert_eq!(t.method, "lff");
}

#[test]
fn nan_loss_stops_with_a_message_that_says_what_exists() {
    let mut cfg = with_method(small(), "ce");
    cfg.optim.lr = 1e30;
    cfg.optim.weight_decay = 0.0;
    let out = tmp("nan");
    let e = train(&cfg, opts(&out))
        .err()
        .expect("a diverging run must stop")
        .to_string();
    assert!(e.contains("became non-finite at epoch 1"), "{e}");
    assert!(e.contains("no checkpoint was written"), "{e}");
    assert!(
        !out.join("checkpoints").exists()
            || mr2::train::checkpoint::complete_checkpoints(&out)
                .unwrap()
                .is_empty()
    );
    // One full-batch step with a huge learning rate: the epoch's loss is finite, the step
    // makes the weights overflow (the outputs become non-finite) — caught before a checkpoint
    // is written.
    let mut one = small();
    one.optim.lr = 1e30;
    one.optim.schedule = mr2::train::ScheduleKind::Constant;
    one.optim.weight_decay = 0.0;
    one.batch_size = 900;
    let out = tmp("nan-params");
    let e = train(&one, opts(&out))
        .err()
        .expect("non-finite weights must stop the run")
        .to_string();
    assert!(e.contains("at epoch 1;") && e.contains("the model"), "{e}");
    assert!(mr2::train::checkpoint::complete_checkpoints(&out)
        .unwrap()
        .is_empty());
}

#[test]
fn configuration_is_validated() {
    let ok = small();
    assert!(ok.validate().is_ok());
    let mut cases: Vec<(&str, TrainConfig)> = Vec::new();
    let mut c = ok.clone();
    c.epochs = 0;
    cases.push(("epochs", c));
    let mut c = ok.clone();
    c.batch_size = 1;
    cases.push(("batch_size", c));
    let mut c = ok.clone();
    c.optim.lr = 0.0;
    cases.push(("lr", c));
    let mut c = ok.clone();
    c.optim.momentum = 1.0;
    cases.push(("momentum", c));
    let mut c = ok.clone();
    c.optim.weight_decay = -1.0;
    cases.push(("weight_decay", c));
    let mut c = ok.clone();
    c.optim.sam_rho = -0.1;
    cases.push(("sam_rho", c));
    for (name, c) in cases {
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains(name), "`{name}` not named in: {e}");
    }
}

#[test]
fn summary_reports_the_gamma_the_objective_used() {
    // One answer to "which γ divided the logits": 1 for CE-type objectives, MR²'s margins for
    // the γ family (mean c̄), 1/s for the scaled cosine losses — in summary.json and metrics.
    for (name, check) in [
        (
            "ce",
            (|g: &[f64]| g.iter().all(|v| *v == 1.0)) as fn(&[f64]) -> bool,
        ),
        ("rep", |g| g.iter().all(|v| *v == 1.0)),
        ("supcon", |g| g.iter().all(|v| *v == 1.0)),
        ("gamma-ce", |g| {
            IDENTITY.close(g.iter().sum::<f64>() / g.len() as f64, 2.0)
                && g.iter().any(|v| !F32_VS_F64.close(*v, 2.0))
        }),
        ("mr2", |g| {
            IDENTITY.close(g.iter().sum::<f64>() / g.len() as f64, 2.0)
                && g.iter().any(|v| !F32_VS_F64.close(*v, 2.0))
        }),
        ("ldam", |g| g.iter().all(|v| IDENTITY.close(*v, 1.0 / 30.0))),
    ] {
        let mut cfg = with_method(small(), name);
        cfg.epochs = 1;
        let out = tmp(&format!("gamma-{name}"));
        let t = train(&cfg, opts(&out)).unwrap();
        let s = mr2::outputs::write_outputs(&t, &out, None, false).unwrap();
        let read = Summary::read(&out.join("summary.json")).unwrap();
        assert_eq!(read.method, name);
        assert!(check(&read.gamma), "{name}: summary γ {:?}", read.gamma);
        assert_eq!(read.gamma, s.gamma);
        let mean = read.gamma.iter().sum::<f64>() / read.gamma.len() as f64;
        assert!(
            IDENTITY.close(t.history[0].gamma_mean, mean),
            "{name}: metrics γ̄ {} vs summary {mean}",
            t.history[0].gamma_mean
        );
    }
}

#[test]
fn train_binary_end_to_end() {
    let out = tmp("cli");
    let st = std::process::Command::new(env!("CARGO_BIN_EXE_train"))
        .args([
            "--dataset",
            "synthetic",
            "--epochs",
            "2",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert!(s["overall"].as_f64().is_some());
    assert_eq!(s["per_class"].as_array().unwrap().len(), 6);
    for g in ["easy", "medium", "hard"] {
        assert!(s["groups"][g].as_f64().is_some());
    }
    let cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap();
    assert_eq!(cfg["epochs"], 2);
    assert_eq!(cfg["loss"]["method"], "mr2");
    // `compare` reads summaries and prints paired differences.
    let cmp = std::process::Command::new(env!("CARGO_BIN_EXE_compare"))
        .args(["--label", "A"])
        .arg(out.join("summary.json"))
        .args(["--label", "B"])
        .arg(out.join("summary.json"))
        .output()
        .unwrap();
    assert!(
        cmp.status.success(),
        "{}",
        String::from_utf8_lossy(&cmp.stderr)
    );
    let table = String::from_utf8_lossy(&cmp.stdout);
    assert!(
        table.contains("overall %") && table.contains("+0.000"),
        "{table}"
    );
    // One file twice in a group would count one run as two samples: refused, named.
    let twice = std::process::Command::new(env!("CARGO_BIN_EXE_compare"))
        .args(["--label", "A"])
        .arg(out.join("summary.json"))
        .arg(out.join("summary.json"))
        .output()
        .unwrap();
    assert!(!twice.status.success());
    let e = String::from_utf8_lossy(&twice.stderr);
    assert!(
        e.contains("given twice") && e.contains("summary.json"),
        "{e}"
    );
    // A second run into the same directory without --resume is refused; bad values name the
    // parameter, negative numbers included.
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_train"))
        .args(["--epochs", "2", "--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds a run"));
    for args in [
        ["--c-bar", "-1"],
        ["--lambda", "-0.5"],
        ["--p", "0.5"],
        ["--decay", "1"],
    ] {
        let bad = std::process::Command::new(env!("CARGO_BIN_EXE_train"))
            .args(args)
            .args(["--quiet", "--out"])
            .arg(tmp("cli-bad"))
            .output()
            .unwrap();
        assert!(!bad.status.success());
        let e = String::from_utf8_lossy(&bad.stderr);
        let key = args[0].trim_start_matches("--").replace('-', "_");
        assert!(
            e.contains(&key) && !e.contains("unexpected argument"),
            "{args:?}: {e}"
        );
    }
    // A convolution algorithm that does not exist is refused before training, named.
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_train"))
        .env("MR2_CONV", "winnograd")
        .args(["--epochs", "1", "--quiet", "--out"])
        .arg(tmp("cli-conv"))
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let e = String::from_utf8_lossy(&bad.stderr);
    assert!(e.contains("MR2_CONV") && e.contains("winnograd"), "{e}");
    // A baseline with its parameter, and a parameter it does not have.
    let ldam = std::process::Command::new(env!("CARGO_BIN_EXE_train"))
        .args([
            "--loss",
            "ldam",
            "--param",
            "drw=true",
            "--param",
            "max_margin=0.3",
            "--epochs",
            "1",
            "--quiet",
            "--out",
        ])
        .arg(tmp("cli-ldam"))
        .output()
        .unwrap();
    assert!(
        ldam.status.success(),
        "{}",
        String::from_utf8_lossy(&ldam.stderr)
    );
    let wrong = std::process::Command::new(env!("CARGO_BIN_EXE_train"))
        .args(["--loss", "ldam", "--c-bar", "2", "--quiet", "--out"])
        .arg(tmp("cli-wrong"))
        .output()
        .unwrap();
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("c_bar"));
    let list = std::process::Command::new(env!("CARGO_BIN_EXE_train"))
        .arg("--list-losses")
        .output()
        .unwrap();
    let l = String::from_utf8_lossy(&list.stdout);
    for m in METHODS {
        assert!(l.contains(m.name), "--list-losses misses {}", m.name);
    }
    // TOML config with a CLI override.
    let toml_path = tmp("cli-toml").with_extension("toml");
    std::fs::write(
        &toml_path,
        "epochs = 1\nseed = 3\n[loss]\nmethod = \"ce\"\n",
    )
    .unwrap();
    let o2 = tmp("cli-toml-out");
    let r = std::process::Command::new(env!("CARGO_BIN_EXE_train"))
        .arg("--config")
        .arg(&toml_path)
        .args(["--seed", "4", "--quiet", "--out"])
        .arg(&o2)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(o2.join("config.json")).unwrap()).unwrap();
    assert_eq!(cfg["seed"], 4);
    assert_eq!(cfg["loss"]["method"], "ce");
}

/// Counts the epochs a hook saw with and without test predictions.
#[derive(Default)]
struct SeenTest(std::rc::Rc<std::cell::RefCell<Vec<bool>>>);

impl mr2::train::EpochHook for SeenTest {
    fn on_epoch_end(&mut self, e: &mr2::train::EpochEnd<'_>) {
        self.0.borrow_mut().push(e.test.is_some());
    }
}

#[test]
fn evaluating_every_few_epochs_changes_no_training_result() {
    let every = small();
    let mut sparse = small();
    sparse.eval_every = 3;
    let seen = SeenTest::default();
    let log = seen.0.clone();
    let a = train(&every, RunOptions::default()).unwrap();
    let b = train(
        &sparse,
        RunOptions {
            hooks: vec![Box::new(seen)],
            ..Default::default()
        },
    )
    .unwrap();
    // Epochs 3 and 4 (the last) are evaluated; 1 and 2 record NaN test metrics.
    assert_eq!(*log.borrow(), vec![false, false, true, true]);
    for (x, y) in a.history.iter().zip(&b.history) {
        assert_eq!(
            [x.lr, x.train_loss, x.train_acc].map(f64::to_bits),
            [y.lr, y.train_loss, y.train_acc].map(f64::to_bits)
        );
        if y.epoch % 3 == 0 || y.epoch == 4 {
            assert_eq!(x.test_acc.to_bits(), y.test_acc.to_bits());
            assert_eq!(x.hard.to_bits(), y.hard.to_bits());
        } else {
            assert!(y.test_acc.is_nan() && y.hard.is_nan() && y.spread_easy.is_nan());
            assert!(x.test_acc.is_finite());
        }
        // The epoch's time split: steps, data and evaluation are parts of the whole.
        for m in [x, y] {
            let parts = [m.step_seconds, m.data_seconds, m.eval_seconds];
            assert!(parts.iter().all(|s| s.is_finite() && *s >= 0.0), "{m:?}");
            assert!(
                parts.iter().sum::<f64>() <= m.seconds * (1.0 + 1e-9),
                "{m:?}"
            );
        }
    }
    assert!(b.history[0].eval_seconds < a.history[0].eval_seconds);
    let mut zero = small();
    zero.eval_every = 0;
    let e = train(&zero, RunOptions::default())
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("eval_every"), "{e}");
}

#[test]
fn metrics_written_before_the_time_split_read_back_as_nan() {
    let dir = tmp("old-metrics");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("metrics.csv");
    std::fs::write(
        &p,
        "epoch,lr,train_loss,train_acc,val_acc,test_acc,easy,medium,hard,gamma_mean,gamma_range,s_bar,spread_easy,spread_medium,spread_hard,seconds\n\
         1,0.05,2.5,0.16,,0.21,0.49,0.15,0.02,1.0,0.0,,8.5,13.6,5.2,36.1\n",
    )
    .unwrap();
    let h = mr2::train::metrics::read_csv(&p).unwrap();
    assert_eq!(h.len(), 1);
    assert!(IDENTITY.close(h[0].seconds, 36.1));
    assert!(h[0].step_seconds.is_nan() && h[0].data_seconds.is_nan() && h[0].eval_seconds.is_nan());
    // A new file writes and reads the split back.
    let mut m = h[0].clone();
    (m.step_seconds, m.data_seconds, m.eval_seconds) = (20.0, 0.5, 12.0);
    std::fs::write(&p, mr2::train::metrics::csv_bytes(&[m.clone()]).unwrap()).unwrap();
    let back = mr2::train::metrics::read_csv(&p).unwrap();
    assert_eq!(back[0].step_seconds, 20.0);
    assert!(IDENTITY.close(back[0].data_share(), 0.025));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The learning-rate schedules: LDAM-DRW's (step, per-epoch warm-up, ×0.01 at 160 and 180 of
/// 200), the cosine with per-iteration warm-up, and a warm-up where there is none refused.
#[test]
fn learning_rate_schedules() {
    use mr2::train::{OptimConfig, ScheduleKind};
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1e-300);
    let ldam = OptimConfig {
        lr: 0.1,
        schedule: ScheduleKind::Step,
        warmup_epochs: 5,
        milestones: vec![160, 180],
        step_factor: 0.01,
        weight_decay: 2e-4,
        ..OptimConfig::default()
    };
    ldam.validate(200).unwrap();
    for (epoch, want) in [
        (0, 0.02),
        (1, 0.04),
        (4, 0.1),
        (5, 0.1),
        (159, 0.1),
        (160, 1e-3),
        (179, 1e-3),
        (180, 1e-5),
        (199, 1e-5),
    ] {
        // Constant within an epoch.
        for it in [0, 7, 96] {
            let got = ldam.lr_at(epoch, it, 97, 200);
            assert!(close(got, want), "epoch {epoch} it {it}: {got} ≠ {want}");
        }
    }
    let cosine = OptimConfig {
        lr: 0.1,
        warmup_epochs: 2,
        ..OptimConfig::default()
    };
    assert!(close(cosine.lr_at(0, 0, 10, 10), 0.1 / 20.0));
    assert!(close(cosine.lr_at(1, 9, 10, 10), 0.1));
    assert!(
        close(cosine.lr_at(6, 0, 10, 10), 0.05),
        "half-way through the decay"
    );
    assert!(cosine.lr_at(9, 9, 10, 10) < 1e-3);
    let flat = OptimConfig {
        schedule: ScheduleKind::Constant,
        warmup_epochs: 3,
        ..OptimConfig::default()
    };
    let e = flat.validate(10).unwrap_err().to_string();
    assert!(e.contains("warmup_epochs") && e.contains("constant"), "{e}");
    let long = OptimConfig {
        warmup_epochs: 10,
        ..ldam
    };
    assert!(long.validate(10).is_err(), "a warm-up as long as training");
}

/// The synthetic mixture's λ = 0.1 is a named default that a run says it uses; image datasets
/// keep the paper's 0.5 and say nothing.
#[test]
fn the_synthetic_lambda_is_named_and_said() {
    use mr2::data::DatasetName;
    use mr2::train::config::SYNTHETIC_LAMBDA;
    let syn = TrainConfig::defaults_for(DatasetName::Synthetic);
    assert_eq!(
        syn.loss.mr2_spec().unwrap().unwrap().rep().unwrap().lambda,
        SYNTHETIC_LAMBDA
    );
    let notes = syn.notes();
    assert!(
        notes.len() == 1 && notes[0].contains("λ = 0.1"),
        "{notes:?}"
    );
    let img = TrainConfig::defaults_for(DatasetName::FashionMnist);
    assert_eq!(
        img.loss.mr2_spec().unwrap().unwrap().rep().unwrap().lambda,
        0.5
    );
    assert!(img.notes().is_empty());
    let mut other = syn.clone();
    other.loss = other
        .loss
        .with_params(&[("lambda".into(), 0.3.into())], "t")
        .unwrap();
    assert!(other.notes().is_empty(), "a λ the user chose needs no note");
}

/// Epoch metrics with only the epoch and the test accuracy set (what the collapse warning reads).
fn epoch_metrics(epoch: usize, test_acc: f64) -> EpochMetrics {
    let nan = f64::NAN;
    EpochMetrics {
        epoch,
        lr: 0.1,
        train_loss: 1.0,
        train_acc: test_acc,
        val_acc: nan,
        test_acc,
        easy: nan,
        medium: nan,
        hard: nan,
        gamma_mean: 1.0,
        gamma_range: 0.0,
        s_bar: nan,
        spread_easy: nan,
        spread_medium: nan,
        spread_hard: nan,
        seconds: 1.0,
        step_seconds: 1.0,
        data_seconds: 0.0,
        eval_seconds: 0.0,
        test_per_class: String::new(),
    }
}

/// `eval_last` evaluates each of the last epochs, and `summary.json` records the best of the
/// evaluated epochs (with its per-class accuracies) beside the last; results are unchanged by
/// the extra evaluations.
#[test]
fn the_best_evaluated_epoch_is_recorded_beside_the_last() {
    use mr2::train::metrics::best_epoch;
    let mut cfg = mr2::train::TrainConfig {
        epochs: 6,
        eval_every: 3,
        ..Default::default()
    };
    cfg.data.synthetic.train_per_class = 40;
    cfg.data.synthetic.test_per_class = 40;
    cfg.loss = mr2::loss::Method::from_name("ce").unwrap();
    let plain = mr2::train::train(&cfg, mr2::train::RunOptions::default()).unwrap();
    let evaluated = |t: &mr2::train::Trained| {
        t.history
            .iter()
            .filter(|m| m.test_acc.is_finite())
            .map(|m| m.epoch)
            .collect::<Vec<_>>()
    };
    assert_eq!(evaluated(&plain), vec![3, 6]);
    cfg.eval_last = 3;
    assert!(cfg.evaluates_after(4) && cfg.evaluates_after(5) && !cfg.evaluates_after(2));
    let tail = mr2::train::train(&cfg, mr2::train::RunOptions::default()).unwrap();
    assert_eq!(evaluated(&tail), vec![3, 4, 5, 6]);
    // Evaluating more changes nothing that training computes.
    for (a, b) in plain.history.iter().zip(&tail.history) {
        assert_eq!(a.train_loss.to_bits(), b.train_loss.to_bits());
    }
    let last = tail.history.last().unwrap();
    assert_eq!(plain.history.last().unwrap().test_acc, last.test_acc);
    // Per-class accuracies are stored in full precision and read back.
    let pc = last.per_class_accuracy();
    assert_eq!(pc.len(), 6);
    assert!((pc.iter().sum::<f64>() / 6.0 - last.test_acc).abs() < 1e-12);
    let best = best_epoch(&tail.history).unwrap();
    let max = tail
        .history
        .iter()
        .map(|m| m.test_acc)
        .filter(|v| v.is_finite())
        .fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(best.overall, max);
    assert_eq!(best.evaluations, 4);
    assert_eq!(
        best.per_class,
        tail.history[best.epoch - 1].per_class_accuracy()
    );
    let s = mr2::outputs::summarize(&tail, None).unwrap().0;
    assert_eq!(s.best.as_ref(), Some(&best));
    // By hand: ties keep the first; NaN epochs are not evaluations.
    let h = vec![
        epoch_metrics(1, f64::NAN),
        epoch_metrics(2, 0.5),
        epoch_metrics(3, 0.7),
        epoch_metrics(4, 0.7),
        epoch_metrics(5, 0.6),
    ];
    let b = best_epoch(&h).unwrap();
    assert_eq!((b.epoch, b.overall, b.evaluations), (3, 0.7, 4));
    assert!(b.per_class.is_empty());
    assert!(best_epoch(&h[..1]).is_none());
    // eval_last beyond the run is refused, naming the setting.
    cfg.eval_last = 7;
    let e = cfg.validate().unwrap_err().to_string();
    assert!(e.contains("eval_last"), "{e}");
}

/// Ten test points of K = 10 classes whose features all have squared norm `energy` (d = 4).
fn predictions_with_energy(energy: f64) -> mr2::model::Predictions {
    let (n, d, k) = (10, 4, 10);
    let v = (energy / d as f64).sqrt() as f32;
    mr2::model::Predictions {
        logits: vec![0.0; n * k],
        features: vec![v; n * d],
        d,
        k,
        labels: (0..n).collect(),
    }
}

/// Feeds a collapse warning a start energy and then (energy, test accuracy) per evaluated epoch;
/// returns its messages.
fn collapse_messages(start: f64, epochs: &[(f64, f64)]) -> Vec<String> {
    use mr2::train::{CollapseWarning, EpochEnd, EpochHook};
    let config = small();
    let mut w = CollapseWarning::default();
    w.on_start(&predictions_with_energy(start));
    for (i, &(energy, acc)) in epochs.iter().enumerate() {
        let p = predictions_with_energy(energy);
        let m = epoch_metrics(i + 1, acc);
        w.on_epoch_end(&EpochEnd {
            metrics: &m,
            test: Some(&p),
            epochs: epochs.len(),
            config: &config,
        });
    }
    w.messages
}

#[test]
fn the_collapse_warning_tells_collapse_from_a_shrinking_initial_scale() {
    let energy = mr2::train::hooks::feature_energy(&predictions_with_energy(27.0));
    assert!((energy - 27.0).abs() < 1e-4, "{energy}");
    // ℓ_s̄ as printed at a large λ: features to a point, predictions at chance (K = 10) — warned,
    // once, with the accuracy in the message.
    let m = collapse_messages(1.0, &[(1e-4, 0.10), (1e-5, 0.10), (1e-6, 0.10)]);
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(
        m[0].contains("epoch 1") && m[0].contains("chance 10.00%"),
        "{m:?}"
    );
    // Twice chance still counts; just above it does not.
    assert_eq!(collapse_messages(1.0, &[(1e-4, 0.20)]).len(), 1);
    assert!(collapse_messages(1.0, &[(1e-4, 0.21)]).is_empty());
    // Kaiming-normal on ResNet-32 (measured: 5.56e4 before training, 27 at epoch 10 with the
    // model learning): a 2000-fold fall, no collapse.
    assert!(collapse_messages(5.56e4, &[(27.0, 0.56), (30.0, 0.70), (25.0, 0.75)]).is_empty());
    // A fall short of 1/1000 at chance is not collapse either.
    assert!(collapse_messages(1.0, &[(2e-3, 0.10)]).is_empty());
    // Features that had a trained scale and lost it: warned whatever the accuracy, naming the
    // peak.
    let m = collapse_messages(5.56e4, &[(27.0, 0.56), (30.0, 0.70), (0.02, 0.40)]);
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].contains("3.00e1") && m[0].contains("epoch 3"), "{m:?}");
    assert!(collapse_messages(5.56e4, &[(27.0, 0.56), (30.0, 0.70), (0.04, 0.40)]).is_empty());
}

/// Shares a collapse warning's messages with the test after `train` has taken the hook.
struct SharedCollapse(std::rc::Rc<std::cell::RefCell<mr2::train::CollapseWarning>>);

impl mr2::train::EpochHook for SharedCollapse {
    fn on_start(&mut self, test: &mr2::model::Predictions) {
        self.0.borrow_mut().on_start(test);
    }
    fn on_epoch_end(&mut self, e: &mr2::train::EpochEnd<'_>) {
        self.0.borrow_mut().on_epoch_end(e);
    }
}

#[test]
fn the_collapse_warning_fires_when_training_collapses_and_only_then() {
    let run = |lambda: f64| {
        let mut c = with_method(small(), "mr2");
        c.loss = c
            .loss
            .with_params(&[("lambda".into(), lambda.into())], "test")
            .unwrap();
        let w = std::rc::Rc::new(std::cell::RefCell::new(
            mr2::train::CollapseWarning::default(),
        ));
        let r = train(
            &c,
            RunOptions {
                hooks: vec![Box::new(SharedCollapse(w.clone()))],
                ..Default::default()
            },
        )
        .unwrap();
        let m = w.borrow().messages.clone();
        (r.history.last().unwrap().test_acc, m)
    };
    // ℓ_s̄ as printed at λ = 0.5 collapses the MLP's features (docs/training.md): warned, with
    // λ in the hint.
    let (acc, m) = run(0.5);
    assert_eq!(m.len(), 1, "accuracy {acc}: {m:?}");
    assert!(m[0].contains("λ = 0.5"), "{m:?}");
    // The synthetic default λ trains: no warning.
    let (acc, m) = run(mr2::train::config::SYNTHETIC_LAMBDA);
    assert!(m.is_empty() && acc > 0.5, "accuracy {acc}: {m:?}");
}

/// An epoch without a test evaluation, or a third without classes (K = 2), prints "—", not
/// "NaN%"; the WRN's width is named as its widen factor when it is too large.
#[test]
fn messages_say_what_is_missing_in_words() {
    let line = epoch_metrics(3, f64::NAN).log_line(10);
    assert!(!line.contains("NaN"), "{line}");
    assert!(line.contains("test       —"), "{line}");
    let cfg = mr2::model::ModelConfig {
        arch: mr2::model::Arch::Wrn,
        width: 128,
        depth: 16,
        ..Default::default()
    };
    // WRN-16 with widen factor 128 needs ≈ 47 GiB: over the memory limit of these machines.
    let Err(e) = mr2::model::Net::with_head(
        &cfg,
        [3, 32, 32],
        10,
        mr2::model::HeadKind::Linear,
        &mr2::train::device(),
    ) else {
        panic!("a WRN-16 of widen factor 128 fits in memory")
    };
    let e = e.to_string();
    assert!(e.contains("widen factor"), "{e}");
    // The binaries: a negative shard is parsed (and refused by its own check), compare names
    // an unknown option and answers --version.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_experiments"))
        .args(["spread", "--preset", "quick", "--report", "--shard", "-1/2"])
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("--shard") && !e.contains("'-- -1'"), "{e}");
    // A parameter given twice, and options of another experiment, are refused (one used to win
    // silently; the other was ignored).
    for args in [
        &["--param", "c_bar=2", "--c-bar", "3", "--epochs", "1"][..],
        &["--param", "c_bar=2", "--param", "c_bar=3", "--epochs", "1"][..],
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_train"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let e = String::from_utf8_lossy(&out.stderr);
        assert!(e.contains("c_bar") && e.contains("twice"), "{e}");
    }
    // An invalid λ or c̄ is checked in one function and reported once, naming the flag that
    // gave it.
    for (args, flag, reason) in [
        (
            &["--lambda", "-1"][..],
            "--lambda:",
            "λ must be finite and >= 0",
        ),
        (
            &["--param", "lambda=-1"][..],
            "--param lambda=…:",
            "λ must be finite",
        ),
        (
            &["--c-bar", "0"][..],
            "--c-bar:",
            "c̄ must be finite and > 0",
        ),
        (
            &["--param", "c_bar=-2"][..],
            "--param c_bar=…:",
            "c̄ must be finite",
        ),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_train"))
            .args(args)
            .args(["--epochs", "1"])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        let e = String::from_utf8_lossy(&out.stderr);
        assert!(e.contains(flag), "{args:?}: {e}");
        assert_eq!(e.matches(reason).count(), 1, "{args:?}: {e}");
        assert_eq!(e.matches("invalid parameter").count(), 1, "{args:?}: {e}");
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_experiments"))
        .args(["ablation", "--preset", "quick", "--report", "--delta", "5"])
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("--delta is an option of bounds-vs-error"), "{e}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_compare"))
        .args(["--bogus"])
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("unknown option --bogus"), "{e}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_compare"))
        .args(["--version"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("compare "));
}
