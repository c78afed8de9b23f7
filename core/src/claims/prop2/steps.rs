//! The steps of the proof B.7: Eq. 80, Eq. 84 (Jensen, Khintchine, the σ sum) and Eq. 86 (the
//! Khintchine constant, p > 2 and p ≤ 2).

use ndarray::Array2;

use super::common::*;
use crate::claims::engine::decode::show;
use crate::claims::engine::RepairBasis;
use crate::claims::engine::{assess, Alt, AltRole, Evidence, Relation, Searched};
use crate::search::{squash, Budget};
use crate::theory::khintchine::{haagerup_upper, paper_constant, rademacher_moment_exact};
use crate::theory::lp_norm;
use crate::theory::rademacher::expected_norm_exact;

/// Eq. 80 for the first coordinate: (σ_1², Σ_i ‖v_i‖_p²).
pub(super) fn eq80_sides(v: &Array2<f64>, p: f64) -> (f64, f64) {
    let s = sigma(v);
    (s[0] * s[0], radius_sum(v, p))
}

/// Every row supported on the first coordinate (row i is (1 + i, 0, 0)): Eq. 80 is an equality
/// there.
pub(super) fn eq80_equality_seed() -> Vec<f64> {
    let mut seed = vec![0.0; N * D + 1];
    for i in 0..N {
        seed[i * D] = 1.0 + i as f64;
    }
    seed
}

pub(super) fn eq80(b: Budget) -> Evidence {
    let f = |x: &[f64]| {
        let (v, p) = vp(x);
        eq80_sides(&v, p)
    };
    searched(
        b,
        93,
        Relation::Le,
        &f,
        None,
        vec![eq80_equality_seed()],
        "Equality when every φ(x_i) is supported on coordinate j.",
    )
}

pub(super) fn eq84_jensen(b: Budget) -> Evidence {
    let printed = |x: &[f64]| {
        let (v, p) = vp(x);
        (
            expected_norm_exact(v.view(), p).expect("small"),
            column_moments(&v, p),
        )
    };
    searched(
        b,
        94,
        Relation::Eq,
        &printed,
        Some(Alt {
            role: AltRole::Repair(RepairBasis::PaperDerivation("Jensen's inequality, the step's own justification")),
            relation: Relation::Le,
            form: &printed,
            statement: "E_ε‖u‖_p ≤ (E_ε‖u‖_p^p)^{1/p} = [Σ_j E|u_j|^p]^{1/p} (Jensen: an inequality, not an equality)",
            sharp: false,
        }),
        vec![one_hot_seed(1.0)],
        "",
    )
}

/// Eq. 84's Khintchine step: ([Σ_j E|u_j|^p]^{1/p}, C_p‖σ‖₂) as printed, with Haagerup's B_p‖σ‖_p
/// as corrected.
pub(super) fn khintchine_sides(v: &Array2<f64>, p: f64, corrected: bool) -> (f64, f64) {
    let rhs = if corrected {
        haagerup_upper(p) * lp_norm(&sigma(v), p)
    } else {
        paper_constant(p) * lp_norm(&sigma(v), 2.0)
    };
    (column_moments(v, p), rhs)
}

pub(super) fn eq84_khintchine(b: Budget) -> Evidence {
    let printed = |x: &[f64]| {
        let (v, p) = vp(x);
        khintchine_sides(&v, p, false)
    };
    let corrected = |x: &[f64]| {
        let (v, p) = vp(x);
        khintchine_sides(&v, p, true)
    };
    searched(
        b,
        95,
        Relation::Le,
        &printed,
        Some(Alt {
            role: AltRole::Repair(RepairBasis::Outside("Khintchine per coordinate with ‖σ‖_p, not ‖σ‖₂, for p < 2")),
            relation: Relation::Le,
            form: &corrected,
            statement: "[Σ_j E|u_j|^p]^{1/p} ≤ B_p (Σ_j σ_j^p)^{1/p} = B_p‖σ‖_p (Khintchine per coordinate, Haagerup's B_p); ‖σ‖_p ≤ ‖σ‖₂ only when p ≥ 2, so for p < 2 the printed step fails (by up to d^{1/p−1/2})",
            sharp: false,
        }),
        vec![one_hot_seed(-5.0)],
        "",
    )
}

/// Eq. 84's σ step: (Σ_j σ_j², Σ_i ‖v_i‖_r²) with the printed radius r = p or the corrected r = 2.
pub(super) fn sigma_sum_sides(v: &Array2<f64>, r: f64) -> (f64, f64) {
    (sigma(v).iter().map(|a| a * a).sum(), radius_sum(v, r))
}

pub(super) fn eq84_sigma(b: Budget) -> Evidence {
    let printed = |x: &[f64]| {
        let (v, p) = vp(x);
        sigma_sum_sides(&v, p)
    };
    let corrected = |x: &[f64]| sigma_sum_sides(&vp(x).0, 2.0);
    searched(
        b,
        96,
        Relation::Eq,
        &printed,
        Some(Alt {
            role: AltRole::Repair(RepairBasis::Outside("the L₂ radius in place of the L_p radius for p > 2")),
            relation: Relation::Eq,
            form: &corrected,
            statement: "Σ_j σ_j² = Σ_i ‖φ(x_i)‖₂²/γ_{y_i}² = (N/K) Σ_k r²_{k,2}/γ_k² (the L₂ radius, whatever p); it is ≤ (N/K)Σ_k r²_{k,p}/γ_k² only for p ≤ 2 and can exceed it for p > 2",
            sharp: false,
        }),
        vec![],
        "Summing Eq. 80 over j would give a factor d, not this identity.",
    )
}

pub(super) fn khintchine_inputs(x: &[f64], lo: f64, hi: f64) -> (Vec<f64>, f64) {
    (x[..8].to_vec(), squash(x[8], lo, hi))
}

pub(super) fn khintchine_gt2(b: Budget) -> Evidence {
    let printed = |x: &[f64]| {
        let (a, p) = khintchine_inputs(x, 3.0, 8.0);
        (
            rademacher_moment_exact(&a, p).expect("8 terms"),
            paper_constant(p) * lp_norm(&a, 2.0),
        )
    };
    let tighter = |x: &[f64]| {
        let (a, p) = khintchine_inputs(x, 3.0, 8.0);
        (
            rademacher_moment_exact(&a, p).expect("8 terms"),
            haagerup_upper(p) * lp_norm(&a, 2.0),
        )
    };
    assess(Searched::new(9, Relation::Le, &printed, b, 97).describe(&|x| {
            let (a, p) = khintchine_inputs(x, 3.0, 8.0);
            format!("a={}, p={p:.4}", show(&a))
        }).scale(1.5).starts(vec![vec![1.0; 9]]).alt(Alt {
            role: AltRole::Tighter,
            relation: Relation::Le,
            form: &tighter,
            statement: "Haagerup's sharp constant is B_p = √2 (Γ((p+1)/2)/√π)^{1/p} = (E|g|^p)^{1/p}; the printed C_p = E|g|^p is its p-th power (e.g. p = 4: 3 vs 3^{1/4} ≈ 1.316)",
            sharp: true,
        }).note("Exact enumeration over 2^8 signs. B_p is approached only as the number of equal terms grows (central limit). As p → 2⁺ both constants tend to 1, so the gap opens with p (searched on [3, 8])."))
}

pub(super) fn khintchine_le2(b: Budget) -> Evidence {
    let f = |x: &[f64]| {
        let (a, p) = khintchine_inputs(x, 1.0, 2.0);
        (
            rademacher_moment_exact(&a, p).expect("8 terms"),
            lp_norm(&a, 2.0),
        )
    };
    let mut seed = vec![0.0; 9];
    seed[0] = 1.0;
    assess(
        Searched::new(9, Relation::Le, &f, b, 98)
            .describe(&|x| {
                let (a, p) = khintchine_inputs(x, 1.0, 2.0);
                format!("a={}, p={p:.4}", show(&a))
            })
            .scale(1.5)
            .starts(vec![seed])
            .note("Equality for a single non-zero term (and at p = 2 always)."),
    )
}
