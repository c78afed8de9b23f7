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
    // A record file named neither for training nor for testing is refused, named.
    expect_err(
        cifar::load_dir(&d, cifar::Variant::Cifar10).map(|p| p.0.len()),
        "bad.bin",
        "neither a training file",
    );
    for f in ["c10.bin", "c100.bin", "bad.bin", "empty.bin"] {
        std::fs::remove_file(d.join(f)).unwrap();
    }
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
    // Through the configuration: the generic dataset reads the layout; CIFAR-10 recognises it
    // but refuses a folder without its ten classes (it accepted classes `a`/`b`).
    let cfg = |name| mr2::data::DataConfig {
        name,
        dir: Some(root.clone()),
        standardize: false,
        ..Default::default()
    };
    let s = cfg(mr2::data::DatasetName::ImageFolder).load(0).unwrap();
    assert_eq!(s.train.x, train.x);
    let e = cfg(mr2::data::DatasetName::Cifar10)
        .load(0)
        .map(|s| s.train.len())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("10 class folders") && e.contains("image-folder"),
        "{e}"
    );
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
    // Grey and colour images together give three channels, the grey ones expanded, whichever
    // sorts first (a grey image used to be converted silently only when it did not sort first,
    // and a colour one refused when it did).
    for (name, grey) in [
        ("grey-first", &["train/a/0.png", "train/a/1.png"][..]),
        ("grey-later", &["test/b/1.png"][..]),
    ] {
        let root = tmpdir(&format!("folder-{name}"));
        folder_layout(&root, &["a", "b"]);
        for f in grey {
            image::GrayImage::from_pixel(4, 3, image::Luma([9]))
                .save(root.join(f))
                .unwrap();
        }
        let (tr, te) = folder::load_dir(&root).unwrap();
        assert_eq!((tr.shape, te.shape), ([3, 3, 4], [3, 3, 4]), "{name}");
        let (d, i) = if name == "grey-first" {
            (&tr, 0)
        } else {
            (&te, 3)
        };
        let s = d.sample(i);
        let v = 9.0f32 / 255.0;
        assert!(
            s.iter().all(|x| x.to_bits() == v.to_bits()),
            "{name}: {:?}",
            &s[..3]
        );
    }
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

#[test]
fn record_files_are_found_by_name_and_partial_files_load() {
    use mr2::data::{DataConfig, DatasetName};
    let d = tmpdir("cifar-partial");
    // The shared subset's names: one partial training file and one partial test file.
    let mut tr = cifar_record(&[6], 10);
    tr.extend(cifar_record(&[9], 20));
    tr.extend(cifar_record(&[9], 30));
    write(&d, "train_0000-0002.bin", &tr);
    write(&d, "test_0000-0000.bin", &cifar_record(&[3], 40));
    let (a, b) = cifar::record_files(&d).unwrap();
    assert_eq!(a, vec![d.join("train_0000-0002.bin")]);
    assert_eq!(b, vec![d.join("test_0000-0000.bin")]);
    let cfg = DataConfig {
        name: DatasetName::Cifar10,
        dir: Some(d.clone()),
        standardize: false,
        ..DataConfig::default()
    };
    let (train, test) = cifar::load_dir(&d, cifar::Variant::Cifar10).unwrap();
    assert_eq!(train.y, vec![6, 9, 9]);
    assert_eq!(test.y, vec![3]);
    assert_eq!(train.x[0], 10.0 / 255.0);
    // Through the data configuration: the same files (classes left empty are its error).
    expect_err(cfg.load(0).map(|s| s.train.len()), "", "class");
    // Several training files are read in name order (data_batch_1 before train_…).
    write(&d, "data_batch_1.bin", &cifar_record(&[1], 0));
    let (a, _) = cifar::record_files(&d).unwrap();
    assert_eq!(a[0], d.join("data_batch_1.bin"));
    let (train, _) = cifar::load_dir(&d, cifar::Variant::Cifar10).unwrap();
    assert_eq!(train.y, vec![1, 6, 9, 9]);
    // A record file that is neither is named, with the rule.
    write(&d, "extra.bin", &cifar_record(&[1], 0));
    expect_err(
        cfg.load(0).map(|s| s.train.len()),
        "extra.bin",
        "neither a training file",
    );
    std::fs::remove_file(d.join("extra.bin")).unwrap();
    // A file whose size is not a whole number of records is named.
    write(&d, "train_9.bin", &tr[..4000]);
    expect_err(
        cfg.load(0).map(|s| s.train.len()),
        "train_9.bin",
        "3073-byte",
    );
    std::fs::remove_file(d.join("train_9.bin")).unwrap();
    // An empty file says so rather than "0 bytes is not a whole number of records".
    write(&d, "test_9.bin", &[]);
    expect_err(
        cfg.load(0).map(|s| s.train.len()),
        "test_9.bin",
        "empty file",
    );
    std::fs::remove_file(d.join("test_9.bin")).unwrap();
    // No test file: named as such.
    std::fs::remove_file(d.join("test_0000-0000.bin")).unwrap();
    expect_err(
        cfg.load(0).map(|s| s.train.len()),
        "cifar-partial",
        "no test",
    );
    // A missing directory.
    expect_err(
        cifar::record_files(&d.join("nowhere")),
        "nowhere",
        "missing",
    );
}

/// Records `labels` with pixels drawn from `seed`, and the same images as files of the
/// one-folder-per-class layout (`png`: lossless, else JPEG), with an index file pairing them.
fn paired_copy(d: &Path, labels: &[u8], png: bool) -> Vec<u8> {
    let classes = [
        "airplane",
        "automobile",
        "bird",
        "cat",
        "deer",
        "dog",
        "frog",
        "horse",
        "ship",
        "truck",
    ];
    let mut recs = Vec::new();
    let mut index = String::from("official_index\tlabel\tjpeg_path\n");
    let mut rank = [0usize; 10];
    for (i, &l) in labels.iter().enumerate() {
        let img = rgb(32, 32, i as u8 * 7 + 1);
        recs.push(l);
        for ch in 0..3 {
            recs.extend(img.pixels().map(|p| p.0[ch]));
        }
        let ext = if png { "png" } else { "jpg" };
        let rel = format!("test/{}/{:04}.{ext}", classes[l as usize], rank[l as usize]);
        rank[l as usize] += 1;
        let path = d.join("copy").join(&rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        img.save(&path).unwrap();
        index += &format!("{i}\t{l}\t{rel}\n");
    }
    std::fs::create_dir_all(d.join("exact")).unwrap();
    write(
        &d.join("exact"),
        "jpeg_copy_test_index.tsv",
        index.as_bytes(),
    );
    write(
        &d.join("exact"),
        "jpeg_copy_train_index.tsv",
        index.as_bytes(),
    );
    write(&d.join("exact"), "test_0000.bin", &recs);
    write(&d.join("exact"), "train_0000.bin", &recs);
    recs
}

#[test]
fn the_jpeg_counterpart_pairs_image_for_image() {
    use mr2::data::pairs;
    // A lossless copy: the counterpart is byte-identical to the records.
    let d = tmpdir("pairs-png");
    let recs = paired_copy(&d, &[6, 9, 9, 4], true);
    let written = pairs::prepare(&d.join("exact"), &d.join("copy"), &d.join("out")).unwrap();
    assert_eq!(written.len(), 2);
    let out = std::fs::read(d.join("out/test_0000.bin")).unwrap();
    assert_eq!(out, recs);
    let same = pairs::pixel_difference(&recs[1..3073], &out[1..3073]);
    assert_eq!((same.mean_abs, same.equal), (0.0, 1.0));
    // A lossy copy: same labels and order, different pixels, measured.
    let d = tmpdir("pairs-jpg");
    let recs = paired_copy(&d, &[6, 9, 9, 4], false);
    pairs::prepare(&d.join("exact"), &d.join("copy"), &d.join("out")).unwrap();
    let (l0, p0) = pairs::read_raw(&d.join("exact/test_0000.bin")).unwrap();
    let (l1, p1) = pairs::read_raw(&d.join("out/test_0000.bin")).unwrap();
    assert_eq!(l0, l1);
    assert_eq!(p0.len(), p1.len());
    assert_eq!(recs.len(), 4 * 3073);
    let diff = pairs::pixel_difference(&p0, &p1);
    assert!(
        diff.mean_abs > 0.0 && diff.equal < 1.0 && diff.psnr_db.is_finite(),
        "{diff:?}"
    );
    // By hand: one image, one channel off by 2 everywhere, another by 0.
    let a = vec![10u8; 3072];
    let mut b = a.clone();
    b[..1024].iter_mut().for_each(|v| *v = 12);
    let h = pairs::pixel_difference(&a, &b);
    assert!((h.mean_abs - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(h.mean_abs_per_channel, [2.0, 0.0, 0.0]);
    assert!((h.psnr_db - 10.0 * (255f64.powi(2) / (4.0 / 3.0)).log10()).abs() < 1e-9);
    assert!((h.equal - 2.0 / 3.0).abs() < 1e-12);
}

#[test]
fn a_mispaired_index_is_refused() {
    use mr2::data::pairs;
    let d = tmpdir("pairs-bad");
    paired_copy(&d, &[6, 9, 9, 4], true);
    let ex = d.join("exact");
    // Another label for image 1.
    let idx = std::fs::read_to_string(ex.join("jpeg_copy_test_index.tsv")).unwrap();
    write(
        &ex,
        "jpeg_copy_test_index.tsv",
        idx.replacen("1\t9\t", "1\t8\t", 1).as_bytes(),
    );
    expect_err(
        pairs::prepare(&ex, &d.join("copy"), &d.join("out")),
        "test_0000.bin",
        "record 1 has label 9",
    );
    // Rows out of order.
    let swapped = idx.replacen("1\t9\t", "7\t9\t", 1);
    write(&ex, "jpeg_copy_test_index.tsv", swapped.as_bytes());
    expect_err(
        pairs::read_index(&ex.join("jpeg_copy_test_index.tsv")),
        "jpeg_copy_test_index.tsv",
        "line 3: index 7, expected 1",
    );
    // Another header; a missing image.
    write(&ex, "jpeg_copy_test_index.tsv", b"index\tlabel\tfile\n");
    expect_err(
        pairs::read_index(&ex.join("jpeg_copy_test_index.tsv")),
        "jpeg_copy_test_index.tsv",
        "header",
    );
    // More records than the index pairs.
    let short: String = idx.lines().take(3).map(|l| format!("{l}\n")).collect();
    write(&ex, "jpeg_copy_test_index.tsv", short.as_bytes());
    expect_err(
        pairs::prepare(&ex, &d.join("copy"), &d.join("out")),
        "test_0000.bin",
        "4 records but the index pairs only 2",
    );
    write(&ex, "jpeg_copy_test_index.tsv", idx.as_bytes());
    std::fs::remove_file(d.join("copy/test/truck/0000.png")).unwrap();
    expect_err(
        pairs::prepare(&ex, &d.join("copy"), &d.join("out")),
        "truck/0000.png",
        "",
    );
}

/// The shared official-pixel subset, where this checkout has it (`data/` is not committed;
/// ../shared/data/README.md says how to unpack it): counts, first pixels and labels as its
/// README states them, and its JPEG pairing where the JPEG copy is unpacked too.
#[test]
fn the_shared_official_subset_reads_as_documented() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/cifar10-exact-subset");
    if !dir.is_dir() {
        println!(
            "skipped: {} is absent (tar -xzf ../shared/data/cifar10-exact-subset.tar.gz -C data)",
            dir.display()
        );
        return;
    }
    let (train, test) = cifar::load_dir(&dir, cifar::Variant::Cifar10).unwrap();
    assert_eq!(
        train.class_counts(),
        vec![396, 366, 420, 384, 422, 393, 414, 385, 407, 413]
    );
    assert_eq!(
        test.class_counts(),
        vec![103, 89, 100, 103, 90, 86, 112, 102, 106, 109]
    );
    assert_eq!(&train.y[..10], &[6, 9, 9, 4, 1, 1, 2, 7, 8, 3]);
    assert_eq!(&test.y[..10], &[3, 8, 8, 0, 6, 6, 1, 6, 3, 1]);
    let px = |d: &mr2::data::Dataset, i: usize| (d.x[i] * 255.0).round() as u8;
    assert_eq!([px(&train, 0), px(&train, 1), px(&train, 2)], [59, 43, 50]);
    assert_eq!([px(&test, 0), px(&test, 1), px(&test, 2)], [158, 159, 165]);
    assert_eq!(train.class_name(3), "cat");
    let jpeg = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/cifar10-jpeg");
    if !jpeg.is_dir() {
        println!("JPEG pairing skipped: {} is absent", jpeg.display());
        return;
    }
    let rows = mr2::data::pairs::read_index(&dir.join("jpeg_copy_test_index.tsv")).unwrap();
    let (labels, pixels) =
        mr2::data::pairs::jpeg_counterpart(&dir.join("test_0000-0999.bin"), &rows, &jpeg).unwrap();
    let (l0, p0) = mr2::data::pairs::read_raw(&dir.join("test_0000-0999.bin")).unwrap();
    assert_eq!(labels, l0);
    let d = mr2::data::pairs::pixel_difference(&p0, &pixels);
    // The README's figures over all 5 000 images: 5.8 of 255, PSNR 30.0 dB, 7.4% equal.
    assert!((4.5..7.5).contains(&d.mean_abs), "{d:?}");
    assert!((27.0..33.0).contains(&d.psnr_db), "{d:?}");
}

/// LDAM-DRW's own long-tailed subset: numpy's `RandomState(0)` and `shuffle`, reimplemented,
/// against the values numpy 2.4.6 prints for the same draw (`scripts/ldam-draw-reference.py`:
/// per class its size, the first five ranks kept and the sum of the ranks kept). The classes are
/// interleaved as in the official order; each image's value is its rank in its class.
#[test]
fn ldam_draw_matches_numpy() {
    use mr2::data::ldam_draw::{ldam_counts, long_tail_ldam, Mt19937};
    // The generator's first raw outputs, as numpy gives them
    // (`np.random.RandomState(s)._bit_generator.random_raw(2)`): seed 5489 (also the
    // mt19937ar reference's default) and seed 0.
    let mut g = Mt19937::new(5489);
    assert_eq!(g.next_u32(), 3_499_211_612);
    assert_eq!(g.next_u32(), 581_869_302);
    let mut g = Mt19937::new(0);
    assert_eq!(g.next_u32(), 2_357_136_044);
    let want: [(usize, [usize; 5], usize); 10] = [
        (5000, [398, 3833, 4836, 4572, 636], 12_497_500),
        (2997, [597, 332, 521, 3935, 4800], 7_517_660),
        (1796, [3488, 1136, 3494, 2945, 4518], 4_449_736),
        (1077, [3542, 3307, 4529, 1646, 2583], 2_713_961),
        (645, [2583, 3687, 4719, 980, 168], 1_570_041),
        (387, [4127, 1152, 4595, 4590, 2270], 985_831),
        (232, [1042, 3356, 441, 1554, 3543], 558_345),
        (139, [3860, 271, 757, 4394, 475], 328_540),
        (83, [1905, 4623, 1694, 4227, 2715], 202_341),
        (50, [2204, 3816, 2206, 2507, 1926], 129_276),
    ];
    assert_eq!(
        ldam_counts(5000, 10, 100.0),
        want.iter().map(|w| w.0).collect::<Vec<_>>()
    );
    // 50 000 images, class of image i = (i·7) mod 10 (interleaved), value = rank in class.
    let n = 50_000;
    let y: Vec<usize> = (0..n).map(|i| (i * 7) % 10).collect();
    let mut seen = [0usize; 10];
    let x: Vec<f32> = y
        .iter()
        .map(|&c| {
            seen[c] += 1;
            (seen[c] - 1) as f32
        })
        .collect();
    let d = mr2::data::Dataset {
        x,
        y,
        shape: [1, 1, 1],
        classes: 10,
        class_names: None,
    };
    let lt = long_tail_ldam(&d, 100.0).unwrap();
    assert_eq!(lt.len(), 12_406);
    for (c, (count, first, sum)) in want.iter().enumerate() {
        let ranks: Vec<usize> = (0..lt.len())
            .filter(|&i| lt.y[i] == c)
            .map(|i| lt.x[i] as usize)
            .collect();
        assert_eq!(ranks.len(), *count, "class {c}");
        assert_eq!(&ranks[..5], first, "class {c}");
        assert_eq!(ranks.iter().sum::<usize>(), *sum, "class {c}");
    }
    // The draw is the seed-0 draw whatever the run's seed; unbalanced input is refused.
    let unbalanced = d.select(&(0..49_999).collect::<Vec<_>>());
    let e = long_tail_ldam(&unbalanced, 100.0).unwrap_err().to_string();
    assert!(e.contains("balanced"), "{e}");
    let e = long_tail_ldam(&d, 0.5).unwrap_err().to_string();
    assert!(e.contains("imbalance_ratio"), "{e}");
}

/// A dangling symbolic link in a class folder is named as such (it was "not an image file").
#[test]
fn a_broken_symlink_is_named_as_one() {
    let root = tmpdir("folder-symlink");
    for split in ["train", "test"] {
        for class in ["a", "b"] {
            let d = root.join(split).join(class);
            std::fs::create_dir_all(&d).unwrap();
            rgb(4, 4, 1).save(d.join("0.png")).unwrap();
        }
    }
    std::os::unix::fs::symlink(root.join("nowhere.png"), root.join("train/a/x.png")).unwrap();
    expect_err(
        mr2::data::folder::load_dir(&root).map(|p| p.0.len()),
        "x.png",
        "broken symbolic link",
    );
}

/// A data directory that cannot be read is said to be unreadable, not "missing" (it was
/// "train: missing"). Permissions bind only a non-root user: as root the check is skipped.
#[test]
fn an_unreadable_folder_is_not_called_missing() {
    use std::os::unix::fs::PermissionsExt;
    let root = tmpdir("folder-mode000");
    folder_layout(&root, &["a", "b"]);
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o000)).unwrap();
    let readable = std::fs::read_dir(&root).is_ok();
    let r = mr2::data::folder::load_dir(&root).map(|p| p.0.len());
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
    if readable {
        println!("skipped: this user (root) reads a mode-000 folder");
        return;
    }
    let e = r.unwrap_err().to_string();
    assert!(!e.contains("missing") && e.contains("ermission"), "{e}");
}
