//! Proposition 1 (Eq. 13): assembled from Lemmas 1–3, and checked by Monte Carlo.

use super::engine::decode::{pos, show};
use super::engine::{assess, Claim, Evidence, Kind, Relation, Searched, Verdict};
use super::montecarlo::{self, McSize, Statement};
use crate::search::Budget;
use crate::theory::bounds::Lemma1Constant;
use crate::theory::rademacher::{lemma2_corrected, lemma2_printed};

const FILE: &str = "proofs/prop1.rs";
const K: usize = 3;

pub(super) fn claims() -> Vec<Claim> {
    vec![
        Claim {
            id: "prop1-assembly",
            paper_ref: "Prop. 1, Eq. 13 (from Lemmas 1–3)",
            statement: "4√2 ΛK/√N · √(Σ_k α_k/γ_k²) = 4√(2K) × (Lemma 2's bound)",
            kind: Kind::Identity,
            expected: Verdict::Holds,
            proof_file: FILE,
            check: assembly,
        },
        Claim {
            id: "prop1",
            paper_ref: "Prop. 1, Eq. 13",
            statement: "w.p. ≥ 1−δ: R(f) ≤ R̂^{γ,ce}_D(f)/ln2 + 4√2ΛK/√N·√(Σ_k (‖μ̂_k‖²+‖ŝ_k‖²)/γ_k²) + O(1/√N)",
            kind: Kind::Probabilistic,
            expected: Verdict::Loose,
            proof_file: FILE,
            check: prop1,
        },
    ]
}

fn inputs(x: &[f64]) -> (Vec<f64>, Vec<f64>, usize, f64) {
    let a = x[..K].iter().map(|v| pos(*v)).collect();
    let g = x[K..2 * K].iter().map(|v| pos(*v)).collect();
    let n = K * (1 + (pos(x[2 * K]) * 10.0) as usize % 1000);
    (a, g, n, pos(x[2 * K + 1]))
}

fn assembly(b: Budget) -> Evidence {
    let f = |x: &[f64]| {
        let (a, g, n, l) = inputs(x);
        let s: f64 = a.iter().zip(&g).map(|(a, g)| a / (g * g)).sum();
        let printed = 4.0 * 2f64.sqrt() * l * K as f64 / (n as f64).sqrt() * s.sqrt();
        (
            printed,
            Lemma1Constant::Printed.value(K) * lemma2_corrected(&a, &g, n, l),
        )
    };
    let ev = assess(
        Searched::new(2 * K + 2, Relation::Eq, &f, b, 81).describe(&|x| {
            let (a, g, n, l) = inputs(x);
            format!("α={}, γ={}, N={n}, Λ={l:.4}", show(&a), show(&g))
        }),
    );
    // The same assembly with Lemma 2 as printed (nested root) does not give Eq. 13.
    let (a, g, n, l) = (vec![4.0, 9.0, 16.0], vec![1.0, 1.0, 1.0], 30, 1.0);
    let with_printed = Lemma1Constant::Printed.value(K) * lemma2_printed(&a, &g, n, l);
    let with_corrected = Lemma1Constant::Printed.value(K) * lemma2_corrected(&a, &g, n, l);
    Evidence {
        note: format!(
            "{} Prop. 1 matches the corrected Lemma 2: with the printed nested root the complexity term would be {with_printed:.4} instead of {with_corrected:.4} (α = (4, 9, 16), γ = 1, N = 30, Λ = 1) — evidence that Lemma 2's nested root is a typo.",
            ev.note
        ),
        ..ev
    }
}

fn prop1(b: Budget) -> Evidence {
    let run = montecarlo::run(Statement::Prop1, McSize::for_budget(b), 82);
    montecarlo::evidence(&run, Statement::Prop1, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The decoder: α and γ are e^x of the first 2K coordinates, N is a multiple of K (balanced
    /// classes) between K and 1000·K, Λ = e^x of the last coordinate.
    #[test]
    fn inputs_decode_balanced_class_sizes() {
        let mut x = vec![0.0, 1.0, -1.0, 2.0, 0.5, -0.5, 2.0f64.ln(), 3.0f64.ln()];
        let (a, g, n, l) = inputs(&x);
        assert_eq!(a, vec![1.0, 1f64.exp(), (-1f64).exp()]);
        assert_eq!(g, vec![2f64.exp(), 0.5f64.exp(), (-0.5f64).exp()]);
        // e^{ln 2}·10 = 20 → N = K·(1 + 20) = 63.
        assert_eq!(n, 63);
        assert!((l - 3.0).abs() < 1e-12, "{l}");
        x[2 * K] = 1000.55f64.ln(); // ⌊10 005.5⌋ % 1000 = 5 → N = K·6
        assert_eq!(inputs(&x).2, 6 * K);
    }
}
