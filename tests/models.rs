//! Every architecture builds, returns logits `[B, K]` and features `[B, d]`, and rejects
//! inputs it cannot take.

use burn::tensor::{Device, Distribution};
use mr2::model::{Arch, HeadKind, ModelConfig, Net};
use mr2::tensor::to_vec64;
use mr2::tolerance::{le, F32_VS_F64};

#[test]
fn shapes() {
    let dev = Device::flex();
    let cases = [
        (Arch::Linear, [1, 4, 4], 16),
        (Arch::Mlp, [1, 4, 4], 32),
        (Arch::Cnn, [1, 28, 28], 128),
        (Arch::Resnet20, [3, 32, 32], 64),
        (Arch::Resnet32, [3, 16, 16], 64),
        (Arch::PreactResnet20, [3, 16, 16], 64),
        (Arch::PreactResnet32, [1, 8, 8], 64),
        (Arch::Wrn, [3, 8, 8], 128),
    ];
    for (arch, shape, d) in cases {
        let cfg = ModelConfig {
            arch,
            width: if arch == Arch::Wrn { 2 } else { 32 },
            depth: 10,
            ..ModelConfig::default()
        };
        let net = Net::new_seeded(&cfg, shape, 7, HeadKind::Linear, &dev, 1).unwrap();
        let [c, h, w] = shape;
        let x = mr2::model::seeded_random([3, c, h, w], Distribution::Normal(0.0, 1.0), 11, &dev);
        let (l, f) = net.forward(x);
        assert_eq!(l.dims(), [3, 7], "{arch:?} logits");
        assert_eq!(f.dims(), [3, d], "{arch:?} features");
        let w = net.head_weights().unwrap();
        assert_eq!((w.len(), w[0].len()), (7, d), "{arch:?} head");
    }
}

#[test]
fn seeded_initialisation_is_reproducible() {
    let dev = Device::flex();
    let cfg = ModelConfig {
        arch: Arch::Mlp,
        width: 8,
        depth: 16,
        ..ModelConfig::default()
    };
    let a = Net::new_seeded(&cfg, [4, 1, 1], 3, HeadKind::Linear, &dev, 5)
        .unwrap()
        .head_weights()
        .unwrap();
    let b = Net::new_seeded(&cfg, [4, 1, 1], 3, HeadKind::Linear, &dev, 5)
        .unwrap()
        .head_weights()
        .unwrap();
    let c = Net::new_seeded(&cfg, [4, 1, 1], 3, HeadKind::Linear, &dev, 6)
        .unwrap()
        .head_weights()
        .unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn invalid_models_are_errors() {
    let dev = Device::flex();
    let e = Net::new(
        &ModelConfig {
            arch: Arch::Cnn,
            width: 8,
            depth: 16,
            ..ModelConfig::default()
        },
        [16, 1, 1],
        3,
        &dev,
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("model"), "{e}");
    let e = Net::new(
        &ModelConfig {
            arch: Arch::Wrn,
            width: 1,
            depth: 12,
            ..ModelConfig::default()
        },
        [3, 8, 8],
        3,
        &dev,
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("depth"), "{e}");
    assert!(Net::new(
        &ModelConfig {
            arch: Arch::Mlp,
            width: 0,
            depth: 16,
            ..ModelConfig::default()
        },
        [4, 1, 1],
        3,
        &dev
    )
    .is_err());
    assert!(Net::new(&ModelConfig::default(), [4, 1, 1], 1, &dev).is_err());
}

#[test]
fn heads_and_their_linear_form_rank_classes_alike() {
    // Cosine logits lie in [−1, 1]; Gaussian logits are −½‖φ − μ_k‖² ≤ 0; and the linear head
    // each exports for the bounds gives the same pairwise logit differences.
    let dev = Device::flex();
    let cfg = ModelConfig {
        arch: Arch::Mlp,
        width: 6,
        depth: 16,
        ..ModelConfig::default()
    };
    for head in [HeadKind::Linear, HeadKind::Cosine, HeadKind::Gaussian] {
        let net = Net::new_seeded(&cfg, [5, 1, 1], 4, head, &dev, 3).unwrap();
        let x = mr2::model::seeded_random([7, 5, 1, 1], Distribution::Normal(0.0, 1.0), 11, &dev);
        let (l, f) = net.forward(x);
        let z = to_vec64(l, "l").unwrap();
        let phi = to_vec64(f, "f").unwrap();
        let lin = net.linear_head().unwrap();
        for i in 0..7 {
            let mut row: Vec<f64> = phi[i * 6..(i + 1) * 6].to_vec();
            if lin.normalize_features {
                let n = row.iter().map(|v| v * v).sum::<f64>().sqrt();
                row.iter_mut().for_each(|v| *v /= n);
            }
            let s: Vec<f64> = (0..4)
                .map(|k| {
                    lin.weights[k]
                        .iter()
                        .zip(&row)
                        .map(|(a, b)| a * b)
                        .sum::<f64>()
                        + lin.bias[k]
                })
                .collect();
            for k in 1..4 {
                let (dz, ds) = (z[i * 4 + k] - z[i * 4], s[k] - s[0]);
                assert!(F32_VS_F64.close(dz, ds), "{head:?}: {dz} vs {ds}");
            }
            match head {
                HeadKind::Cosine => {
                    assert!(z[i * 4..(i + 1) * 4]
                        .iter()
                        .all(|v| le(v.abs(), 1.0) || F32_VS_F64.close(v.abs(), 1.0)))
                }
                HeadKind::Gaussian => assert!(z[i * 4..(i + 1) * 4]
                    .iter()
                    .all(|v| le(*v, 0.0) || F32_VS_F64.close(*v, 0.0))),
                HeadKind::Linear => {}
            }
        }
    }
}

#[test]
fn bench_selection_and_median_table() {
    use mr2::bench::suite::{median_table, select, steps_for};
    use mr2::bench::Measurement;
    let (m, l) = select(None, Some("mr2")).unwrap();
    assert_eq!((m.len(), l), (4, vec!["mr2"]));
    let e = select(Some("vgg"), None).unwrap_err().to_string();
    assert!(e.contains("--model") && e.contains("vgg"), "{e}");
    let e = select(None, Some("focal")).unwrap_err().to_string();
    assert!(e.contains("--loss") && e.contains("focal"), "{e}");
    assert_eq!(
        (
            steps_for("resnet20", 15),
            steps_for("cnn", 15),
            steps_for("resnet20", 3)
        ),
        (5, 15, 2)
    );
    let ms = |v: f64| Measurement {
        model: "cnn".into(),
        loss: "ce".into(),
        ms_per_step: v,
        engine: "mr2".into(),
        input: String::new(),
    };
    // The median of 10, 40, 20 ms is 20 ms: 128 images / 0.02 s = 6400 images/s.
    let t = median_table(&[ms(10.0), ms(40.0), ms(20.0)], 128);
    let row = t.lines().find(|l| l.starts_with("cnn")).unwrap();
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cols, ["cnn", "ce", "20.0", "6400"]);
    assert_eq!(t.lines().count(), 2);
}

#[test]
fn cifar_resnets_have_the_published_parameter_counts() {
    use burn::module::Module;
    // He et al. (2016) CIFAR ResNets with option-A (parameter-free) shortcuts, as in LDAM-DRW's
    // code and Table 1 of the paper: 0.27 M (ResNet-20) and 0.46 M (ResNet-32) parameters for
    // 10 classes — 269 722 and 464 154, counting convolutions, batch-norm scales and shifts and
    // the linear head (the counts of the widely used reference implementation).
    // burn's `num_params` also counts each batch norm's running mean and variance (2 per
    // channel): the stem's 16 channels and two per block, n = 3 (ResNet-20) or 5 (ResNet-32)
    // blocks per stage of 16, 32 and 64 channels.
    let dev = mr2::train::device();
    for (arch, n, want) in [(Arch::Resnet20, 3, 269_722), (Arch::Resnet32, 5, 464_154)] {
        let cfg = ModelConfig {
            arch,
            ..ModelConfig::default()
        };
        let bn_channels = 16 + n * 2 * (16 + 32 + 64);
        let got = Net::new(&cfg, [3, 32, 32], 10, &dev).unwrap().num_params();
        assert_eq!(
            got - 2 * bn_channels,
            want,
            "{arch:?}: trainable parameters"
        );
    }
}

#[test]
fn batch_input_crops_flips_and_the_pipeline_table_reports_its_share() {
    use mr2::bench::pipeline::{pipeline, pipeline_table, PipelineTiming};
    use rand::SeedableRng;
    // Two 1×2×2 images; pad 1: every output pixel is an input pixel of the same image or 0,
    // the same rng stream gives the same batch, no augmentation copies the images.
    let data = mr2::data::Dataset {
        x: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        y: vec![0, 1],
        shape: [1, 2, 2],
        classes: 2,
        class_names: None,
    };
    let dev = mr2::train::device();
    let run = |aug: Option<usize>, seed: u64| {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let t = mr2::train::batch_input(&data, &[1, 0], aug, &mut rng, &dev);
        assert_eq!(t.dims(), [2, 1, 2, 2]);
        mr2::tensor::to_vec(t, "batch").unwrap()
    };
    assert_eq!(run(None, 0), [5.0, 6.0, 7.0, 8.0, 1.0, 2.0, 3.0, 4.0]);
    let a = run(Some(1), 3);
    assert_eq!(a, run(Some(1), 3));
    for (i, v) in a.iter().enumerate() {
        let image = if i < 4 { 5.0..=8.0 } else { 1.0..=4.0 };
        assert!(*v == 0.0 || image.contains(v), "{a:?}");
    }
    assert!(
        (0..20).any(|s| run(Some(1), s) != run(None, 0)),
        "crops move pixels"
    );
    // The table: 0.5 ms of pipeline against a 100 ms step is 0.50%.
    let t = pipeline_table(&[PipelineTiming {
        model: "resnet32".into(),
        batch: 128,
        step_ms: 100.0,
        data_ms: 0.5,
    }]);
    let cols: Vec<&str> = t.lines().nth(1).unwrap().split_whitespace().collect();
    assert_eq!(cols, ["resnet32", "128", "100.0", "0.50", "0.50%"]);
    // The measurement runs for both CIFAR ResNets (tiny batch, one step).
    let rows = pipeline(2, 1, 0, 1).unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.step_ms > 0.0 && r.data_ms > 0.0));
}

/// Every float parameter of `net` (running statistics included) as (shape, values), in
/// visiting order.
fn parameters(net: &Net) -> Vec<(Vec<usize>, Vec<f64>)> {
    use burn::module::{Module, ModuleVisitor, Param};
    use burn::tensor::Tensor;
    struct Collect(Vec<(Vec<usize>, Vec<f64>)>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
            let t = p.val();
            let dims = t.dims().to_vec();
            self.0
                .push((dims, to_vec64(t.flatten::<1>(0, D - 1), "p").unwrap()));
        }
    }
    let mut c = Collect(vec![]);
    net.visit(&mut c);
    c.0
}

/// `init = "kaiming-normal"` (LDAM-DRW's `_weights_init`): on ResNet-32 every convolution and
/// linear weight has mean 0 and standard deviation √(2/fan_in) (within 4 standard errors of a
/// sample standard deviation, ≈ 1/√(2n)); batch-norm parameters and running statistics are the
/// default's, the head's bias stays in the default's ±1/√fan_in; the same seed gives the same
/// weights. The default is PyTorch's layer default, U(±1/√fan_in): every weight within the bound,
/// standard deviation √(2/fan_in)/√6, which the Kaiming-normal check rejects. A configuration
/// without `init` reads as the default and is written without it.
#[test]
fn kaiming_normal_init_is_ldam_drws() {
    use mr2::model::{kaiming_normal_std, Init};
    let dev = Device::flex();
    let build = |init, seed| {
        let cfg = ModelConfig {
            arch: Arch::Resnet32,
            init,
            ..ModelConfig::default()
        };
        parameters(&Net::new_seeded(&cfg, [3, 32, 32], 10, HeadKind::Linear, &dev, seed).unwrap())
    };
    let (kaiming, default) = (build(Init::KaimingNormal, 3), build(Init::Default, 3));
    assert_eq!(kaiming, build(Init::KaimingNormal, 3));
    assert_ne!(kaiming, build(Init::KaimingNormal, 4));
    let within = |values: &[f64], want: f64| {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        (sd / want - 1.0).abs() <= 4.0 / (2.0 * n).sqrt() && mean.abs() <= 4.0 * want / n.sqrt()
    };
    let mut weights = 0;
    let last = kaiming.len() - 1;
    for (i, ((dims, k), (ddims, d))) in kaiming.iter().zip(&default).enumerate() {
        assert_eq!(dims, ddims);
        match kaiming_normal_std(dims) {
            Some(std) => {
                weights += 1;
                assert!(within(k, std), "{i}: {dims:?}");
                assert!(!within(d, std), "{i}: {dims:?} (default)");
                // The default is PyTorch's: U(±1/√fan_in), standard deviation √(2/fan_in)/√6.
                let bound = std / 2f64.sqrt();
                assert!(
                    d.iter().all(|w| w.abs() <= bound * (1.0 + 1e-6)),
                    "{i}: {dims:?} (default)"
                );
                assert!(within(d, std / 6f64.sqrt()), "{i}: {dims:?} (default)");
            }
            // The head's bias (the last parameter), drawn after the redrawn weights.
            None if i == last => {
                assert!(k.iter().all(|b| b.abs() <= 1.0 / 8.0), "{k:?}");
            }
            None => assert_eq!(k, d, "{i}: {dims:?}"),
        }
    }
    // The stem, 2 per block × 15 blocks, the head.
    assert_eq!(weights, 1 + 30 + 1);
    assert_eq!(
        kaiming_normal_std(&[16, 3, 3, 3]),
        Some((2.0f64 / 27.0).sqrt())
    );
    assert_eq!(kaiming_normal_std(&[64, 10]), Some((2.0f64 / 64.0).sqrt()));
    assert_eq!(kaiming_normal_std(&[16]), None);
    // The configuration: absent means the default, and the default is not written.
    let plain: ModelConfig = serde_json::from_str(r#"{"arch": "resnet32"}"#).unwrap();
    assert_eq!(plain.init, Init::Default);
    assert!(!serde_json::to_string(&plain).unwrap().contains("init"));
    let k: ModelConfig =
        serde_json::from_str(r#"{"arch": "resnet32", "init": "kaiming-normal"}"#).unwrap();
    assert_eq!(k.init, Init::KaimingNormal);
    assert!(serde_json::to_string(&k)
        .unwrap()
        .contains(r#""init":"kaiming-normal""#));
    let bad = serde_json::from_str::<ModelConfig>(r#"{"init": "xavier"}"#).unwrap_err();
    assert!(bad.to_string().contains("xavier"), "{bad}");
    let o = mr2::train::Overrides {
        init: Some(Init::KaimingNormal),
        ..Default::default()
    };
    let c = mr2::train::TrainConfig::resolve(None, &o).unwrap();
    assert_eq!(c.model.init, Init::KaimingNormal);
}

fn bench_tmpdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("mr2-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The batch file `bench --compare-pytorch` hands both engines: written and read back bit for
/// bit; a wrong magic, a size that disagrees with the header, a zero dimension, a label outside
/// the classes and a missing file are errors that name the file.
#[test]
fn bench_batch_files_round_trip_and_bad_files_are_errors() {
    use mr2::bench::input::{read_batch, write_batch};
    let dir = bench_tmpdir("bench-batch");
    let b = mr2::data::Dataset {
        x: vec![1.5, -0.0, f32::MIN_POSITIVE / 4.0, 3.25e7, -2.0, 0.1],
        y: vec![2, 0],
        shape: [1, 3, 1],
        classes: 3,
        class_names: None,
    };
    let p = dir.join("ok.bin");
    write_batch(&p, &b).unwrap();
    let bytes = std::fs::read(&p).unwrap();
    assert_eq!(bytes.len(), 28 + 4 * 6 + 4 * 2);
    assert_eq!(&bytes[..8], b"MR2BATCH");
    let r = read_batch(&p).unwrap();
    assert_eq!((r.y.clone(), r.shape, r.classes), (b.y.clone(), b.shape, 3));
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&r.x), bits(&b.x));

    let bad = |name: &str, bytes: &[u8], words: &str| {
        let f = dir.join(name);
        std::fs::write(&f, bytes).unwrap();
        let e = read_batch(&f).unwrap_err().to_string();
        assert!(e.contains(name) && e.contains(words), "{name}: {e}");
    };
    let mut magic = bytes.clone();
    magic[0] = b'X';
    bad("magic.bin", &magic, "MR2BATCH");
    bad("short.bin", &bytes[..bytes.len() - 1], "needs 60");
    bad("long.bin", &[bytes.as_slice(), &[0]].concat(), "needs 60");
    bad("header.bin", &bytes[..20], "MR2BATCH");
    let mut zero = bytes.clone();
    zero[12..16].copy_from_slice(&0u32.to_le_bytes());
    bad("zero.bin", &zero, "positive");
    let mut label = bytes.clone();
    let n = label.len();
    label[n - 8..n - 4].copy_from_slice(&3u32.to_le_bytes());
    bad("label.bin", &label, "label 3 of sample 0");
    let e = read_batch(&dir.join("absent.bin")).unwrap_err().to_string();
    assert!(e.contains("absent.bin"), "{e}");
}

/// A bench batch of real images takes the classes in turn (sample i is the (i div K)-th image
/// of class i mod K), standardised as training standardises; a batch larger than K times the
/// smallest class is an error that names --batch.
#[test]
fn bench_real_batch_takes_classes_in_turn() {
    use mr2::bench::input::{real_batch, take_round_robin};
    let root = bench_tmpdir("bench-real");
    for split in ["train", "test"] {
        for (k, c) in ["b", "a", "c"].iter().enumerate() {
            let d = root.join(split).join(c);
            std::fs::create_dir_all(&d).unwrap();
            for i in 0..2u8 {
                image::RgbImage::from_fn(4, 3, |x, y| {
                    image::Rgb([40 * k as u8 + 7 * i + x as u8, 3 * y as u8, 90 + i])
                })
                .save(d.join(format!("{i}.png")))
                .unwrap();
            }
        }
    }
    let train = mr2::data::DataConfig {
        name: mr2::data::DatasetName::ImageFolder,
        dir: Some(root.clone()),
        standardize: true,
        ..Default::default()
    }
    .load(0)
    .unwrap()
    .train;
    // Loaded class by class: a (0, 1), b (2, 3), c (4, 5).
    assert_eq!(train.y, [0, 0, 1, 1, 2, 2]);
    let b = real_batch(&root, 5).unwrap();
    assert_eq!(b.y, [0, 1, 2, 0, 1]);
    assert_eq!(b.shape, [3, 3, 4]);
    for (i, j) in [0, 2, 4, 1, 3].into_iter().enumerate() {
        assert_eq!(b.sample(i), train.sample(j), "sample {i}");
    }
    // Standardised: over the training set each channel has mean 0.
    let plane = 12;
    for ch in 0..3 {
        let m: f64 = (0..6)
            .flat_map(|i| train.sample(i)[ch * plane..(ch + 1) * plane].to_vec())
            .map(f64::from)
            .sum::<f64>();
        assert!(m.abs() < 1e-4, "channel {ch}: sum {m}");
    }
    let e = take_round_robin(&train, 7).unwrap_err().to_string();
    assert!(e.contains("--batch") && e.contains('7'), "{e}");
    assert_eq!(take_round_robin(&train, 6).unwrap().y, [0, 1, 2, 0, 1, 2]);
    let e = real_batch(&root.join("absent"), 4).unwrap_err().to_string();
    assert!(e.contains("absent"), "{e}");
}

/// The step timing runs on the batch it is given and refuses one that does not fit the model:
/// another size or shape, or a label beyond the models' 10 classes.
#[test]
fn bench_steps_take_the_given_batch_or_refuse_it() {
    use mr2::bench::input::{normal_batch, normal_labels};
    use mr2::bench::{bench_method, StepTiming};
    let t = |input: Option<mr2::data::Dataset>| StepTiming {
        arch: Arch::Mlp,
        shape: [1, 4, 4],
        method: bench_method("ce").unwrap(),
        batch: 4,
        steps: 1,
        warmup: 0,
        device: Default::default(),
        input,
    };
    assert_eq!(normal_labels(4, 10), [0, 7, 4, 1]);
    let b = normal_batch(4, [1, 4, 4], 10).unwrap();
    assert_eq!(
        (b.len(), b.shape, b.y.clone()),
        (4, [1, 4, 4], vec![0, 7, 4, 1])
    );
    // Seeded: the same draws each time, and N(0, 1)-like (not all equal).
    assert_eq!(b.x, normal_batch(4, [1, 4, 4], 10).unwrap().x);
    assert!(b.x.iter().any(|v| *v != b.x[0]));
    assert!(t(None).ms_per_step().unwrap() > 0.0);
    assert!(t(Some(b.clone())).ms_per_step().unwrap() > 0.0);
    let wrong_shape = normal_batch(4, [1, 2, 8], 10).unwrap();
    let e = t(Some(wrong_shape)).ms_per_step().unwrap_err().to_string();
    assert!(e.contains("[1, 2, 8]"), "{e}");
    let e = t(Some(normal_batch(3, [1, 4, 4], 10).unwrap()))
        .ms_per_step()
        .unwrap_err()
        .to_string();
    assert!(e.contains("3 samples"), "{e}");
    let mut many = b;
    many.y[1] = 10;
    many.classes = 11;
    let e = t(Some(many)).ms_per_step().unwrap_err().to_string();
    assert!(e.contains("10 classes"), "{e}");
}

/// `bench --compare-pytorch`'s configurations: one batch file per input shape, shared by the
/// models of that shape; real images only for the models that take them. `compare` passes each
/// engine the configuration's file as `--input` (here two shell stand-ins that report the file's
/// size back as their time) and labels the measurements with what the batch held.
#[test]
fn bench_comparison_hands_both_engines_the_same_batch_file() {
    use mr2::bench::input::{normal_batch, read_batch};
    use mr2::bench::suite::{compare_configs, for_input, select};
    let dir = bench_tmpdir("bench-compare");
    let (models, _) = select(None, None).unwrap();
    let cfgs = compare_configs(&models, &["ce", "mr2"], 6, 3, None, &dir).unwrap();
    assert_eq!(cfgs.len(), 8);
    let file = |m: &str| {
        let c = cfgs.iter().find(|c| c.model == m).unwrap();
        assert_eq!(c.input_label, "N(0, 1)");
        c.input.clone()
    };
    assert_eq!(file("mlp"), file("cnn"));
    assert_eq!(file("resnet20"), file("resnet32"));
    assert_ne!(file("mlp"), file("resnet20"));
    assert_eq!(
        read_batch(&file("cnn")).unwrap().x,
        normal_batch(3, [1, 28, 28], 10).unwrap().x
    );
    assert_eq!(read_batch(&file("resnet32")).unwrap().shape, [3, 32, 32]);
    assert_eq!(
        cfgs.iter().find(|c| c.model == "resnet20").unwrap().steps,
        2
    );

    let real = normal_batch(3, [3, 32, 32], 10).unwrap();
    let e = compare_configs(&models, &["ce"], 6, 3, Some((&real, "imgs")), &dir)
        .unwrap_err()
        .to_string();
    assert!(e.contains("3×32×32"), "{e}");
    let resnets = for_input(&models, real.shape).unwrap();
    assert_eq!(
        resnets.iter().map(|m| m.0).collect::<Vec<_>>(),
        ["resnet20", "resnet32"]
    );
    let cfgs = compare_configs(&resnets, &["ce"], 6, 3, Some((&real, "imgs")), &dir).unwrap();
    assert!(cfgs.iter().all(|c| c.input_label == "imgs"));

    // Each stand-in prints the size of the file after --input (its 10th argument) as ms/step.
    let engine = |name: &str| -> Vec<String> {
        vec![
            "sh".into(),
            "-c".into(),
            format!(
                "test \"$9\" = --input && echo \"{{\\\"model\\\":\\\"$2\\\",\\\"loss\\\":\\\"$4\\\",\\\"ms_per_step\\\":$(wc -c < \"${{10}}\"),\\\"engine\\\":\\\"{name}\\\"}}\""
            ),
            "sh".into(),
        ]
    };
    let all = mr2::bench::compare(&engine("a"), &engine("b"), &cfgs, 2, 0).unwrap();
    assert_eq!(all.len(), 2 * 2 * 2);
    let size = (28 + 4 * (3 * 3 * 32 * 32 + 3)) as f64;
    for m in &all {
        assert_eq!(m.ms_per_step, size, "{m:?}");
        assert_eq!(m.input, "imgs");
    }
    assert_eq!(
        all.iter().filter(|m| m.engine == "mr2").count(),
        4,
        "engines are named by their side"
    );
}

/// Every architecture on every small image size: a size the input check accepts runs forward
/// and backward; a refused one is an error naming the model and the size (ResNet-20/32 on a
/// side that is not a multiple of 4, and the CNN below 4 px, used to panic inside a reshape or
/// an index).
#[test]
fn every_accepted_input_size_runs_and_the_others_are_refused() {
    use burn::tensor::{Tensor, TensorData};
    use mr2::model::{check_input_size, Arch, HeadKind, ModelConfig, Net};
    let dev = mr2::train::device();
    let ad = dev.clone().autodiff();
    for arch in [Arch::Cnn, Arch::Resnet20, Arch::PreactResnet20, Arch::Wrn] {
        for side in [2usize, 3, 4, 5, 6, 7, 8, 9, 10, 12] {
            let cfg = ModelConfig {
                arch,
                width: if arch == Arch::Wrn { 1 } else { 128 },
                depth: if arch == Arch::Wrn { 10 } else { 16 },
                ..ModelConfig::default()
            };
            let ok = check_input_size(arch, side, side).is_ok();
            let built = Net::new_seeded(&cfg, [3, side, side], 3, HeadKind::Linear, &ad, 0);
            if !ok {
                let Err(e) = built else {
                    panic!("{arch:?} {side}: refused by the check but built")
                };
                let e = e.to_string();
                assert!(
                    e.contains(&format!("{side}×{side}")),
                    "{arch:?} {side}: {e}"
                );
                continue;
            }
            let net = built.unwrap_or_else(|e| panic!("{arch:?} {side}: {e}"));
            let x = Tensor::<4>::from_data(
                TensorData::new(vec![0.5f32; 2 * 3 * side * side], [2, 3, side, side]),
                &ad,
            );
            let logits = net.logits(net.features(x));
            assert_eq!(logits.dims(), [2, 3], "{arch:?} {side}");
            let _ = logits.sum().backward();
        }
    }
}

/// `bench`'s sizes are checked before anything is allocated or timed: zeros are refused
/// (they printed ms/step figures of no work) and a batch over the memory limit is refused
/// (`--batch 100000000` grew towards 313 GB).
#[test]
fn bench_sizes_are_checked_before_timing() {
    use mr2::bench::check_sizes;
    check_sizes(128, 15, 3).unwrap();
    for (b, s, r, name) in [
        (0, 15, 3, "--batch"),
        (128, 0, 3, "--steps"),
        (128, 15, 0, "--rounds"),
    ] {
        let e = check_sizes(b, s, r).unwrap_err().to_string();
        assert!(e.contains(name), "{e}");
    }
    let e = check_sizes(100_000_000, 15, 3).unwrap_err().to_string();
    assert!(e.contains("batch 100000000"), "{e}");
}

/// `bench --json F` writes F in every mode, the single measurement included (it wrote
/// nothing, exit 0), and refuses a missing directory before measuring.
#[test]
fn bench_json_is_written_for_a_single_measurement() {
    let dir = bench_tmpdir("bench-json");
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("one.json");
    let args = |json: &std::path::Path| {
        let mut v: Vec<std::ffi::OsString> = [
            "--model", "mlp", "--loss", "ce", "--batch", "8", "--steps", "1", "--warmup", "0",
            "--rounds", "1", "--json",
        ]
        .iter()
        .map(Into::into)
        .collect();
        v.push(json.into());
        v
    };
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(args(&f))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
    assert_eq!(v.as_array().map(Vec::len), Some(1), "{v}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(args(&dir.join("missing/one.json")))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("missing/one.json") && e.contains("does not exist"),
        "{e}"
    );
}

/// `bench --ops` times every convolution and batch norm of the ResNets: 19 of each in
/// ResNet-20 and 31 in ResNet-32 (6n + 1, n = 3 or 5), with the conv weights the networks have.
#[test]
fn the_op_table_covers_every_resnet_layer() {
    use mr2::bench::ops::{layers, Layer};
    for (model, n) in [("resnet20", 3), ("resnet32", 5)] {
        let (mut convs, mut bns, mut weights) = (0, 0, 0);
        for l in layers(model, 2) {
            match l {
                Layer::Conv { g, count, .. } => {
                    convs += count;
                    weights += count * g.weight_len();
                }
                Layer::BatchNorm { count, .. } => bns += count,
                Layer::Pool { .. } => panic!("{model} has no max pool"),
            }
        }
        assert_eq!((convs, bns), (6 * n + 1, 6 * n + 1), "{model}");
        // 3·16·9 + (2n·16² + 16·32 + (2n−1)·32² + 32·64 + (2n−1)·64²)·9.
        let want =
            9 * (3 * 16 + 2 * n * 256 + 512 + (2 * n - 1) * 1024 + 2048 + (2 * n - 1) * 4096);
        assert_eq!(weights, want, "{model}");
    }
}

/// The fp32 ceiling's operation count: ResNet-32 at batch 128 is ≈ 53 GFLOP per training step
/// (the figure the throughput issue works from), counted here stage by stage by hand.
#[test]
fn the_ceiling_counts_the_convolution_products() {
    use mr2::bench::ceiling::{ceiling_line, conv_flops};
    // Per image, forward, in multiply-adds: stem 3→16 at 32², 10 × 16→16 at 32², then per
    // stage a stride-2 conv to 16² / 8² and 9 more.
    let fwd = |n: usize| -> (f64, f64) {
        let per = |ci: usize, co: usize, hw: usize| (ci * co * 9 * hw * hw) as f64;
        let body = per(16, 16, 32) * (2 * n) as f64
            + per(16, 32, 16)
            + per(32, 32, 16) * (2 * n - 1) as f64
            + per(32, 64, 8)
            + per(64, 64, 8) * (2 * n - 1) as f64;
        (per(3, 16, 32), body)
    };
    for (model, n) in [("resnet20", 3), ("resnet32", 5)] {
        let (stem, body) = fwd(n);
        // ×2 flops per multiply-add; the stem has no input gradient.
        let want = 128.0 * 2.0 * (2.0 * stem + 3.0 * body);
        let got = conv_flops(model, 128);
        assert!((got - want).abs() < 1e-6 * want, "{model}: {got} vs {want}");
    }
    let r32 = conv_flops("resnet32", 128) / 1e9;
    assert!((52.0..54.0).contains(&r32), "{r32}");
    // 52.8 GFLOP at 100 GFLOP/s take 528 ms: half of a 1056 ms step.
    let line = ceiling_line("resnet32", 128, 1056.0, 100.0);
    assert!(
        line.contains("52.8 GFLOP") && line.contains("at least 528 ms") && line.contains("50% of"),
        "{line}"
    );
}
