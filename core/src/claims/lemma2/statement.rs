//! Lemma 2 itself (Eq. 12 / 41): printed, corrected and general, on exactly computed
//! complexities.

use super::common::*;
use crate::claims::engine::RepairBasis;
use crate::claims::engine::{assess, Alt, AltRole, Evidence, Relation, Searched};
use crate::search::Budget;
use crate::theory::rademacher::{self};

pub(super) fn lemma2(b: Budget) -> Evidence {
    let printed = |x: &[f64]| {
        let (f, y, g, l) = data(x);
        (
            exact(&f, &y, &g, l, 2.0),
            rademacher::lemma2_printed(&alpha_of(&f, &y), &g, N, l),
        )
    };
    let corrected = |x: &[f64]| {
        let (f, y, g, l) = data(x);
        (
            exact(&f, &y, &g, l, 2.0),
            rademacher::lemma2_corrected(&alpha_of(&f, &y), &g, N, l),
        )
    };
    assess(Searched::new(DATA_DIM, Relation::Le, &printed, b, 51).describe(&describe).scale(1.5).starts(vec![orthogonal_seed(3.0)]).alt(Alt {
            role: AltRole::Repair(RepairBasis::PaperDerivation("Eq. 50 of the proof, and Prop. 1 (Eq. 13), which uses it")),
            relation: Relation::Le,
            form: &corrected,
            statement: "R̂^γ_D(F) ≤ Λ √(K/N) · √(Σ_k (‖μ̂_k‖² + ‖ŝ_k‖²)/γ_k²) — what Eq. 50 gives and what Prop. 1 uses; sharp (equality for orthogonal features)",
            sharp: false,
        }).note("The printed nested root is smaller than the derived bound whenever Σ_k α_k/γ_k² > 1; the complexity is computed exactly (2^N sign vectors)."))
}
