//! Data loaders (IDX raw and gzip, CIFAR binary) on files the tests write, bad files, and the
//! transforms.

use mr2::tolerance::F32_VS_F64;
use std::io::Write;
use std::path::Path;

use mr2::data::{cifar, idx, synthetic, transform, SyntheticConfig};
use rand::SeedableRng;

fn tmpdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("mr2-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
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

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).unwrap();
}

#[test]
fn idx_raw_and_gzip_load() {
    let d = tmpdir("idx-ok");
    let px: Vec<u8> = (0..3 * 2 * 2).map(|v| (v * 20) as u8).collect();
    write(&d, "train-images-idx3-ubyte", &idx_images(3, 2, 2, &px));
    write(
        &d,
        "train-labels-idx1-ubyte.gz",
        &gz(&idx_labels(&[1, 0, 9])),
    );
    write(
        &d,
        "t10k-images-idx3-ubyte.gz",
        &gz(&idx_images(1, 2, 2, &[255, 0, 0, 255])),
    );
    write(&d, "t10k-labels-idx1-ubyte", &idx_labels(&[4]));
    let (tr, te) = idx::load(&d, None).unwrap();
    assert_eq!(tr.len(), 3);
    assert_eq!(tr.shape, [1, 2, 2]);
    assert_eq!(tr.y, vec![1, 0, 9]);
    assert!(F32_VS_F64.close(f64::from(tr.x[1]), 20.0 / 255.0));
    assert_eq!(te.x, vec![1.0, 0.0, 0.0, 1.0]);
}

fn expect_err(r: mr2::Result<impl std::fmt::Debug>, file: &str, words: &str) {
    let e = r.expect_err("bad input must be an error").to_string();
    assert!(e.contains(file), "error should name the file {file}: {e}");
    assert!(e.contains(words), "error should say `{words}`: {e}");
}

#[test]
fn idx_bad_files_are_errors() {
    let d = tmpdir("idx-bad");
    let p = d.join("img");
    // Wrong magic.
    write(&d, "img", &idx_labels(&[1; 20]));
    expect_err(idx::read_images(&p), "img", "magic");
    // Truncated payload.
    write(&d, "img", &idx_images(10, 28, 28, &[0; 100]));
    expect_err(idx::read_images(&p), "img", "truncated");
    // A header declaring 4 billion × 4 billion pixels: refused before any allocation.
    write(&d, "img", &idx_images(u32::MAX, u32::MAX, 2, &[]));
    expect_err(idx::read_images(&p), "img", "limit");
    // Too short for a header, and empty.
    write(&d, "img", &[0, 0, 8]);
    expect_err(idx::read_images(&p), "img", "header");
    // Corrupt gzip.
    let mut g = gz(&idx_images(1, 2, 2, &[1, 2, 3, 4]));
    let n = g.len();
    g.truncate(n - 6);
    g[12] ^= 0xff;
    write(&d, "img", &g);
    assert!(idx::read_images(&p).is_err());
    // Labels out of range and count mismatches.
    let l = d.join("lab");
    write(&d, "lab", &idx_labels(&[1, 12]));
    expect_err(idx::read_labels(&l, 10), "lab", "outside");
    let mut bad = idx_labels(&[1, 2, 3]);
    bad.pop();
    write(&d, "lab", &bad);
    expect_err(idx::read_labels(&l, 10), "lab", "payload");
    // Missing directory contents point at the fetch script.
    expect_err(idx::load(&d.join("nowhere"), None), "nowhere", "fetch-data");
}

fn cifar_record(label: &[u8], fill: u8) -> Vec<u8> {
    let mut r = label.to_vec();
    r.extend((0..3072).map(|i| if i < 1024 { fill } else { (i % 256) as u8 }));
    r
}

#[test]
fn cifar_files_load_and_fail_cleanly() {
    let d = tmpdir("cifar");
    let mut b = cifar_record(&[3], 255);
    b.extend(cifar_record(&[9], 0));
    write(&d, "c10.bin", &b);
    let ds = cifar::load_files(&[&d.join("c10.bin")], cifar::Variant::Cifar10, None).unwrap();
    assert_eq!(ds.y, vec![3, 9]);
    assert_eq!(ds.shape, [3, 32, 32]);
    assert_eq!(ds.x[0], 1.0);
    assert_eq!(ds.x[3072], 0.0);
    // CIFAR-100: (coarse, fine), the fine label is used.
    write(&d, "c100.bin", &cifar_record(&[7, 88], 1));
    let ds = cifar::load_files(&[&d.join("c100.bin")], cifar::Variant::Cifar100, None).unwrap();
    assert_eq!(ds.y, vec![88]);
    // Truncated and out-of-range.
    write(&d, "bad.bin", &b[..5000]);
    expect_err(
        cifar::read_batch(&d.join("bad.bin"), cifar::Variant::Cifar10),
        "bad.bin",
        "records",
    );
    write(&d, "bad.bin", &cifar_record(&[10], 0));
    expect_err(
        cifar::read_batch(&d.join("bad.bin"), cifar::Variant::Cifar10),
        "bad.bin",
        "label 10",
    );
    write(&d, "empty.bin", &[]);
    assert!(cifar::read_batch(&d.join("empty.bin"), cifar::Variant::Cifar10).is_err());
    // Standard layout with names.
    for i in 1..=5 {
        write(
            &d,
            &format!("data_batch_{i}.bin"),
            &cifar_record(&[i as u8], 0),
        );
    }
    write(&d, "test_batch.bin", &cifar_record(&[0], 0));
    let names = "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n";
    write(&d, "batches.meta.txt", names.as_bytes());
    let (tr, te) = cifar::load_dir(&d, cifar::Variant::Cifar10).unwrap();
    assert_eq!(tr.len(), 5);
    assert_eq!(te.class_name(0), "airplane");
}

#[test]
fn transforms() {
    let cfg = SyntheticConfig {
        classes: 4,
        dim: 3,
        train_per_class: 100,
        test_per_class: 10,
        ..Default::default()
    };
    let (tr, _) = synthetic(&cfg).unwrap();
    assert_eq!(
        synthetic(&cfg).unwrap().0,
        tr,
        "synthetic data is deterministic for a seed"
    );
    let (a, v) = transform::split(&tr, 0.2, 1).unwrap();
    assert_eq!(v.class_counts(), vec![20; 4]);
    assert_eq!(a.class_counts(), vec![80; 4]);
    assert_eq!(
        transform::subset(&tr, 0.1, 1).unwrap().class_counts(),
        vec![10; 4]
    );
    // LDAM: n_i = 100 · 10^{−i/3}.
    assert_eq!(
        transform::long_tail(&tr, 10.0, 1).unwrap().class_counts(),
        vec![100, 46, 21, 10]
    );
    assert_eq!(
        transform::step_imbalance(&tr, 4.0, 1)
            .unwrap()
            .class_counts(),
        vec![100, 100, 25, 25]
    );
    for bad in [0.0, 1.0, -0.5] {
        assert!(transform::split(&tr, bad, 0)
            .unwrap_err()
            .to_string()
            .contains("val_fraction"));
    }
    assert!(transform::long_tail(&tr, 0.5, 0)
        .unwrap_err()
        .to_string()
        .contains("imbalance_ratio"));
    assert!(transform::subset(&tr, 1.5, 0)
        .unwrap_err()
        .to_string()
        .contains("subset"));
    // Standardisation: zero mean, unit variance per channel on the fitted set.
    let mut s = tr.clone();
    transform::Standardizer::fit(&s).apply(&mut s);
    for ch in 0..3 {
        let v: Vec<f64> = (0..s.len()).map(|i| f64::from(s.sample(i)[ch])).collect();
        let m = v.iter().sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / v.len() as f64;
        assert!(
            F32_VS_F64.close(m, 0.0) && F32_VS_F64.close(var, 1.0),
            "channel {ch}: mean {m}, var {var}"
        );
    }
    // Crop + flip with no padding is the identity or an exact horizontal flip.
    let img: Vec<f32> = (0..2 * 3 * 4).map(|v| v as f32).collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    for _ in 0..8 {
        let out = transform::crop_flip(&img, [2, 3, 4], 0, &mut rng);
        let flipped: Vec<f32> = (0..24).map(|i| img[(i / 4) * 4 + 3 - i % 4]).collect();
        assert!(out == img || out == flipped);
    }
    // Padding keeps the shape and only moves or zeroes pixels.
    let out = transform::crop_flip(&img, [2, 3, 4], 4, &mut rng);
    assert_eq!(out.len(), img.len());
    assert!(out.iter().all(|v| *v == 0.0 || img.contains(v)));
}

#[test]
fn synthetic_hard_classes_are_more_variable() {
    let cfg = SyntheticConfig::default();
    let (tr, _) = synthetic(&cfg).unwrap();
    assert_eq!(tr.class_counts(), vec![cfg.train_per_class; cfg.classes]);
    for k in 1..cfg.classes {
        assert!(cfg.sigma(k) > cfg.sigma(k - 1));
    }
    assert!(synthetic(&SyntheticConfig { classes: 1, ..cfg }).is_err());
    assert!(synthetic(&SyntheticConfig {
        sigma_min: 0.0,
        ..cfg
    })
    .is_err());
}
