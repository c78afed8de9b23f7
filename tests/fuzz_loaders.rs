//! A deterministic mutation fuzzer for the data loaders: valid IDX (raw and gzip) and CIFAR files
//! are mutated (bit flips, truncations, appended bytes, header fields set to 0, 2³¹−1, 2³²−1 or
//! random values, corrupted or doubled gzip streams) and read back. Every read must return
//! without panicking, and every file a loader accepts must decode to exactly what an
//! independent reading of the same bytes gives.
//!
//! The feature readers of `bounds --features` (`.npy`, `.npz`, `.safetensors`) get the same
//! treatment plus header-length fields at extremes: no panic, nothing allocated beyond the
//! limit they are given (a small multiple of the file's size), and an accepted `.npy` whose
//! header was left alone holds exactly the data bytes' values.
//!
//! The default tests run a few thousand mutations (seconds). The long runs:
//! `MR2_FUZZ_ITERS=2500000 cargo test --release --test fuzz_loaders -- --ignored`.

use std::io::{Read, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use mr2::bounds::{files, npy};
use mr2::data::{cifar, idx};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// The reference reading: the bytes, decompressed when they start with the gzip magic (one
/// member, the whole input consumed); `None` when that fails.
fn reference_bytes(raw: &[u8]) -> Option<Vec<u8>> {
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut d = flate2::bufread::GzDecoder::new(raw);
        let mut out = Vec::new();
        d.read_to_end(&mut out).ok()?;
        if !d.into_inner().is_empty() {
            return None;
        }
        Some(out)
    } else {
        Some(raw.to_vec())
    }
}

fn be(b: &[u8]) -> u64 {
    u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Images,
    Labels,
    Cifar10,
    Cifar100,
}

fn seeds(rng: &mut ChaCha8Rng) -> Vec<(Kind, Vec<u8>)> {
    let (n, r, c) = (3u32, 5u32, 4u32);
    let mut img = vec![0, 0, 8, 3];
    for v in [n, r, c] {
        img.extend_from_slice(&v.to_be_bytes());
    }
    img.extend((0..n * r * c).map(|_| rng.random::<u8>()));
    let mut lab = vec![0, 0, 8, 1];
    lab.extend_from_slice(&4u32.to_be_bytes());
    lab.extend([3, 0, 9, 1]);
    let cifar10: Vec<u8> = (0..2)
        .flat_map(|i| std::iter::once(i as u8).chain((0..3072).map(|j| (j % 251) as u8)))
        .collect();
    let cifar100: Vec<u8> = (0..2)
        .flat_map(|i| {
            [7u8, 40 + i as u8]
                .into_iter()
                .chain((0..3072).map(|j| (j % 241) as u8))
        })
        .collect();
    vec![
        (Kind::Images, img.clone()),
        (Kind::Images, gz(&img)),
        (Kind::Labels, lab.clone()),
        (Kind::Labels, gz(&lab)),
        (Kind::Cifar10, cifar10),
        (Kind::Cifar100, cifar100),
    ]
}

fn mutate(kind: Kind, seed: &[u8], rng: &mut ChaCha8Rng) -> Vec<u8> {
    let gzipped = seed.starts_with(&[0x1f, 0x8b]);
    let mut b = seed.to_vec();
    match rng.random_range(0..7) {
        0 => {
            for _ in 0..rng.random_range(1..5) {
                let i = rng.random_range(0..b.len());
                b[i] ^= 1 << rng.random_range(0..8);
            }
        }
        1 => b.truncate(rng.random_range(0..b.len())),
        2 => b.extend((0..rng.random_range(1..64)).map(|_| rng.random::<u8>())),
        3 | 4 if matches!(kind, Kind::Images | Kind::Labels) => {
            // A header field at an extreme value, in the (decompressed) file.
            let mut plain = if gzipped {
                reference_bytes(seed).unwrap()
            } else {
                b.clone()
            };
            let fields = if matches!(kind, Kind::Images) { 4 } else { 2 };
            let f = rng.random_range(0..fields);
            let v: u32 = match rng.random_range(0..4) {
                0 => 0,
                1 => (1 << 31) - 1,
                2 => u32::MAX,
                _ => rng.random(),
            };
            plain[f * 4..f * 4 + 4].copy_from_slice(&v.to_be_bytes());
            b = if gzipped { gz(&plain) } else { plain };
        }
        5 if gzipped => {
            let mut two = b.clone();
            two.extend(gz(&[1, 2, 3]));
            b = two;
        }
        _ => {
            let i = rng.random_range(0..b.len());
            b[i] = rng.random();
        }
    }
    b
}

/// Read `path` as `kind`; check that an accepted file decodes as the reference reading says.
fn check(kind: Kind, path: &Path, raw: &[u8]) {
    let what = format!("{kind:?} file {:02x?}…", &raw[..raw.len().min(24)]);
    let got = catch_unwind(AssertUnwindSafe(|| match kind {
        Kind::Images => idx::read_images(path).map(|(n, r, c, px)| {
            let b = reference_bytes(raw).expect("accepted file must be a valid stream");
            assert_eq!(
                b.len() as u64,
                16 + be(&b[4..]) * be(&b[8..]) * be(&b[12..]),
                "{what}: size"
            );
            assert_eq!(
                (n as u64, r as u64, c as u64),
                (be(&b[4..]), be(&b[8..]), be(&b[12..]))
            );
            assert_eq!(&b[16..], &px[..], "{what}: pixels");
            assert_eq!(be(&b[0..]), 0x803);
        }),
        Kind::Labels => idx::read_labels(path, 10).map(|l| {
            let b = reference_bytes(raw).expect("accepted file must be a valid stream");
            assert_eq!(be(&b[0..]), 0x801);
            assert_eq!(b.len() as u64, 8 + be(&b[4..]), "{what}: size");
            assert!(
                l.iter()
                    .zip(&b[8..])
                    .all(|(a, c)| *a == *c as usize && *a < 10),
                "{what}: labels"
            );
        }),
        Kind::Cifar10 | Kind::Cifar100 => {
            let v = if matches!(kind, Kind::Cifar10) {
                cifar::Variant::Cifar10
            } else {
                cifar::Variant::Cifar100
            };
            let lb = if matches!(kind, Kind::Cifar10) { 1 } else { 2 };
            cifar::read_batch(path, v).map(|(x, y)| {
                let rec = lb + 3072;
                assert_eq!(raw.len() % rec, 0, "{what}");
                assert_eq!(y.len(), raw.len() / rec);
                for (i, r) in raw.chunks(rec).enumerate() {
                    assert_eq!(y[i], r[lb - 1] as usize);
                    assert!(y[i] < v.classes() && (lb == 1 || r[0] < 20));
                    assert!(x[i * 3072..(i + 1) * 3072]
                        .iter()
                        .zip(&r[lb..])
                        .all(|(a, b)| *a == f32::from(*b) / 255.0));
                }
            })
        }
    }));
    assert!(got.is_ok(), "the loader panicked on {what}");
}

fn fuzz(iters: usize, seed: u64) -> (usize, usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let dir = std::env::temp_dir().join(format!("mr2-fuzz-{seed}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let seeds = seeds(&mut rng);
    let path = dir.join("f");
    let mut accepted = 0;
    for i in 0..iters {
        let (kind, s) = &seeds[i % seeds.len()];
        let m = mutate(*kind, s, &mut rng);
        std::fs::write(&path, &m).unwrap();
        check(*kind, &path, &m);
        let ok = match kind {
            Kind::Images => idx::read_images(&path).is_ok(),
            Kind::Labels => idx::read_labels(&path, 10).is_ok(),
            Kind::Cifar10 => cifar::read_batch(&path, cifar::Variant::Cifar10).is_ok(),
            Kind::Cifar100 => cifar::read_batch(&path, cifar::Variant::Cifar100).is_ok(),
        };
        accepted += usize::from(ok);
    }
    let _ = std::fs::remove_dir_all(&dir);
    (iters, accepted)
}

#[test]
fn mutated_files_never_panic_and_accepted_ones_decode_exactly() {
    let (n, ok) = fuzz(6000, 1);
    // Some mutations leave a valid file (a flipped pixel bit): the check above saw those too.
    assert!(ok > 0 && ok < n, "{ok} of {n} accepted");
}

#[test]
#[ignore = "long run (minutes): MR2_FUZZ_ITERS=2500000 cargo test --release --test fuzz_loaders -- --ignored"]
fn long_mutation_run() {
    long_run("fuzz: {n} mutated files", |iters| fuzz(iters, 2));
}

/// A long run of `MR2_FUZZ_ITERS` mutations (default 10⁶), reported with `what` (its `{n}`
/// replaced by the count) and the time.
fn long_run(what: &str, run: impl Fn(usize) -> (usize, usize)) {
    let iters = std::env::var("MR2_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let t = std::time::Instant::now();
    let (n, ok) = run(iters);
    eprintln!(
        "{}, {ok} accepted (and checked), 0 panics, {:.0} s",
        what.replace("{n}", &n.to_string()),
        t.elapsed().as_secs_f64()
    );
}

/// Valid feature files: `.npy` (v1 and v2 headers, f4 and i8), an `.npz` (deflated and
/// stored) and a `.safetensors`, each holding what `bounds --features` needs.
fn feature_seeds() -> Vec<(&'static str, Vec<u8>)> {
    use ndarray::{array, Array2};
    use ndarray_npy::{NpzWriter, WriteNpyExt};
    let f: Array2<f32> = Array2::from_shape_fn((6, 2), |(i, j)| (i * 2 + j) as f32 - 3.5);
    let y = array![0i64, 0, 0, 1, 1, 1];
    let w = array![[1.0f64, 0.0], [0.0, 1.0]];
    let mut npy_f = Vec::new();
    f.write_npy(&mut npy_f).unwrap();
    let mut npy_y = Vec::new();
    y.write_npy(&mut npy_y).unwrap();
    // The same array with a version-2 header (4-byte length).
    let mut v2 = b"\x93NUMPY\x02\x00".to_vec();
    let h_len = u16::from_le_bytes([npy_f[8], npy_f[9]]) as usize;
    v2.extend((h_len as u32).to_le_bytes());
    v2.extend(&npy_f[10..]);
    let npz = |compressed: bool| {
        let mut c = std::io::Cursor::new(Vec::new());
        {
            let mut z = if compressed {
                NpzWriter::new_compressed(&mut c)
            } else {
                NpzWriter::new(&mut c)
            };
            z.add_array("train_features", &f).unwrap();
            z.add_array("train_labels", &y).unwrap();
            z.add_array("head_weight", &w).unwrap();
            z.add_array("test_accuracy", &array![0.9f64, 0.8]).unwrap();
            z.finish().unwrap();
        }
        c.into_inner()
    };
    let fb: Vec<u8> = f.iter().flat_map(|v| v.to_le_bytes()).collect();
    let yb: Vec<u8> = y.iter().flat_map(|v| v.to_le_bytes()).collect();
    let wb: Vec<u8> = w.iter().flat_map(|v| v.to_le_bytes()).collect();
    let ab: Vec<u8> = [0.9f64, 0.8].iter().flat_map(|v| v.to_le_bytes()).collect();
    use safetensors::tensor::TensorView;
    use safetensors::Dtype;
    let views = vec![
        (
            "train_features",
            TensorView::new(Dtype::F32, vec![6, 2], &fb).unwrap(),
        ),
        (
            "train_labels",
            TensorView::new(Dtype::I64, vec![6], &yb).unwrap(),
        ),
        (
            "head_weight",
            TensorView::new(Dtype::F64, vec![2, 2], &wb).unwrap(),
        ),
        (
            "test_accuracy",
            TensorView::new(Dtype::F64, vec![2], &ab).unwrap(),
        ),
    ];
    let st = safetensors::serialize(views, None).unwrap();
    vec![
        ("npy", npy_f),
        ("npy", npy_y),
        ("npy", v2),
        ("npz", npz(true)),
        ("npz", npz(false)),
        ("safetensors", st),
    ]
}

fn mutate_features(seed: &[u8], rng: &mut ChaCha8Rng) -> Vec<u8> {
    let mut b = seed.to_vec();
    match rng.random_range(0..6) {
        0 => {
            for _ in 0..rng.random_range(1..5) {
                let i = rng.random_range(0..b.len());
                b[i] ^= 1 << rng.random_range(0..8);
            }
        }
        1 => b.truncate(rng.random_range(0..b.len())),
        2 => b.extend((0..rng.random_range(1..64)).map(|_| rng.random::<u8>())),
        3 => {
            // A length field (the .npy header length, the safetensors header length) at an
            // extreme value.
            let at = if b.starts_with(b"\x93NUMPY") { 8 } else { 0 };
            let v: u32 = match rng.random_range(0..3) {
                0 => 0,
                1 => u32::MAX,
                _ => rng.random(),
            };
            b[at..at + 4].copy_from_slice(&v.to_le_bytes());
        }
        4 => {
            // A digit of the header text (a shape, a dtype size) changed.
            let digits: Vec<usize> = (0..b.len().min(128))
                .filter(|&i| b[i].is_ascii_digit())
                .collect();
            if let Some(&i) = digits.get(rng.random_range(0..digits.len().max(1))) {
                b[i] = b'0' + rng.random_range(0..10u8);
            }
        }
        _ => {
            let i = rng.random_range(0..b.len());
            b[i] = rng.random();
        }
    }
    b
}

/// Read mutated feature bytes; returns whether the reader accepted them.
fn check_features(kind: &str, seed: &[u8], raw: &[u8], dir: &Path) -> bool {
    let limit = 64 * raw.len() as u64 + 4096;
    let what = format!("{kind} file {:02x?}…", &raw[..raw.len().min(24)]);
    let got = catch_unwind(AssertUnwindSafe(|| match kind {
        "npy" => {
            let r = npy::decode(raw, limit);
            if let Ok(a) = &r {
                assert!(8 * a.len() as u64 <= limit, "{what}: over the limit");
                let h = npy::parse_header(raw).unwrap();
                assert_eq!(
                    a.len() * h.dtype.size,
                    raw.len() - h.data_offset,
                    "{what}: every data byte read"
                );
                let hs = npy::parse_header(seed).unwrap();
                if raw[..hs.data_offset] == seed[..hs.data_offset] && h.dtype.kind == 'f' {
                    // Header untouched: the values are the data bytes as little-endian f32.
                    let want: Vec<f64> = raw[h.data_offset..]
                        .chunks_exact(4)
                        .map(|c| f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])))
                        .collect();
                    let same = a
                        .iter()
                        .zip(&want)
                        .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()));
                    assert!(same, "{what}: values");
                }
            }
            r.is_ok()
        }
        "npz" => {
            let p = dir.join("f.npz");
            std::fs::write(&p, raw).unwrap();
            let r = npy::read_npz(&p, |_| true, limit);
            if let Ok(v) = &r {
                let n: usize = v.iter().map(|(_, a)| a.len()).sum();
                assert!(8 * n as u64 <= limit, "{what}: over the limit");
            }
            r.is_ok()
        }
        _ => {
            let p = dir.join("f.safetensors");
            std::fs::write(&p, raw).unwrap();
            files::read_limited(&p, limit).is_ok()
        }
    }));
    match got {
        Ok(ok) => ok,
        Err(_) => panic!("the reader panicked on {what}"),
    }
}

fn fuzz_features(iters: usize, seed: u64) -> (usize, usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let dir = std::env::temp_dir().join(format!("mr2-fuzzf-{seed}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let seeds = feature_seeds();
    for (kind, s) in &seeds {
        assert!(
            check_features(kind, s, s, &dir),
            "the unmutated {kind} seed is read"
        );
    }
    let mut accepted = 0;
    for i in 0..iters {
        let (kind, s) = &seeds[i % seeds.len()];
        let m = mutate_features(s, &mut rng);
        accepted += usize::from(check_features(kind, s, &m, &dir));
    }
    let _ = std::fs::remove_dir_all(&dir);
    (iters, accepted)
}

#[test]
fn mutated_feature_files_never_panic_or_over_allocate() {
    let (n, ok) = fuzz_features(3000, 3);
    assert!(ok > 0 && ok < n, "{ok} of {n} accepted");
}

#[test]
#[ignore = "long run (minutes): MR2_FUZZ_ITERS=1000000 cargo test --release --test fuzz_loaders -- --ignored long_feature"]
fn long_feature_mutation_run() {
    long_run(
        "feature fuzz: {n} mutated .npy/.npz/.safetensors files",
        |iters| fuzz_features(iters, 4),
    );
}
