//! B.4's duality steps: Hölder (Eq. 45) and the dual-norm maximiser that makes the closed
//! form exact.

use crate::claims::engine::decode::{pos, show};
use crate::claims::engine::{assess, Evidence, Relation, Searched};
use crate::search::{squash, Budget};
use crate::theory::{conjugate, lp_norm};

/// (w, u) ∈ ℝ³ × ℝ³, p ∈ [1, 6] or ∞.
pub(super) fn holder_inputs(x: &[f64]) -> (Vec<f64>, Vec<f64>, f64) {
    let p = if x[6] > 3.0 {
        f64::INFINITY
    } else {
        squash(x[6], 1.0, 6.0)
    };
    (x[..3].to_vec(), x[3..6].to_vec(), p)
}

pub(super) fn holder(b: Budget) -> Evidence {
    let f = |x: &[f64]| {
        let (w, u, p) = holder_inputs(x);
        (
            w.iter().zip(&u).map(|(a, c)| a * c).sum(),
            lp_norm(&w, conjugate(p)) * lp_norm(&u, p),
        )
    };
    assess(
        Searched::new(7, Relation::Le, &f, b, 52)
            .describe(&|x| {
                let (w, u, p) = holder_inputs(x);
                format!("w={}, u={}, p={p:.4}", show(&w), show(&u))
            })
            .note("Equality at w ∝ sign(u)|u|^{p−1}."),
    )
}

/// The maximiser of wᵀu over ‖w‖_q ≤ Λ for finite p > 1, or p = 1 / ∞.
// p = 1 exactly selects the sign vector (the general formula has 0^0 there).
#[allow(clippy::float_cmp)]
pub(super) fn dual_maximiser(u: &[f64], p: f64, lambda: f64) -> Vec<f64> {
    if p.is_infinite() {
        let j = (0..u.len())
            .max_by(|&a, &b| u[a].abs().total_cmp(&u[b].abs()))
            .unwrap_or(0);
        let mut w = vec![0.0; u.len()];
        w[j] = lambda * u[j].signum();
        w
    } else if p == 1.0 {
        u.iter().map(|v| lambda * v.signum()).collect()
    } else {
        let n = lp_norm(u, p);
        if n == 0.0 {
            return vec![0.0; u.len()];
        }
        u.iter()
            .map(|v| lambda * v.signum() * (v.abs() / n).powf(p - 1.0))
            .collect()
    }
}

/// (wᵀu, Λ‖u‖_p) for a candidate maximiser w. Feasibility is part of the claim: a w with
/// ‖w‖_q > Λ (beyond the identity tolerance) counts as a violation, lhs = 2·rhs + 1.
pub(super) fn dual_sides(w: &[f64], u: &[f64], p: f64, l: f64) -> (f64, f64) {
    let feas = lp_norm(w, conjugate(p)) <= l * (1.0 + crate::tolerance::IDENTITY.rel);
    let val: f64 = w.iter().zip(u).map(|(a, c)| a * c).sum();
    let rhs = l * lp_norm(u, p);
    (if feas { val } else { 2.0 * rhs + 1.0 }, rhs)
}

pub(super) fn dual_norm(b: Budget) -> Evidence {
    let f = |x: &[f64]| {
        let (_, u, p) = holder_inputs(x);
        let l = pos(x[0]);
        dual_sides(&dual_maximiser(&u, p, l), &u, p, l)
    };
    assess(Searched::new(7, Relation::Eq, &f, b, 53).describe(&|x| {
            let (_, u, p) = holder_inputs(x);
            format!("u={}, p={p:.4}, Λ={:.4}", show(&u), pos(x[0]))
        }).note("The sup is attained by the feasible w* = Λ sign(u)(|u|/‖u‖_p)^{p−1}; with Hölder (eq45-holder) this makes the closed form exact."))
}
