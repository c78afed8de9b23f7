//! Every architecture builds, returns logits `[B, K]` and features `[B, d]`, and rejects
//! inputs it cannot take.

use burn::tensor::{Device, Distribution, Tensor};
use mr2::model::{Arch, ModelConfig, Net};

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
        let net = Net::new_seeded(&cfg, shape, 7, &dev, 1).unwrap();
        let [c, h, w] = shape;
        let x = Tensor::<4>::random([3, c, h, w], Distribution::Normal(0.0, 1.0), &dev);
        let (l, f) = net.forward(x);
        assert_eq!(l.dims(), [3, 7], "{arch:?} logits");
        assert_eq!(f.dims(), [3, d], "{arch:?} features");
        let w = net.head_weights();
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
    let a = Net::new_seeded(&cfg, [4, 1, 1], 3, &dev, 5)
        .unwrap()
        .head_weights();
    let b = Net::new_seeded(&cfg, [4, 1, 1], 3, &dev, 5)
        .unwrap()
        .head_weights();
    let c = Net::new_seeded(&cfg, [4, 1, 1], 3, &dev, 6)
        .unwrap()
        .head_weights();
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
