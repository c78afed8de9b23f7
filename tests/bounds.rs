//! `bounds`: the bound arithmetic against the theory module, the rank correlations on cases
//! with a known ordering, and the binary end to end (default run and --checkpoint).

use mr2::bounds::certificate::{fit_head, head_loss_and_grad};
use mr2::bounds::{compute, kendall, ranks, spearman, BoundInputs, BoundSettings, TestSet};
use mr2::model::LinearHead;
use mr2::theory::bounds::{confidence_term, PerClassConstant};
use mr2::theory::margin::gamma_ce_pairwise;
use mr2::theory::rademacher::{class_complexity, Method};
use mr2::tolerance::IDENTITY;
use ndarray::Array2;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

#[test]
fn rank_correlations() {
    let a = [1.0, 2.0, 3.0, 4.0, 5.0];
    assert!(IDENTITY.close(spearman(&a, &[2.0, 4.0, 8.0, 16.0, 32.0]), 1.0));
    assert!(IDENTITY.close(kendall(&a, &[5.0, 4.0, 3.0, 2.0, 1.0]), -1.0));
    assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
    // One swapped pair out of 10: τ = (9 − 1)/10.
    assert!(IDENTITY.close(kendall(&a, &[1.0, 3.0, 2.0, 4.0, 5.0]), 0.8));
    assert!(spearman(&a, &[1.0; 5]).is_nan());
}

/// K classes with equal-norm means and spreads growing with k; the head is the normalised means.
fn mixture(k: usize, per: usize, d: usize, seed: u64) -> (Array2<f64>, Vec<usize>, LinearHead) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut f = Array2::zeros((k * per, d));
    let mut y = Vec::new();
    for i in 0..k * per {
        let c = i % k;
        for j in 0..d {
            let g: f64 = StandardNormal.sample(&mut rng);
            f[[i, j]] = if j == c { 3.0 } else { 0.0 } + (0.3 + 0.4 * c as f64) * g;
        }
        y.push(c);
    }
    let weights = (0..k)
        .map(|c| (0..d).map(|j| if j == c { 1.0 } else { 0.0 }).collect())
        .collect();
    (
        f,
        y,
        LinearHead {
            weights,
            bias: vec![0.0; k],
            normalize_features: false,
        },
    )
}

#[test]
#[allow(clippy::needless_range_loop)]
fn arithmetic_matches_theory_and_ordering_is_recovered() {
    let (k, per, d) = (5, 40, 6);
    let (f, y, head) = mixture(k, per, d, 3);
    let gamma = vec![1.2; k];
    let err: Vec<f64> = (0..k).map(|c| 0.05 * c as f64).collect();
    let inputs = BoundInputs::new(
        "m",
        &f,
        y.clone(),
        &head,
        gamma.clone(),
        None,
        TestSet::Accuracy {
            per_class: err.iter().map(|e| 1.0 - e).collect(),
            overall: 0.9,
        },
    )
    .unwrap();
    let settings = BoundSettings {
        delta: 0.05,
        p: 3.0,
        mc_samples: 4000,
        seed: 1,
    };
    let r = compute(&inputs, &settings).unwrap();
    let head = head.weights;
    // Per-class printed bound recomputed from the theory functions.
    for c in 0..k {
        let rows: Vec<usize> = (0..y.len()).filter(|&i| y[i] == c).collect();
        let pts = f.select(ndarray::Axis(0), &rows);
        let cx = class_complexity(
            pts.view(),
            r.weight_norm_2,
            2.0,
            Method::MonteCarlo {
                samples: 4000,
                seed: 2 + c as u64,
            },
        )
        .unwrap();
        let ce: f64 = rows
            .iter()
            .map(|&i| {
                let z: Vec<f64> = head
                    .iter()
                    .map(|w: &Vec<f64>| w.iter().zip(f.row(i).iter()).map(|(a, b)| a * b).sum())
                    .collect();
                gamma_ce_pairwise(&z, c, gamma[c])
            })
            .sum::<f64>()
            / rows.len() as f64;
        let want = ce / std::f64::consts::LN_2
            + PerClassConstant::Printed.value(gamma[c], k) * cx.mean
            + confidence_term(rows.len(), 0.05).unwrap();
        assert!(
            IDENTITY.close(r.classes[c].printed.total(), want),
            "class {c}: {} vs {want}",
            r.classes[c].printed.total()
        );
        // The report keeps the terms: the complexity term is the coefficient times R̂_k.
        assert!(IDENTITY.close(
            r.classes[c].tight.complexity,
            PerClassConstant::DerivedTight.value(gamma[c], k) * cx.mean
        ));
        assert!(
            r.classes[c].derived.total() > r.classes[c].printed.total(),
            "the derived coefficient is larger"
        );
    }
    // The corrected Lemma 2 bounds the measured complexity (within Monte Carlo error).
    assert!(r.complexity_2.mean <= r.lemma2_corrected + 4.0 * r.complexity_2.se);
    // Spreads grow with k, so per-class complexity and bound grow with k, like the error.
    assert!(
        r.spearman > 0.99 && r.kendall > 0.99,
        "ρ = {}, τ = {}",
        r.spearman,
        r.kendall
    );
    // Bad δ is an error naming it.
    let e = compute(
        &inputs,
        &BoundSettings {
            delta: 1.5,
            ..settings
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("delta"), "{e}");
    // Inconsistent inputs name what is wrong.
    let bad = |r: mr2::Result<BoundInputs>, word: &str| {
        let e = r.unwrap_err().to_string();
        assert!(e.contains(word), "{word} not in {e}");
    };
    let lh = LinearHead {
        weights: head.clone(),
        bias: vec![0.0; k],
        normalize_features: false,
    };
    let acc = || TestSet::Accuracy {
        per_class: vec![0.9; k],
        overall: 0.9,
    };
    bad(
        BoundInputs::new("m", &f, y[1..].to_vec(), &lh, gamma.clone(), None, acc()),
        "labels",
    );
    bad(
        BoundInputs::new("m", &f, y.clone(), &lh, vec![1.0; k - 1], None, acc()),
        "gamma",
    );
    bad(
        BoundInputs::new("m", &f, y.clone(), &lh, vec![0.0; k], None, acc()),
        "gamma",
    );
    let mut yy = y.clone();
    yy[0] = k;
    bad(
        BoundInputs::new("m", &f, yy, &lh, gamma.clone(), None, acc()),
        "label",
    );
}

#[test]
fn the_bounds_ranking_is_set_beside_what_class_sizes_alone_predict() {
    let (k, per, d) = (5, 40, 6);
    let (f, y, head) = mixture(k, per, d, 5);
    // Class c keeps 40 − 6c of its samples: sizes 40, 34, 28, 22, 16.
    let mut seen = vec![0usize; k];
    let keep: Vec<usize> = (0..y.len())
        .filter(|&i| {
            seen[y[i]] += 1;
            seen[y[i]] <= per - 6 * y[i]
        })
        .collect();
    let (f, y): (Array2<f64>, Vec<usize>) = (
        f.select(ndarray::Axis(0), &keep),
        keep.iter().map(|&i| y[i]).collect(),
    );
    let err = [0.1, 0.3, 0.2, 0.5, 0.4];
    let settings = BoundSettings {
        delta: 0.05,
        p: 2.0,
        mc_samples: 200,
        seed: 1,
    };
    let inputs = |y: Vec<usize>, f: &Array2<f64>| {
        BoundInputs::new(
            "m",
            f,
            y,
            &head,
            vec![1.0; k],
            None,
            TestSet::Accuracy {
                per_class: err.iter().map(|e| 1.0 - e).collect(),
                overall: 0.7,
            },
        )
        .unwrap()
    };
    let r = compute(&inputs(y, &f), &settings).unwrap();
    let sizes: Vec<usize> = r.classes.iter().map(|c| c.n).collect();
    assert_eq!(sizes, [40, 34, 28, 22, 16]);
    // Rarity ranks 1..5 against error ranks 1, 3, 2, 5, 4: ρ = 1 − 6·4/(5·24) = 0.8.
    assert!(IDENTITY.close(r.size_spearman, 0.8), "{}", r.size_spearman);
    let text = mr2::bounds::report::text(&r);
    assert!(
        text.contains("the class sizes alone (1/√N_k) rank them at Spearman 0.800"),
        "{text}"
    );
    // Equal class sizes: no size ranking, and the report does not print one.
    let (f, y, _) = mixture(k, per, d, 5);
    let r = compute(&inputs(y, &f), &settings).unwrap();
    assert!(r.size_spearman.is_nan());
    assert!(!mr2::bounds::report::text(&r).contains("class sizes alone"));
}

#[test]
fn the_rankings_of_several_models_are_summarised_with_an_interval() {
    use mr2::bounds::report::ranking_across_models;
    // Fewer than two finite values: nothing to summarise.
    assert_eq!(ranking_across_models(&[]), None);
    assert_eq!(ranking_across_models(&[0.5, f64::NAN]), None);
    // −0.6, 0.2, 0.4, 0.6: mean 0.15, sd √(0.83/3) = 0.5260, t(0.975, 3) = 3.1824 →
    // half-width 0.8370: [−0.687, +0.987]; 3 of 4 above 0; the NaN is left out.
    let s = ranking_across_models(&[-0.6, 0.2, f64::NAN, 0.4, 0.6]).unwrap();
    assert!(s.contains("across the 4 models"), "{s}");
    assert!(s.contains("from -0.600 to +0.600 (3 of 4 above 0)"), "{s}");
    assert!(s.contains("mean +0.150 [-0.687, +0.987] (n = 4)"), "{s}");
    assert!(s.contains("no consistent ranking"), "{s}");
    // Consistently positive, consistently negative.
    let s = ranking_across_models(&[0.5, 0.6, 0.7]).unwrap();
    assert!(s.contains("ranks the classes with their error"), "{s}");
    let s = ranking_across_models(&[-0.5, -0.6, -0.7]).unwrap();
    assert!(s.contains("ranks the classes against their error"), "{s}");
    // Two models never carry a reading, whatever their interval (the rule's n ≥ 3).
    let s = ranking_across_models(&[0.71, 0.81]).unwrap();
    assert!(
        s.contains("inconclusive with fewer than three models"),
        "{s}"
    );
    assert!(!s.contains("ranks the classes"), "{s}");
}

#[test]
fn bounds_binary_end_to_end() {
    let out = std::env::temp_dir().join(format!("mr2-bounds-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let r = std::process::Command::new(env!("CARGO_BIN_EXE_bounds"))
        .args(["--mc", "200", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    for f in [
        "report.txt",
        "bounds.json",
        "bounds.csv",
        "bound_vs_error.png",
        "bound_vs_error.svg",
        "bound_terms_erm.png",
        "gamma_vs_spread.png",
        "gamma_vs_mean.svg",
    ] {
        assert!(out.join(f).exists(), "missing {f}");
    }
    let csv = std::fs::read_to_string(out.join("bounds.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 2 * 6);
    // Two models (ERM, MR²): the report summarises their rankings; one model: it does not.
    let txt = std::fs::read_to_string(out.join("report.txt")).unwrap();
    assert!(txt.contains("across the 2 models"), "{txt}");
    // --checkpoint on a model trained by `train`.
    let run = out.join("run");
    let t = std::process::Command::new(env!("CARGO_BIN_EXE_train"))
        .args(["--epochs", "2", "--quiet", "--out"])
        .arg(&run)
        .output()
        .unwrap();
    assert!(t.status.success(), "{}", String::from_utf8_lossy(&t.stderr));
    let b = std::process::Command::new(env!("CARGO_BIN_EXE_bounds"))
        .args(["--mc", "100", "--checkpoint"])
        .arg(&run)
        .arg("--out")
        .arg(out.join("ck"))
        .output()
        .unwrap();
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    assert!(String::from_utf8_lossy(&b.stdout).contains("Spearman"));
    assert!(!String::from_utf8_lossy(&b.stdout).contains("across the"));
    // Certificate mode runs too.
    let c = std::process::Command::new(env!("CARGO_BIN_EXE_bounds"))
        .args(["--mc", "100", "--certificate", "--out"])
        .arg(out.join("cert"))
        .output()
        .unwrap();
    assert!(c.status.success(), "{}", String::from_utf8_lossy(&c.stderr));
    assert!(String::from_utf8_lossy(&c.stdout).contains("certificate"));
    // Bad flags.
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_bounds"))
        .args(["--delta", "2"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
}

#[test]
fn certificate_head_fit_has_exact_gradients_and_respects_the_norm_bound() {
    let (k, per, d) = (3, 20, 4);
    let (f, y, _) = mixture(k, per, d, 9);
    let gamma = [0.7, 1.0, 1.6];
    let w: Vec<Vec<f64>> = (0..k)
        .map(|c| (0..d).map(|j| ((c * d + j) as f64 * 0.7).sin()).collect())
        .collect();
    let (l0, g) = head_loss_and_grad(&f, &y, &w, &gamma);
    for c in 0..k {
        for j in 0..d {
            let h = mr2::tolerance::FD_STEP;
            let mut p = w.clone();
            let mut m = w.clone();
            p[c][j] += h;
            m[c][j] -= h;
            let fd = (head_loss_and_grad(&f, &y, &p, &gamma).0
                - head_loss_and_grad(&f, &y, &m, &gamma).0)
                / (2.0 * h);
            assert!(
                mr2::tolerance::FINITE_DIFF.close(g[c][j], fd),
                "∂/∂w[{c}][{j}]: {} vs {fd}",
                g[c][j]
            );
        }
    }
    // The loss is the γ-scaled cross-entropy of the theory module.
    let want: f64 = (0..y.len())
        .map(|i| {
            let z: Vec<f64> = w
                .iter()
                .map(|r| r.iter().zip(f.row(i).iter()).map(|(a, b)| a * b).sum())
                .collect();
            gamma_ce_pairwise(&z, y[i], gamma[y[i]])
        })
        .sum::<f64>()
        / y.len() as f64;
    assert!(IDENTITY.close(l0, want));
    // Projected descent lowers the loss and keeps every row inside the ball.
    let fitted = fit_head(&f, &y, k, &gamma, 0.8, 200).unwrap();
    for r in &fitted {
        assert!(mr2::tolerance::le(
            r.iter().map(|v| v * v).sum::<f64>().sqrt(),
            0.8
        ));
    }
    let zero = vec![vec![0.0; d]; k];
    assert!(
        head_loss_and_grad(&f, &y, &fitted, &gamma).0 < head_loss_and_grad(&f, &y, &zero, &gamma).0
    );
    assert!(fit_head(&f, &y, k, &gamma, 0.0, 10).is_err());
}

fn fixture(p: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/byom")
        .join(p)
}

#[test]
fn bring_your_own_model_files_in_three_formats() {
    // Written by numpy / safetensors (scripts/make-byom-fixture.py); expected.json holds values
    // computed there independently.
    let exp: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("expected.json")).unwrap()).unwrap();
    let s = BoundSettings {
        mc_samples: 300,
        ..BoundSettings::default()
    };
    let reports: Vec<_> = ["npy", "byom.npz", "byom.safetensors"]
        .iter()
        .map(|f| compute(&mr2::bounds::files::read(&fixture(f)).unwrap(), &s).unwrap())
        .collect();
    for r in &reports {
        assert_eq!(
            (r.n, r.d),
            (
                exp["n"].as_u64().unwrap() as usize,
                exp["d"].as_u64().unwrap() as usize
            )
        );
        assert!(IDENTITY.close(r.weight_norm_2, exp["lambda"].as_f64().unwrap()));
        assert!(IDENTITY.close(
            r.lemma2_corrected,
            exp["lemma2_corrected"].as_f64().unwrap()
        ));
        assert!(IDENTITY.close(r.test_error, exp["test_error"].as_f64().unwrap()));
        for (c, e) in r
            .classes
            .iter()
            .zip(exp["test_error_per_class"].as_array().unwrap())
        {
            assert!(IDENTITY.close(c.test_error, e.as_f64().unwrap()));
        }
        assert_eq!(
            r.prop1_corrected.total().to_bits(),
            reports[0].prop1_corrected.total().to_bits()
        );
    }
    assert_eq!(
        reports[0].classes[2].name, "gamma",
        "class_names.txt is read"
    );
    // Bad inputs name what is wrong.
    let d = std::env::temp_dir().join(format!("mr2-byom-bad-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    for f in [
        "train_features.npy",
        "train_labels.npy",
        "test_features.npy",
    ] {
        std::fs::copy(fixture("npy").join(f), d.join(f)).unwrap();
    }
    let e = mr2::bounds::files::read(&d).unwrap_err().to_string();
    assert!(e.contains("head_weight"), "{e}");
    std::fs::copy(fixture("npy/head_weight.npy"), d.join("head_weight.npy")).unwrap();
    let e = mr2::bounds::files::read(&d).unwrap_err().to_string();
    assert!(e.contains("test_labels"), "{e}");
    let e = mr2::bounds::files::read(&fixture("npy/gamma.npy"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("directory"), "{e}");
}

#[test]
fn exported_features_give_the_same_bounds_as_the_checkpoint() {
    // mr2's own path (the run directory) and the bring-your-own path (the run's exported
    // features) are the same computation.
    use mr2::outputs::write_outputs;
    use mr2::train::{train, RunOptions, TrainConfig};
    let out = std::env::temp_dir().join(format!("mr2-byom-export-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    for method in ["mr2", "ldam"] {
        let run = out.join(method);
        let mut cfg = TrainConfig::default();
        cfg.data.synthetic.train_per_class = 60;
        cfg.data.synthetic.test_per_class = 20;
        cfg.epochs = 2;
        cfg.loss = TrainConfig::default_method(
            mr2::loss::Method::from_name(method).unwrap(),
            cfg.data.name,
        );
        let t = train(
            &cfg,
            RunOptions {
                out: Some(run.clone()),
                ..Default::default()
            },
        )
        .unwrap();
        write_outputs(&t, &run, None, true).unwrap();
        let s = BoundSettings {
            mc_samples: 200,
            ..BoundSettings::default()
        };
        let a = compute(&BoundInputs::from_run(&run).unwrap(), &s).unwrap();
        let b = compute(
            &mr2::bounds::files::read(&run.join("features")).unwrap(),
            &s,
        )
        .unwrap();
        assert!(
            IDENTITY.close(a.prop1_corrected.total(), b.prop1_corrected.total()),
            "{method}"
        );
        assert!(
            IDENTITY.close(a.complexity_2.mean, b.complexity_2.mean),
            "{method}"
        );
        for (x, y) in a.classes.iter().zip(&b.classes) {
            assert!(IDENTITY.close(x.tight.total(), y.tight.total()), "{method}");
            assert_eq!(x.test_error.to_bits(), y.test_error.to_bits(), "{method}");
            assert_eq!(x.name, y.name);
        }
    }
}

#[test]
fn plot_labels_do_not_collide() {
    use mr2::report::labels::place_labels;
    // Ten points within a few pixels of each other, plus a legend box in the corner.
    let pts: Vec<(i32, i32)> = (0..10)
        .map(|i| (300 + (i % 3) * 3, 200 + (i / 3) * 4))
        .collect();
    let texts: Vec<String> = (0..10).map(|i| format!("c{i}(σ=1.{i}0)")).collect();
    let t: Vec<&str> = texts.iter().map(String::as_str).collect();
    let legend = (0, 0, 200, 80);
    let off = place_labels(&pts, &t, (0, 0, 900, 600), &[legend]);
    let boxes: Vec<(i32, i32, i32, i32)> = pts
        .iter()
        .zip(&off)
        .zip(&t)
        .map(|((p, o), s)| {
            (
                p.0 + o.0,
                p.1 + o.1,
                p.0 + o.0 + 7 * s.chars().count() as i32,
                p.1 + o.1 + 13,
            )
        })
        .collect();
    let overlap = |a: (i32, i32, i32, i32), b: (i32, i32, i32, i32)| {
        a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
    };
    for i in 0..boxes.len() {
        assert!(!overlap(boxes[i], legend));
        assert!(boxes[i].0 >= 0 && boxes[i].2 <= 900 && boxes[i].1 >= 0 && boxes[i].3 <= 600);
        for j in i + 1..boxes.len() {
            assert!(
                !overlap(boxes[i], boxes[j]),
                "labels {i} and {j} overlap: {:?} {:?}",
                boxes[i],
                boxes[j]
            );
        }
    }
}

#[test]
fn half_precision_safetensors_give_the_bounds_of_the_same_values_in_f32() {
    // Every tensor of the fixture rounded to f16 (and bf16), written as F16 / BF16 and as F32:
    // the same values, so the same bounds, whatever the dtype on disk.
    use safetensors::tensor::{Dtype, TensorView};
    let src = std::fs::read(fixture("byom.safetensors")).unwrap();
    let st = safetensors::SafeTensors::deserialize(&src).unwrap();
    let dir = std::env::temp_dir().join(format!("mr2-half-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut reports = vec![];
    for (tag, dtype) in [("f16", Dtype::F16), ("bf16", Dtype::BF16)] {
        let mut low: Vec<(String, Vec<u8>, Vec<usize>, Dtype)> = vec![];
        let mut wide: Vec<(String, Vec<u8>, Vec<usize>, Dtype)> = vec![];
        for (name, view) in st.tensors() {
            let is_float = view.dtype() == Dtype::F32 || view.dtype() == Dtype::F64;
            if !is_float {
                low.push((
                    name.clone(),
                    view.data().to_vec(),
                    view.shape().to_vec(),
                    view.dtype(),
                ));
                wide.push((
                    name.clone(),
                    view.data().to_vec(),
                    view.shape().to_vec(),
                    view.dtype(),
                ));
                continue;
            }
            let vals: Vec<f64> = match view.dtype() {
                Dtype::F32 => view
                    .data()
                    .chunks_exact(4)
                    .map(|c| f64::from(f32::from_le_bytes(c.try_into().unwrap())))
                    .collect(),
                _ => view
                    .data()
                    .chunks_exact(8)
                    .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
                    .collect(),
            };
            let (bytes, rounded): (Vec<u8>, Vec<f32>) = match dtype {
                Dtype::F16 => {
                    let h: Vec<half::f16> = vals.iter().map(|v| half::f16::from_f64(*v)).collect();
                    (
                        h.iter().flat_map(|x| x.to_le_bytes()).collect(),
                        h.iter().map(|x| x.to_f32()).collect(),
                    )
                }
                _ => {
                    let h: Vec<half::bf16> =
                        vals.iter().map(|v| half::bf16::from_f64(*v)).collect();
                    (
                        h.iter().flat_map(|x| x.to_le_bytes()).collect(),
                        h.iter().map(|x| x.to_f32()).collect(),
                    )
                }
            };
            low.push((name.clone(), bytes, view.shape().to_vec(), dtype));
            wide.push((
                name.clone(),
                rounded.iter().flat_map(|x| x.to_le_bytes()).collect(),
                view.shape().to_vec(),
                Dtype::F32,
            ));
        }
        let mut pair = vec![];
        for (kind, set) in [("low", &low), ("f32", &wide)] {
            let views: Vec<(String, TensorView)> = set
                .iter()
                .map(|(n, b, sh, dt)| (n.clone(), TensorView::new(*dt, sh.clone(), b).unwrap()))
                .collect();
            let p = dir.join(format!("{tag}-{kind}.safetensors"));
            safetensors::serialize_to_file(views, None, &p).unwrap();
            let s = BoundSettings {
                mc_samples: 50,
                ..BoundSettings::default()
            };
            pair.push(compute(&mr2::bounds::files::read(&p).unwrap(), &s).unwrap());
        }
        assert_eq!(
            pair[0].lemma2_corrected.to_bits(),
            pair[1].lemma2_corrected.to_bits(),
            "{tag}"
        );
        assert_eq!(
            pair[0].test_error.to_bits(),
            pair[1].test_error.to_bits(),
            "{tag}"
        );
        reports.push(pair.remove(0));
    }
    // Rounding to half precision moves the inputs, and so the bounds, a little.
    let full = compute(
        &mr2::bounds::files::read(&fixture("byom.safetensors")).unwrap(),
        &BoundSettings {
            mc_samples: 50,
            ..BoundSettings::default()
        },
    )
    .unwrap();
    for r in &reports {
        assert!((r.lemma2_corrected / full.lemma2_corrected - 1.0).abs() < 0.02);
    }
}

#[test]
fn bounds_binary_reads_a_features_directory() {
    let out = std::env::temp_dir().join(format!("mr2-bounds-features-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let r = std::process::Command::new(env!("CARGO_BIN_EXE_bounds"))
        .args(["--mc", "100", "--features"])
        .arg(fixture("npy"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(String::from_utf8_lossy(&r.stdout).contains("Spearman"));
    for f in [
        "report.txt",
        "bounds.json",
        "bounds.csv",
        "bound_vs_error.png",
    ] {
        assert!(out.join(f).exists(), "missing {f}");
    }
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_bounds"))
        .args(["--features", "no/such/dir.npz"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no/such/dir.npz"));
}

/// Train the quick ERM model's features on half of the synthetic training set; returns the
/// trained run, the other half `B` and a large fresh sample from the same mixture (its
/// "test" set: 4 000 per class, the truth the certificates must lie above).
fn certified_setup() -> (mr2::train::Trained, mr2::data::Dataset, mr2::data::Dataset) {
    let q = mr2::bounds::demo::QuickModels {
        dataset: mr2::data::DatasetName::Synthetic,
        epochs: None,
        subset: None,
        seed: 0,
        certificate: true,
    };
    let mut cfg = q.config_for(false, true);
    let mut splits = cfg.data.load(cfg.seed).unwrap();
    let (a, b) = mr2::data::transform::split(&splits.train, 0.5, cfg.seed).unwrap();
    splits.train = a;
    // The same mixture (same seed: same means and the same training set, hence the same
    // standardisation), with a large test set drawn after the training set.
    cfg.data.synthetic.test_per_class = 4000;
    let big = cfg.data.load(cfg.seed).unwrap().test;
    let t = mr2::train::train_on(&cfg, splits, mr2::train::RunOptions::default()).unwrap();
    (t, b, big)
}

#[test]
fn certificates_lie_above_the_true_per_class_error_of_the_synthetic_mixture() {
    use mr2::bounds::pac_bayes::{certify_net, CertifySettings};
    let (t, b, big) = certified_setup();
    let s = CertifySettings {
        draws: 200,
        ..CertifySettings::default()
    };
    let gamma = vec![1.0; t.splits.train.classes];
    let small = certify_net(
        "ERM",
        &t.model,
        &b,
        &t.splits.test,
        &gamma,
        &t.device,
        &s,
        |_| {},
    )
    .unwrap();
    // The same draws (same seed) on the large sample: its errors are the truth up to ±0.02.
    let truth = certify_net("ERM", &t.model, &b, &big, &gamma, &t.device, &s, |_| {}).unwrap();
    let slack = 4.0 * (0.25f64 / 4000.0).sqrt();
    for (c, tr) in small.classes.iter().zip(&truth.classes) {
        assert_eq!(
            c.posterior_mean, tr.posterior_mean,
            "the choice ignores the test set"
        );
        assert!(
            c.test_set + slack >= tr.test_error,
            "{}: test-set {} < true {}",
            c.name,
            c.test_set,
            tr.test_error
        );
        assert!(
            c.pac_bayes + slack >= tr.gibbs_test_error,
            "{}: PAC-Bayes {} < true Gibbs {}",
            c.name,
            c.pac_bayes,
            tr.gibbs_test_error
        );
        assert!(c.pac_bayes >= c.gibbs_error_bound_sample && c.pac_bayes < 1.0);
    }
    assert!(small.overall.pac_bayes + slack >= truth.overall.gibbs_test_error);
    // The bound is not vacuous where the class is easy (it can fail: a certificate above 0.5
    // on the easiest class would mean a term is far too large).
    let easiest = small
        .classes
        .iter()
        .map(|c| c.pac_bayes)
        .fold(f64::INFINITY, f64::min);
    assert!(easiest < 0.3, "easiest class certified at {easiest}");
}

#[test]
fn each_certificate_is_its_documented_composition() {
    use mr2::bounds::pac_bayes::{certify, CertifyInputs, CertifySettings, Sample};
    use mr2::theory::certificates::{
        binomial_tail_upper, gaussian_kl, pac_bayes_kl, sampled_error_upper,
    };
    // Three classes in 2-d plus the bias coordinate; a prior head and a noisy sample.
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let centres = [[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]];
    let draw = |n: usize, rng: &mut ChaCha8Rng| {
        let y: Vec<usize> = (0..n).map(|i| i % 3).collect();
        let f = Array2::from_shape_fn((n, 3), |(i, j)| {
            if j == 2 {
                1.0
            } else {
                let g: f64 = StandardNormal.sample(&mut *rng);
                centres[y[i]][j] + 1.2 * g
            }
        });
        (f, y)
    };
    let (fb, yb) = draw(300, &mut rng);
    let (ft, yt) = draw(600, &mut rng);
    let prior: Vec<Vec<f64>> = centres.iter().map(|c| vec![c[0], c[1], 0.0]).collect();
    let s = CertifySettings {
        draws: 100,
        ..CertifySettings::default()
    };
    let names: Vec<String> = (0..3).map(|c| c.to_string()).collect();
    let inputs = |labels: &[usize]| -> mr2::Result<mr2::bounds::pac_bayes::Certificates> {
        certify(
            &CertifyInputs {
                name: "toy".into(),
                prior: &prior,
                gamma: &[1.0; 3],
                class_names: &names,
                bound: Sample {
                    features: &fb,
                    labels,
                },
                test: Sample {
                    features: &ft,
                    labels: &yt,
                },
            },
            &s,
            |_| {},
        )
    };
    let r = inputs(&yb).unwrap();
    assert_eq!(r.choices, 2 * s.sigma_grid.len());
    let g = r.choices as f64;
    let rms = (prior.iter().flatten().map(|v| v * v).sum::<f64>() / 9.0).sqrt();
    for c in r.classes.iter().chain([&r.overall]) {
        let overall = c.name == "overall";
        // δ/2 to the PAC-Bayes bound and δ/2 to the sampling correction, each split over the
        // K classes (per-class certificates) and the G (mean, σ) choices.
        let split = if overall { g } else { 3.0 * g };
        let d = s.delta / 2.0 / split;
        let upper = sampled_error_upper(c.gibbs_error_bound_sample, s.draws as u64, d).unwrap();
        let want = pac_bayes_kl(upper, c.kl, c.n_bound as u64, d).unwrap();
        assert!(
            IDENTITY.close(c.pac_bayes, want),
            "{}: {} vs {want}",
            c.name,
            c.pac_bayes
        );
        assert!(s
            .sigma_grid
            .iter()
            .any(|m| IDENTITY.close(m * rms, c.sigma)));
        if c.posterior_mean == "prior head" {
            assert_eq!(c.kl.to_bits(), 0.0f64.to_bits());
        } else {
            assert!(c.kl > 0.0);
            let dist = 2.0 * c.kl * c.sigma * c.sigma;
            assert!(IDENTITY.close(gaussian_kl(dist, 9, c.sigma, c.sigma).unwrap(), c.kl));
        }
        // The test-set certificate of the prior head at δ/K (overall δ).
        let td = if overall { s.delta } else { s.delta / 3.0 };
        let errs = (c.test_error * c.n_test as f64).round() as u64;
        let want = binomial_tail_upper(errs, c.n_test as u64, td).unwrap();
        assert!(IDENTITY.close(c.test_set, want), "{}", c.name);
    }
    // A class missing from the bound sample is an error, not a NaN.
    let y0: Vec<usize> = yb.iter().map(|&y| y.min(1)).collect();
    assert!(inputs(&y0).is_err());
}

#[test]
fn test_set_certificates_of_an_imported_model() {
    use mr2::bounds::pac_bayes::test_set_certificates;
    use mr2::theory::certificates::binomial_tail_upper;
    let (f, y, head) = mixture(3, 40, 4, 2);
    let (ft, yt, _) = mixture(3, 50, 4, 3);
    let inp = BoundInputs::new(
        "m",
        &f,
        y.clone(),
        &head,
        vec![1.0; 3],
        None,
        TestSet::Features(ft, yt),
    )
    .unwrap();
    let c = test_set_certificates(&inp, 0.05).unwrap();
    assert_eq!(c.choices, 0);
    for (k, r) in c.classes.iter().enumerate() {
        assert_eq!(r.n_test, 50);
        let errs = (inp.test_error_per_class[k] * 50.0).round() as u64;
        let want = binomial_tail_upper(errs, 50, 0.05 / 3.0).unwrap();
        assert_eq!(r.test_set.to_bits(), want.to_bits(), "δ/K per class");
        assert!(r.pac_bayes.is_nan());
    }
    let errs = (inp.test_error * 150.0).round() as u64;
    assert_eq!(
        c.overall.test_set.to_bits(),
        binomial_tail_upper(errs, 150, 0.05).unwrap().to_bits()
    );
    // Accuracies alone carry no counts: refused.
    let acc = BoundInputs::new(
        "m",
        &f,
        y,
        &head,
        vec![1.0; 3],
        None,
        TestSet::Accuracy {
            per_class: vec![0.9; 3],
            overall: 0.9,
        },
    )
    .unwrap();
    assert!(test_set_certificates(&acc, 0.05).is_err());
}

#[test]
fn certificates_across_seeds_pair_the_models_by_seed() {
    use mr2::bounds::certify_report::across_seeds;
    use mr2::bounds::pac_bayes::{Certificates, Certified, CertifySettings};
    let cert = |name: &str, pac: [f64; 2]| -> Certificates {
        let row = |n: &str, p: f64| Certified {
            name: n.into(),
            n_bound: 10,
            n_test: 10,
            test_error: p / 2.0,
            test_set: p,
            gibbs_error_bound_sample: p / 2.0,
            gibbs_test_error: p / 2.0,
            pac_bayes: p,
            sigma: 0.1,
            posterior_mean: "prior head".into(),
            kl: 0.0,
        };
        Certificates {
            name: name.into(),
            settings: CertifySettings::default(),
            stochastic: String::new(),
            choices: 12,
            classes: vec![row("a", pac[0]), row("b", pac[1])],
            overall: row("overall", (pac[0] + pac[1]) / 2.0),
        }
    };
    // Class b: MR² − ERM = +0.1, +0.2, +0.3 → mean +0.2, sd 0.1, 95% t-interval ±4.303·0.1/√3.
    let runs: Vec<(u64, Vec<Certificates>)> = (0..3)
        .map(|s| {
            let d = 0.1 * (s + 1) as f64;
            (
                s,
                vec![cert("ERM", [0.2, 0.3]), cert("MR²", [0.2, 0.3 + d])],
            )
        })
        .collect();
    let t = across_seeds(&runs).unwrap();
    let b = t.lines().find(|l| l.starts_with("| b |")).unwrap();
    let half = 4.302_652_729_749_462 * 0.1 / 3f64.sqrt();
    let want = format!("+0.2000 [{:+.4}, {:+.4}] (n = 3)", 0.2 - half, 0.2 + half);
    assert!(b.contains(&want), "{b} should hold {want}");
    assert!(t
        .lines()
        .any(|l| l.starts_with("| a |") && l.contains("+0.0000")));
    // Seeds that certify other classes are refused.
    let mut bad = runs.clone();
    bad[1].1[1].classes[0].name = "z".into();
    assert!(across_seeds(&bad).is_err());
    assert!(across_seeds(&runs[..0]).is_err());
}

/// An infinite or overflowing bound never reaches plotters' axis (which looped forever on it):
/// the stack is left out and named in the title; the scatter refuses an infinite range with an
/// error naming the plot; δ below the floor whose logarithm stays finite is refused.
#[test]
fn non_finite_bounds_are_not_plotted_and_tiny_deltas_are_refused() {
    use mr2::report::plot;
    let out = std::env::temp_dir().join(format!("mr2-inf-plot-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let names: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
    let t0 = std::time::Instant::now();
    plot::stacked_terms(
        &out.join("terms"),
        "terms",
        &names,
        &["emp", "complexity"],
        &[vec![0.1, f64::INFINITY], vec![0.2, 0.3], vec![1e308, 1e308]],
        &[0.1, 0.2, f64::NAN],
    )
    .unwrap();
    assert!(
        t0.elapsed().as_secs() < 30,
        "plotting took {:?}",
        t0.elapsed()
    );
    assert!(out.join("terms.png").is_file());
    let pts = vec![(
        "m".to_string(),
        vec![(0.1, 1.7e308, "a".to_string()), (0.2, 0.5, "b".to_string())],
    )];
    let e = plot::scatter_labeled(&out.join("sc"), "s", "x", "y", &pts, true, false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("not finite") && e.contains("sc"), "{e}");
    assert!(mr2::theory::bounds::confidence_term(10, 1e-310).is_err());
    // At the floor every bound's logarithm is finite.
    let floor = mr2::theory::MIN_DELTA;
    assert!(mr2::theory::bounds::confidence_term(10, floor)
        .unwrap()
        .is_finite());
    let r = std::process::Command::new(env!("CARGO_BIN_EXE_bounds"))
        .args(["--delta", "1e-310", "--out"])
        .arg(out.join("b"))
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("delta"), "{err}");
}

/// `--subset` on the synthetic mixture, or outside (0, 1], and `--draws` where no PAC-Bayes
/// certificate is computed, were accepted and ignored: now each is refused, named.
#[test]
fn quick_model_settings_that_would_be_ignored_are_refused() {
    use mr2::bounds::demo::QuickModels;
    use mr2::data::DatasetName;
    let q = |dataset, subset| QuickModels {
        dataset,
        epochs: None,
        subset,
        seed: 0,
        certificate: false,
    };
    q(DatasetName::Synthetic, None).validate().unwrap();
    q(DatasetName::FashionMnist, Some(0.5)).validate().unwrap();
    for (d, f) in [
        (DatasetName::Synthetic, 0.5),
        (DatasetName::FashionMnist, 0.0),
        (DatasetName::FashionMnist, 2.0),
        (DatasetName::FashionMnist, f64::NAN),
    ] {
        let e = q(d, Some(f)).validate().unwrap_err().to_string();
        assert!(e.contains("--subset"), "{d:?} {f}: {e}");
    }
    let r = std::process::Command::new(env!("CARGO_BIN_EXE_bounds"))
        .args(["--certify", "--draws", "0", "--checkpoint", "/nonexistent"])
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("--draws"), "{err}");
}

/// Training and test error are counted alike: with an all-zero head every score ties, which
/// the bounds' 0-1 loss counts as an error on both (the test error was 1 − 1/K, ties broken to
/// the first class, beside a training error of 1).
#[test]
fn ties_count_the_same_on_training_and_test_data() {
    use mr2::bounds::inputs::head_errors;
    let f = ndarray::Array2::from_shape_vec((3, 2), vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0]).unwrap();
    let zero = vec![vec![0.0, 0.0]; 3];
    let (per, all) = head_errors(&f, &[0, 1, 2], &zero);
    assert_eq!((per, all), (vec![1.0, 1.0, 1.0], 1.0));
    // A head that separates them: no error; a tie between the true class and another: an error.
    let head = vec![vec![1.0, 0.0], vec![0.0, 1.0], vec![1.0, 1.0]];
    let (_, all) = head_errors(&f, &[0, 1, 2], &head);
    assert!(
        (all - 2.0 / 3.0).abs() < 1e-12,
        "rows 0 and 1 tie with class 2: {all}"
    );
}
