//! Prose claims of §3–§4.1: Eq. 1 ≡ Eq. 5, γ = 1 is cross-entropy, mean γ = c̄, the behaviour of
//! `ℓ_γ,ce` in γ, the pairwise-distance remark, and the ramp facts of Def. 1 / Fig. 2.

use super::engine::decode::{class_index, matrix, pos, show, show_m};
use super::engine::RepairBasis;
use super::engine::{assess, Alt, AltRole, Claim, Evidence, Kind, Relation, Searched, Verdict};
use crate::search::{squash, Budget};
use crate::theory::{gamma, margin, moments};

const FILE: &str = "proofs/sec3.rs";
const K: usize = 4;

pub(super) fn claims() -> Vec<Claim> {
    vec![
        Claim {
            id: "eq1-equals-eq5",
            paper_ref: "§3.1, Eq. 1 ≡ Eq. 5",
            statement: "−1_yᵀ ln softmax(z/γ_y) = ln[1 + Σ_{y'≠y} exp((z_{y'} − z_y)/γ_y)]",
            kind: Kind::Identity,
            expected: Verdict::Holds,
            proof_file: FILE,
            check: eq1_eq5,
        },
        Claim {
            id: "gamma-one-is-ce",
            paper_ref: "§3, after Eq. 1",
            statement: "with γ_k = 1 for all k, ℓ_γ,ce is the multi-class cross-entropy",
            kind: Kind::Identity,
            expected: Verdict::Holds,
            proof_file: FILE,
            check: gamma_one,
        },
        Claim {
            id: "gamma-mean-is-cbar",
            paper_ref: "§3, Eq. 1 (normalisation)",
            statement: "the γ of Eq. 1 has mean (1/K) Σ_k γ_k = c̄",
            kind: Kind::Identity,
            expected: Verdict::Holds,
            proof_file: FILE,
            check: gamma_mean,
        },
        Claim {
            id: "lce-monotone-in-gamma",
            paper_ref: "§4.2 after Prop. 1; App. A Discussion 1",
            statement: "ℓ_γ,ce grows monotonically with γ (so shrinking γ always lowers the loss)",
            kind: Kind::Inequality,
            expected: Verdict::False,
            proof_file: FILE,
            check: monotone,
        },
        Claim {
            id: "pairwise-distance-remark",
            paper_ref: "§3, after Eq. 3",
            statement: "for x⁺ ∈ D_y∖{x}: E‖φ(x⁺) − φ(x)‖² = 2‖ŝ_k‖² (empirical ŝ_k)",
            kind: Kind::Identity,
            expected: Verdict::Typo,
            proof_file: FILE,
            check: pairwise_remark,
        },
        Claim {
            id: "zero-one-le-margin-loss",
            paper_ref: "§4.1 (Fig. 2 text); B.3 before Eq. 29",
            statement: "1(y ≠ argmax_k f(x,k)) ≤ ℓ_γ(f,x,y), hence R(f) ≤ R^γ(f)",
            kind: Kind::Inequality,
            expected: Verdict::Holds,
            proof_file: FILE,
            check: zero_one,
        },
        Claim {
            id: "margin-loss-range",
            paper_ref: "Def. 1",
            statement: "ℓ_γ maps into [0, 1]",
            kind: Kind::Inequality,
            expected: Verdict::Holds,
            proof_file: FILE,
            check: range,
        },
    ]
}

/// Logits in [−30, 30] and γ in [0.05, 50]: inside this box f64 evaluates both forms to
/// ~1e-13 of the input scale max|z|/γ.
/// The label is searched too (coordinate `K + 1`), so a formula that mixes up the label's
/// index with another cannot pass.
fn logits_gamma(x: &[f64]) -> (Vec<f64>, f64, usize) {
    (
        x[..K].iter().map(|v| squash(*v, -30.0, 30.0)).collect(),
        squash(x[K], 0.05, 50.0),
        class_index(x[K + 1], K),
    )
}

/// Compare two evaluations of a loss on the scale of its inputs: a common shift by
/// `1 + max|z|/γ` turns the relative error into an error relative to that scale (a loss of
/// 1e-300 and one of 0 agree; cancellation in `LSE(z/γ) − z_y/γ` is not a counterexample).
fn on_input_scale(a: f64, b: f64, z: &[f64], g: f64) -> (f64, f64) {
    let c = 1.0 + z.iter().fold(0.0_f64, |m, v| m.max(v.abs())) / g;
    (a + c, b + c)
}

fn eq1_eq5(b: Budget) -> Evidence {
    let f = |x: &[f64]| {
        let (z, g, y) = logits_gamma(x);
        on_input_scale(
            margin::gamma_ce_softmax(&z, y, g),
            margin::gamma_ce_pairwise(&z, y, g),
            &z,
            g,
        )
    };
    assess(Searched::new(K + 2, Relation::Eq, &f, b, 11).describe(&|x| {
            let (z, g, y) = logits_gamma(x);
            format!("z={}, y={y}, γ_y={g:.4}", show(&z))
        }).scale(3.0).note("Two independent implementations (softmax form and pairwise LogSumExp form); errors measured on the input scale 1 + max|z|/γ."))
}

fn gamma_one(b: Budget) -> Evidence {
    let f = |x: &[f64]| {
        let (z, _, y) = logits_gamma(x);
        on_input_scale(
            margin::gamma_ce_pairwise(&z, y, 1.0),
            margin::cross_entropy(&z, y),
            &z,
            1.0,
        )
    };
    assess(
        Searched::new(K + 2, Relation::Eq, &f, b, 12)
            .describe(&|x| {
                let (z, _, y) = logits_gamma(x);
                format!("z={}, y={y}", show(&z))
            })
            .scale(3.0),
    )
}

fn gamma_mean(b: Budget) -> Evidence {
    let f = |x: &[f64]| {
        let alpha: Vec<f64> = x[..K].iter().map(|v| pos(*v)).collect();
        let c = pos(x[K]);
        let g = gamma::optimal_gamma(&alpha, c).expect("decoded inputs are valid");
        (g.iter().sum::<f64>() / K as f64, c)
    };
    assess(
        Searched::new(K + 1, Relation::Eq, &f, b, 13)
            .describe(&|x| {
                let a: Vec<f64> = x[..K].iter().map(|v| pos(*v)).collect();
                format!("α={}, c̄={:.4}", show(&a), pos(x[K]))
            })
            .scale(3.0),
    )
}

/// Input: logits z (K), γ₁ > 0, the label, ratio γ₂/γ₁ = 1 + e^x.
fn monotone_inputs(x: &[f64]) -> (Vec<f64>, f64, f64, usize) {
    let (z, g1, y) = logits_gamma(x);
    (z, g1, g1 * (1.0 + squash(x[K + 2], 0.0, 99.0)), y)
}

fn monotone(b: Budget) -> Evidence {
    let printed = |x: &[f64]| {
        let (z, g1, g2, y) = monotone_inputs(x);
        (
            margin::gamma_ce_pairwise(&z, y, g1),
            margin::gamma_ce_pairwise(&z, y, g2),
        )
    };
    // Corrected: restrict to correctly classified samples, z_y > max_{k≠y} z_k.
    let corrected = |x: &[f64]| {
        let (mut z, g1, g2, y) = monotone_inputs(x);
        let m = (0..K)
            .filter(|&k| k != y)
            .map(|k| z[k])
            .fold(f64::NEG_INFINITY, f64::max);
        z[y] = m + pos(z[y]).max(1e-9);
        (
            margin::gamma_ce_pairwise(&z, y, g1),
            margin::gamma_ce_pairwise(&z, y, g2),
        )
    };
    assess(Searched::new(K + 3, Relation::Le, &printed, b, 14).describe(&|x| {
            let (z, g1, g2, y) = monotone_inputs(x);
            format!("z={}, y={y}, γ₁={g1:.4} < γ₂={g2:.4}", show(&z))
        }).starts(vec![vec![0.0, 1.0, -1.0, -1.0, 0.0, -5.0, 0.0]]).alt(Alt {
            role: AltRole::Repair(RepairBasis::Outside("a case split on the sign of the margin")),
            relation: Relation::Le,
            form: &corrected,
            statement: "ℓ_γ,ce is increasing in γ_y only where z_y > max_{k≠y} z_k (a correctly classified sample); where z_y < max_{k≠y} z_k it can decrease (it is decreasing when z_y < z_k for all k≠y), and every sample's loss tends to ln K as γ_y → ∞",
            sharp: false,
        }).note("Shrinking γ lowers the loss only on samples the model already classifies correctly; on misclassified samples a smaller γ raises it."))
}

fn pairwise_points(x: &[f64]) -> ndarray::Array2<f64> {
    let n = 2 + squash(x[0], 0.0, 4.0).floor() as usize; // 2..=5 points
    matrix(&x[1..], n, 2)
}

/// The remark as printed: (mean squared distance over distinct pairs, 2‖ŝ_k‖²).
fn pairwise_printed(x: &[f64]) -> (f64, f64) {
    let p = pairwise_points(x);
    (
        moments::mean_pairwise_sq_dist_distinct(p.view()).expect("n >= 2"),
        2.0 * moments::msd(p.view()),
    )
}

/// The corrected remark: (the same mean, 2n/(n−1)·‖ŝ_k‖²).
fn pairwise_corrected(x: &[f64]) -> (f64, f64) {
    let p = pairwise_points(x);
    let n = p.nrows() as f64;
    (
        moments::mean_pairwise_sq_dist_distinct(p.view()).expect("n >= 2"),
        2.0 * n / (n - 1.0) * moments::msd(p.view()),
    )
}

fn pairwise_remark(b: Budget) -> Evidence {
    assess(Searched::new(11, Relation::Eq, &pairwise_printed, b, 15).describe(&|x| format!("class points {}", show_m(&pairwise_points(x)))).scale(1.5).alt(Alt {
            role: AltRole::Repair(RepairBasis::PaperDerivation("B.2's finite-sample identity over all ordered pairs")),
            relation: Relation::Eq,
            form: &pairwise_corrected,
            statement: "over distinct same-class pairs the mean squared distance is 2n/(n−1)·‖ŝ_k‖²; it equals 2‖ŝ_k‖² over all ordered pairs including i = j, and 2‖s‖² in the population (B.2)",
            sharp: false,
        }).note("The factor n/(n−1) matters for the small per-class counts of a mini-batch (n = 2 doubles the distance)."))
}

fn zl_inputs(x: &[f64]) -> (Vec<f64>, f64, usize) {
    logits_gamma(x)
}

fn zero_one(b: Budget) -> Evidence {
    let f = |x: &[f64]| {
        let (z, g, y) = zl_inputs(x);
        (margin::zero_one(&z, y), margin::gamma_margin_loss(&z, y, g))
    };
    assess(
        Searched::new(K + 2, Relation::Le, &f, b, 16)
            .describe(&|x| {
                let (z, g, y) = zl_inputs(x);
                format!("z={}, y={y}, γ_y={g:.4}", show(&z))
            })
            .note("Equality wherever the margin is ≤ 0 (both are 1)."),
    )
}

fn range(b: Budget) -> Evidence {
    let f = |x: &[f64]| {
        let (z, g, y) = zl_inputs(x);
        ((margin::gamma_margin_loss(&z, y, g) - 0.5).abs(), 0.5)
    };
    assess(
        Searched::new(K + 2, Relation::Le, &f, b, 17)
            .describe(&|x| {
                let (z, g, y) = zl_inputs(x);
                format!("z={}, y={y}, γ_y={g:.4}", show(&z))
            })
            .scale(3.0)
            .note("Checked as |ℓ_γ − ½| ≤ ½; both ends are attained."),
    )
}

#[cfg(test)]
// Exact comparisons: the decoders copy coordinates or apply one correctly rounded operation.
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

    /// Logits from the first K coordinates, γ from coordinate K, the label from K + 1 (not from
    /// a logit's coordinate or γ's).
    #[test]
    fn logits_gamma_reads_its_own_coordinates() {
        let x = [0.0, 1.0, -1.0, 0.0, 0.0, -0.5];
        let (z, g, y) = logits_gamma(&x);
        assert_eq!(z[0], 0.0);
        assert!((z[1] - squash(1.0, -30.0, 30.0)).abs() < 1e-15 && z[1] > 0.0);
        assert!((z[2] + z[1]).abs() < 1e-12);
        assert!((g - 25.025).abs() < 1e-12, "{g}");
        assert_eq!(y, 1);
        // γ₂/γ₁ = 1 + squash(0, 0, 99) = 50.5.
        let (_, g1, g2, y2) = monotone_inputs(&[0.0, 1.0, -1.0, 0.0, 0.0, -0.5, 0.0]);
        assert_eq!((g1, y2), (g, 1));
        assert!((g2 / g1 - 50.5).abs() < 1e-12, "{}", g2 / g1);
    }

    /// Both evaluations shifted by 1 + max|z|/γ: here 1 + 4/2 = 3.
    #[test]
    fn the_input_scale_is_one_plus_max_logit_over_gamma() {
        assert_eq!(on_input_scale(0.5, 0.25, &[2.0, -4.0], 2.0), (3.5, 3.25));
    }

    /// Two points (0, 0) and (4, 0): distance² 16, ‖ŝ‖² = 4, so printed 2‖ŝ‖² = 8 and
    /// corrected 2·2/1·4 = 16 = the mean over distinct pairs.
    #[test]
    fn pairwise_forms_by_hand() {
        let x = [-50.0, 0.0, 0.0, 4.0, 0.0];
        assert_eq!(pairwise_points(&x).nrows(), 2);
        let (lhs, printed) = pairwise_printed(&x);
        assert!(
            (lhs - 16.0).abs() < 1e-12 && (printed - 8.0).abs() < 1e-12,
            "{lhs} {printed}"
        );
        let (lhs, corrected) = pairwise_corrected(&x);
        assert!(
            (lhs - 16.0).abs() < 1e-12 && (corrected - 16.0).abs() < 1e-12,
            "{corrected}"
        );
    }
}
