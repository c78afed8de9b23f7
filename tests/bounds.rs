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
            r.lambda_2,
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
