//! The statistics module against hand-computed values: paired mean, sd, 95% t-interval, the
//! exact sign-flip p-value, the detectable difference, and the verdict rule.

use mr2_core::stats::{paired, sign_flip_p, t_quantile, Verdict};
use mr2_core::tolerance::IDENTITY;

/// Student's t quantiles (scipy.stats.t.ppf, float64).
const T975_DF2: f64 = 4.302_652_729_749_462;
const T975_DF4: f64 = 2.776_445_105_197_793;
const T80_DF2: f64 = 1.060_660_171_779_821;

fn close(a: f64, b: f64, what: &str) {
    assert!(IDENTITY.close(a, b), "{what}: {a} vs {b}");
}

#[test]
fn t_quantiles_match_the_tables() {
    close(t_quantile(0.975, 2), T975_DF2, "t(0.975, 2)");
    close(t_quantile(0.975, 4), T975_DF4, "t(0.975, 4)");
    close(t_quantile(0.8, 2), T80_DF2, "t(0.8, 2)");
    assert!(t_quantile(0.975, 0).is_nan());
}

#[test]
fn paired_difference_by_hand() {
    // d = (1, 2, 3): mean 2, sd 1, se 1/√3, interval 2 ± 4.3027/√3.
    let p = paired(&[1.0, 2.0, 3.0]);
    assert_eq!(p.n, 3);
    close(p.mean, 2.0, "mean");
    close(p.sd, 1.0, "sd");
    let half = T975_DF2 / 3f64.sqrt();
    close(p.lo, 2.0 - half, "lo");
    close(p.hi, 2.0 + half, "hi");
    close(
        p.detectable,
        (T975_DF2 + T80_DF2) / 3f64.sqrt(),
        "detectable",
    );
    // Sign flips of (1, 2, 3): |sums| 6, 4, 2, 0, 0, 2, 4, 6 → two of eight reach 6.
    assert_eq!(p.p_sign_flip, Some(0.25));
    // d = (0.5, 1.5, 1, 2, 0): mean 1, sd √(0.625), interval 1 ± 2.7764·√0.625/√5.
    let q = paired(&[0.5, 1.5, 1.0, 2.0, 0.0]);
    close(q.sd, 0.625f64.sqrt(), "sd 5");
    close(q.lo, 1.0 - T975_DF4 * (0.625f64 / 5.0).sqrt(), "lo 5");
}

#[test]
fn sign_flip_by_hand() {
    // All positive, n = 5: only the identity and the full flip reach |mean| = observed.
    assert_eq!(sign_flip_p(&[1.0, 2.0, 3.0, 4.0, 5.0]), Some(2.0 / 32.0));
    // (3, −1): sums ±3±1 → |4|, |2|, |2|, |4|: observed |2| → all four reach it.
    assert_eq!(sign_flip_p(&[3.0, -1.0]), Some(1.0));
    // (3, 1): observed 4; two of four patterns reach it.
    assert_eq!(sign_flip_p(&[3.0, 1.0]), Some(0.5));
    // A zero difference is extreme under every pattern that keeps the rest's |sum|.
    assert_eq!(sign_flip_p(&[0.0, 0.0]), Some(1.0));
    assert_eq!(sign_flip_p(&[]), None);
    assert_eq!(sign_flip_p(&[1.0; 21]), None);
    // Ten positive differences: 2/1024; twenty (the largest n enumerated): 2/2²⁰.
    assert_eq!(sign_flip_p(&[1.0; 10]), Some(2.0 / 1024.0));
    assert_eq!(sign_flip_p(&[1.0; 20]), Some(2.0 / f64::from(1u32 << 20)));
    // (5, −1, −1, 1): observed 4; with +5 the other three give 5 + {−3, −1, −1, −1, 1, 1, 1, 3},
    // seven of eight ≥ 4, and the same with −5: 14 of 16. Every subset of signs is visited.
    assert_eq!(sign_flip_p(&[5.0, -1.0, -1.0, 1.0]), Some(0.875));
    // Scale-free: differences of 1e-7 or 1e7 give the p of (1, 2, 3), 2/8 (the rounding slack
    // is relative to the differences' size).
    assert_eq!(sign_flip_p(&[1e-7, 2e-7, 3e-7]), Some(0.25));
    assert_eq!(sign_flip_p(&[1e7, 2e7, 3e7]), Some(0.25));
}

#[test]
fn one_pair_and_none_are_inconclusive() {
    let one = paired(&[2.0]);
    assert!(one.sd.is_nan() && one.lo.is_nan());
    assert_eq!(one.verdict(1.0), Verdict::Inconclusive);
    assert_eq!(one.display(2), "+2.00 (n = 1)");
    let none = paired(&[]);
    assert!(none.mean.is_nan());
    assert_eq!(none.display(2), "—");
}

#[test]
fn verdicts_follow_the_interval() {
    // d = (1.5, 2, 2.5, 2, 2): mean 2, sd √0.125, interval ≈ [1.56, 2.44].
    let clear = paired(&[1.5, 2.0, 2.5, 2.0, 2.0]);
    assert!(clear.lo > 1.0 && clear.hi < 3.0, "{clear:?}");
    assert_eq!(clear.verdict(2.0), Verdict::Reproduced);
    assert_eq!(clear.verdict(1.0), Verdict::Reproduced);
    // Same sign, wholly short of a claim of 5.
    assert_eq!(clear.verdict(5.0), Verdict::Smaller);
    // A negative claim against a positive interval.
    assert_eq!(clear.verdict(-1.0), Verdict::Contradicted);
    // "No difference" claimed, interval excludes 0.
    assert_eq!(clear.verdict(0.0), Verdict::Contradicted);
    // Interval around 0: inconclusive for a small claim, contradicted for one above it.
    let noisy = paired(&[-1.0, 1.0, 0.5, -0.5, 0.2]);
    assert!(noisy.lo < 0.0 && noisy.hi > 0.0);
    assert_eq!(noisy.verdict(0.3), Verdict::Inconclusive);
    assert_eq!(noisy.verdict(0.0), Verdict::Inconclusive);
    assert_eq!(noisy.verdict(5.0), Verdict::Contradicted);
    assert_eq!(noisy.verdict(-5.0), Verdict::Contradicted);
    assert_eq!(noisy.verdict_words(0.3), "inconclusive at n = 5");
    assert_eq!(
        clear.display(2),
        format!("+2.00 [{:+.2}, {:+.2}] (n = 5)", clear.lo, clear.hi)
    );
}

/// A comparison with the given interval (the other fields do not enter the verdict).
fn interval(lo: f64, hi: f64) -> mr2_core::stats::Paired {
    mr2_core::stats::Paired {
        n: 5,
        mean: 0.5 * (lo + hi),
        sd: 1.0,
        lo,
        hi,
        p_sign_flip: None,
        detectable: 1.0,
    }
}

#[test]
fn verdicts_at_the_interval_edges() {
    // An interval that touches 0 does not exclude it: no difference claimed or found.
    assert_eq!(interval(0.0, 1.0).verdict(0.0), Verdict::Inconclusive);
    assert_eq!(interval(-1.0, 0.0).verdict(0.0), Verdict::Inconclusive);
    assert_eq!(interval(0.0, 1.0).verdict(0.5), Verdict::Inconclusive);
    assert_eq!(interval(-1.0, 0.0).verdict(-0.5), Verdict::Inconclusive);
    // Just inside: excluded.
    assert_eq!(interval(1e-9, 1.0).verdict(0.0), Verdict::Contradicted);
    assert_eq!(interval(-1.0, -1e-9).verdict(0.0), Verdict::Contradicted);
    // An interval with one end undefined decides nothing.
    assert_eq!(interval(0.1, f64::NAN).verdict(0.0), Verdict::Inconclusive);
    assert_eq!(
        interval(f64::NAN, -0.1).verdict(-0.5),
        Verdict::Inconclusive
    );
    // Starting exactly at 0 and ending below the claim: not "smaller but positive".
    assert_eq!(interval(0.0, 0.4).verdict(0.5), Verdict::Contradicted);
    // Ending exactly at the claim: not below it.
    assert_eq!(interval(-1.0, 0.5).verdict(0.5), Verdict::Inconclusive);
    assert_eq!(interval(0.1, 0.5).verdict(0.5), Verdict::Reproduced);
}

#[test]
fn two_pairs_have_a_standard_deviation() {
    // d = (1, 3): mean 2, sd √2 (n − 1 = 1), a finite interval 2 ± 12.706·√2/√2.
    let p = paired(&[1.0, 3.0]);
    close(p.sd, 2f64.sqrt(), "sd at n = 2");
    close(p.hi - p.mean, 12.706_204_736_174_7, "t(0.975, 1)·se");
}
