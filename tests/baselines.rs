//! Every objective against an independent numpy implementation on one tiny batch (in f64),
//! autodiff gradients against central finite differences (in f64), a few training steps on the
//! synthetic data with the loss decreasing, and what makes the two-stage methods and SAM
//! different (JTT's up-weighted set, LfF's two models, SAM's perturbed step).

use burn::tensor::{DType, Device, Tensor};
use mr2::loss::dro::FairDroParams;
use mr2::loss::largest_margin::{sample_margin_reg, zero_centroid};
use mr2::loss::margin::mm_loss;
use mr2::loss::representation::drl_rob;
use mr2::loss::reweight::{lff_terms, spectral_weights};
use mr2::loss::{Batch, EpochStart, Method, Objective, TrainingSet, METHODS};
use mr2::model::{Arch, Extras, HeadKind, Model, ModelConfig};
use mr2::tensor::{scalar, tensor1, tensor2, to_vec64, On};
use mr2::tolerance::{BURN_F64, FD_STEP_BURN, GRADIENT_F64};
use mr2::tolerance::{F32_VS_F64, IDENTITY};

// The batch of scripts/reference-losses.py.
const Z: [f64; 18] = [
    2.0, -1.0, 0.5, 0.3, 1.2, -0.4, -0.5, 0.1, 0.9, 1.5, 1.4, -2.0, 0.0, 0.2, 0.1, -1.0, 2.0, 0.5,
];
const Y: [usize; 6] = [0, 1, 2, 1, 0, 1];
const PHI: [f64; 24] = [
    1.0, 0.5, -0.2, 0.3, 0.2, -0.4, 0.8, 0.1, -0.6, 0.3, 0.2, 0.9, 0.4, -0.1, 0.7, -0.3, 0.9, 0.6,
    -0.5, 0.2, 0.1, -0.7, 0.6, 0.4,
];
const COUNTS: [usize; 3] = [50, 30, 20];
const W_H: [f64; 12] = [
    1.0, -0.5, 0.2, 0.3, 0.8, -0.6, -0.2, 0.4, 0.9, 0.5, 0.1, 0.3,
];
const CONF: [f64; 9] = [0.0, 3.0, 1.0, 2.0, 0.0, 0.0, 0.0, 1.0, 0.0];

// Output of `python3 scripts/reference-losses.py` (numpy 2.4, float64).
const CE: f64 = 0.5747001092171854;
const LABEL_SMOOTHING: f64 = 0.6674778869949632;
const FOCAL: f64 = 0.16375416177661023;
const LDAM: f64 = 6.263592476348477;
const LDAM_DRW: f64 = 6.043561796300394;
const LA: f64 = 0.5955928951347453;
const MM: f64 = 1.2933734764284577;
const MM_LDAM: f64 = 1.8980748139532537;
const GROUP_DRO: f64 = 0.5807998794242362;
const FAIR_DRO_UNIFORM: f64 = 0.5806983835101097;
const FAIR_DRO_Q: [f64; 3] = [
    -0.023014989216565862,
    0.24424625269585848,
    0.7787687365207072,
];
const SUPCON_TOTAL: f64 = 0.6510884701674295;
const CENTER_TOTAL: f64 = 0.5848401092171854;
const CENTERS_AFTER: [f64; 12] = [
    0.31666666666666665,
    0.18333333333333335,
    -0.11666666666666665,
    0.08333333333333333,
    0.08750000000000001,
    -0.15,
    0.2625,
    0.025000000000000005,
    -0.15,
    0.075,
    0.05,
    0.225,
];
const DRL_ROB: f64 = 1.5537866326177976;
const LGM_TOTAL: f64 = 0.6581390803215147;
const LGM_LOGITS: [f64; 18] = [
    -0.19,
    -1.2899999999999998,
    -1.29,
    -0.775,
    -0.07500000000000001,
    -0.7250000000000001,
    -1.0500000000000003,
    -0.9500000000000001,
    -0.15000000000000002,
    -0.4749999999999999,
    -0.22500000000000003,
    -0.9750000000000001,
    -0.23000000000000004,
    -1.5300000000000002,
    -1.3299999999999998,
    -1.06,
    -0.11,
    -0.61,
];
const CSR_G: [f64; 9] = [
    0.01,
    2.01,
    0.6155512754639894,
    0.01,
    0.01,
    0.01,
    0.01,
    0.6155512754639892,
    0.1933461736080322,
];
const CSR: f64 = 0.4848691449677974;
const LM_SOFTMAX: f64 = -0.25400250279202224;
const ZERO_CENTROID: f64 = 0.24242267116008492;
const SAMPLE_MARGIN_REG: f64 = 0.24027643860275705;
const LFF: f64 = 0.9529304104304572;
const LA_MR2: f64 = 0.9385868420394939;
const LA_MR2_AFTER: f64 = 0.9818238999107282;
const REP_RELEASED: f64 = 0.23786916385531978;
const REP_RELEASED_COMPILED: f64 = 2.3786916385531978;

fn on64(dev: &Device) -> On {
    On {
        device: dev.clone(),
        dtype: DType::F64,
    }
}

fn cosines() -> Vec<f64> {
    Z.iter().map(|v| v / 2.5).collect()
}

fn set() -> TrainingSet {
    TrainingSet {
        counts: COUNTS.to_vec(),
        labels: Y.to_vec(),
        seed: 0,
    }
}

/// A model to hand to the objectives (only LfF's and DRL's extras and the head are read).
fn model(dev: &Device, head: HeadKind, extras: Extras) -> Model {
    let cfg = ModelConfig {
        arch: Arch::Linear,
        width: 4,
        depth: 16,
        ..Default::default()
    };
    Model::new_seeded(&cfg, [4, 1, 1], 3, head, extras, dev, 0).unwrap()
}

/// The objective's value on the reference batch, in f64.
fn value(obj: &mut Objective, logits: &[f64], biased: Option<&[f64]>) -> f64 {
    let dev = Device::flex();
    let on = on64(&dev);
    let m = model(&dev, HeadKind::Linear, Extras::default());
    let idx: Vec<usize> = (0..6).collect();
    let t = obj
        .loss(&Batch {
            logits: tensor2(logits, [6, 3], &on),
            features: tensor2(&PHI, [6, 4], &on),
            labels: &Y,
            indices: &idx,
            model: &m,
            biased_logits: biased.map(|z| tensor2(z, [6, 3], &on)),
        })
        .unwrap();
    assert_eq!(t.total.dtype(), DType::F64, "the loss stays in f64");
    scalar(t.total, "loss").unwrap()
}

fn objective(name: &str, params: &[(&str, &str)]) -> Objective {
    // Written as a user types them (`--param KEY=VALUE`).
    let kv: Vec<(String, mr2::settings::Value)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), mr2::settings::parse_value(v)))
        .collect();
    let m = Method::from_name(name)
        .unwrap()
        .with_params(&kv, "test")
        .unwrap();
    Objective::new(&m, &set()).unwrap()
}

fn close(got: f64, want: f64, what: &str) {
    assert!(
        BURN_F64.close(got, want),
        "{what}: mr2 {got} vs numpy {want}"
    );
}

/// Run the objective's epoch hook for epoch `e` of `epochs` (no training-set pass needed).
fn start_epoch(obj: &mut Objective, e: usize, epochs: usize) {
    let mut none =
        || -> mr2::Result<mr2::eval::Predictions> { panic!("no training pass expected") };
    obj.on_epoch_start(&mut EpochStart {
        epoch: e,
        epochs,
        train_predictions: &mut none,
    })
    .unwrap();
}

#[test]
fn values_match_the_numpy_reference() {
    let c = cosines();
    close(value(&mut objective("ce", &[]), &Z, None), CE, "ce");
    close(
        value(&mut objective("label-smoothing", &[]), &Z, None),
        LABEL_SMOOTHING,
        "label smoothing",
    );
    close(
        value(&mut objective("focal", &[]), &Z, None),
        FOCAL,
        "focal",
    );
    close(value(&mut objective("ldam", &[]), &c, None), LDAM, "ldam");
    let mut drw = objective("ldam", &[("drw", "true")]);
    start_epoch(&mut drw, 7, 10);
    close(
        value(&mut drw, &c, None),
        LDAM,
        "ldam-drw before its epoch (8 of 10)",
    );
    start_epoch(&mut drw, 8, 10);
    close(
        value(&mut drw, &c, None),
        LDAM_DRW,
        "ldam-drw after its epoch",
    );
    close(value(&mut objective("la", &[]), &Z, None), LA, "la");
    close(value(&mut objective("mm", &[]), &c, None), MM, "mm");
    close(
        value(&mut objective("mm", &[("ldam", "true")]), &c, None),
        MM_LDAM,
        "mm-ldam",
    );
    close(
        value(&mut objective("group-dro", &[]), &Z, None),
        GROUP_DRO,
        "group dro",
    );
    close(
        value(&mut objective("fair-dro", &[]), &Z, None),
        FAIR_DRO_UNIFORM,
        "fair dro",
    );
    close(
        value(&mut objective("supcon", &[]), &Z, None),
        SUPCON_TOTAL,
        "supcon",
    );
    close(
        value(&mut objective("lm-softmax", &[]), &c, None),
        LM_SOFTMAX,
        "lm-softmax",
    );
    close(
        value(&mut objective("lgm", &[]), &LGM_LOGITS, None),
        LGM_TOTAL,
        "lgm",
    );
    close(
        value(&mut objective("jtt", &[]), &Z, None),
        CE,
        "jtt (stage 1 is ERM)",
    );
    let zb: Vec<f64> = Z.chunks(3).flat_map(|r| r.iter().rev().copied()).collect();
    close(value(&mut objective("lff", &[]), &Z, Some(&zb)), LFF, "lff");
    // Centre loss: the value with zero centres, then Wen's update.
    let mut cen = objective("center", &[]);
    close(value(&mut cen, &Z, None), CENTER_TOTAL, "center");
    let Objective::Center(c) = &cen else {
        unreachable!()
    };
    for (a, b) in c.centers.iter().zip(CENTERS_AFTER) {
        close(*a, b, "centre after one update");
    }
    // LA + MR² with γ = (0.8, 1.1, 1.4) (α_k = γ_k³, c̄ = their mean) and s̄ = 0.3, the shift
    // before ÷γ and after it (the default).
    let dev = Device::flex();
    let on = on64(&dev);
    for (order, want) in [
        (Some("\"before-gamma\""), LA_MR2),
        (Some("\"after-gamma\""), LA_MR2_AFTER),
        (None, LA_MR2_AFTER),
    ] {
        let mut kv = vec![("c_bar", "1.1")];
        kv.extend(order.map(|o| ("la_order", o)));
        let mut la = objective("la-mr2", &kv);
        let Objective::Mr2(o) = &mut la else {
            unreachable!()
        };
        for (k, g) in [0.8f64, 1.1, 1.4].iter().enumerate() {
            o.state.alpha.values[k] = Some(g.powi(3));
            o.state.msd.values[k] = Some(0.3);
        }
        let v = o.evaluate(tensor2(&Z, [6, 3], &on), tensor2(&PHI, [6, 4], &on), &Y);
        close(
            scalar(v.total, "la-mr2").unwrap(),
            want,
            &format!("la-mr2 {order:?}"),
        );
    }
    // ℓ_s̄ as the released code reduces and scales it (s̄ = 0.3, D = 4, K = 3): per-class means
    // summed, × D/(10K), and × D/K for the compiled copy.
    for (scaling, want) in [
        ("\"released\"", REP_RELEASED),
        ("\"released-compiled\"", REP_RELEASED_COMPILED),
    ] {
        let mut rep = objective("rep", &[("lambda", "1.0"), ("rep_scaling", scaling)]);
        let Objective::Mr2(o) = &mut rep else {
            unreachable!()
        };
        for k in 0..3 {
            o.state.alpha.values[k] = Some(1.0);
            o.state.msd.values[k] = Some(0.3);
        }
        let v = o.evaluate(tensor2(&Z, [6, 3], &on), tensor2(&PHI, [6, 4], &on), &Y);
        close(
            scalar(v.rep.unwrap(), "rep").unwrap(),
            want,
            &format!("rep {scaling}"),
        );
    }
}

#[test]
fn building_blocks_match_the_numpy_reference() {
    let dev = Device::flex();
    let on = on64(&dev);
    // DRL's robust term with the class means as centroids and radii (0.5, 1, 1.5).
    let mut mu = vec![0.0; 12];
    for k in 0..3 {
        let rows: Vec<usize> = (0..6).filter(|&i| Y[i] == k).collect();
        for j in 0..4 {
            mu[k * 4 + j] = rows.iter().map(|&i| PHI[i * 4 + j]).sum::<f64>() / rows.len() as f64;
        }
    }
    let rob = drl_rob(
        tensor2(&PHI, [6, 4], &on),
        &Y,
        &mu,
        tensor1(&[0.5, 1.0, 1.5], &on),
        1.0,
    );
    close(scalar(rob, "drl").unwrap(), DRL_ROB, "drl L_rob");
    // Zero-centroid and sample-margin regularisers with the head W_H (d × K).
    close(
        scalar(zero_centroid(tensor2(&W_H, [4, 3], &on)), "zc").unwrap(),
        ZERO_CENTROID,
        "zero centroid",
    );
    let sm = sample_margin_reg(tensor2(&PHI, [6, 4], &on), tensor2(&W_H, [4, 3], &on), &Y);
    close(
        scalar(sm, "sm").unwrap(),
        SAMPLE_MARGIN_REG,
        "sample margin",
    );
    // CSR: the spectral weights of the confusion counts, then the loss with them.
    let g = spectral_weights(&CONF, 3);
    for (a, b) in g.iter().zip(CSR_G) {
        assert!(IDENTITY.close(*a, b), "CSR G: {a} vs {b}");
    }
    let mut csr = objective("csr", &[]);
    if let Objective::Csr(c) = &mut csr {
        c.weights = g;
    }
    close(value(&mut csr, &Z, None), CSR, "csr");
    // FairDRO's worst case over the χ² ball for L = (1, 2, 4), ρ = 0.5.
    let q = FairDroParams {
        rho: 0.5,
        nonnegative: false,
    }
    .worst_case_weights(&[1.0, 2.0, 4.0]);
    for (a, b) in q.iter().zip(FAIR_DRO_Q) {
        close(*a, b, "FairDRO q*");
    }
    // As printed the first class gets a negative weight (its loss would be maximised); the
    // nonnegative option sets it to 0 and renormalises the rest.
    assert!(q[0] < 0.0, "{q:?}");
    let clipped = FairDroParams {
        rho: 0.5,
        nonnegative: true,
    }
    .worst_case_weights(&[1.0, 2.0, 4.0]);
    let kept = FAIR_DRO_Q[1] + FAIR_DRO_Q[2];
    for (a, b) in clipped
        .iter()
        .zip([0.0, FAIR_DRO_Q[1] / kept, FAIR_DRO_Q[2] / kept])
    {
        close(*a, b, "FairDRO q* clipped");
    }
}

/// Five-point central differences of `f` at `x` (truncation O(h⁴)) against `grad`, in f64.
fn check_fd(name: &str, x: &[f64], grad: &[f64], f: &dyn Fn(&[f64]) -> f64) {
    for i in 0..x.len() {
        let h = FD_STEP_BURN * (1.0 + x[i].abs());
        let at = |t: f64| {
            let mut p = x.to_vec();
            p[i] += t * h;
            f(&p)
        };
        let fd = (-at(2.0) + 8.0 * at(1.0) - 8.0 * at(-1.0) + at(-2.0)) / (12.0 * h);
        assert!(
            GRADIENT_F64.close(grad[i], fd),
            "{name}: ∂/∂x[{i}] autodiff {} vs finite difference {fd}",
            grad[i]
        );
    }
}

/// Autodiff gradient of a (logits, features) → scalar function in f64, and its finite
/// differences, in both arguments.
fn gradient_check(name: &str, logits: &[f64], f: &dyn Fn(Tensor<2>, Tensor<2>) -> Tensor<1>) {
    let dev = Device::flex().autodiff();
    let on = on64(&dev);
    let z = tensor2(logits, [6, 3], &on).require_grad();
    let p = tensor2(&PHI, [6, 4], &on).require_grad();
    let g = f(z.clone(), p.clone()).backward();
    let gz = z
        .grad(&g)
        .map(|t| to_vec64(t, "grad").unwrap())
        .unwrap_or(vec![0.0; 18]);
    let gp = p
        .grad(&g)
        .map(|t| to_vec64(t, "grad").unwrap())
        .unwrap_or(vec![0.0; 24]);
    let plain = on64(&Device::flex());
    let eval = |zz: &[f64], pp: &[f64]| {
        scalar(
            f(tensor2(zz, [6, 3], &plain), tensor2(pp, [6, 4], &plain)),
            "loss",
        )
        .unwrap()
    };
    check_fd(&format!("{name} (logits)"), logits, &gz, &|x| eval(x, &PHI));
    check_fd(&format!("{name} (features)"), &PHI, &gp, &|x| {
        eval(logits, x)
    });
}

#[test]
fn gradients_match_finite_differences() {
    let c = cosines();
    // Every objective through its read-only evaluation (state held fixed).
    for info in METHODS {
        if matches!(info.name, "mm" | "lff" | "drl") {
            continue; // their per-batch constants (Δ, W, centroids) are checked below
        }
        let mut obj = objective(info.name, &[]);
        if info.name == "la-mr2"
            || info.name == "mr2"
            || info.name == "gamma-ce"
            || info.name == "rep"
        {
            if let Objective::Mr2(o) = &mut obj {
                for k in 0..3 {
                    o.state.alpha.values[k] = Some(1.0 + k as f64);
                    o.state.msd.values[k] = Some(0.4);
                }
            }
        }
        let logits: &[f64] = match info.name {
            "ldam" | "lm-softmax" => &c,
            "lgm" => &LGM_LOGITS,
            _ => &Z,
        };
        let head = Method::from_name(info.name).unwrap().head();
        gradient_check(info.name, logits, &|z, p| {
            let m = model(&z.device(), head, Extras::default());
            let idx: Vec<usize> = (0..6).collect();
            obj.evaluate(&Batch {
                logits: z,
                features: p,
                labels: &Y,
                indices: &idx,
                model: &m,
                biased_logits: None,
            })
            .unwrap()
            .total
        });
    }
    let delta = [0.3, 0.1, 0.25, 0.05, 0.2, 0.15];
    gradient_check("mm (fixed Δ)", &c, &|z, _| {
        mm_loss(z, &Y, &delta, 10.0, &[1.0, 2.0, 0.5])
    });
    let w = [0.2, 0.9, 0.5, 0.7, 0.1, 0.4];
    gradient_check("lff (fixed W)", &Z, &|z, _| {
        let zb = z.clone() * 0.5;
        let (a, b) = lff_terms(zb, z, &Y, &w, 0.7);
        a + b
    });
    gradient_check("drl (fixed centroids)", &Z, &|_, p| {
        let on = On::of(&p);
        let mu: Vec<f64> = (0..12).map(|i| (i as f64 * 0.37).sin()).collect();
        drl_rob(p, &Y, &mu, tensor1(&[0.5, 1.0, 1.5], &on), 1.0)
    });
}

#[test]
fn every_method_is_listed_validated_and_documented() {
    assert!(METHODS.len() >= 22);
    for info in METHODS {
        let m = Method::from_name(info.name).unwrap();
        assert_eq!(m.name(), info.name);
        assert!(
            m.validate().is_ok(),
            "{}: defaults must be valid",
            info.name
        );
        // An unknown parameter is refused with the closest name.
        if let Some((k, _)) = m.params().first() {
            let typo = format!("{k}x");
            let e = m
                .with_params(&[(typo.clone(), 1.into())], "test")
                .unwrap_err()
                .to_string();
            assert!(
                e.contains(&typo) && e.contains(&format!("did you mean `{k}`")),
                "{e}"
            );
        }
    }
    let e = Method::from_name("ldma").unwrap_err().to_string();
    assert!(e.contains("did you mean `ldam`"), "{e}");
    // Invalid values name the parameter.
    for (name, key, bad) in [
        ("label-smoothing", "epsilon", "1.0"),
        ("focal", "gamma", "-1"),
        ("ldam", "max_margin", "0"),
        ("ldam", "drw_beta", "1.0"),
        ("eql", "drop_prob", "1.5"),
        ("la", "tau", "-0.1"),
        ("mm", "delta_minus", "0"),
        ("group-dro", "eta", "0"),
        ("fair-dro", "rho", "-1"),
        ("supcon", "temperature", "0"),
        ("center", "alpha", "1"),
        ("drl", "tau", "0"),
        ("lgm", "alpha", "-0.5"),
        ("csr", "mix", "1"),
        ("jtt", "identification_epochs", "0"),
        ("lff", "q", "0"),
        ("lm-softmax", "scale", "0"),
        ("sample-margin", "weight", "-1"),
        ("mr2", "c_bar", "0"),
        ("mr2", "lambda", "-1"),
        ("mr2", "p", "0.5"),
        ("mr2", "decay", "1"),
        ("la-mr2", "tau", "-1"),
    ] {
        let m = Method::from_name(name)
            .unwrap()
            .with_params(&[(key.into(), mr2::settings::parse_value(bad))], "test")
            .unwrap();
        let e = m.validate().unwrap_err().to_string();
        assert!(e.contains(key), "{name}: `{key}` not named in {e}");
        assert!(Objective::new(&m, &set()).is_err());
    }
}

#[test]
fn balanced_priors_collapse_where_expected() {
    // Under balanced classes LA and EQL (threshold ≤ 1/K) are exactly CE; group DRO's
    // adjustment cancels. LDAM is not CE: its margin is the same for every class.
    let balanced = TrainingSet {
        counts: vec![20, 20, 20],
        labels: Y.to_vec(),
        seed: 0,
    };
    let make = |n: &str| Objective::new(&Method::from_name(n).unwrap(), &balanced).unwrap();
    close(value(&mut make("la"), &Z, None), CE, "LA under balance");
    close(value(&mut make("eql"), &Z, None), CE, "EQL under balance");
    let ldam = value(&mut make("ldam"), &cosines(), None);
    assert!(
        (ldam - CE).abs() > 0.1,
        "LDAM under balance is a cosine margin loss, not CE"
    );
    // EQL with every class a tail class and drops certain (γ → 1) drops every negative logit.
    let m = Method::from_name("eql")
        .unwrap()
        .with_params(
            &[
                ("threshold".into(), 0.9.into()),
                ("drop_prob".into(), 0.999999999.into()),
            ],
            "t",
        )
        .unwrap();
    let all_dropped = value(&mut Objective::new(&m, &balanced).unwrap(), &Z, None);
    assert!(F32_VS_F64.close(all_dropped, 0.0), "{all_dropped}");
}

/// DRW's switch in both objectives that have it: uniform weights before `⌊drw_start · E⌋`,
/// the class-balanced weights (β = 0.9999, as LDAM's code) from it on; never without DRW.
#[test]
fn drw_switches_to_class_balanced_weights_at_its_epoch_in_ldam_and_mm() {
    use mr2::loss::margin::class_balanced_weights;
    let balanced = class_balanced_weights(&COUNTS, 0.9999);
    assert!(balanced.iter().any(|w| (w - 1.0).abs() > 1e-6));
    let weights = |o: &Objective| match o {
        Objective::Ldam(l) => l.weights.clone(),
        Objective::Mm(m) => m.weights.clone(),
        _ => unreachable!(),
    };
    for name in ["ldam", "mm"] {
        for drw in [true, false] {
            let mut o = objective(name, &[("drw", if drw { "true" } else { "false" })]);
            for e in 0..10 {
                start_epoch(&mut o, e, 10);
                let want = if drw && e >= 8 {
                    balanced.clone()
                } else {
                    vec![1.0; COUNTS.len()]
                };
                assert_eq!(weights(&o), want, "{name} drw {drw} epoch {e}");
            }
        }
    }
}
