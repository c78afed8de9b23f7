//! The trainer's tensor losses against the theory module's f64 versions (one definition, two
//! implementations), gradients against central finite differences, degenerate batches, and
//! hyper-parameter validation.

use burn::tensor::{DType, Device, Tensor, TensorData};
use mr2::loss::mr2::{
    gamma_ce, gamma_ce_per_sample, rep_margin, rep_margin_per_sample, rep_reduction_weights,
    GammaMargin, Mr2, RepReduction, RepScale,
};
use mr2::loss::{Batch, MarginState, Method, Objective, RepScaling, TrainingSet};
use mr2::tensor::{scalar, to_vec64, On};
use mr2::theory::objective::mr2_batch;
use mr2::theory::{gamma, lse, margin};
use mr2::tolerance::{BURN_F64, F32_RELATIVE, F32_VS_F64, FD_STEP, GRADIENT, IDENTITY};
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
    to_vec64(t, "test").unwrap()
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
        let per = to_vec(gamma_ce_per_sample(t2(&z, [12, 5], &dev), &y, &g));
        let got = to_vec(gamma_ce(t2(&z, [12, 5], &dev), &y, &g))[0];
        let want: Vec<f64> = rows(&z, 5)
            .iter()
            .zip(&y)
            .map(|(r, &yy)| margin::gamma_ce_softmax(r, yy, g[yy]))
            .collect();
        for (a, b) in per.iter().zip(&want) {
            assert!(
                F32_VS_F64.close(*a, *b),
                "seed {seed}: per-sample {a} vs {b}"
            );
        }
        let mean = want.iter().sum::<f64>() / 12.0;
        assert!(
            F32_VS_F64.close(got, mean),
            "seed {seed}: tensor {got} vs theory {mean}"
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
            RepScale::PRINTED,
        ));
        let want = lse::rep_margin_losses(&rows(&f, 4), &y, s_bar);
        for (a, b) in got.iter().zip(&want) {
            assert!(F32_VS_F64.close(*a, *b), "seed {seed}: {a} vs {b}");
        }
        // The scaled settings: exponent / (10 d); per-sample factor; the batch reduction.
        // d = 4, K = 3.
        for (scaling, factor, released) in [
            (RepScaling::ScaledMean, 4.0 / 30.0, false),
            (RepScaling::Released, 4.0 / 30.0, true),
            (RepScaling::ReleasedCompiled, 4.0 / 3.0, true),
        ] {
            let scale = scaling.resolve(4, 3);
            assert_eq!(
                (scale.exponent_divisor, scale.output_factor),
                (40.0, factor),
                "{scaling:?}"
            );
            let per = lse::rep_margin_losses_scaled(&rows(&f, 4), &y, s_bar, 40.0);
            let got_per = to_vec(rep_margin_per_sample(
                t2(&f, [10, 4], &dev),
                &y,
                s_bar,
                scale,
            ));
            for (a, b) in got_per.iter().zip(&per) {
                assert!(
                    F32_VS_F64.close(*a, b * factor),
                    "{scaling:?} per sample: {a} vs {}",
                    b * factor
                );
            }
            let want = factor
                * if released {
                    lse::class_mean_sum(&per, &y)
                } else {
                    per.iter().sum::<f64>() / 10.0
                };
            let got = to_vec(rep_margin(t2(&f, [10, 4], &dev), &y, s_bar, scale))[0];
            assert!(
                F32_VS_F64.close(got, want),
                "{scaling:?} reduced: {got} vs {want}"
            );
        }
        // Scaling the exponent by 1/40 is the printed loss on features / √40 with s̄ / 40.
        let f_scaled: Vec<f64> = f.iter().map(|v| v / (40f64).sqrt()).collect();
        let printed = lse::rep_margin_losses(&rows(&f_scaled, 4), &y, s_bar / 40.0);
        let scaled = lse::rep_margin_losses_scaled(&rows(&f, 4), &y, s_bar, 40.0);
        for (a, b) in printed.iter().zip(&scaled) {
            assert!(IDENTITY.close(*a, *b), "{a} vs {b}");
        }
    }
}

#[test]
fn released_reduction_is_k_times_the_batch_mean_on_a_balanced_batch() {
    // Hand values: classes 0 (3 samples), 1 (2 samples), 2 (1 sample).
    let y = [0, 0, 0, 1, 1, 2];
    let l = [1.0, 2.0, 6.0, 4.0, 8.0, 100.0];
    // (1 + 2 + 6)/3 + (4 + 8)/2 = 3 + 6; class 2 has one sample and adds nothing.
    assert_eq!(lse::class_mean_sum(&l, &y), 9.0);
    assert_eq!(
        rep_reduction_weights(&y, RepReduction::ClassMeanSum),
        [1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0, 0.5, 0.5, 0.0]
    );
    assert_eq!(
        rep_reduction_weights(&y, RepReduction::BatchMean),
        [1.0 / 6.0; 6]
    );
    // A balanced batch (4 classes × 3 samples): the released form is K = 4 times the
    // scaled-mean form, on the same features.
    let dev = Device::flex();
    let (f, _) = random_batch(12, 5, 4, 9);
    let y: Vec<usize> = (0..12).map(|i| i % 4).collect();
    let r = |s: RepScaling| to_vec(rep_margin(t2(&f, [12, 5], &dev), &y, 0.4, s.resolve(5, 4)))[0];
    let (released, mean) = (r(RepScaling::Released), r(RepScaling::ScaledMean));
    assert!(
        F32_RELATIVE.close(released, 4.0 * mean),
        "{released} vs 4 × {mean}"
    );
    // "reference" in an old configuration is the scaled batch mean, not the released form.
    let old: RepScaling = serde_json::from_str("\"reference\"").unwrap();
    assert_eq!(old, RepScaling::ScaledMean);
}

#[test]
fn small_rep_margin_values_keep_their_relative_precision() {
    // Same-class points far apart relative to s̄ < 0: every exponent is very negative, so
    // ℓ_s̄ = ln(1 + Σ e^{z}) ≈ Σ e^{z} is tiny (1e-4 … 1e-9). Formed as ln Σ over {0, z}
    // in f32 it would lose the small sum against the 1 (error ~6e-8 absolute, i.e. up to
    // 60% relative at 1e-7); the log1p form keeps f32's relative precision.
    let dev = Device::flex();
    let f = [0.0, 0.0, 1.0, 0.0, 0.0, 2.0, 0.5, 2.0];
    let y = [0, 0, 1, 1];
    for s_bar in [5.0, 7.0, 9.0, 10.0] {
        let got = to_vec(rep_margin_per_sample(
            t2(&f, [4, 2], &dev),
            &y,
            s_bar,
            RepScale::PRINTED,
        ));
        let want = lse::rep_margin_losses(&rows(&f, 2), &y, s_bar);
        for (a, b) in got.iter().zip(&want) {
            assert!(*b < 1e-3, "the case is about small values ({b})");
            assert!(
                F32_RELATIVE.close(*a, *b),
                "s̄ = {s_bar}: {a} vs {b} (relative {})",
                ((a - b) / b).abs()
            );
        }
    }
}

#[test]
fn the_tensor_objective_equals_the_f64_theory() {
    // The whole of Eq. 4 on a batch, in f32 and in f64, against theory::objective::mr2_batch.
    let dev = Device::flex();
    let (b, k, d) = (9, 3, 4);
    let (z, y) = random_batch(b, k, k, 5);
    let (f, _) = random_batch(b, d, k, 6);
    let set = TrainingSet {
        counts: vec![3; k],
        labels: y.clone(),
        seed: 0,
    };
    let mut o = match Objective::new(&Method::from_name("mr2").unwrap(), &set).unwrap() {
        Objective::Mr2(o) => o,
        _ => unreachable!(),
    };
    for c in 0..k {
        o.state.alpha.values[c] = Some(1.0 + c as f64);
        o.state.msd.values[c] = Some(0.2 + 0.1 * c as f64);
    }
    let want = mr2_batch(
        &rows(&z, k),
        &rows(&f, d),
        &y,
        &o.gamma_used(),
        o.s_bar_used(),
        0.5,
    );
    let v = o.evaluate(t2(&z, [b, k], &dev), t2(&f, [b, d], &dev), &y);
    assert!(F32_VS_F64.close(scalar(v.total, "t").unwrap(), want.total));
    assert!(F32_VS_F64.close(scalar(v.gamma_ce, "t").unwrap(), want.gamma_ce));
    assert!(F32_VS_F64.close(scalar(v.rep.unwrap(), "t").unwrap(), want.rep));
    let on = On {
        device: dev.clone(),
        dtype: DType::F64,
    };
    let v64 = o.evaluate(
        mr2::tensor::tensor2(&z, [b, k], &on),
        mr2::tensor::tensor2(&f, [b, d], &on),
        &y,
    );
    assert!(BURN_F64.close(scalar(v64.total, "t").unwrap(), want.total));
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
    let total = gamma_ce(zt.clone(), &y, &g)
        + rep_margin_per_sample(ft.clone(), &y, s_bar, RepScale::PRINTED).mean() * lambda;
    let grads = total.backward();
    let gz = to_vec64(zt.grad(&grads).unwrap(), "g").unwrap();
    let gf = to_vec64(ft.grad(&grads).unwrap(), "g").unwrap();
    // Against the f64 objective (theory::objective::mr2_batch).
    let total =
        |zz: &[f64], ff: &[f64]| mr2_batch(&rows(zz, k), &rows(ff, d), &y, &g, s_bar, lambda).total;
    check_fd("z", &z, &gz, &|p| total(p, &f));
    check_fd("φ", &f, &gf, &|p| total(&z, p));
}

/// Every coordinate of `grad` against the central difference of `eval` at `x`.
fn check_fd(name: &str, x: &[f64], grad: &[f64], eval: &dyn Fn(&[f64]) -> f64) {
    for i in 0..x.len() {
        let (mut p, mut m) = (x.to_vec(), x.to_vec());
        let h = FD_STEP * (1.0 + x[i].abs());
        p[i] += h;
        m[i] -= h;
        let fd = (eval(&p) - eval(&m)) / (2.0 * h);
        assert!(
            GRADIENT.close(grad[i], fd),
            "∂/∂{name}[{i}]: autodiff {} vs finite difference {fd}",
            grad[i]
        );
    }
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
        RepScale::PRINTED,
    ));
    let want = lse::rep_margin_losses(&rows(&f, 3), &y, 0.0);
    for (a, b) in l.iter().zip(&want) {
        assert!(F32_VS_F64.close(*a, *b), "{a} vs {b}");
    }
    assert!(
        IDENTITY.close(l[3], 0.0),
        "a singleton class has no positives: ℓ_s̄ = 0"
    );
    // MarginState: γ stays uniform c̄ while a class has never been seen.
    let g = GammaMargin {
        c_bar: 2.0,
        uniform: false,
    };
    let mut st = MarginState::new(3, 0.9).unwrap();
    st.update(&[1.0f32, 0.0, 2.0, 0.0, 0.0, 3.0, 0.0, 1.0], 2, &y, 2.0)
        .unwrap();
    assert_eq!(st.gamma(g), vec![2.0; 3]);
    st.update(&[0.0f64, 5.0], 2, &[2], 2.0).unwrap();
    let alpha: Vec<f64> = st.alpha.values.iter().map(|v| v.unwrap()).collect();
    assert_eq!(st.gamma(g), gamma::optimal_gamma(&alpha, 2.0).unwrap());
    // The c̄ passed in is the one γ averages to; with `uniform`, every γ_k is c̄.
    let g3 = GammaMargin { c_bar: 3.0, ..g };
    assert_eq!(st.gamma(g3), gamma::optimal_gamma(&alpha, 3.0).unwrap());
    let uniform = GammaMargin {
        uniform: true,
        ..g3
    };
    assert_eq!(st.gamma(uniform), vec![3.0; 3]);
    // All-zero features give α = 0 → uniform γ instead of γ = 0.
    let mut z = MarginState::new(2, 0.5).unwrap();
    z.update(&[0.0f32; 4], 2, &[0, 1], 2.0).unwrap();
    assert_eq!(z.gamma(g), vec![2.0; 2]);
    // The whole objective on that batch is finite.
    let set = TrainingSet {
        counts: vec![3, 1],
        labels: vec![0, 0, 0, 1],
        seed: 0,
    };
    let mut o = Objective::new(&Method::from_name("mr2").unwrap(), &set).unwrap();
    let m = mr2::model::Model::new_seeded(
        &mr2::model::ModelConfig::default(),
        [3, 1, 1],
        2,
        mr2::model::HeadKind::Linear,
        Default::default(),
        &dev,
        0,
    )
    .unwrap();
    let t = o
        .loss(&Batch {
            logits: t2(&[0.0; 8], [4, 2], &dev),
            features: t2(&[0.0; 12], [4, 3], &dev),
            labels: &[0, 0, 0, 1],
            indices: &[0, 1, 2, 3],
            model: &m,
            biased_logits: None,
        })
        .unwrap();
    assert!(scalar(t.total, "t").unwrap().is_finite());
}

#[test]
fn ema_persists_and_decays_with_the_methods_own_decay() {
    let mut st = MarginState::new(1, 0.9).unwrap();
    st.update(&[1.0f32, 0.0, 3.0, 0.0], 2, &[0, 0], 2.0)
        .unwrap(); // α = (1+9)/2 = 5, msd = 1
    st.update(&[0.0f32, 0.0, 0.0, 0.0], 2, &[0, 0], 2.0)
        .unwrap(); // α = 0, msd = 0
    assert!(IDENTITY.close(st.alpha.values[0].unwrap(), 4.5));
    assert!(IDENTITY.close(st.s_bar(), 0.9));
    // One source for the decay: the method's parameter is the one the EMA uses.
    let m = Method::from_name("mr2")
        .unwrap()
        .with_params(&[("decay".into(), 0.5.into())], "t")
        .unwrap();
    let set = TrainingSet {
        counts: vec![2, 2],
        labels: vec![0, 0, 1, 1],
        seed: 0,
    };
    let Objective::Mr2(o) = Objective::new(&m, &set).unwrap() else {
        unreachable!()
    };
    assert_eq!(o.state.alpha.decay.to_bits(), 0.5f64.to_bits());
    assert_eq!(o.state.msd.decay.to_bits(), 0.5f64.to_bits());
}

#[test]
fn evaluation_is_read_only_and_loss_updates() {
    let dev = Device::flex();
    let (z, y) = random_batch(6, 3, 3, 2);
    let (f, _) = random_batch(6, 4, 3, 3);
    let set = TrainingSet {
        counts: vec![2; 3],
        labels: y.clone(),
        seed: 0,
    };
    let Objective::Mr2(mut o) = Objective::new(&Method::from_name("mr2").unwrap(), &set).unwrap()
    else {
        unreachable!()
    };
    let before: Mr2 = o.clone();
    let _ = o.evaluate(t2(&z, [6, 3], &dev), t2(&f, [6, 4], &dev), &y);
    assert_eq!(o, before, "evaluate must not touch the state");
    let v = o
        .loss(t2(&z, [6, 3], &dev), t2(&f, [6, 4], &dev), &y)
        .unwrap();
    assert_ne!(o.state, before.state, "loss folds the batch into the EMA");
    // The returned terms add up: total = ℓ_γ,ce + λ·ℓ_s̄.
    let (ce, rep, tot) = (
        scalar(v.gamma_ce, "t").unwrap(),
        scalar(v.rep.unwrap(), "t").unwrap(),
        scalar(v.total, "t").unwrap(),
    );
    assert!(F32_VS_F64.close(tot, ce + 0.5 * rep));
}

#[test]
fn hyper_parameters_are_validated() {
    let set = TrainingSet {
        counts: vec![2; 3],
        labels: vec![0, 1, 2],
        seed: 0,
    };
    for (key, bad) in [
        ("c_bar", "0.0"),
        ("c_bar", "-1.0"),
        ("c_bar", "inf"),
        ("lambda", "-1e-9"),
        ("lambda", "nan"),
        ("p", "0.999"),
        ("decay", "1.0"),
        ("decay", "-0.1"),
    ] {
        let m = Method::from_name("mr2")
            .unwrap()
            .with_params(&[(key.into(), mr2::settings::parse_value(bad))], "t")
            .unwrap();
        let e = Objective::new(&m, &set).unwrap_err().to_string();
        assert!(e.contains(key), "error should name `{key}`: {e}");
    }
    // Just inside the boundaries.
    let m = Method::from_name("mr2")
        .unwrap()
        .with_params(
            &[
                ("lambda".into(), 0.0.into()),
                ("p".into(), 1.0.into()),
                ("decay".into(), 0.0.into()),
            ],
            "t",
        )
        .unwrap();
    assert!(Objective::new(&m, &set).is_ok());
    let m = Method::from_name("gamma-ce")
        .unwrap()
        .with_params(&[("decay".into(), 0.999999.into())], "t")
        .unwrap();
    assert!(Objective::new(&m, &set).is_ok());
    // A parameter the method does not have is refused, naming it.
    let e = Method::from_name("gamma-ce")
        .unwrap()
        .with_params(&[("lambda".into(), 0.5.into())], "t")
        .unwrap_err()
        .to_string();
    assert!(e.contains("lambda"), "{e}");
}

#[test]
fn released_rep_margin_gradient_matches_finite_differences() {
    // The released ℓ_s̄ (exponent / (10d), per-class means summed, × d/(10K)) on a batch where
    // the classes have 4, 3 and 1 samples, against the f64 theory's central differences.
    let dev = Device::flex().autodiff();
    let (b, d, k) = (8, 3, 3);
    let y = [0, 1, 0, 1, 2, 0, 1, 0];
    let (f, _) = random_batch(b, d, k, 21);
    let f: Vec<f64> = f.iter().map(|v| 6.0 * v).collect(); // distances ≫ 2s̄: a steep loss
    let s_bar = 0.7;
    let scale = RepScaling::Released.resolve(d, k);
    let ft = t2(&f, [b, d], &dev).require_grad();
    let grads = rep_margin(ft.clone(), &y, s_bar, scale).backward();
    let gf = to_vec64(ft.grad(&grads).unwrap(), "g").unwrap();
    let eval = |ff: &[f64]| {
        let per = lse::rep_margin_losses_scaled(&rows(ff, d), &y, s_bar, 10.0 * d as f64);
        lse::class_mean_sum(&per, &y) * d as f64 / (10.0 * k as f64)
    };
    check_fd("φ", &f, &gf, &eval);
    // The lone sample of class 2 gets no gradient.
    assert!(gf[4 * d..5 * d].iter().all(|g| *g == 0.0), "{gf:?}");
}

#[test]
fn ema_reset_restarts_the_statistics_each_epoch() {
    let set = TrainingSet {
        counts: vec![2, 2],
        labels: vec![0, 0, 1, 1],
        seed: 0,
    };
    let run = |reset: &str| {
        let m = Method::from_name("mr2")
            .unwrap()
            .with_params(
                &[("ema_reset".into(), mr2::settings::parse_value(reset))],
                "t",
            )
            .unwrap();
        let mut obj = Objective::new(&m, &set).unwrap();
        let Objective::Mr2(o) = &mut obj else {
            unreachable!()
        };
        o.state
            .update(
                &[1.0f32, 0.0, 3.0, 0.0, 0.0, 2.0, 0.0, 1.0],
                2,
                &[0, 0, 1, 1],
                2.0,
            )
            .unwrap();
        let mut none =
            || -> mr2::Result<mr2::eval::Predictions> { panic!("no training pass expected") };
        obj.on_epoch_start(&mut mr2::loss::EpochStart {
            epoch: 1,
            epochs: 2,
            train_predictions: &mut none,
        })
        .unwrap();
        let Objective::Mr2(o) = obj else {
            unreachable!()
        };
        o
    };
    let kept = run("false");
    assert!(kept.state.alpha.values.iter().all(Option::is_some));
    let reset = run("true");
    assert!(reset.state.alpha.values.iter().all(Option::is_none));
    assert!(reset.state.msd.values.iter().all(Option::is_none));
    // Until the classes are seen again: uniform c̄ and s̄ = 0.
    assert_eq!(reset.gamma_used(), vec![reset.spec.params().c_bar; 2]);
    assert_eq!(reset.s_bar_used(), 0.0);
}

/// Settings reach the loss as typed values: text a user typed is parsed once
/// (`settings::parse_value`), a float from a flag or a grid arrives bit for bit, and a value of
/// the wrong type is refused with the key named.
#[test]
fn settings_reach_the_loss_as_typed_values() {
    use mr2::settings::{parse_value, Value};
    assert_eq!(parse_value("0.5"), Value::Float(0.5));
    assert_eq!(parse_value("3"), Value::Integer(3));
    assert_eq!(parse_value("true"), Value::Boolean(true));
    assert_eq!(parse_value("\"released\""), Value::from("released"));
    assert_eq!(parse_value("released"), Value::from("released"));
    let m = Method::from_name("mr2").unwrap();
    let odd: f64 = 0.1 + 0.2; // 0.30000000000000004
    let Method::Mr2(p) = m
        .with_params(
            &[("lambda".into(), odd.into()), ("p".into(), 3.into())],
            "t",
        )
        .unwrap()
    else {
        panic!("mr2 stays mr2")
    };
    assert_eq!(p.lambda.to_bits(), odd.to_bits());
    assert_eq!(p.p.to_bits(), 3.0f64.to_bits());
    let e = m
        .with_params(&[("lambda".into(), "0.5".into())], "grid row x")
        .unwrap_err()
        .to_string();
    assert!(e.contains("grid row x") && e.contains("string"), "{e}");
}

/// One parameter set for the MR² family: each method's table takes exactly its form's keys,
/// every key reaches [`Mr2Params`], and a key of another form is refused.
#[test]
fn the_mr2_family_shares_one_parameter_set() {
    use mr2::loss::mr2::{LaMr2Params, LaOrder, Mr2Form, Mr2Params};
    use mr2::settings::parse_value;
    let kv = |pairs: &[(&str, &str)]| -> Vec<(String, mr2::settings::Value)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), parse_value(v)))
            .collect()
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    for name in ["gamma-ce", "rep", "mr2", "la-mr2"] {
        let m = Method::from_name(name).unwrap();
        let (form, p) = m.mr2_form().unwrap();
        let written: Vec<String> = m.params().into_iter().map(|(k, _)| k).collect();
        let keys: Vec<String> = form.keys().iter().map(|k| k.to_string()).collect();
        assert_eq!(sorted(written), sorted(keys), "{name}: the keys written");
        // Defaults are the one struct's, and a configuration round-trips (TOML and JSON).
        assert_eq!(p, Mr2Params::default(), "{name}");
        let toml_back: Method = toml::Value::try_from(&m).unwrap().try_into().unwrap();
        let json_back: Method = serde_json::from_value(serde_json::to_value(&m).unwrap()).unwrap();
        assert_eq!((&toml_back, &json_back), (&m, &m), "{name}");
    }
    let all = [
        ("c_bar", "3.0"),
        ("lambda", "0.25"),
        ("p", "3.0"),
        ("decay", "0.5"),
        ("uniform_gamma", "true"),
        ("s_bar_zero", "true"),
        ("rep_scaling", "released"),
        ("ema_reset", "true"),
        ("class_stat", "released"),
    ];
    let set = Mr2Params {
        c_bar: 3.0,
        lambda: 0.25,
        p: 3.0,
        decay: 0.5,
        uniform_gamma: true,
        s_bar_zero: true,
        rep_scaling: RepScaling::Released,
        ema_reset: true,
        class_stat: mr2::loss::mr2::ClassStatistic::Released,
    };
    let with = |name: &str, pairs: &[(&str, &str)]| {
        Method::from_name(name)
            .unwrap()
            .with_params(&kv(pairs), "t")
    };
    assert_eq!(with("mr2", &all).unwrap(), Method::Mr2(set));
    let mut la = all.to_vec();
    la.extend([("tau", "0.5"), ("la_order", "before-gamma")]);
    assert_eq!(
        with("la-mr2", &la).unwrap(),
        Method::LaMr2(LaMr2Params {
            tau: 0.5,
            la_order: LaOrder::BeforeGamma,
            mr2: set
        })
    );
    let of = |form: Mr2Form| -> Vec<(&str, &str)> {
        all.iter()
            .copied()
            .filter(|(k, _)| form.keys().contains(k))
            .collect()
    };
    let d = Mr2Params::default();
    assert_eq!(
        with("gamma-ce", &of(Mr2Form::GammaCe)).unwrap(),
        Method::GammaCe(Mr2Params {
            lambda: d.lambda,
            s_bar_zero: d.s_bar_zero,
            rep_scaling: d.rep_scaling,
            ..set
        })
    );
    assert_eq!(
        with("rep", &of(Mr2Form::Rep)).unwrap(),
        Method::Rep(Mr2Params {
            c_bar: d.c_bar,
            p: d.p,
            uniform_gamma: d.uniform_gamma,
            class_stat: d.class_stat,
            ..set
        })
    );
    // A key of another form is refused, naming it and the keys there are.
    for (name, key) in [
        ("gamma-ce", "lambda"),
        ("gamma-ce", "s_bar_zero"),
        ("rep", "c_bar"),
        ("rep", "p"),
        ("mr2", "tau"),
        ("mr2", "la_order"),
        ("la-mr2", "cbar"),
    ] {
        let e = with(name, &[(key, "1.0")]).unwrap_err().to_string();
        assert!(
            e.contains(key) && e.contains("expected"),
            "{name}/{key}: {e}"
        );
    }
    let e = with("la-mr2", &[("cbar", "1.0")]).unwrap_err().to_string();
    assert!(e.contains("did you mean `c_bar`"), "{e}");
    // λ where the form has ℓ_s̄, and only there.
    let lambda = |name: &str| Method::from_name(name).unwrap().rep_lambda();
    assert_eq!(lambda("gamma-ce"), None);
    assert_eq!(lambda("ce"), None);
    for name in ["rep", "mr2", "la-mr2"] {
        assert_eq!(lambda(name), Some(0.5), "{name}");
    }
    // A NaN reaches validation (and is refused there, named) in every form's table.
    for name in ["gamma-ce", "la-mr2"] {
        let m = with(name, &[("c_bar", "nan")]).unwrap();
        let written = m.params();
        assert!(
            written.iter().any(|(k, v)| k == "c_bar" && v == "nan"),
            "{name}: {written:?}"
        );
        let e = m.validate().unwrap_err().to_string();
        assert!(e.contains("c_bar"), "{name}: {e}");
    }
    // A value of the wrong type is refused, naming the type.
    let e = with("la-mr2", &[("tau", "\"x\"")]).unwrap_err().to_string();
    assert!(e.contains("invalid type"), "{e}");
}

/// The released code's class statistic (`MRFLoss.update_ema`: `‖μ̂_k‖_p² + mean ‖φ − μ̂_k‖_p²`)
/// against a plain reference written from that formula, and against the paper's at `p = 2`,
/// where the two must agree; at `p = 5` they differ, and the objective's γ follows the setting.
#[test]
fn the_released_class_statistic_is_the_released_codes_formula() {
    use mr2::loss::mr2::ClassStatistic;
    use mr2::theory::moments::class_moments;
    let lp = |v: &[f64], p: f64| v.iter().map(|x| x.abs().powf(p)).sum::<f64>().powf(1.0 / p);
    // Reference: for each class, the mean, then the squared p-norm of the mean plus the mean
    // of the squared p-norms of the deviations — line by line as the released code computes it.
    let reference = |f: &[[f64; 3]], y: &[usize], k: usize, p: f64| -> Vec<f64> {
        (0..k)
            .map(|c| {
                let rows: Vec<&[f64; 3]> = f
                    .iter()
                    .zip(y)
                    .filter(|(_, &l)| l == c)
                    .map(|(r, _)| r)
                    .collect();
                let n = rows.len() as f64;
                let mean: Vec<f64> = (0..3)
                    .map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / n)
                    .collect();
                let mean_norm = lp(&mean, p).powi(2);
                let variance = rows
                    .iter()
                    .map(|r| {
                        let centred: Vec<f64> = (0..3).map(|j| r[j] - mean[j]).collect();
                        lp(&centred, p).powi(2)
                    })
                    .sum::<f64>()
                    / n;
                mean_norm + variance
            })
            .collect()
    };
    let f = [
        [1.0, -2.0, 0.5],
        [0.3, 0.7, -1.1],
        [2.0, 0.0, 1.0],
        [-0.4, 1.5, 0.2],
        [0.9, -0.3, 2.2],
    ];
    let y = [0, 1, 0, 1, 1];
    let flat: Vec<f64> = f.iter().flatten().copied().collect();
    let view = ndarray::ArrayView2::from_shape((5, 3), &flat).unwrap();
    for p in [2.0, 5.0] {
        let stats = class_moments(view, &y, 2, p).unwrap();
        let want = reference(&f, &y, 2, p);
        for (s, w) in stats.iter().zip(&want) {
            let s = s.as_ref().unwrap();
            assert!(
                (s.released_p - w).abs() < 1e-12 * w.abs().max(1.0),
                "p = {p}: {} vs {w}",
                s.released_p
            );
            assert_eq!(
                s.energy(p, ClassStatistic::Released).to_bits(),
                s.released_p.to_bits()
            );
            if p == 2.0 {
                // At p = 2 the released statistic is α_k = r²_{k,2} (Eq. 52–55).
                assert!((s.released_p - s.alpha()).abs() < 1e-12, "{s:?}");
                assert!((s.released_p - s.r2_p).abs() < 1e-12, "{s:?}");
            } else {
                // At p = 5 the paper's r²_{k,p} is another number.
                assert!((s.released_p - s.r2_p).abs() > 1e-3, "{s:?}");
                assert_eq!(
                    s.energy(p, ClassStatistic::Paper).to_bits(),
                    s.r2_p.to_bits()
                );
            }
        }
    }
    // The objective's γ follows `class_stat`.
    let g = GammaMargin {
        c_bar: 1.0,
        uniform: false,
    };
    let f32s: Vec<f32> = flat.iter().map(|v| *v as f32).collect();
    let mut paper = MarginState::new(2, 0.9).unwrap();
    paper.update(&f32s, 3, &y, 5.0).unwrap();
    let mut released = MarginState::new(2, 0.9).unwrap();
    released
        .update_with(&f32s, 3, &y, 5.0, ClassStatistic::Released)
        .unwrap();
    let want = reference(&f, &y, 2, 5.0);
    let got: Vec<f64> = released.alpha.values.iter().map(|v| v.unwrap()).collect();
    for (a, b) in got.iter().zip(&want) {
        assert!((a - b).abs() < 1e-5 * b, "{a} vs {b}");
    }
    assert_ne!(paper.gamma(g), released.gamma(g));
    // The setting is read from a configuration and written with the other keys.
    let m = Method::from_name("mr2")
        .unwrap()
        .with_params(&[("class_stat".into(), "released".into())], "t")
        .unwrap();
    assert_eq!(m.mr2_form().unwrap().1.class_stat, ClassStatistic::Released);
    let text = serde_json::to_string(&m).unwrap();
    assert!(text.contains("\"class_stat\":\"released\""), "{text}");
    let plain = serde_json::to_string(&Method::from_name("mr2").unwrap()).unwrap();
    assert!(plain.contains("\"class_stat\":\"paper\""), "{plain}");
    let e = Method::from_name("mr2")
        .unwrap()
        .with_params(&[("class_stat".into(), "other".into())], "t")
        .unwrap_err()
        .to_string();
    assert!(e.contains("class_stat") || e.contains("other"), "{e}");
}
