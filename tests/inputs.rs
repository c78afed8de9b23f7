//! What the tools are given (issue 24): bound inputs validated once for files and models,
//! `.npy`/`.npz` headers checked before anything is allocated (each failure with its own
//! reason), settings that would exhaust memory refused, `bounds-vs-error --source` checked
//! before training, summaries range-checked, and the binaries' messages and exit codes for
//! inputs they used to accept silently. Each test failed before the fix it guards.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use ndarray::{array, Array1, Array2};
use ndarray_npy::{NpzWriter, WriteNpyExt};

use mr2::bounds::files::read_limited;
use mr2::bounds::{compute, report, BoundInputs, BoundSettings};
use mr2::experiments::{bounds_vs_error, Experiment, Preset};
use mr2::Error;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mr2-inputs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn save<T: ndarray_npy::WritableElement, D: ndarray::Dimension>(
    dir: &Path,
    name: &str,
    a: &ndarray::Array<T, D>,
) {
    std::fs::create_dir_all(dir).unwrap();
    a.write_npy(std::fs::File::create(dir.join(format!("{name}.npy"))).unwrap())
        .unwrap();
}

/// A valid feature directory: 3 classes × 4 training samples in 2-d, a head, test features
/// with `test_labels`.
fn features_dir(name: &str, test_f: Array2<f64>, test_y: Array1<i64>) -> PathBuf {
    let d = tmp(name);
    let f = array![
        [2.0, 0.1],
        [1.8, -0.2],
        [2.2, 0.3],
        [2.1, 0.0],
        [0.1, 2.0],
        [-0.2, 1.7],
        [0.3, 2.4],
        [0.0, 2.2],
        [-2.0, -2.0],
        [-1.7, -2.1],
        [-2.3, -1.8],
        [-2.0, -2.4]
    ];
    save(&d, "train_features", &f);
    save(
        &d,
        "train_labels",
        &array![0i64, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2],
    );
    save(
        &d,
        "head_weight",
        &array![[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]],
    );
    save(&d, "test_features", &test_f);
    save(&d, "test_labels", &test_y);
    d
}

fn err_text<T: std::fmt::Debug>(r: mr2::Result<T>) -> String {
    r.expect_err("expected an error").to_string()
}

const BIG: u64 = 1 << 30;

#[test]
fn test_data_given_to_bounds_is_validated() {
    let good = array![[2.0, 0.0], [0.0, 2.0], [-2.0, -2.0], [1.0, 1.5]];
    // All-NaN test features were counted as class 0 (test error 0.6667).
    let nan = Array2::from_elem((4, 2), f64::NAN);
    let e = err_text(read_limited(
        &features_dir("nan", nan, array![0, 1, 2, 1]),
        BIG,
    ));
    assert!(e.contains("test_features") && e.contains("finite"), "{e}");
    // No test samples gave "test error 1.0000" and Kendall −1.
    let e = err_text(read_limited(
        &features_dir("empty", Array2::zeros((0, 2)), Array1::zeros(0)),
        BIG,
    ));
    assert!(e.contains("empty"), "{e}");
    // Fewer labels than rows said "expected 4, got 4".
    let e = err_text(read_limited(
        &features_dir("short", good.clone(), array![0, 1, 2]),
        BIG,
    ));
    assert!(e.contains("expected 4, got 3"), "{e}");
    // A class without test samples: its error is undefined, the rank correlations leave it out
    // and the report says so.
    let inp = read_limited(
        &features_dir("absent", good.clone(), array![0, 1, 1, 1]),
        BIG,
    )
    .unwrap();
    assert!(inp.test_error_per_class[2].is_nan());
    let r = compute(
        &inp,
        &BoundSettings {
            mc_samples: 50,
            ..BoundSettings::default()
        },
    )
    .unwrap();
    let b: Vec<f64> = r.classes.iter().map(|c| c.tight.total()).collect();
    let e: Vec<f64> = r.classes.iter().map(|c| c.test_error).collect();
    let two = mr2::bounds::spearman(&b[..2], &e[..2]);
    assert!(
        r.spearman.to_bits() == two.to_bits(),
        "ρ over the 2 tested classes: {} vs {two}",
        r.spearman
    );
    let text = report::text(&r);
    assert!(
        text.contains("over 2 of 3 classes: 2 has no test samples"),
        "{text}"
    );
    // The complete file is accepted, and its correlation is over all classes.
    let ok = read_limited(&features_dir("ok", good, array![0, 1, 2, 1]), BIG).unwrap();
    assert!(ok.test_error_per_class.iter().all(|v| v.is_finite()));
}

#[test]
fn rank_correlations_skip_undefined_pairs() {
    use mr2::bounds::{kendall, spearman};
    let a = [1.0, 2.0, 3.0, f64::NAN];
    let b = [1.0, 2.0, 3.0, 0.0];
    // NaN sorted as the largest value used to make this −0.2 / −0.33.
    assert_eq!(spearman(&a, &b).to_bits(), 1.0f64.to_bits());
    assert_eq!(kendall(&a, &b).to_bits(), 1.0f64.to_bits());
    assert!(spearman(&[1.0, f64::NAN], &[1.0, 2.0]).is_nan());
}

/// A `.npy` v1 file with the given header fields and raw data.
fn npy(descr: &str, fortran: bool, shape: &str, data: &[u8]) -> Vec<u8> {
    let mut h = format!(
        "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
        if fortran { "True" } else { "False" }
    );
    while (10 + h.len() + 1) % 64 != 0 {
        h.push(' ');
    }
    h.push('\n');
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend((h.len() as u16).to_le_bytes());
    b.extend(h.as_bytes());
    b.extend(data);
    b
}

fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

#[test]
fn npy_files_are_read_exactly_or_refused_with_their_reason() {
    let base = features_dir(
        "npy-base",
        array![[2.0, 0.0], [0.0, 2.0], [-2.0, -2.0]],
        array![0, 1, 2],
    );
    let with = |name: &str, bytes: &[u8]| -> mr2::Result<BoundInputs> {
        let d = tmp(&format!("npy-{name}"));
        std::fs::create_dir_all(&d).unwrap();
        for e in std::fs::read_dir(&base).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), d.join(e.file_name())).unwrap();
        }
        std::fs::write(d.join("train_features.npy"), bytes).unwrap();
        read_limited(&d, BIG)
    };
    let x: Vec<f32> = vec![
        2.0, 0.1, 1.8, -0.2, 2.2, 0.3, 2.1, 0.0, 0.1, 2.0, -0.2, 1.7, 0.3, 2.4, 0.0, 2.2, -2.0,
        -2.0, -1.7, -2.1, -2.3, -1.8, -2.0, -2.4,
    ];
    let reference = with("c", &npy("<f4", false, "(12, 2)", &f32_bytes(&x))).unwrap();
    // Fortran order: the same matrix stored column by column reads the same.
    let cols: Vec<f32> = (0..2)
        .flat_map(|j| (0..12).map(move |i| (i, j)))
        .map(|(i, j)| x[2 * i + j])
        .collect();
    let f = with("fortran", &npy("<f4", true, "(12, 2)", &f32_bytes(&cols))).unwrap();
    assert_eq!(f.features, reference.features);
    // Half precision reads the values rounded to f16; big-endian doubles read the same values.
    let h: Vec<u8> = x
        .iter()
        .flat_map(|v| half::f16::from_f32(*v).to_le_bytes())
        .collect();
    let half_in = with("f16", &npy("<f2", false, "(12, 2)", &h)).unwrap();
    let want: Vec<f64> = x.iter().map(|v| half::f16::from_f32(*v).to_f64()).collect();
    assert_eq!(half_in.features.iter().copied().collect::<Vec<_>>(), want);
    let be: Vec<u8> = x.iter().flat_map(|v| f64::from(*v).to_be_bytes()).collect();
    let big_endian = with("be", &npy(">f8", false, "(12, 2)", &be)).unwrap();
    assert_eq!(big_endian.features, reference.features);

    // Every failure used to be "not a readable .npy array of float32/float64 or an integer
    // type (C order)".
    let reason = |name: &str, bytes: &[u8]| err_text(with(name, bytes));
    let data = f32_bytes(&x);
    let cases: [(&str, Vec<u8>, &str); 8] = [
        (
            "truncated",
            npy("<f4", false, "(12, 2)", &data[..40]),
            "truncated",
        ),
        (
            "trailing",
            npy("<f4", false, "(11, 2)", &data),
            "bytes after the data",
        ),
        ("empty", vec![], "empty file"),
        (
            "rows",
            npy("<f4", false, "(1000000000000, 2)", &data),
            "truncated",
        ),
        ("object", npy("|O", false, "(12, 2)", &data), "object"),
        ("complex", npy("<c8", false, "(12, 1)", &data), "complex"),
        ("bool", npy("|b1", false, "(12, 2)", &data), "bool"),
        ("not-npy", b"PK\x03\x04rest".to_vec(), "not a .npy"),
    ];
    for (name, bytes, want) in cases {
        let e = reason(name, &bytes);
        assert!(
            e.contains(want) && e.contains("train_features.npy"),
            "{name}: {e}"
        );
    }
    // A 22-byte version-2 file whose header claims 1 GiB: refused from the numbers (it used
    // to allocate the header first: 1.06 GB).
    let mut bomb = b"\x93NUMPY\x02\x00".to_vec();
    bomb.extend((1u32 << 30).to_le_bytes());
    bomb.extend(b"{'descr'..");
    let e = reason("bomb", &bomb);
    assert!(e.contains("declares 1073741824 bytes"), "{e}");
    // Over the memory limit: refused before the f64 copy (a limit below 12 × 2 × 8 bytes).
    let e = err_text(read_limited(&base, 100));
    assert!(
        e.contains("would need") && e.contains("--allow-large"),
        "{e}"
    );
}

#[test]
fn npz_entries_are_checked_before_they_are_inflated() {
    let d = tmp("npz");
    std::fs::create_dir_all(&d).unwrap();
    let p = d.join("big.npz");
    {
        let mut z = NpzWriter::new_compressed(std::fs::File::create(&p).unwrap());
        // 4 MB of zeros compress to a few KB.
        z.add_array("train_features", &Array2::<f32>::zeros((500_000, 2)))
            .unwrap();
        z.add_array("train_labels", &Array1::<i64>::zeros(500_000))
            .unwrap();
        z.add_array("head_weight", &Array2::<f64>::zeros((2, 2)))
            .unwrap();
        z.finish().unwrap();
    }
    assert!(std::fs::metadata(&p).unwrap().len() < 200_000);
    let e = read_limited(&p, 1 << 20).unwrap_err();
    assert!(matches!(e, Error::Memory { .. }), "{e}");
    let m = e.to_string();
    assert!(
        m.contains("train_features") && m.contains("inflated"),
        "{m}"
    );
    // An entry whose header claims 10¹² rows said "is not a float or integer array".
    let bad = d.join("rows.npz");
    {
        let mut w = zip::ZipWriter::new(std::fs::File::create(&bad).unwrap());
        let o = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        w.start_file("train_features.npy", o).unwrap();
        w.write_all(&npy("<f4", false, "(1000000000000, 2)", &[0; 16]))
            .unwrap();
        w.finish().unwrap();
    }
    let m = err_text(read_limited(&bad, BIG));
    assert!(
        m.contains("train_features") && m.contains("truncated") && m.contains("1000000000000"),
        "{m}"
    );
}

#[test]
fn settings_that_would_exhaust_memory_are_refused_before_allocating() {
    // These reached 18.8 GB and 12.7 GB within a minute; now refused from the numbers.
    let syn = mr2::data::SyntheticConfig {
        train_per_class: 100_000_000_000,
        ..Default::default()
    };
    let e = mr2::data::synthetic(&syn).unwrap_err();
    assert!(matches!(e, Error::Memory { .. }), "{e}");
    assert!(e.to_string().contains("synthetic mixture"), "{e}");
    let cfg = mr2::model::ModelConfig {
        arch: mr2::model::Arch::Mlp,
        width: 100_000_000,
        depth: 16,
        ..Default::default()
    };
    let dev = mr2::train::device();
    let e = mr2::model::Net::new(&cfg, [16, 1, 1], 6, &dev).unwrap_err();
    assert!(matches!(e, Error::Memory { .. }), "{e}");
    assert!(e.to_string().contains("width 100000000"), "{e}");
    // The estimate is exact for the MLP (what `num_params` counts).
    let small = mr2::model::ModelConfig { width: 32, ..cfg };
    let net = mr2::model::Net::new(&small, [16, 1, 1], 6, &dev).unwrap();
    use burn::module::Module;
    assert_eq!(
        small.parameter_estimate(16, 6),
        net.num_params() as u128,
        "MLP parameter count"
    );
}

#[test]
fn bounds_vs_error_checks_its_source_before_training() {
    let plan = Experiment::BoundsVsError.plan(Preset::Quick, None).unwrap();
    let ok = BoundSettings::default();
    // A mistyped path was created and the whole baselines grid trained into it.
    let missing = tmp("bve-missing");
    let e = err_text(bounds_vs_error::check_source(&missing, &plan, &ok));
    assert!(e.contains("does not exist"), "{e}");
    assert!(!missing.exists(), "nothing is created");
    // An ablation grid gained 20 baselines runs and lost its plan.json.
    let ablation = tmp("bve-ablation");
    Experiment::Ablation
        .plan(Preset::Quick, None)
        .unwrap()
        .save(&ablation)
        .unwrap();
    let e = err_text(bounds_vs_error::check_source(&ablation, &plan, &ok));
    assert!(e.contains("ablation"), "{e}");
    let empty = tmp("bve-empty");
    std::fs::create_dir_all(&empty).unwrap();
    let e = err_text(bounds_vs_error::check_source(&empty, &plan, &ok));
    assert!(e.contains("no plan.json"), "{e}");
    // --mc 1 was refused only after the grid had trained.
    let baselines = tmp("bve-baselines");
    plan.save(&baselines).unwrap();
    let one = BoundSettings {
        mc_samples: 1,
        ..ok
    };
    let e = err_text(bounds_vs_error::check_source(&baselines, &plan, &one));
    assert!(e.contains("mc_samples"), "{e}");
    bounds_vs_error::check_source(&baselines, &plan, &ok).unwrap();
}

#[test]
fn a_run_directory_that_is_not_a_run_says_what_it_is() {
    // Both used to say "holds no checkpoint yet".
    let e = err_text(BoundInputs::from_run(Path::new("/nonexistent/mr2-run")));
    assert!(e.contains("does not exist"), "{e}");
    let grid = tmp("from-run-grid");
    Experiment::Ablation
        .plan(Preset::Quick, None)
        .unwrap()
        .save(&grid)
        .unwrap();
    let e = err_text(BoundInputs::from_run(&grid));
    assert!(
        e.contains("experiments grid") && e.contains("runs/ID"),
        "{e}"
    );
    let empty = tmp("from-run-empty");
    std::fs::create_dir_all(&empty).unwrap();
    let e = err_text(BoundInputs::from_run(&empty));
    assert!(e.contains("holds no run"), "{e}");
}

fn bin(name: &str) -> Command {
    Command::new(match name {
        "bounds" => env!("CARGO_BIN_EXE_bounds"),
        "train" => env!("CARGO_BIN_EXE_train"),
        "compare" => env!("CARGO_BIN_EXE_compare"),
        _ => env!("CARGO_BIN_EXE_experiments"),
    })
}

fn stderr_of(c: &mut Command) -> (Option<i32>, String) {
    let o = c.output().unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn the_binaries_refuse_what_they_used_to_ignore() {
    // `compare` with no inputs exited 0.
    let (code, _) = stderr_of(&mut bin("compare"));
    assert_eq!(code, Some(2));
    // Flags that were silently ignored.
    let (code, e) = stderr_of(bin("bounds").args(["--checkpoint", "x", "--epochs", "3"]));
    assert_eq!(code, Some(2), "{e}");
    assert!(e.contains("--epochs"), "{e}");
    let d = tmp("bin-data-dir");
    let (code, e) = stderr_of(bin("train").args([
        "--dataset",
        "synthetic",
        "--data-dir",
        d.to_str().unwrap(),
        "--out",
        d.join("run").to_str().unwrap(),
    ]));
    assert_eq!(code, Some(2), "{e}");
    assert!(e.contains("data_dir") && e.contains("synthetic"), "{e}");
    // An OS error is said once ("File exists (os error 17): File exists (os error 17)").
    let file = tmp("bin-out-file");
    std::fs::write(&file, b"x").unwrap();
    let (code, e) = stderr_of(bin("train").args([
        "--epochs",
        "1",
        "--out",
        file.join("run").to_str().unwrap(),
    ]));
    assert_eq!(code, Some(2), "{e}");
    let os = e.matches("os error").count();
    assert_eq!(os, 1, "{e}");
    // An empty shard is not a failure: array jobs with no work exit 0.
    let out = tmp("bin-empty-shard");
    let (code, e) = stderr_of(bin("experiments").args([
        "baselines",
        "--preset",
        "quick",
        "--shard",
        "50/100",
        "--out",
        out.to_str().unwrap(),
    ]));
    assert_eq!(code, Some(0), "{e}");
    assert!(e.contains("nothing to do"), "{e}");
    // --source at a directory that does not exist: refused, not created.
    let missing = tmp("bin-missing-source");
    let (code, e) = stderr_of(bin("experiments").args([
        "bounds-vs-error",
        "--preset",
        "quick",
        "--source",
        missing.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]));
    assert_eq!(code, Some(2), "{e}");
    assert!(e.contains("does not exist") && !missing.exists(), "{e}");
}

#[test]
fn summaries_out_of_range_are_refused() {
    let mut cfg = mr2::train::TrainConfig {
        epochs: 1,
        ..Default::default()
    };
    cfg.data.synthetic.train_per_class = 40;
    cfg.data.synthetic.test_per_class = 10;
    let t = mr2::train::train(&cfg, mr2::train::RunOptions::default()).unwrap();
    let s = mr2::outputs::summarize(&t, None).unwrap().0;
    let d = tmp("summary-range");
    std::fs::create_dir_all(&d).unwrap();
    let p = d.join("summary.json");
    let mut v = serde_json::to_value(&s).unwrap();
    std::fs::write(&p, v.to_string()).unwrap();
    mr2::eval::Summary::read(&p).unwrap();
    // `compare` turned "overall": 5.0 into 290.8 ± 295.8.
    v["overall"] = serde_json::json!(5.0);
    std::fs::write(&p, v.to_string()).unwrap();
    let e = err_text(mr2::eval::Summary::read(&p));
    assert!(e.contains("overall = 5") && e.contains("[0, 1]"), "{e}");
    v["overall"] = serde_json::json!(0.5);
    v["per_class"][1]["accuracy"] = serde_json::json!(-0.1);
    std::fs::write(&p, v.to_string()).unwrap();
    let e = err_text(mr2::eval::Summary::read(&p));
    assert!(e.contains("per_class[1].accuracy"), "{e}");
    // The thirds are written in place (the layout every committed summary.json has), and checked
    // and closed to unknown fields there too.
    v["per_class"][1]["accuracy"] = serde_json::json!(0.5);
    for (part, field) in [
        ("groups", "easy"),
        ("groups", "hard"),
        ("output_margin", "medium"),
    ] {
        let x = v[part].get(field);
        assert!(
            x.is_some_and(|x| x.is_number() || x.is_null()),
            "{part}.{field}: {v}"
        );
    }
    assert!(v["groups"]["members"]["hard"].is_array(), "{v}");
    v["groups"]["hard"] = serde_json::json!(1.5);
    std::fs::write(&p, v.to_string()).unwrap();
    let e = err_text(mr2::eval::Summary::read(&p));
    assert!(e.contains("groups.hard = 1.5"), "{e}");
    v["groups"]["hard"] = serde_json::json!(0.5);
    v["groups"]["hardest"] = serde_json::json!(0.5);
    std::fs::write(&p, v.to_string()).unwrap();
    let e = err_text(mr2::eval::Summary::read(&p));
    assert!(e.contains("unknown field `hardest`"), "{e}");
}

/// Every binary's error paths speak in words: exit 2, an `error:` line, no Rust debug text
/// (`Io(`, `Custom {`, `Os {`, `kind:`) — a sample of each binary's bad inputs.
#[test]
fn error_messages_carry_no_rust_debug_text() {
    let d = tmp("debug-text");
    std::fs::create_dir_all(&d).unwrap();
    let file = d.join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let f = file.to_str().unwrap();
    let bench = || Command::new(env!("CARGO_BIN_EXE_bench"));
    let cases: Vec<(&str, Command)> = vec![
        ("train: a data directory that is a file", {
            let mut c = bin("train");
            c.args(["--dataset", "mnist", "--data-dir", f, "--epochs", "1"]);
            c
        }),
        ("train: an output under a file", {
            let mut c = bin("train");
            c.args(["--epochs", "1", "--out", &format!("{f}/run")]);
            c
        }),
        ("bounds: a checkpoint that is a file", {
            let mut c = bin("bounds");
            c.args(["--checkpoint", f]);
            c
        }),
        ("bounds: features that are not a feature file", {
            let mut c = bin("bounds");
            c.args(["--features", f]);
            c
        }),
        ("compare: a summary that is not JSON", {
            let mut c = bin("compare");
            c.args(["--label", "A", f]);
            c
        }),
        ("experiments: a report under a file", {
            let mut c = bin("experiments");
            c.args([
                "spread",
                "--preset",
                "quick",
                "--report",
                "--out",
                &format!("{f}/grid"),
            ]);
            c
        }),
        ("bench: a batch of zero", {
            let mut c = bench();
            c.args(["--batch", "0"]);
            c
        }),
    ];
    for (what, mut c) in cases {
        let (code, e) = stderr_of(&mut c);
        assert_eq!(code, Some(2), "{what}: {e}");
        assert!(e.lines().any(|l| l.starts_with("error: ")), "{what}: {e}");
        for debug in ["Io(", "Custom {", "Os {", "kind:", "Error {"] {
            assert!(!e.contains(debug), "{what}: `{debug}` in {e}");
        }
    }
}
