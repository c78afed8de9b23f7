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
    assert_eq!(clear.verdict_words(5.0), "smaller than claimed");
    // A negative claim against a positive interval: the other side of 0.
    assert_eq!(clear.verdict(-1.0), Verdict::Contradicted);
    // "No difference" claimed, interval excludes 0.
    assert_eq!(clear.verdict(0.0), Verdict::Contradicted);
    // Interval around 0: inconclusive for a claim inside it, "not reproduced" for one above it
    // (the claimed size is excluded, the sign is not) — never "contradicted".
    let noisy = paired(&[-1.0, 1.0, 0.5, -0.5, 0.2]);
    assert!(noisy.lo < 0.0 && noisy.hi > 0.0);
    assert_eq!(noisy.verdict(0.3), Verdict::Inconclusive);
    assert_eq!(noisy.verdict(0.0), Verdict::Inconclusive);
    assert_eq!(noisy.verdict(5.0), Verdict::NotReproduced);
    assert_eq!(noisy.verdict(-5.0), Verdict::NotReproduced);
    assert_eq!(
        noisy.verdict_words(5.0),
        format!("not reproduced (at most {:+.2})", noisy.hi)
    );
    // The mirror: a claimed loss reports the lower end.
    assert_eq!(
        noisy.verdict_words(-5.0),
        format!("not reproduced (at most {:+.2})", noisy.lo)
    );
    assert_eq!(noisy.verdict_words(0.3), "inconclusive at n = 5");
    assert_eq!(
        clear.display(2),
        format!("+2.00 [{:+.2}, {:+.2}] (n = 5)", clear.lo, clear.hi)
    );
}

/// A comparison with the given interval (the other fields do not enter the verdict).
fn interval(lo: f64, hi: f64) -> mr2_core::stats::Paired {
    with_n(lo, hi, 5)
}

fn with_n(lo: f64, hi: f64, n: usize) -> mr2_core::stats::Paired {
    mr2_core::stats::Paired {
        n,
        mean: 0.5 * (lo + hi),
        sd: 1.0,
        lo,
        hi,
        p_sign_flip: None,
        detectable: 1.0,
    }
}

#[test]
fn every_branch_of_the_rule_with_hand_intervals() {
    // Claimed gain c = 2.
    assert_eq!(interval(0.5, 3.0).verdict(2.0), Verdict::Reproduced); // lo > 0, hi ≥ c
    assert_eq!(interval(0.5, 1.5).verdict(2.0), Verdict::Smaller); // lo > 0, hi < c
    assert_eq!(interval(-0.5, 1.5).verdict(2.0), Verdict::NotReproduced); // lo ≤ 0 ≤ hi < c
    assert_eq!(interval(-1.5, -0.5).verdict(2.0), Verdict::Contradicted); // hi < 0
    assert_eq!(interval(-0.5, 2.5).verdict(2.0), Verdict::Inconclusive); // holds 0 and c
                                                                         // The mirror: claimed loss c = −2 on the mirrored intervals.
    assert_eq!(interval(-3.0, -0.5).verdict(-2.0), Verdict::Reproduced);
    assert_eq!(interval(-1.5, -0.5).verdict(-2.0), Verdict::Smaller);
    assert_eq!(interval(-1.5, 0.5).verdict(-2.0), Verdict::NotReproduced);
    assert_eq!(interval(0.5, 1.5).verdict(-2.0), Verdict::Contradicted);
    assert_eq!(interval(-2.5, 0.5).verdict(-2.0), Verdict::Inconclusive);
    // Fewer than three pairs: always inconclusive, whatever the interval.
    for n in 0..3 {
        for (lo, hi) in [(0.5, 3.0), (0.5, 1.5), (-0.5, 1.5), (-1.5, -0.5)] {
            assert_eq!(
                with_n(lo, hi, n).verdict(2.0),
                Verdict::Inconclusive,
                "n = {n}"
            );
        }
    }
    assert_eq!(
        with_n(-1.5, -0.5, 2).verdict_words(2.0),
        "inconclusive at n = 2"
    );
    assert_eq!(with_n(-1.5, -0.5, 3).verdict(2.0), Verdict::Contradicted);
}

#[test]
fn the_two_cifar_examples_of_table_3_row_f() {
    // Table 3 row (f) − (a) on CIFAR-10 (released configuration) against the scaled claim
    // +2.76: at n = 3 +0.60 [+0.14, +1.06], at n = 5 +0.74 [−0.14, +1.62]. The old rule called
    // the first "smaller" and the second "contradicted" — the harsher word for the weaker
    // evidence. Now: "smaller than claimed", then "not reproduced (at most +1.62)".
    let n3 = with_n(0.14, 1.06, 3);
    let n5 = with_n(-0.14, 1.62, 5);
    assert_eq!(n3.verdict(2.76), Verdict::Smaller);
    assert_eq!(n5.verdict(2.76), Verdict::NotReproduced);
    assert_eq!(n5.verdict_words(2.76), "not reproduced (at most +1.62)");
    // At the paper's unscaled +1.9 (Table 3, (f) − (a) is +3.0 on CIFAR-100): the same words.
    assert_eq!(n5.verdict(3.0), Verdict::NotReproduced);
    // At a transfer by Table 7's relative rate (≈ +1.1) the n = 5 interval holds the claim.
    assert_eq!(n5.verdict(1.1), Verdict::Inconclusive);
    // MR² as printed on CIFAR-10: −40.43 [−43.73, −37.14] against +4.87: the other side.
    assert_eq!(
        with_n(-43.73, -37.14, 5).verdict(4.87),
        Verdict::Contradicted
    );
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
    // Starting exactly at 0 and ending below the claim: the size is excluded, not the sign.
    assert_eq!(interval(0.0, 0.4).verdict(0.5), Verdict::NotReproduced);
    // Ending exactly at 0: still not the other side.
    assert_eq!(interval(-0.4, 0.0).verdict(0.5), Verdict::NotReproduced);
    // Ending exactly at the claim: not below it.
    assert_eq!(interval(-1.0, 0.5).verdict(0.5), Verdict::Inconclusive);
    assert_eq!(interval(0.1, 0.5).verdict(0.5), Verdict::Reproduced);
}

#[test]
fn holm_steps_down_and_stops_at_the_first_failure() {
    use mr2_core::stats::holm;
    // m = 4, α = 0.05: thresholds 0.0125, 0.0167, 0.025, 0.05 in order of p.
    assert_eq!(
        holm(&[0.01, 0.04, 0.012, 0.03], 0.05),
        vec![true, false, true, false]
    );
    // 0.012 passes its 0.0167 only after 0.01 passed 0.0125; 0.03 fails 0.025 and stops 0.04.
    assert_eq!(holm(&[0.06, 0.001], 0.05), vec![false, true]);
    // Stops at the first failure: 0.03 fails 0.025, so 0.04 (≤ 0.05) is not reached.
    assert_eq!(holm(&[0.04, 0.03], 0.05), vec![false, false]);
    assert_eq!(holm(&[0.02, 0.001], 0.05), vec![true, true]);
    // NaN never rejected; it counts in m.
    assert_eq!(holm(&[0.03, f64::NAN], 0.05), vec![false, false]);
    assert_eq!(holm(&[0.02, f64::NAN], 0.05), vec![true, false]);
    assert!(holm(&[], 0.05).is_empty());
}

#[test]
fn the_paired_t_p_value() {
    // d = (1, 2, 3): mean 2, se 1/√3·1 = 0.577, t = 3.464 on 2 df: two-sided p = 0.0742.
    let p = paired(&[1.0, 2.0, 3.0]).p_t();
    assert!((p - 0.074_179_900).abs() < 1e-8, "{p}");
    assert!(paired(&[1.0]).p_t().is_nan());
    assert_eq!(paired(&[2.0, 2.0, 2.0]).p_t(), 0.0);
    assert_eq!(paired(&[0.0, 0.0]).p_t(), 1.0);
}

#[test]
fn two_pairs_have_a_standard_deviation() {
    // d = (1, 3): mean 2, sd √2 (n − 1 = 1), a finite interval 2 ± 12.706·√2/√2.
    let p = paired(&[1.0, 3.0]);
    close(p.sd, 2f64.sqrt(), "sd at n = 2");
    close(p.hi - p.mean, 12.706_204_736_174_7, "t(0.975, 1)·se");
}
