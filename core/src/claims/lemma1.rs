//! Lemma 1 (γ-margin bound, Eq. 11 / 25) and every step of its proof B.3 (Eq. 27–40).

use super::engine::decode::{class_index, pos, show};
use super::engine::RepairBasis;
use super::engine::{assess, Alt, AltRole, Claim, Evidence, Kind, Relation, Searched, Verdict};
use super::montecarlo::{self, McSize, Statement};
use crate::search::Budget;
use crate::theory::bounds::Lemma1Constant;
use crate::theory::contraction;
use crate::theory::lp_norm;
use crate::theory::margin::{margin, ramp};

const FILE: &str = "proofs/lemma1.rs";
const K: usize = 3;

pub(super) fn claims() -> Vec<Claim> {
    vec![
        Claim {
            id: "lemma1",
            paper_ref: "Lemma 1, Eq. 11 / 25",
            statement: "w.p. ≥ 1−δ, ∀f: R(f) ≤ R̂^γ_D(f) + 4√(2K)·R̂^γ_D(F) + 3√(ln(2/δ)/(2N))",
            kind: Kind::Probabilistic,
            expected: Verdict::Loose,
            proof_file: FILE,
            check: lemma1,
        },
        Claim {
            id: "eq27-uniform-deviation",
            paper_ref: "B.3, Eq. 27 (Mohri et al. 2018, Thm 3.3)",
            statement: "for G ⊂ [0,1]^X, w.p. ≥ 1−δ, ∀g: E g ≤ Ê g + 2R̂_D(G) + 3√(ln(2/δ)/(2N))",
            kind: Kind::Probabilistic,
            expected: Verdict::Loose,
            proof_file: FILE,
            check: eq27,
        },
        Claim {
            id: "eq32-scalar-contraction",
            paper_ref: "B.3, Eq. 30–32",
            statement: "R̂_D(G) = (1/N) E_σ sup_f Σ σ_i Φ_{γ_{y_i}}(γ_f(x_i,y_i)) ≤ (1/N) E_σ sup_f Σ σ_i γ_f(x_i,y_i)/γ_{y_i}",
            kind: Kind::Inequality,
            expected: Verdict::Holds,
            proof_file: FILE,
            check: eq32,
        },
        Claim {
            id: "phi-lipschitz",
            paper_ref: "B.3, after Eq. 32",
            statement: "Φ_γ is (1/γ)-Lipschitz: |Φ_γ(u) − Φ_γ(v)| ≤ |u − v|/γ",
            kind: Kind::Inequality,
            expected: Verdict::Holds,
            proof_file: FILE,
            check: phi_lipschitz,
        },
        Claim {
            id: "eq35-step",
            paper_ref: "B.3, Eq. 35",
            statement: "|Ψ_i(f) − Ψ_i(f')| ≤ (1/γ_{y_i}) |max_{y'≠y_i} [(f_{y_i} − f'_{y_i}) + (f'_{y'} − f_{y'})]|",
            kind: Kind::Inequality,
            expected: Verdict::Typo,
            proof_file: FILE,
            check: eq35,
        },
        Claim {
            id: "eq36-factor-two",
            paper_ref: "B.3, Eq. 36",
            statement: "|Ψ_i(f) − Ψ_i(f')| ≤ (2/γ_{y_i}) max_y |f(x_i,y) − f'(x_i,y)|",
            kind: Kind::Inequality,
            expected: Verdict::Holds,
            proof_file: FILE,
            check: eq36,
        },
        Claim {
            id: "eq37-max-le-sum",
            paper_ref: "B.3, Eq. 37",
            statement: "max_y |d_y| ≤ Σ_y |d_y|",
            kind: Kind::Inequality,
            expected: Verdict::Holds,
            proof_file: FILE,
            check: eq37,
        },
        Claim {
            id: "eq38-l1-l2",
            paper_ref: "B.3, Eq. 38",
            statement: "‖d‖₁ ≤ √K ‖d‖₂ for d ∈ ℝ^K",
            kind: Kind::Inequality,
            expected: Verdict::Holds,
            proof_file: FILE,
            check: eq38,
        },
        Claim {
            id: "eq39-subadditivity",
            paper_ref: "B.3, Eq. 39",
            statement: "max_{y'≠y} a_{y'} − max_{y'≠y} b_{y'} ≤ max_{y'≠y} (a_{y'} − b_{y'})",
            kind: Kind::Inequality,
            expected: Verdict::Holds,
            proof_file: FILE,
            check: eq39,
        },
        Claim {
            id: "psi-lipschitz-constant",
            paper_ref: "B.3, after Eq. 39",
            statement: "Ψ_i is (2√K/γ_{y_i})-Lipschitz w.r.t. ‖·‖₂ on (f(x_i, y))_y",
            kind: Kind::Constant,
            expected: Verdict::Loose,
            proof_file: FILE,
            check: psi_lipschitz,
        },
        Claim {
            id: "eq40-vector-contraction",
            paper_ref: "B.3, Eq. 40",
            statement: "(1/N) E_σ sup_f Σ σ_i Ψ_i(f) ≤ 2√(2K) R̂^γ_D(F)",
            kind: Kind::Inequality,
            expected: Verdict::Loose,
            proof_file: FILE,
            check: eq40,
        },
    ]
}

// ---------- pointwise steps (Eq. 34–39) ----------

/// Two logit vectors f, f' ∈ ℝ^K, γ > 0 and the label y (searched, coordinate 2K + 1).
fn pair(x: &[f64]) -> (Vec<f64>, Vec<f64>, f64, usize) {
    let y = class_index(x[2 * K + 1], K);
    (x[..K].to_vec(), x[K..2 * K].to_vec(), pos(x[2 * K]), y)
}

fn psi_diff(f: &[f64], g: &[f64], gam: f64, y: usize) -> f64 {
    ((margin(f, y) - margin(g, y)) / gam).abs()
}

fn describe_pair(x: &[f64]) -> String {
    let (f, g, gam, y) = pair(x);
    format!("f={}, f'={}, y={y}, γ={gam:.4}", show(&f), show(&g))
}

/// The competitors of label `y`.
fn others(y: usize) -> impl Iterator<Item = usize> {
    (0..K).filter(move |&k| k != y)
}

fn diffs(f: &[f64], g: &[f64]) -> Vec<f64> {
    f.iter().zip(g).map(|(a, b)| a - b).collect()
}

fn pointwise(
    b: Budget,
    seed: u64,
    printed: super::engine::FormFn<'_>,
    alt: Option<Alt<'_>>,
    seeds: Vec<Vec<f64>>,
    note: &str,
) -> Evidence {
    assess(
        Searched::new(2 * K + 2, Relation::Le, printed, b, seed)
            .describe(&describe_pair)
            .starts(seeds)
            .alt(alt)
            .note(note),
    )
}

/// Eq. 35 as printed: (|Ψ(f) − Ψ(f')|, |max_{y'≠y} (d_y − d_{y'})|/γ) with d = f − f'.
fn eq35_printed(x: &[f64]) -> (f64, f64) {
    let (f, g, gam, y) = pair(x);
    let d = diffs(&f, &g);
    let m = others(y)
        .map(|k| d[y] - d[k])
        .fold(f64::NEG_INFINITY, f64::max);
    (psi_diff(&f, &g, gam, y), m.abs() / gam)
}

/// Eq. 35 with the absolute value inside the max.
fn eq35_corrected(x: &[f64]) -> (f64, f64) {
    let (f, g, gam, y) = pair(x);
    let d = diffs(&f, &g);
    let m = others(y).map(|k| (d[y] - d[k]).abs()).fold(0.0, f64::max);
    (psi_diff(&f, &g, gam, y), m / gam)
}

fn eq35(b: Budget) -> Evidence {
    pointwise(
        b,
        31,
        &eq35_printed,
        Some(Alt {
            role: AltRole::Repair(RepairBasis::PaperDerivation("Eq. 34 and Eq. 36, between which the step sits")),
            relation: Relation::Le,
            form: &eq35_corrected,
            statement: "|Ψ_i(f) − Ψ_i(f')| ≤ (1/γ_{y_i}) max_{y'≠y_i} |(f_{y_i} − f'_{y_i}) − (f_{y'} − f'_{y'})| (absolute value inside the max); Eq. 39 bounds one direction only",
            sharp: false,
        }),
        vec![vec![0.0, 5.0, 0.0, 0.0, 0.0, 0.0, 0.0, -5.0]],
        "Eq. 36 still follows from the corrected step, so Lemma 1 is unaffected.",
    )
}

fn eq36(b: Budget) -> Evidence {
    let printed = |x: &[f64]| {
        let (f, g, gam, y) = pair(x);
        let m = diffs(&f, &g).iter().fold(0.0_f64, |a, v| a.max(v.abs()));
        (psi_diff(&f, &g, gam, y), 2.0 * m / gam)
    };
    pointwise(
        b,
        32,
        &printed,
        None,
        vec![],
        "Attained by d = (1, −1, …, −1).",
    )
}

fn eq37(b: Budget) -> Evidence {
    let printed = |x: &[f64]| {
        let (f, g, _, _) = pair(x);
        let d = diffs(&f, &g);
        (
            d.iter().fold(0.0_f64, |a, v| a.max(v.abs())),
            d.iter().map(|v| v.abs()).sum(),
        )
    };
    pointwise(b, 33, &printed, None, vec![], "Attained by one-hot d.")
}

fn eq38(b: Budget) -> Evidence {
    let printed = |x: &[f64]| {
        let (f, g, _, _) = pair(x);
        let d = diffs(&f, &g);
        (lp_norm(&d, 1.0), (K as f64).sqrt() * lp_norm(&d, 2.0))
    };
    pointwise(b, 34, &printed, None, vec![], "Attained by constant |d_y|.")
}

/// Eq. 39's sides shifted by a common c = 1 + |max a| + |max b| + |max(a − b)| (over y' ≠ y), so
/// the ratio is informative for negative values.
fn eq39_sides(x: &[f64]) -> (f64, f64) {
    let (a, bb, _, y) = pair(x);
    let ma = others(y).map(|k| a[k]).fold(f64::NEG_INFINITY, f64::max);
    let mb = others(y).map(|k| bb[k]).fold(f64::NEG_INFINITY, f64::max);
    let md = others(y)
        .map(|k| a[k] - bb[k])
        .fold(f64::NEG_INFINITY, f64::max);
    let c = 1.0 + ma.abs() + mb.abs() + md.abs();
    (ma - mb + c, md + c)
}

fn eq39(b: Budget) -> Evidence {
    pointwise(b, 35, &eq39_sides, None, vec![], "Checked as (lhs + c)/(rhs + c) with a common positive shift c; equality when b's maximiser is a's.")
}

fn psi_lipschitz(b: Budget) -> Evidence {
    let printed = |x: &[f64]| {
        let (f, g, gam, y) = pair(x);
        (
            psi_diff(&f, &g, gam, y),
            2.0 * (K as f64).sqrt() * lp_norm(&diffs(&f, &g), 2.0) / gam,
        )
    };
    let tighter = |x: &[f64]| {
        let (f, g, gam, y) = pair(x);
        (
            psi_diff(&f, &g, gam, y),
            2f64.sqrt() * lp_norm(&diffs(&f, &g), 2.0) / gam,
        )
    };
    pointwise(
        b,
        36,
        &printed,
        Some(Alt {
            role: AltRole::Tighter,
            relation: Relation::Le,
            form: &tighter,
            statement: "Ψ_i is (√2/γ_{y_i})-Lipschitz in ℓ₂ (|d_y − t| ≤ max_{y'}|d_y − d_{y'}| ≤ √2‖d‖₂), independent of K; with it the vector contraction gives 2R̂^γ_D(F) in Eq. 40 and Lemma 1's constant becomes 4 instead of 4√(2K)",
            sharp: true,
        }),
        vec![vec![1.0, -1.0, -5.0, 0.0, 0.0, -5.0, 0.0, -5.0]],
        "",
    )
}

fn phi_lipschitz(b: Budget) -> Evidence {
    let f = |x: &[f64]| {
        let g = pos(x[2]);
        (
            (ramp(x[0], g) - ramp(x[1], g)).abs(),
            (x[0] - x[1]).abs() / g,
        )
    };
    assess(
        Searched::new(3, Relation::Le, &f, b, 37)
            .describe(&|x| format!("u={:.4}, v={:.4}, γ={:.4}", x[0], x[1], pos(x[2])))
            .note("Attained for u, v inside [0, γ]."),
    )
}

// ---------- finite function classes (Eq. 30–40) ----------

const N_FC: usize = 3;
const M_FC: usize = 3;

/// Decode a finite class of M_FC score matrices (N_FC × K), labels 0,1,2 and γ ∈ ℝ^K_+.
fn finite_class(x: &[f64]) -> (Vec<Vec<Vec<f64>>>, Vec<usize>, Vec<f64>) {
    let mut it = x.iter();
    let class = (0..M_FC)
        .map(|_| {
            (0..N_FC)
                .map(|_| (0..K).map(|_| *it.next().expect("dim")).collect())
                .collect()
        })
        .collect();
    let gam = (0..K).map(|_| pos(*it.next().expect("dim"))).collect();
    (class, (0..N_FC).map(|i| i % K).collect(), gam)
}

fn describe_class(x: &[f64]) -> String {
    let (c, y, g) = finite_class(x);
    let hs: Vec<String> = c
        .iter()
        .map(|h| {
            format!(
                "[{}]",
                h.iter().map(|r| show(r)).collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    format!(
        "class of {} score matrices {}, labels {:?}, γ={}",
        M_FC,
        hs.join(" | "),
        y,
        show(&g)
    )
}

const FC_DIM: usize = M_FC * N_FC * K + K;

fn eq32(b: Budget) -> Evidence {
    let f = |x: &[f64]| {
        let (c, y, g) = finite_class(x);
        (
            contraction::margin_loss_complexity(&c, &y, &g),
            contraction::scaled_margin_complexity(&c, &y, &g),
        )
    };
    assess(Searched::new(FC_DIM, Relation::Le, &f, b, 38).describe(&describe_class).scale(1.0).note("Exact enumeration of σ over finite classes. Equality when every margin lies in [0, γ] (Φ is affine there)."))
}

fn eq40(b: Budget) -> Evidence {
    let printed = |x: &[f64]| {
        let (c, y, g) = finite_class(x);
        (
            contraction::scaled_margin_complexity(&c, &y, &g),
            Lemma1Constant::Printed.value(K) / 2.0
                * contraction::gamma_margin_complexity_finite(&c, &y, &g),
        )
    };
    let tighter = |x: &[f64]| {
        let (c, y, g) = finite_class(x);
        (
            contraction::scaled_margin_complexity(&c, &y, &g),
            Lemma1Constant::Tight.value(K) / 2.0
                * contraction::gamma_margin_complexity_finite(&c, &y, &g),
        )
    };
    assess(Searched::new(FC_DIM, Relation::Le, &printed, b, 39).describe(&describe_class).scale(1.0).alt(Alt {
            role: AltRole::Tighter,
            relation: Relation::Le,
            form: &tighter,
            statement: "(1/N) E_σ sup_f Σ σ_i Ψ_i(f) ≤ 2 R̂^γ_D(F) (vector contraction with the exact Lipschitz constant √2/γ), so Lemma 1 holds with 4 R̂^γ_D(F)",
            sharp: true,
        }).note("Exact enumeration of σ (2^N) and ε (2^{NK}) over finite classes."))
}

// ---------- Monte Carlo checks of the high-probability statements (see `montecarlo`) ----------

/// Lemma 1 on the Gaussian mixture's linear heads, with the rich margin class (where the
/// complexity term is needed) attached.
fn lemma1(b: Budget) -> Evidence {
    let run = montecarlo::run(Statement::Lemma1, McSize::for_budget(b), 41);
    let mixture = montecarlo::evidence(&run, Statement::Lemma1, false);
    let rich = montecarlo::run_rich_margin(montecarlo::RichSize::for_lemma1(b), 11);
    montecarlo::attach(
        mixture,
        montecarlo::lemma1_rich_evidence(&rich),
        "Gaussian mixture",
    )
}

/// Eq. 27 on the finite class, with the rich class (where every term of the bound is needed)
/// attached.
fn eq27(b: Budget) -> Evidence {
    let finite = montecarlo::eq27_evidence(&montecarlo::run_eq27(b, 400, 42), false);
    let rich = montecarlo::run_rich(montecarlo::RichSize::for_budget(b), 27);
    montecarlo::with_rich(finite, &rich)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// f from coordinates 0..K, f' from K..2K, γ = e^{x_{2K}}, the label from x_{2K+1}
    /// (squash(·, 0, K) floored, capped at K − 1).
    #[test]
    fn pair_reads_its_own_coordinates() {
        let mut x = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 2f64.ln(), 0.0];
        let (f, g, gam, y) = pair(&x);
        assert_eq!((f, g, y), (vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0], 1));
        assert!((gam - 2.0).abs() < 1e-15, "{gam}");
        x[2 * K + 1] = 50.0;
        assert_eq!(pair(&x).3, K - 1);
        x[2 * K + 1] = -50.0;
        assert_eq!(pair(&x).3, 0);
    }

    /// M score matrices of N × K, row by row, then γ = e^x; the labels are 0, 1, 2 (every
    /// class once).
    #[test]
    fn finite_class_decodes_in_order() {
        let x: Vec<f64> = (0..FC_DIM).map(|i| i as f64 / 10.0).collect();
        let (c, y, g) = finite_class(&x);
        assert_eq!((c.len(), c[0].len(), c[0][0].len()), (M_FC, N_FC, K));
        assert_eq!(c[0][0], vec![0.0, 0.1, 0.2]);
        assert_eq!(c[1][2], vec![1.5, 1.6, 1.7]);
        assert_eq!(c[2][2], vec![2.4, 2.5, 2.6]);
        assert_eq!(y, vec![0, 1, 2]);
        assert_eq!(g, vec![2.7f64.exp(), 2.8f64.exp(), 2.9f64.exp()]);
    }

    /// f = (3, 0, 1), f' = (0, 1, 1), y = 1, γ = 2: d = (3, −1, 0), Ψ(f) = −3, Ψ(f') = 0.
    const X: [f64; 8] = [3.0, 0.0, 1.0, 0.0, 1.0, 1.0, std::f64::consts::LN_2, 0.0];

    /// Printed: |max(−4, −1)|/2 = 0.5 < 1.5 (the typo); corrected: max(4, 1)/2 = 2.
    #[test]
    fn eq35_forms_by_hand() {
        let (l, r) = eq35_printed(&X);
        assert!(
            (l - 1.5).abs() < 1e-12 && (r - 0.5).abs() < 1e-12,
            "{l} {r}"
        );
        let (l, r) = eq35_corrected(&X);
        assert!(
            (l - 1.5).abs() < 1e-12 && (r - 2.0).abs() < 1e-12,
            "{l} {r}"
        );
    }

    /// a = (3, 0, 1), b = (0, 1, 1), y = 1: max a = 3, max b = 1, max(a − b) = 3, c = 8.
    #[test]
    fn eq39_sides_by_hand() {
        assert_eq!(eq39_sides(&X), (10.0, 11.0));
    }
}
