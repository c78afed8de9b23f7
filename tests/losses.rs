//! The trainer's tensor losses against the theory module's f64 versions (one definition, two
//! implementations), gradients against central finite differences, degenerate batches, and
//! hyper-parameter validation.

use burn::tensor::{Device, Int, Tensor, TensorData};
use mr2::loss::{
    batch_loss, gamma_ce, rep_margin_per_sample, LossConfig, LossKind, MarginState, RepScaling,
};
use mr2::theory::{gamma, lse, margin};
use mr2::tolerance::{F32_VS_F64, FD_STEP, GRADIENT};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random_batch(b: usize, d: usize, k: usize, seed: u64) -> (Vec<f64>, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let f = (0..b * d).map(|_| rng.random_range(-1.5..1.5)).collect();
    let y = (0..b)
        .map(|i| if i < k { i } else { rng.random_range(0..k) })
        .collect();
    (f, y)
}

fn t2(v: &[f64], shape: [usize; 2], dev: &Device) -> Tensor<2> {
    Tensor::from_data(
        TensorData::new(v.iter().map(|x| *x as f32).collect::<Vec<_>>(), shape),
        dev,
    )
}

fn to_vec(t: Tensor<1>) -> Vec<f64> {
    t.into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .unwrap()
        .iter()
        .map(|v| f64::from(*v))
        .collect()
}

fn rows(v: &[f64], d: usize) -> Vec<Vec<f64>> {
    v.chunks(d).map(|r| r.to_vec()).collect()
}

#[test]
fn gamma_ce_matches_theory() {
    let dev = Device::flex();
    for seed in 0..5 {
        let (z, y) = random_batch(12, 5, 5, seed);
        let z: Vec<f64> = z.iter().map(|v| v * 4.0).collect();
        let g = [0.5, 1.0, 1.7, 2.2, 3.0];
        let yt = Tensor::<1, Int>::from_data(
            TensorData::new(y.iter().map(|&v| v as i64).collect::<Vec<_>>(), [12]),
            &dev,
        );
        let gt = Tensor::<1>::from_data(
            TensorData::new(y.iter().map(|&v| g[v] as f32).collect::<Vec<_>>(), [12]),
            &dev,
        );
        let got = to_vec(gamma_ce(t2(&z, [12, 5], &dev), yt, gt))[0];
        let want = rows(&z, 5)
            .iter()
            .zip(&y)
            .map(|(r, &yy)| margin::gamma_ce_softmax(r, yy, g[yy]))
            .sum::<f64>()
            / 12.0;
        assert!(
            F32_VS_F64.close(got, want),
            "seed {seed}: tensor {got} vs theory {want}"
        );
    }
}

#[test]
fn rep_margin_matches_theory() {
    let dev = Device::flex();
    for (seed, s_bar) in [(1u64, 0.0), (2, 0.7), (3, 2.5)] {
        let (f, y) = random_batch(10, 4, 3, seed);
        let got = to_vec(rep_margin_per_sample(
            t2(&f, [10, 4], &dev),
            &y,
            s_bar,
            RepScaling::Paper,
            3,
        ));
        let want = lse::rep_margin_losses(&rows(&f, 4), &y, s_bar);
        for (a, b) in got.iter().zip(&want) {
            assert!(F32_VS_F64.close(*a, *b), "seed {seed}: {a} vs {b}");
        }
        // Reference scaling: exponent / (10 d), loss · d/(10 K).
        let got_ref = to_vec(rep_margin_per_sample(
            t2(&f, [10, 4], &dev),
            &y,
            s_bar,
            RepScaling::Reference,
            3,
        ));
        let f_scaled: Vec<f64> = f.iter().map(|v| v / (40f64).sqrt()).collect();
        let want_ref = lse::rep_margin_losses(&rows(&f_scaled, 4), &y, s_bar / 40.0);
        for (a, b) in got_ref.iter().zip(&want_ref) {
            assert!(
                F32_VS_F64.close(*a, b * 4.0 / 30.0),
                "reference scaling: {a} vs {}",
                b * 4.0 / 30.0
            );
        }
    }
}

/// The f64 MR² objective with fixed γ and s̄, as a function of features and logits.
#[allow(clippy::too_many_arguments)]
fn theory_total(
    logits: &[f64],
    feats: &[f64],
    y: &[usize],
    g: &[f64],
    s_bar: f64,
    lambda: f64,
    k: usize,
    d: usize,
) -> f64 {
    let b = y.len();
    let ce = rows(logits, k)
        .iter()
        .zip(y)
        .map(|(r, &yy)| margin::gamma_ce_softmax(r, yy, g[yy]))
        .sum::<f64>()
        / b as f64;
    let rep = lse::rep_margin_losses(&rows(feats, d), y, s_bar)
        .iter()
        .sum::<f64>()
        / b as f64;
    ce + lambda * rep
}

#[test]
fn gradients_match_finite_differences() {
    let dev = Device::flex().autodiff();
    let (b, k, d) = (8, 3, 4);
    let (z, y) = random_batch(b, k, k, 11);
    let (f, _) = random_batch(b, d, k, 12);
    let g = [0.8, 1.3, 2.0];
    let (s_bar, lambda) = (0.6, 0.5);
    let zt = t2(&z, [b, k], &dev).require_grad();
    let ft = t2(&f, [b, d], &dev).require_grad();
    let yt = Tensor::<1, Int>::from_data(
        TensorData::new(y.iter().map(|&v| v as i64).collect::<Vec<_>>(), [b]),
        &dev,
    );
    let gt = Tensor::<1>::from_data(
        TensorData::new(y.iter().map(|&v| g[v] as f32).collect::<Vec<_>>(), [b]),
        &dev,
    );
    let total = gamma_ce(zt.clone(), yt, gt)
        + rep_margin_per_sample(ft.clone(), &y, s_bar, RepScaling::Paper, k).mean() * lambda;
    let grads = total.backward();
    let gz: Vec<f32> = zt
        .grad(&grads)
        .unwrap()
        .into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .unwrap();
    let gf: Vec<f32> = ft
        .grad(&grads)
        .unwrap()
        .into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .unwrap();
    // Central difference of the f64 objective in coordinate i of `x`, where `eval` rebuilds the
    // objective from the perturbed copy.
    let check = |name: &str, x: &[f64], grad: &[f32], eval: &dyn Fn(&[f64]) -> f64| {
        for i in 0..x.len() {
            let (mut p, mut m) = (x.to_vec(), x.to_vec());
            let h = FD_STEP * (1.0 + x[i].abs());
            p[i] += h;
            m[i] -= h;
            let fd = (eval(&p) - eval(&m)) / (2.0 * h);
            assert!(
                GRADIENT.close(f64::from(grad[i]), fd),
                "∂/∂{name}[{i}]: autodiff {} vs finite difference {fd}",
                grad[i]
            );
        }
    };
    check("z", &z, &gz, &|p| {
        theory_total(p, &f, &y, &g, s_bar, lambda, k, d)
    });
    check("φ", &f, &gf, &|p| {
        theory_total(&z, p, &y, &g, s_bar, lambda, k, d)
    });
}

#[test]
fn degenerate_batches_are_defined() {
    let dev = Device::flex();
    // A class absent (class 2 of 3), a class with one sample (class 1), all-zero features.
    let y = [0, 0, 0, 1];
    let f = vec![0.0; 4 * 3];
    let l = to_vec(rep_margin_per_sample(
        t2(&f, [4, 3], &dev),
        &y,
        0.0,
        RepScaling::Paper,
        3,
    ));
    let want = lse::rep_margin_losses(&rows(&f, 3), &y, 0.0);
    for (a, b) in l.iter().zip(&want) {
        assert!(F32_VS_F64.close(*a, *b), "{a} vs {b}");
    }
    assert!(
        l[3].abs() < 1e-12,
        "a singleton class has no positives: ℓ_s̄ = 0"
    );
    // MarginState: γ stays uniform c̄ while a class has never been seen.
    let cfg = LossConfig::default();
    let mut st = MarginState::new(3, 0.9).unwrap();
    st.update(&[1.0, 0.0, 2.0, 0.0, 0.0, 3.0, 0.0, 1.0], 2, &y, 2.0)
        .unwrap();
    assert_eq!(st.gamma(&cfg), vec![cfg.c_bar; 3]);
    st.update(&[0.0, 5.0], 2, &[2], 2.0).unwrap();
    let alpha: Vec<f64> = st.alpha.values.iter().map(|v| v.unwrap()).collect();
    assert_eq!(
        st.gamma(&cfg),
        gamma::optimal_gamma(&alpha, cfg.c_bar).unwrap()
    );
    // All-zero features give α = 0 → uniform γ instead of γ = 0.
    let mut z = MarginState::new(2, 0.5).unwrap();
    z.update(&[0.0; 4], 2, &[0, 1], 2.0).unwrap();
    assert_eq!(z.gamma(&cfg), vec![cfg.c_bar; 2]);
    // The whole objective on that batch is finite.
    let logits = t2(&[0.0; 8], [4, 2], &dev);
    let mut st2 = MarginState::new(2, 0.9).unwrap();
    let bl = batch_loss(
        &cfg,
        &mut st2,
        logits,
        t2(&[0.0; 12], [4, 3], &dev),
        &[0, 0, 0, 1],
        &dev,
    )
    .unwrap();
    assert!(to_vec(bl.total)[0].is_finite());
}

#[test]
fn ema_persists_and_decays() {
    let mut st = MarginState::new(1, 0.9).unwrap();
    st.update(&[1.0, 0.0, 3.0, 0.0], 2, &[0, 0], 2.0).unwrap(); // α = (1+9)/2 = 5, msd = 1
    st.update(&[0.0, 0.0, 0.0, 0.0], 2, &[0, 0], 2.0).unwrap(); // α = 0, msd = 0
    assert!((st.alpha.values[0].unwrap() - 4.5).abs() < 1e-12);
    assert!((st.s_bar() - 0.9).abs() < 1e-12);
}

#[test]
fn hyper_parameters_are_validated() {
    let ok = LossConfig::default();
    assert!(ok.validate().is_ok());
    let cases: [(&str, LossConfig); 8] = [
        ("c_bar", LossConfig { c_bar: 0.0, ..ok }),
        ("c_bar", LossConfig { c_bar: -1.0, ..ok }),
        (
            "lambda",
            LossConfig {
                lambda: -1e-9,
                ..ok
            },
        ),
        (
            "lambda",
            LossConfig {
                lambda: f64::NAN,
                ..ok
            },
        ),
        ("p", LossConfig { p: 0.999, ..ok }),
        ("decay", LossConfig { decay: 1.0, ..ok }),
        ("decay", LossConfig { decay: -0.1, ..ok }),
        (
            "c_bar",
            LossConfig {
                c_bar: f64::INFINITY,
                ..ok
            },
        ),
    ];
    for (name, cfg) in cases {
        let e = cfg.validate().unwrap_err().to_string();
        assert!(e.contains(name), "error should name `{name}`: {e}");
    }
    // Just inside the boundaries.
    assert!(LossConfig {
        lambda: 0.0,
        p: 1.0,
        decay: 0.0,
        ..ok
    }
    .validate()
    .is_ok());
    assert!(LossConfig {
        kind: LossKind::Ce,
        decay: 0.999_999,
        ..ok
    }
    .validate()
    .is_ok());
}
