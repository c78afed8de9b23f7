//! Training: determinism, resume equivalence, NaN handling, configuration validation, and the
//! `train` binary end to end (all on the embedded synthetic data, seconds each).

use mr2::loss::LossKind;
use mr2::train::{train, RunOptions, TrainConfig};

fn small() -> TrainConfig {
    let mut c = TrainConfig::default();
    c.data.synthetic.train_per_class = 150;
    c.data.synthetic.test_per_class = 40;
    c.epochs = 4;
    c.batch_size = 32;
    c.loss.lambda = 0.1;
    c
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("mr2-train-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn same_seed_same_metrics() {
    let a = train(&small(), &RunOptions::default()).unwrap();
    let b = train(&small(), &RunOptions::default()).unwrap();
    assert_eq!(
        a.history
            .iter()
            .map(|m| (m.train_loss, m.test_acc))
            .collect::<Vec<_>>(),
        b.history
            .iter()
            .map(|m| (m.train_loss, m.test_acc))
            .collect::<Vec<_>>()
    );
    assert!(
        a.history.last().unwrap().test_acc > 0.5,
        "the MLP learns the mixture"
    );
}

#[test]
fn resume_matches_uninterrupted_run() {
    let cfg = small();
    let full = tmp("full");
    let part = tmp("part");
    let a = train(
        &cfg,
        &RunOptions {
            out: Some(full.clone()),
            ..Default::default()
        },
    )
    .unwrap();
    // Interrupted after 2 epochs, then resumed.
    let first = train(
        &cfg,
        &RunOptions {
            out: Some(part.clone()),
            stop_after: Some(2),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(first.history.len(), 2);
    let b = train(
        &cfg,
        &RunOptions {
            out: Some(part.clone()),
            resume: true,
            ..Default::default()
        },
    )
    .unwrap();
    let key = |h: &[mr2::train::EpochMetrics]| {
        h.iter()
            .map(|m| {
                (
                    m.epoch,
                    m.train_loss.to_bits(),
                    m.test_acc.to_bits(),
                    m.s_bar.to_bits(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        key(&a.history),
        key(&b.history),
        "resumed run differs from the uninterrupted one"
    );
    assert_eq!(a.margin_state, b.margin_state);
    for f in [
        "config.json",
        "metrics.csv",
        "checkpoint/state.json",
        "checkpoint/model.bpk",
        "checkpoint/optim.bpk",
    ] {
        assert!(part.join(f).exists(), "missing {f}");
    }
    let csv = std::fs::read_to_string(part.join("metrics.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + cfg.epochs);
    // Resuming with a different configuration is refused.
    let mut other = cfg.clone();
    other.loss.c_bar = 3.0;
    let e = train(
        &other,
        &RunOptions {
            out: Some(part),
            resume: true,
            ..Default::default()
        },
    )
    .err()
    .expect("a changed configuration must be refused")
    .to_string();
    assert!(e.contains("different configuration"), "{e}");
}

#[test]
fn nan_loss_stops_with_a_message() {
    let mut cfg = small();
    cfg.optim.lr = 1e30;
    cfg.loss.kind = LossKind::Ce;
    cfg.optim.weight_decay = 0.0;
    let out = tmp("nan");
    let e = train(
        &cfg,
        &RunOptions {
            out: Some(out.clone()),
            ..Default::default()
        },
    )
    .err()
    .expect("a diverging run must stop");
    let msg = e.to_string();
    assert!(
        msg.contains("loss became") && msg.contains("checkpoint"),
        "{msg}"
    );
    if out.join("checkpoint/state.json").exists() {
        let s: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out.join("checkpoint/state.json")).unwrap(),
        )
        .unwrap();
        assert!(s["epoch"].as_u64().unwrap() < cfg.epochs as u64);
    }
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
    c.loss.c_bar = 0.0;
    cases.push(("c_bar", c));
    let mut c = ok.clone();
    c.loss.decay = 1.0;
    cases.push(("decay", c));
    for (name, c) in cases {
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains(name), "`{name}` not named in: {e}");
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
    assert!(s["classifier_margin_deg"].as_f64().is_some());
    let cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap();
    assert_eq!(cfg["epochs"], 2);
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
    // A second run into the same directory without --resume is refused; bad values name the flag.
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_train"))
        .args(["--epochs", "2", "--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(!again.status.success());
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_train"))
        .args(["--c-bar", "0", "--quiet", "--out"])
        .arg(tmp("cli-bad"))
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("c_bar"));
    // TOML config with a CLI override.
    let toml_path = tmp("cli-toml").with_extension("toml");
    std::fs::write(&toml_path, "epochs = 1\nseed = 3\n[loss]\nkind = \"ce\"\n").unwrap();
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
    assert_eq!(cfg["loss"]["kind"], "ce");
}
