//! Every architecture builds, returns logits `[B, K]` and features `[B, d]`, and rejects
//! inputs it cannot take.

use burn::tensor::{Device, Distribution};
use mr2::loss::tensor::to_vec64;
use mr2::model::{Arch, HeadKind, ModelConfig, Net};
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
            depth: 16
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
