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

/// An RGB image of `w × h` whose pixel (x, y) is `(seed + x, seed + 2y, seed + x + y)`.
fn rgb(w: u32, h: u32, seed: u8) -> image::RgbImage {
    image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([
            seed.wrapping_add(x as u8),
            seed.wrapping_add(2 * y as u8),
            seed.wrapping_add((x + y) as u8),
        ])
    })
}

/// `root/{train,test}/<class>/<i>.png` for the given classes, two images each.
fn folder_layout(root: &Path, classes: &[&str]) {
    for split in ["train", "test"] {
        for (k, c) in classes.iter().enumerate() {
            let d = root.join(split).join(c);
            std::fs::create_dir_all(&d).unwrap();
            for i in 0..2u8 {
                rgb(4, 3, 10 * k as u8 + i)
                    .save(d.join(format!("{i}.png")))
                    .unwrap();
            }
        }
    }
}

#[test]
fn image_folders_load_exactly_and_in_sorted_order() {
    use mr2::data::folder;
    let root = tmpdir("folder-ok");
    // Written in another order than sorted: the class ids follow the sorted names.
    folder_layout(&root, &["cat", "airplane", "bird"]);
    let (train, test) = folder::load_dir(&root).unwrap();
    assert_eq!(train.shape, [3, 3, 4]);
    assert_eq!(
        train.class_names.as_deref().unwrap(),
        ["airplane", "bird", "cat"]
    );
    assert_eq!(train.y, [0, 0, 1, 1, 2, 2]);
    assert_eq!(test.len(), 6);
    // "airplane" was class 1 when written (seed 10 + i); channel-major, values / 255.
    let s = train.sample(1);
    let want = rgb(4, 3, 11);
    for ch in 0..3 {
        for y in 0..3 {
            for x in 0..4 {
                let got = s[ch * 12 + y * 4 + x];
                let p = want.get_pixel(x as u32, y as u32)[ch];
                assert_eq!(
                    got.to_bits(),
                    (f32::from(p) / 255.0).to_bits(),
                    "ch {ch} ({x}, {y})"
                );
            }
        }
    }
    // Through the configuration: CIFAR-10 recognises the layout, and the generic dataset.
    for name in [
        mr2::data::DatasetName::Cifar10,
        mr2::data::DatasetName::ImageFolder,
    ] {
        let cfg = mr2::data::DataConfig {
            name,
            dir: Some(root.clone()),
            standardize: false,
            ..Default::default()
        };
        let s = cfg.load(0).unwrap();
        assert_eq!(s.train.x, train.x);
    }
    // JPEG decodes too (lossy: a flat colour comes back within a few levels).
    let j = tmpdir("folder-jpeg");
    for split in ["train", "test"] {
        for c in ["a", "b"] {
            let d = j.join(split).join(c);
            std::fs::create_dir_all(&d).unwrap();
            image::RgbImage::from_pixel(8, 8, image::Rgb([200, 100, 50]))
                .save(d.join("x.jpg"))
                .unwrap();
        }
    }
    let (tr, _) = folder::load_dir(&j).unwrap();
    assert_eq!(tr.shape, [3, 8, 8]);
    let mean_r = tr.sample(0)[..64].iter().sum::<f32>() / 64.0;
    assert!((mean_r - 200.0 / 255.0).abs() < 0.02, "{mean_r}");
    // Grey images give one channel.
    let g = tmpdir("folder-grey");
    for split in ["train", "test"] {
        for c in ["a", "b"] {
            let d = g.join(split).join(c);
            std::fs::create_dir_all(&d).unwrap();
            image::GrayImage::from_pixel(5, 5, image::Luma([51]))
                .save(d.join("x.png"))
                .unwrap();
        }
    }
    let (tr, _) = folder::load_dir(&g).unwrap();
    assert_eq!(tr.shape, [1, 5, 5]);
    assert_eq!(tr.sample(0)[0].to_bits(), 0.2f32.to_bits());
}

#[test]
fn bad_image_folders_are_errors_that_name_the_file() {
    use mr2::data::folder;
    let case = |name: &str, spoil: &dyn Fn(&Path)| -> String {
        let root = tmpdir(&format!("folder-{name}"));
        folder_layout(&root, &["a", "b"]);
        spoil(&root);
        format!("{}", folder::load_dir(&root).unwrap_err())
    };
    let e = case("undecodable", &|r| {
        std::fs::write(r.join("train/a/0.png"), b"not a png").unwrap()
    });
    assert!(e.contains("train/a/0.png") && e.contains("decode"), "{e}");
    let e = case("size", &|r| {
        rgb(5, 3, 0).save(r.join("test/b/1.png")).unwrap()
    });
    assert!(e.contains("test/b/1.png") && e.contains("5×3"), "{e}");
    let e = case("empty", &|r| {
        std::fs::remove_file(r.join("train/b/0.png")).unwrap();
        std::fs::remove_file(r.join("train/b/1.png")).unwrap();
    });
    assert!(e.contains("train/b") && e.contains("without images"), "{e}");
    let e = case("classes", &|r| {
        std::fs::rename(r.join("test/b"), r.join("test/c")).unwrap()
    });
    assert!(e.contains("differ") && e.contains("\"c\""), "{e}");
    let e = case("text", &|r| {
        std::fs::write(r.join("train/a/notes.txt"), b"hi").unwrap()
    });
    assert!(e.contains("notes.txt") && e.contains("not an image"), "{e}");
    let e = case("stray", &|r| {
        std::fs::write(r.join("train/readme.md"), b"hi").unwrap()
    });
    assert!(e.contains("readme.md"), "{e}");
    let e = case("no-test", &|r| {
        std::fs::remove_dir_all(r.join("test")).unwrap()
    });
    assert!(e.contains("test") && e.contains("missing"), "{e}");
    let e = case("colour-in-grey", &|r| {
        for f in [
            "train/a/0.png",
            "train/a/1.png",
            "train/b/0.png",
            "train/b/1.png",
        ] {
            image::GrayImage::from_pixel(4, 3, image::Luma([9]))
                .save(r.join(f))
                .unwrap();
        }
    });
    assert!(e.contains("test/a/0.png") && e.contains("colour"), "{e}");
    // Hidden files are skipped.
    let root = tmpdir("folder-hidden");
    folder_layout(&root, &["a", "b"]);
    std::fs::write(root.join("train/a/.DS_Store"), b"x").unwrap();
    assert!(folder::load_dir(&root).is_ok());
}

/// LDAM-DRW's long-tailed CIFAR-10 at ρ = 100: from 5 000 images per class, the counts its
/// code keeps (`int(5000 · 0.01^(i/9))`), 12 406 in all.
#[test]
fn long_tail_cifar10_keeps_ldam_drws_12406_images() {
    let per_class = 5000;
    let d = mr2::data::Dataset {
        x: vec![0.0; 10 * per_class],
        y: (0..10 * per_class).map(|i| i % 10).collect(),
        shape: [1, 1, 1],
        classes: 10,
        class_names: None,
    };
    let lt = transform::long_tail(&d, 100.0, 0).unwrap();
    assert_eq!(
        lt.class_counts(),
        [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]
    );
    assert_eq!(lt.len(), 12_406);
}
