//! Lemma 2 (Eq. 12/41) and B.4 (Eq. 42–55).
//!
//! * Lemma 2 as printed, Λ√((K/N)√(Σα_k/γ_k²)): **typo** — the derivation (Eq. 50) gives
//!   Λ√(K/N)·√(Σα_k/γ_k²), which holds and is attained (orthogonal features).
//! * Hölder/dual norm, the K-factorisation, Jensen, the second moment, Eq. 52–55: hold.
//! * Eq. 51 needs balanced classes: the unbalanced form (Eq. 50) is what holds in general.

mod common;
use common::*;
use mr2_core::claims::Verdict;
use mr2_core::theory::moments::{class_moments, require_all};
use mr2_core::theory::rademacher::{self, gamma_margin_complexity, Method};
use mr2_core::tolerance::le;
use ndarray::{array, Array2};
use proptest::prelude::*;

#[test]
fn lemma2_is_typo() {
    check_claim("lemma2", Verdict::Typo);
    // Hand-built: K = 2, one sample per class, orthogonal features of norm 10, γ = 1, Λ = 1.
    let f = array![[10.0, 0.0], [0.0, 10.0]];
    let y = [0, 1];
    let g = [1.0, 1.0];
    let r = gamma_margin_complexity(f.view(), &y, &g, 1.0, 2.0, Method::Exact)
        .unwrap()
        .mean;
    let alpha = [100.0, 100.0];
    let printed = rademacher::lemma2_printed(&alpha, &g, 2, 1.0);
    let corrected = rademacher::lemma2_corrected(&alpha, &g, 2, 1.0);
    assert!(
        r > printed * 1.5,
        "printed Lemma 2 violated: R = {r}, bound {printed}"
    );
    assert_eq_tol(
        r,
        corrected,
        "corrected Lemma 2 is attained for orthogonal features",
    );
}

#[test]
fn holder() {
    check_claim("eq45-holder", Verdict::Holds);
}

#[test]
fn dual_norm() {
    check_claim("eq46-dual-norm", Verdict::Holds);
}

#[test]
fn factorisation() {
    check_claim("eq47-factorisation", Verdict::Holds);
}

#[test]
fn jensen() {
    check_claim("eq48-jensen", Verdict::Holds);
}

#[test]
fn second_moment() {
    check_claim("eq49-second-moment", Verdict::Holds);
}

#[test]
fn eq50_general() {
    check_claim("eq50-general", Verdict::Holds);
    // An unbalanced input breaks the balanced form Λ√(K/N)√(Σα_k/γ_k²): 5 large orthogonal
    // points in class 0, one tiny point in class 1 (the large class carries the energy).
    let f = {
        let mut m = Array2::zeros((6, 6));
        for i in 0..5 {
            m[[i, i]] = 10.0;
        }
        m[[5, 5]] = 0.01;
        m
    };
    let y = [0, 0, 0, 0, 0, 1];
    let g = [1.0, 1.0];
    let r = gamma_margin_complexity(f.view(), &y, &g, 1.0, 2.0, Method::Exact)
        .unwrap()
        .mean;
    let stats = require_all(class_moments(f.view(), &y, 2, 2.0).unwrap(), "test").unwrap();
    let alpha: Vec<f64> = stats.iter().map(|s| s.alpha()).collect();
    let counts: Vec<usize> = stats.iter().map(|s| s.n).collect();
    let balanced = rademacher::lemma2_corrected(&alpha, &g, 6, 1.0);
    let general = rademacher::lemma2_general(&counts, &alpha, &g, 1.0);
    assert!(
        r > balanced * 1.2,
        "balanced form fails without balance: R = {r}, bound {balanced}"
    );
    assert_le(r, general, "Eq. 50 with class sizes");
}

#[test]
fn decomposition() {
    check_claim("eq52-55-decomposition", Verdict::Holds);
}

#[test]
fn exact_and_monte_carlo_agree() {
    let f = Array2::from_shape_fn((16, 4), |(i, j)| ((i * 7 + j * 3) % 5) as f64 - 2.0);
    let exact = rademacher::expected_norm_exact(f.view(), 2.0).unwrap();
    let mc = rademacher::expected_norm_mc(f.view(), 2.0, 40_000, 7).unwrap();
    assert!(
        (mc.mean - exact).abs() <= mr2_core::tolerance::MC_Z * mc.se,
        "{} ± {} vs {exact}",
        mc.mean,
        mc.se
    );
    // Too many signs for enumeration is an error, not a hang.
    let big = Array2::<f64>::zeros((30, 2));
    assert!(rademacher::expected_norm_exact(big.view(), 2.0).is_err());
    assert!(rademacher::expected_norm_exact(f.view(), 0.5)
        .unwrap_err()
        .to_string()
        .contains('p'));
}

proptest! {
    #![proptest_config(proptest_config("../proofs/proptest-regressions/lemma2.txt"))]

    /// Corrected Lemma 2 on balanced random data (any dims, K, γ, Λ), exact complexity.
    #[test]
    fn prop_corrected_lemma2(k in 2usize..4, per in 1usize..4, d in 1usize..5, seed in any::<u64>(), lam in 0.1f64..5.0) {
        let n = k * per;
        let mut s = seed;
        let mut next = || { s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407); ((s >> 11) as f64 / (1u64 << 53) as f64) * 6.0 - 3.0 };
        let f = Array2::from_shape_fn((n, d), |_| next());
        let y: Vec<usize> = (0..n).map(|i| i % k).collect();
        let g: Vec<f64> = (0..k).map(|_| 0.2 + next().abs()).collect();
        let r = gamma_margin_complexity(f.view(), &y, &g, lam, 2.0, Method::Exact).unwrap().mean;
        let alpha: Vec<f64> = require_all(class_moments(f.view(), &y, k, 2.0).unwrap(), "t").unwrap().iter().map(|s| s.alpha()).collect();
        prop_assert!(le(r, rademacher::lemma2_corrected(&alpha, &g, n, lam)));
    }
}
