//! Reliability: exact float round trips, verified and crash-safe checkpoints, the run lock,
//! validation of what a checkpoint holds, configuration files with unknown keys, one set of
//! defaults, data files that disagree or hide extra data, and `compare` on mismatched classes.
//! Each test here failed before the fix it guards.

use std::io::Write;
use std::path::{Path, PathBuf};

use mr2::data::{cifar, idx, DatasetName};
use mr2::eval::compare::compare;
use mr2::eval::Summary;
use mr2::loss::MarginState;
use mr2::train::checkpoint::{complete_checkpoints, RunDir};
use mr2::train::{train, Overrides, RunOptions, TrainConfig};
use rand::{Rng, SeedableRng};

fn small() -> TrainConfig {
    let mut c = TrainConfig::default();
    c.data.synthetic.train_per_class = 60;
    c.data.synthetic.test_per_class = 20;
    c.epochs = 3;
    c.batch_size = 32;
    c
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mr2-rel-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn run(
    cfg: &TrainConfig,
    out: &Path,
    resume: bool,
    stop: Option<usize>,
) -> mr2::Result<mr2::train::Trained> {
    train(
        cfg,
        RunOptions {
            out: Some(out.to_path_buf()),
            resume,
            stop_after: stop,
            ..Default::default()
        },
    )
}

fn err(r: mr2::Result<mr2::train::Trained>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

fn latest(out: &Path) -> PathBuf {
    complete_checkpoints(out).unwrap().pop().unwrap().1
}

#[test]
fn every_f64_survives_a_json_round_trip_bit_for_bit() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mut values: Vec<f64> = (0..200_000)
        .map(|_| f64::from_bits(rng.random::<u64>()))
        .filter(|v| v.is_finite())
        .collect();
    values.extend([
        f64::MIN_POSITIVE,
        f64::MIN_POSITIVE / 3.0, // subnormal
        5e-324,                  // smallest subnormal
        f64::MAX,
        f64::MIN,
        -0.0,
        0.1,
        1.0 / 3.0,
        0.388_f64.next_up(),
    ]);
    let js = serde_json::to_string(&values).unwrap();
    let back: Vec<f64> = serde_json::from_str(&js).unwrap();
    let bad = values
        .iter()
        .zip(&back)
        .filter(|(a, b)| a.to_bits() != b.to_bits())
        .count();
    assert_eq!(
        bad,
        0,
        "{bad} of {} values changed on a JSON round trip",
        values.len()
    );
    // The EMA state itself (as a checkpoint stores it).
    let mut st = MarginState::new(5, 0.9).unwrap();
    let feats: Vec<f64> = (0..40).map(|_| rng.random_range(-3.0..3.0)).collect();
    let labels: Vec<usize> = (0..10).map(|i| i % 5).collect();
    for _ in 0..7 {
        st.update(&feats, 4, &labels, 2.0).unwrap();
    }
    let back: MarginState =
        serde_json::from_str(&serde_json::to_string_pretty(&st).unwrap()).unwrap();
    assert_eq!(back, st);
    for (a, b) in st.alpha.values.iter().zip(&back.alpha.values) {
        assert_eq!(a.unwrap().to_bits(), b.unwrap().to_bits());
    }
}

/// A checkpoint's MR² objective written before the named specification (positional
/// `gamma`/`rep` tuples, and c̄, p and γ's uniformity kept a second time in the EMA state)
/// still reads, as the same objective; the new layout round-trips; a stored specification or
/// EMA that contradicts itself is refused, naming the field.
#[test]
fn stored_mr2_objectives_of_both_layouts_read() {
    use mr2::loss::mr2::{LaOrder, Mr2Form, Mr2Params};
    use mr2::loss::{Method, Objective};
    let old = |spec: &str, decay: f64| {
        format!(
            r#"{{"method": "mr2", "spec": {spec}, "state": {{"alpha": {{"decay": {decay}, "values": [5.5, null]}}, "msd": {{"decay": 0.9, "values": [3.9, null]}}, "p": 5.0, "c_bar": 1.0, "uniform": false}}, "log_prior": null}}"#
        )
    };
    let read = |js: &str| serde_json::from_str::<Objective>(js).map_err(|e| e.to_string());
    let released = r#"{"gamma": [1.0, false], "rep": [0.1, true, "released"], "la_tau": null, "la_order": "after-gamma", "ema_reset": true, "decay": 0.9, "p": 5.0}"#;
    let Ok(Objective::Mr2(o)) = read(&old(released, 0.9)) else {
        panic!("{:?}", read(&old(released, 0.9)))
    };
    let want = Method::Mr2(Mr2Params::released(true))
        .mr2_spec()
        .unwrap()
        .unwrap();
    assert_eq!(o.spec, want);
    assert_eq!(o.state.alpha.values, [Some(5.5), None]);
    let obj = Objective::Mr2(o.clone());
    obj.validate_state(2).unwrap();
    assert!(obj.validate_state(3).is_err(), "another class count");
    // The new layout: named form and parameters; it reads back to the same objective.
    let js = serde_json::to_string(&obj).unwrap();
    assert!(
        js.contains(r#""form":"mr2""#) && !js.contains("la_tau"),
        "{js}"
    );
    assert_eq!(read(&js).unwrap(), obj);
    // The other forms of the old layout.
    for (spec, form, uniform) in [
        (
            r#"{"gamma": [2.0, true], "rep": null, "la_tau": null, "decay": 0.9, "p": 2.0}"#,
            Mr2Form::GammaCe,
            Some(true),
        ),
        (
            r#"{"gamma": null, "rep": [0.5, false, "paper"], "la_tau": null, "decay": 0.9, "p": 2.0}"#,
            Mr2Form::Rep,
            None,
        ),
        (
            r#"{"gamma": [2.0, false], "rep": [0.5, false, "paper"], "la_tau": 1.0, "la_order": "before-gamma", "decay": 0.9, "p": 2.0}"#,
            Mr2Form::LaMr2(mr2::loss::mr2::LogitAdjustment {
                tau: 1.0,
                order: LaOrder::BeforeGamma,
            }),
            Some(false),
        ),
    ] {
        let Ok(Objective::Mr2(o)) = read(&old(spec, 0.9)) else {
            panic!("{spec}: {:?}", read(&old(spec, 0.9)))
        };
        assert_eq!(o.spec.form(), form, "{spec}");
        assert_eq!(o.spec.gamma().map(|g| g.uniform), uniform, "{spec}");
    }
    // Refused: an invalid stored parameter (named), neither term, an EMA with another decay.
    let bad_c = released.replace("[1.0, false]", "[0.0, false]");
    let e = read(&old(&bad_c, 0.9)).unwrap_err();
    assert!(e.contains("c_bar") || e.contains("c̄"), "{e}");
    let neither = r#"{"gamma": null, "rep": null, "la_tau": null, "decay": 0.9, "p": 2.0}"#;
    assert!(read(&old(neither, 0.9)).is_err());
    let Ok(obj) = read(&old(released, 0.5)) else {
        panic!()
    };
    let e = obj.validate_state(2).unwrap_err().to_string();
    assert!(e.contains("EMA decay"), "{e}");
}

#[test]
fn corrupted_or_foreign_checkpoint_files_are_refused() {
    let cfg = small();
    for file in ["model.bpk", "optim.bpk"] {
        let out = tmp(&format!("flip-{file}"));
        run(&cfg, &out, false, Some(2)).unwrap();
        let p = latest(&out).join(file);
        let mut b = std::fs::read(&p).unwrap();
        let at = b.len() / 2;
        b[at] ^= 0x10;
        std::fs::write(&p, b).unwrap();
        let e = err(run(&cfg, &out, true, None));
        assert!(e.contains(file) && e.contains("checksum"), "{e}");
        // The intact earlier checkpoint is offered (never used silently).
        assert!(
            e.contains("epoch-0001 is intact") && e.contains("move"),
            "{e}"
        );
    }
    // An optimiser file from another run (another width).
    let a = tmp("foreign-a");
    let b = tmp("foreign-b");
    run(&cfg, &a, false, Some(1)).unwrap();
    let mut wide = cfg.clone();
    wide.model.width = 64;
    run(&wide, &b, false, Some(1)).unwrap();
    std::fs::copy(latest(&b).join("optim.bpk"), latest(&a).join("optim.bpk")).unwrap();
    let e = err(run(&cfg, &a, true, None));
    assert!(e.contains("optim.bpk"), "{e}");
}

#[test]
fn a_crash_during_the_checkpoint_write_resumes_from_the_last_complete_one() {
    let cfg = small();
    let full = tmp("crash-full");
    let reference = run(&cfg, &full, false, None).unwrap();
    // Crash while writing epoch 3: a partial temporary directory next to epoch 2.
    let out = tmp("crash");
    run(&cfg, &out, false, Some(2)).unwrap();
    let partial = out.join("checkpoints/epoch-0003.tmp");
    std::fs::create_dir_all(&partial).unwrap();
    std::fs::write(partial.join("model.bpk"), b"half a file").unwrap();
    // Without --resume the directory is recognised as holding a run.
    let e = err(run(&cfg, &out, false, None));
    assert!(e.contains("already holds a run"), "{e}");
    let resumed = run(&cfg, &out, true, None).unwrap();
    assert_eq!(
        reference
            .history
            .iter()
            .map(|m| m.train_loss.to_bits())
            .collect::<Vec<_>>(),
        resumed
            .history
            .iter()
            .map(|m| m.train_loss.to_bits())
            .collect::<Vec<_>>()
    );
    assert!(!partial.exists(), "the incomplete checkpoint is cleaned up");
    // Crash after the new checkpoint was renamed into place but before the old one was
    // removed: both are complete; the newer one is used.
    let out = tmp("crash-two");
    run(&cfg, &out, false, Some(2)).unwrap();
    assert_eq!(complete_checkpoints(&out).unwrap().len(), 2);
    run(&cfg, &out, true, None).unwrap();
    assert_eq!(complete_checkpoints(&out).unwrap().last().unwrap().0, 3);
}

#[test]
fn invalid_checkpoint_contents_are_refused() {
    let cfg = small();
    let edit = |name: &str, f: &dyn Fn(&mut serde_json::Value)| -> String {
        let out = tmp(name);
        run(&cfg, &out, false, Some(2)).unwrap();
        let p = latest(&out).join("state.json");
        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        f(&mut v);
        std::fs::write(&p, serde_json::to_string(&v).unwrap()).unwrap();
        err(run(&cfg, &out, true, None))
    };
    let e = edit("epoch", &|v| v["epoch"] = 99.into());
    assert!(e.contains("epoch 99"), "{e}");
    let e = edit("ema", &|v| {
        v["objective"]["state"]["alpha"]["values"][0] = (-1e308).into()
    });
    assert!(e.contains("EMA value") && e.contains("state.json"), "{e}");
    let e = edit("checksum", &|v| v["files"]["model.bpk"] = "00".into());
    assert!(e.contains("model.bpk") && e.contains("checksum"), "{e}");
    // A consistent checkpoint (directory, epoch and history agree) for an epoch beyond the run's.
    let out = tmp("beyond");
    run(&cfg, &out, false, None).unwrap();
    let last = latest(&out);
    let total = cfg.epochs;
    let moved = last.with_file_name(format!("epoch-{:04}", total + 1));
    std::fs::rename(&last, &moved).unwrap();
    let p = moved.join("state.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    v["epoch"] = (total + 1).into();
    let mut extra = v["history"][total - 1].clone();
    extra["epoch"] = (total + 1).into();
    v["history"].as_array_mut().unwrap().push(extra);
    std::fs::write(&p, serde_json::to_string(&v).unwrap()).unwrap();
    let e = err(run(&cfg, &out, true, None));
    assert!(
        e.contains(&format!("beyond the run's {total} epochs")),
        "{e}"
    );
    // state.json deleted: an error naming it, not a silent restart.
    let out = tmp("nostate");
    run(&cfg, &out, false, Some(2)).unwrap();
    std::fs::remove_file(latest(&out).join("state.json")).unwrap();
    let e = err(run(&cfg, &out, true, None));
    assert!(e.contains("state.json"), "{e}");
    // config.json changed behind the run's back.
    let out = tmp("cfgchanged");
    run(&cfg, &out, false, Some(1)).unwrap();
    let mut other = cfg.clone();
    other.seed = 5;
    std::fs::write(
        out.join("config.json"),
        serde_json::to_string(&other).unwrap(),
    )
    .unwrap();
    let e = err(run(&cfg, &out, true, None));
    assert!(e.contains("config.json"), "{e}");
}

#[test]
fn a_run_directory_has_one_writer() {
    let out = tmp("lock");
    let held = RunDir::open(&out, false).unwrap();
    let e = err(run(&small(), &out, false, None));
    assert!(
        e.contains("in use by another") && e.contains(".lock"),
        "{e}"
    );
    assert!(matches!(
        RunDir::open(&out, true),
        Err(mr2::Error::Locked { .. })
    ));
    // Another process (a second `train` on the same --out) is refused too.
    let other = std::process::Command::new(env!("CARGO_BIN_EXE_train"))
        .args(["--epochs", "1", "--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(!other.status.success());
    let msg = String::from_utf8_lossy(&other.stderr);
    assert!(msg.contains("in use by another"), "{msg}");
    drop(held);
    assert!(
        RunDir::open(&out, false).is_ok(),
        "the lock is released with its holder"
    );
    // A lock released within LOCK_PATIENCE — as the copy a child process inherits while it
    // starts is, milliseconds later — is waited for, not refused.
    let busy = RunDir::open(&out, true).unwrap();
    let release = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        drop(busy);
    });
    let start = std::time::Instant::now();
    assert!(RunDir::open(&out, true).is_ok(), "a lock released in 0.3 s");
    assert!(start.elapsed() >= std::time::Duration::from_millis(250));
    assert!(mr2::train::checkpoint::LOCK_PATIENCE >= std::time::Duration::from_secs(1));
    release.join().unwrap();
}

#[test]
fn a_non_finite_model_is_detected() {
    use burn::optim::GradientsParams;
    use mr2::model::{Arch, Extras, HeadKind, Model, ModelConfig};
    use mr2::train::optim::{all_finite, sam_perturbed};
    let dev = burn::tensor::Device::flex().autodiff();
    let cfg = ModelConfig {
        arch: Arch::Mlp,
        width: 4,
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
    assert!(all_finite(&m).unwrap());
    // A fixed input: drawing from burn's device RNG here would race with the seeded
    // initialisations of the other tests running in this process.
    let x = burn::tensor::Tensor::<4>::from_data(
        burn::tensor::TensorData::new(
            (0..12).map(|i| i as f32 * 0.25 - 1.5).collect::<Vec<_>>(),
            [4, 3, 1, 1],
        ),
        &dev,
    );
    let g = GradientsParams::from_grads(m.net.forward(x).0.sum().backward(), &m);
    let broken = sam_perturbed(&m, &g, f64::INFINITY).unwrap();
    assert!(!all_finite(&broken).unwrap());
}

#[test]
fn configuration_files_refuse_unknown_keys_and_share_the_defaults() {
    let dir = tmp("cfgfiles");
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let e = TrainConfig::from_file(&write("a.toml", "epoch = 3\n"), None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("a.toml") && e.contains("epoch") && e.contains("did you mean `epochs`"),
        "{e}"
    );
    let e = TrainConfig::from_file(&write("b.toml", "[loss]\nlamda = 5.0\n"), None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("b.toml") && e.contains("did you mean `lambda`"),
        "{e}"
    );
    let e = TrainConfig::from_file(&write("c.toml", "[optim]\nlearning_rate = 0.1\n"), None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("learning_rate"), "{e}");
    let e = TrainConfig::from_file(&write("d.json", "{\"data\": {\"nme\": \"mnist\"}}"), None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("d.json") && e.contains("did you mean `name`"),
        "{e}"
    );
    // A key twice in one JSON object (the last used to win silently; TOML refuses it too).
    for text in [
        "{\"epochs\": 2, \"epochs\": 3}",
        "{\"loss\": {\"method\": \"mr2\", \"lambda\": 0.1, \"lambda\": 0.9}}",
    ] {
        let e = TrainConfig::from_file(&write("dup.json", text), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("dup.json") && e.contains("given twice"), "{e}");
    }
    assert!(TrainConfig::from_file(&write("a2.toml", "epochs = 2\nepochs = 3\n"), None).is_err());
    // The same keys in different objects are not duplicates.
    TrainConfig::from_file(
        &write("nested.json", "{\"seed\": 1, \"data\": {\"seed\": 2}}"),
        None,
    )
    .map(|_| ())
    .or_else(|e| {
        if e.to_string().contains("given twice") {
            Err(e)
        } else {
            Ok(())
        }
    })
    .unwrap();
    // One set of defaults: an empty file gives what no file gives, for every dataset.
    let empty = write("empty.toml", "");
    for ds in [
        DatasetName::Synthetic,
        DatasetName::FashionMnist,
        DatasetName::Cifar10,
    ] {
        let o = Overrides {
            dataset: Some(ds),
            ..Default::default()
        };
        assert_eq!(
            TrainConfig::resolve(Some(&empty), &o).unwrap(),
            TrainConfig::resolve(None, &o).unwrap(),
            "{ds:?}"
        );
    }
    // A file naming only its dataset gets that dataset's defaults.
    let f = write("fm.toml", "[data]\nname = \"fashion-mnist\"\n");
    assert_eq!(
        TrainConfig::from_file(&f, None).unwrap(),
        TrainConfig::defaults_for(DatasetName::FashionMnist)
    );
    // Switching the method in a file starts from that method's defaults for the dataset.
    let f = write("rep.toml", "[loss]\nmethod = \"rep\"\n");
    let c = TrainConfig::from_file(&f, None).unwrap();
    assert_eq!(
        c.loss
            .params()
            .iter()
            .find(|(k, _)| k == "lambda")
            .unwrap()
            .1,
        "0.1"
    );
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn idx_images(n: u32, r: u32, c: u32, px: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, 8, 3];
    for v in [n, r, c] {
        b.extend_from_slice(&v.to_be_bytes());
    }
    b.extend_from_slice(px);
    b
}

fn idx_labels(l: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, 8, 1];
    b.extend_from_slice(&(l.len() as u32).to_be_bytes());
    b.extend_from_slice(l);
    b
}

#[test]
fn train_and_test_files_must_agree() {
    let d = tmp("shapes");
    std::fs::create_dir_all(&d).unwrap();
    // 14×56 training images, 28×28 test images (the same 784 pixels).
    std::fs::write(
        d.join("train-images-idx3-ubyte"),
        idx_images(2, 14, 56, &[0; 2 * 784]),
    )
    .unwrap();
    std::fs::write(d.join("train-labels-idx1-ubyte"), idx_labels(&[0, 1])).unwrap();
    std::fs::write(
        d.join("t10k-images-idx3-ubyte"),
        idx_images(1, 28, 28, &[0; 784]),
    )
    .unwrap();
    std::fs::write(d.join("t10k-labels-idx1-ubyte"), idx_labels(&[1])).unwrap();
    let e = idx::load(&d, None).unwrap_err().to_string();
    assert!(
        e.contains("t10k-images") && e.contains("train-images") && e.contains("14×56"),
        "{e}"
    );
}

#[test]
fn gzip_files_with_more_than_the_header_declares_are_refused() {
    let d = tmp("gz");
    std::fs::create_dir_all(&d).unwrap();
    // A bomb: the header declares 1 image of 28×28, the stream inflates to 64 MiB.
    let mut bomb = idx_images(1, 28, 28, &[]);
    bomb.resize(16 + (64 << 20), 0);
    let p = d.join("bomb.gz");
    std::fs::write(&p, gz(&bomb)).unwrap();
    let t = std::time::Instant::now();
    let e = idx::read_images(&p).unwrap_err().to_string();
    assert!(e.contains("longer than"), "{e}");
    assert!(
        t.elapsed().as_secs_f64() < 1.0,
        "the reader stops at the declared size"
    );
    // A second gzip member, and trailing bytes after the stream.
    let good = idx_labels(&[1, 2, 3]);
    let mut two = gz(&good);
    two.extend(gz(&[9, 9]));
    let p2 = d.join("two.gz");
    std::fs::write(&p2, two).unwrap();
    let e = idx::read_labels(&p2, 10).unwrap_err().to_string();
    assert!(
        e.contains("second gzip member") || e.contains("after the gzip stream"),
        "{e}"
    );
    let mut trailing = gz(&good);
    trailing.extend_from_slice(b"junk");
    let p3 = d.join("trailing.gz");
    std::fs::write(&p3, trailing).unwrap();
    assert!(idx::read_labels(&p3, 10).is_err());
    // The well-formed file still loads.
    let p4 = d.join("ok.gz");
    std::fs::write(&p4, gz(&good)).unwrap();
    assert_eq!(idx::read_labels(&p4, 10).unwrap(), vec![1, 2, 3]);
}

#[test]
fn cifar100_coarse_labels_are_checked() {
    let d = tmp("cifar100");
    std::fs::create_dir_all(&d).unwrap();
    let mut rec = vec![20u8, 5];
    rec.extend(vec![0u8; 3072]);
    let p = d.join("train.bin");
    std::fs::write(&p, &rec).unwrap();
    let e = cifar::read_batch(&p, cifar::Variant::Cifar100)
        .unwrap_err()
        .to_string();
    assert!(e.contains("coarse label 20"), "{e}");
    rec[0] = 19;
    std::fs::write(&p, &rec).unwrap();
    assert_eq!(
        cifar::read_batch(&p, cifar::Variant::Cifar100).unwrap().1,
        vec![5]
    );
}

fn summary(k: usize) -> Summary {
    let cfg = {
        let mut c = small();
        c.epochs = 1;
        c.data.synthetic.classes = k;
        c
    };
    let t = train(&cfg, RunOptions::default()).unwrap();
    mr2::outputs::summarize(&t, None).unwrap().0
}

#[test]
fn compare_refuses_summaries_of_different_classes() {
    let (a, b) = (summary(6), summary(4));
    let e = compare(&[("A".into(), vec![a.clone()]), ("B".into(), vec![b.clone()])])
        .unwrap_err()
        .to_string();
    assert!(e.contains("differ"), "{e}");
    let e = compare(&[("B".into(), vec![b]), ("A".into(), vec![a.clone()])])
        .unwrap_err()
        .to_string();
    assert!(e.contains("differ"), "{e}");
    assert!(compare(&[("A".into(), vec![a.clone()]), ("B".into(), vec![a])]).is_ok());
}

#[test]
fn a_run_another_process_is_training_is_left_to_it_not_failed() {
    use mr2::experiments::{execute, Experiment, Preset, RunnerOptions};
    let plan = Experiment::PerClass.plan(Preset::Quick, None).unwrap();
    let root = tmp("busy");
    let held = mr2::experiments::Plan::run_dir(&root, &plan.runs[0]);
    let _lock = RunDir::open(&held, true).unwrap();
    let done = execute(
        &plan,
        &RunnerOptions {
            root: root.clone(),
            jobs: 1,
            shard: None,
            quiet: true,
            rerun_mismatched: false,
            device: Default::default(),
            reuse_from: vec![],
        },
    )
    .unwrap();
    // It used to be reported as a FAILED run.
    assert!(done.failed.is_empty(), "{:?}", done.failed);
    assert_eq!(done.busy, vec![plan.runs[0].id.clone()]);
    assert_eq!(done.trained.len(), plan.runs.len() - 1);
}

#[test]
fn a_run_whose_plots_fail_has_no_summary_and_is_not_finished() {
    let mut cfg = small();
    cfg.epochs = 1;
    let out = tmp("plot-fails");
    let t = run(&cfg, &out, false, None).unwrap();
    // A directory where the bar plot's PNG goes: plotting fails as on a full disk.
    std::fs::create_dir_all(out.join("per_class_accuracy.png")).unwrap();
    assert!(mr2::outputs::write_outputs(&t, &out, None, false).is_err());
    assert!(
        !out.join("summary.json").exists(),
        "summary.json marks a run finished: it must not exist when its plots did not complete"
    );
    std::fs::remove_dir(out.join("per_class_accuracy.png")).unwrap();
    mr2::outputs::write_outputs(&t, &out, None, false).unwrap();
    assert!(out.join("summary.json").is_file());
}

#[test]
fn bounds_on_an_unfinished_run_say_which_checkpoint_they_used() {
    let cfg = small();
    let out = tmp("unfinished-bounds");
    run(&cfg, &out, false, Some(2)).unwrap();
    let inputs = mr2::bounds::BoundInputs::from_run(&out).unwrap();
    let p = inputs.provenance.clone().unwrap();
    assert!(
        p.contains("epoch 2 of 3") && p.contains("not finished"),
        "{p}"
    );
    let r = mr2::bounds::compute(
        &inputs,
        &mr2::bounds::BoundSettings {
            mc_samples: 20,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(mr2::bounds::report::text(&r).contains("model: checkpoint of epoch 2 of 3"));
    run(&cfg, &out, true, None).unwrap();
    let done = mr2::bounds::BoundInputs::from_run(&out).unwrap();
    assert!(done.provenance.unwrap().contains("the finished run"));
}

#[test]
fn concurrent_atomic_writes_of_one_file_never_fail() {
    // Two `experiments` on one --out both write plan.json; with one shared temporary name one
    // renamed the other's file away ("plan.json: No such file or directory").
    let d = tmp("atomic-race");
    std::fs::create_dir_all(&d).unwrap();
    let p = d.join("plan.json");
    std::thread::scope(|s| {
        for t in 0..4u8 {
            let p = &p;
            s.spawn(move || {
                for _ in 0..200 {
                    mr2::train::checkpoint::write_atomic(p, &[t; 64]).unwrap();
                }
            });
        }
    });
    let left: Vec<_> = std::fs::read_dir(&d).unwrap().collect();
    assert_eq!(left.len(), 1, "no temporary file is left behind");
    assert_eq!(std::fs::read(&p).unwrap().len(), 64);
}

#[test]
fn summary_records_the_training_error_and_reads_old_files_without_it() {
    let mut cfg = small();
    cfg.epochs = 1;
    cfg.data.synthetic.classes = 3;
    let t = train(&cfg, RunOptions::default()).unwrap();
    let s = mr2::outputs::summarize(&t, None).unwrap().0;
    // The training set's errors counted again from the model's predictions.
    let p = mr2::eval::predict(&t.model, &t.splits.train, 64, &t.device).unwrap();
    let wrong = (0..p.labels.len())
        .filter(|&i| p.predicted(i) != p.labels[i])
        .count();
    let want = wrong as f64 / p.labels.len() as f64;
    assert!(
        (s.train_error - want).abs() < 1e-12,
        "{} vs {want}",
        s.train_error
    );
    assert!((0.0..=1.0).contains(&s.train_error), "{}", s.train_error);
    let mut v = serde_json::to_value(&s).unwrap();
    v.as_object_mut().unwrap().remove("train_error");
    let old: Summary = serde_json::from_value(v).unwrap();
    assert!(old.train_error.is_nan());
}

/// `state.json` holds the MR² parameters once, in its configuration: the objective's part holds
/// only its running statistics. A checkpoint of an older mr2, whose objective also stored its
/// parameters, still resumes — to the same bits as an uninterrupted run — when they are the
/// configuration's, and is refused, naming both, when they differ (edited, or from another
/// run), instead of training on with either.
#[test]
fn the_objective_state_holds_statistics_and_an_older_copy_of_its_parameters_is_checked() {
    let cfg = small();
    let whole = run(&cfg, &tmp("stored-spec-whole"), false, None).unwrap();
    let spec = serde_json::to_value(cfg.loss.mr2_spec().unwrap().unwrap()).unwrap();
    // (older layout?, its λ edited?, resumes?): this mr2's own layout; the older one as
    // written; the older one with another λ.
    for (older, lambda, resumes) in [
        (false, None, true),
        (true, None, true),
        (true, Some(0.9), false),
    ] {
        let out = tmp("stored-spec");
        run(&cfg, &out, false, Some(1)).unwrap();
        let state = latest(&out).join("state.json");
        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
        let o = v["objective"].as_object_mut().unwrap();
        assert!(o.contains_key("state"), "{o:?}");
        assert!(
            !o.contains_key("spec"),
            "a second copy of the parameters: {o:?}"
        );
        assert!(!format!("{o:?}").contains("lambda"), "{o:?}");
        // The older layout: the parameters beside the statistics (λ edited for the refusal).
        if older {
            let mut old = spec.clone();
            if let Some(l) = lambda {
                *old.pointer_mut("/params/lambda").expect("λ in the spec") = serde_json::json!(l);
            }
            o.insert("spec".into(), old);
            std::fs::write(&state, serde_json::to_string(&v).unwrap()).unwrap();
        }
        let r = run(&cfg, &out, true, None);
        if resumes {
            let r = r.unwrap();
            assert_eq!(r.objective, whole.objective);
            let acc = |t: &mr2::train::Trained| -> Vec<u64> {
                t.history.iter().map(|m| m.test_acc.to_bits()).collect()
            };
            assert_eq!(acc(&r), acc(&whole));
        } else {
            let e = err(r);
            assert!(
                e.contains("stored parameters") && e.contains("λ = 0.9") && e.contains("λ = 0.1"),
                "{e}"
            );
        }
    }
}
