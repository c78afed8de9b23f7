//! Certificates (`mr2_core::theory::certificates`) against values computed independently with
//! scipy (`scripts/reference-certificates.py`: binomial CDF from scipy.stats, inversions by
//! brentq), and coverage experiments: each bound holds in at least `1 − δ` of many draws from a
//! known error rate, and visibly fails when δ is absurdly large — so a dropped term or a changed
//! constant turns a test red.

use mr2_core::theory::certificates::{
    binomial_tail_upper, gaussian_kl, kl_bernoulli, kl_inv_upper, pac_bayes_kl, sampled_error_upper,
};
use mr2_core::tolerance::IDENTITY;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn close(a: f64, b: f64, what: &str) {
    assert!(IDENTITY.close(a, b), "{what}: {a} vs {b}");
}

#[test]
fn hand_values_match_scipy() {
    // 0 errors in 100 at δ = 0.05: (1 − p)^100 = 0.05.
    close(
        binomial_tail_upper(0, 100, 0.05).unwrap(),
        0.029_513_049_607_039_935,
        "0/100",
    );
    close(
        1.0 - 0.05f64.powf(0.01),
        0.029_513_049_607_039_935,
        "closed form",
    );
    close(
        binomial_tail_upper(7, 250, 0.01).unwrap(),
        0.062_854_161_263_961_44,
        "7/250",
    );
    close(
        binomial_tail_upper(300, 3000, 0.005).unwrap(),
        0.114_917_834_844_856_38,
        "300/3000",
    );
    close(
        kl_inv_upper(0.1, 0.02).unwrap(),
        0.170_383_627_568_828_47,
        "kl⁻¹(0.1, 0.02)",
    );
    close(
        gaussian_kl(3.5, 1290, 0.03, 0.05).unwrap(),
        946.165_054_658_128,
        "Gaussian KL",
    );
    close(
        pac_bayes_kl(0.08, 25.0, 3000, 0.0025).unwrap(),
        0.128_460_580_375_696_66,
        "PAC-Bayes",
    );
    close(
        sampled_error_upper(0.085, 1000, 0.0025).unwrap(),
        0.120_923_458_373_670_55,
        "sampling",
    );
    assert_eq!(
        binomial_tail_upper(5, 5, 0.05).unwrap().to_bits(),
        1.0f64.to_bits()
    );
}

#[test]
fn the_pieces_have_their_defining_properties() {
    // The inverse meets its budget exactly (where it is below 1).
    for (q, c) in [(0.0, 0.01), (0.05, 0.003), (0.3, 0.2), (0.9, 0.01)] {
        let p = kl_inv_upper(q, c).unwrap();
        assert!(p >= q);
        if p < 1.0 {
            close(kl_bernoulli(q, p), c, "kl(q, kl⁻¹(q, c)) = c");
        }
    }
    // KL between Gaussians: 1-d by hand, zero for equal distributions, and the mean term.
    close(
        gaussian_kl(1.0, 1, 1.0, 1.0).unwrap(),
        0.5,
        "N(0,1) ‖ N(1,1)",
    );
    close(
        gaussian_kl(0.0, 1, 1.0, 2.0).unwrap(),
        2f64.ln() + 0.125 - 0.5,
        "N(0,1) ‖ N(0,4)",
    );
    assert_eq!(gaussian_kl(0.0, 50, 0.3, 0.3).unwrap().to_bits(), 0);
    // Bad inputs are refused.
    assert!(binomial_tail_upper(1, 0, 0.05).is_err());
    assert!(binomial_tail_upper(3, 2, 0.05).is_err());
    assert!(binomial_tail_upper(1, 10, 1.0).is_err());
    assert!(gaussian_kl(1.0, 3, 0.0, 1.0).is_err());
    assert!(gaussian_kl(-1.0, 3, 1.0, 1.0).is_err() && gaussian_kl(f64::NAN, 3, 1.0, 1.0).is_err());
    assert!(pac_bayes_kl(0.1, -1.0, 10, 0.05).is_err());
    assert!(sampled_error_upper(0.1, 0, 0.05).is_err());
    assert!(kl_inv_upper(1.5, 0.1).is_err());
    assert!(kl_inv_upper(0.1, -0.1).is_err() && kl_inv_upper(0.1, f64::NAN).is_err());
    assert!(binomial_tail_upper(1, 10, 0.0).is_err());
    // An unlimited budget allows every p: exactly 1.
    assert_eq!(
        kl_inv_upper(0.5, f64::INFINITY).unwrap().to_bits(),
        1.0f64.to_bits()
    );
}

/// The fraction of `draws` samples (each: `n` Bernoulli(`p`) outcomes) for which `bound`
/// falls below `p`.
fn violation_rate(p: f64, n: u64, draws: usize, seed: u64, bound: impl Fn(u64) -> f64) -> f64 {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut bad = 0;
    for _ in 0..draws {
        let errors = (0..n).filter(|_| rng.random::<f64>() < p).count() as u64;
        bad += usize::from(bound(errors) < p);
    }
    bad as f64 / draws as f64
}

/// At most δ plus four binomial standard errors of the simulation.
fn allowed(delta: f64, draws: usize) -> f64 {
    delta + 4.0 * (delta * (1.0 - delta) / draws as f64).sqrt()
}

#[test]
fn the_test_set_bound_covers_the_true_error() {
    let (p, n, draws) = (0.12, 200, 4000);
    for delta in [0.05, 0.2] {
        let rate = violation_rate(p, n, draws, 7, |e| {
            binomial_tail_upper(e, n, delta).unwrap()
        });
        assert!(
            rate <= allowed(delta, draws),
            "δ = {delta}: violated in {rate}"
        );
    }
    // At an absurd δ the bound is below the truth about half the time: the check can fail.
    let rate = violation_rate(p, n, draws, 8, |e| binomial_tail_upper(e, n, 0.9).unwrap());
    assert!(rate > 0.3, "δ = 0.9 violated in only {rate}");
}

#[test]
fn the_pac_bayes_bound_with_q_equal_to_p_covers_the_true_error() {
    // KL(Q‖P) = 0 and a single classifier: the bound is a (looser) test-set bound.
    let (p, n, draws) = (0.08, 300, 4000);
    let delta = 0.1;
    let rate = violation_rate(p, n, draws, 9, |e| {
        pac_bayes_kl(e as f64 / n as f64, 0.0, n, delta).unwrap()
    });
    assert!(rate <= allowed(delta, draws), "violated in {rate}");
    // Without the ln(2√n/δ) term it is the empirical error itself: violated often.
    let rate = violation_rate(p, n, draws, 9, |e| {
        kl_inv_upper(e as f64 / n as f64, 0.0).unwrap()
    });
    assert!(
        rate > 0.3,
        "the bare empirical error violated in only {rate}"
    );
}

#[test]
fn the_sampling_correction_covers_the_mean_over_draws() {
    // m draws of a classifier whose error on the sample is 0 or 1 (the worst case for a mean
    // of [0, 1] values) with mean μ: the corrected estimate is ≥ μ in ≥ 1 − δ of the runs.
    let (mu, m, draws) = (0.1, 150, 4000);
    let delta = 0.1;
    let rate = violation_rate(mu, m, draws, 10, |e| {
        sampled_error_upper(e as f64 / m as f64, m, delta).unwrap()
    });
    assert!(rate <= allowed(delta, draws), "violated in {rate}");
    // The uncorrected mean is below μ about half the time.
    let rate = violation_rate(mu, m, draws, 11, |e| e as f64 / m as f64);
    assert!(rate > 0.3, "the uncorrected mean violated in only {rate}");
}
