//! Absolute values of every function of `theory`, computed by hand on inputs small enough to do
//! so (each derivation is in the comment next to it), and fast implementations against their
//! brute-force twins. The claim checks compare quantities with each other; these tests pin each
//! quantity itself, so a normalisation that cancels in a comparison (a 1/N on both sides, a
//! swapped index) still fails here.

use mr2_core::theory::bounds::{
    confidence_term, lemma1_terms, per_class_terms, prop1_bound, prop1_terms, Lemma1Constant,
    PerClassConstant, Sample,
};
use mr2_core::theory::rademacher::{
    b8_corrected, b8_printed, class_complexity, expected_norm, expected_norm_exact,
    gamma_margin_complexity, gamma_margin_complexity_bruteforce, lemma2_corrected, lemma2_general,
    lemma2_printed, prop2_bound, prop2_constant_corrected, prop2_constant_printed, prop2_shape,
    Method, Prop2Constant,
};
use mr2_core::theory::{
    conjugate, contraction, gamma, khintchine, lp_norm, lse, margin, moments, objective,
};
use mr2_core::tolerance::{IDENTITY, MC_Z};
use ndarray::array;
use std::f64::consts::{E, LN_2, PI};

fn close(got: f64, want: f64, what: &str) {
    assert!(
        IDENTITY.close(got, want),
        "{what}: {got} vs hand value {want}"
    );
}

#[test]
fn logsumexp_and_representation_margin() {
    close(
        lse::logsumexp(&[0.0, 3f64.ln()]),
        4f64.ln(),
        "ln(e⁰ + e^{ln 3}) = ln 4",
    );
    close(lse::logsumexp(&[5.0, 5.0]), 5.0 + LN_2, "5 + ln 2");
    assert_eq!(lse::logsumexp(&[]), f64::NEG_INFINITY);
    // ℓ_s̄ = ln(1 + e^{1 − 2·0.25}).
    close(
        lse::rep_margin_loss(&[1.0], 0.25),
        (1.0 + 0.5f64.exp()).ln(),
        "ℓ_s̄",
    );
    close(lse::rep_margin_loss(&[], 0.25), 0.0, "no positives");
    // Hinge: max(0, 1 − 2, 3 − 2) = 1.
    close(lse::rep_margin_hinge(&[1.0, 3.0], 1.0), 1.0, "hinge");
    close(lse::rep_margin_hinge(&[0.5], 1.0), 0.0, "hinge at 0");
    close(lse::sq_dist(&[0.0, 0.0], &[3.0, 4.0]), 25.0, "‖(3, 4)‖²");
    // (0,0), (3,4) in class 0, (1,1) alone in class 1; s̄ = 12: ln(1 + e^{25 − 24}), 0.
    let l = lse::rep_margin_losses(
        &[vec![0.0, 0.0], vec![1.0, 1.0], vec![3.0, 4.0]],
        &[0, 1, 0],
        12.0,
    );
    close(l[0], (1.0 + E).ln(), "sample 0");
    close(l[1], 0.0, "singleton");
    close(l[2], (1.0 + E).ln(), "sample 2");
}

#[test]
fn margins_and_margin_losses() {
    let z = [3.0, 1.0, 2.0];
    close(margin::margin(&z, 0), 1.0, "3 − max(1, 2)");
    close(margin::margin(&z, 1), -2.0, "1 − max(3, 2)");
    close(margin::margin(&z, 2), -1.0, "2 − max(3, 1)");
    close(margin::ramp(0.5, 2.0), 0.75, "Φ_2(0.5) = 1 − 0.25");
    close(margin::ramp(-1.0, 2.0), 1.0, "Φ below 0");
    close(margin::ramp(3.0, 2.0), 0.0, "Φ above γ");
    close(margin::gamma_margin_loss(&z, 0, 4.0), 0.75, "Φ_4(1)");
    close(
        margin::gamma_margin_loss(&z, 2, 4.0),
        1.0,
        "negative margin",
    );
    close(margin::zero_one(&z, 0), 0.0, "correct");
    close(
        margin::zero_one(&[3.0, 3.0, 1.0], 0),
        1.0,
        "a tie is an error",
    );
    // −ln softmax((2, 0)/2)₀ = ln(1 + e^{−1}); the pairwise form gives the same.
    close(
        margin::gamma_ce_softmax(&[2.0, 0.0], 0, 2.0),
        (1.0 + (-1.0f64).exp()).ln(),
        "Eq. 1",
    );
    close(
        margin::gamma_ce_pairwise(&[2.0, 0.0], 0, 2.0),
        (1.0 + (-1.0f64).exp()).ln(),
        "Eq. 5",
    );
    close(
        margin::gamma_ce_pairwise(&[0.0, 2.0, 1.0], 1, 0.5),
        (1.0 + (-4.0f64).exp() + (-2.0f64).exp()).ln(),
        "Eq. 5, y = 1",
    );
    close(
        margin::cross_entropy(&[0.0, 0.0, 0.0], 1),
        3f64.ln(),
        "uniform CE",
    );
    close(margin::cross_entropy(&[1.0, 0.0], 1), (1.0 + E).ln(), "CE");
    close(margin::softplus(0.0), LN_2, "softplus(0)");
    close(margin::softplus(1000.0), 1000.0, "softplus, large");
    close(
        margin::softplus(-1.0),
        (1.0 + (-1.0f64).exp()).ln(),
        "softplus(−1)",
    );
    close(margin::lemma4_rhs(0.0, 3.0), 1.0, "log₂ 2");
    close(
        margin::lemma4_rhs(3.0 * 3f64.ln(), 3.0),
        (4.0f64 / 3.0).log2(),
        "log₂(1 + 1/3)",
    );
    // P = (3/4, 1/4): 3/4 − 1/4.
    close(
        margin::output_margin(&[3f64.ln(), 0.0], 0),
        0.5,
        "output margin",
    );
    close(
        margin::output_margin(&[3f64.ln(), 0.0], 1),
        -0.5,
        "output margin, y = 1",
    );
}

#[test]
fn norms_and_conjugates() {
    let v = [3.0, -4.0];
    close(lp_norm(&v, 1.0), 7.0, "ℓ1");
    close(lp_norm(&v, 2.0), 5.0, "ℓ2");
    close(lp_norm(&v, f64::INFINITY), 4.0, "ℓ∞");
    close(lp_norm(&v, 3.0), 91f64.cbrt(), "ℓ3");
    close(lp_norm(&[0.0, 0.0], 3.0), 0.0, "ℓ3 of 0");
    close(conjugate(2.0), 2.0, "2 ↔ 2");
    close(conjugate(3.0), 1.5, "3 ↔ 3/2");
    assert_eq!(conjugate(1.0), f64::INFINITY);
    close(conjugate(f64::INFINITY), 1.0, "∞ ↔ 1");
}

#[test]
fn class_moments_ema_and_pairwise_distances() {
    // φ = (3, 4) alone in class 1: r²_{k,p} = ‖φ‖_p² = 49, 25, 16 for p = 1, 2, ∞.
    let f = array![[0.0, 0.0], [2.0, 0.0], [3.0, 4.0]];
    let y = [0, 0, 1];
    for (p, want) in [(1.0, 49.0), (2.0, 25.0), (f64::INFINITY, 16.0)] {
        let s = moments::class_moments(f.view(), &y, 3, p).unwrap();
        let c1 = s[1].as_ref().unwrap();
        close(c1.r2_p, want, "r²_{1,p}");
        close(c1.mean_sq_norm, 25.0, "‖μ̂₁‖²");
        close(c1.msd, 0.0, "one sample: ‖ŝ‖² = 0");
        assert!(s[2].is_none(), "class 2 is absent");
        // Class 0: (0,0), (2,0): μ̂ = (1, 0), ‖ŝ‖² = (1 + 1)/2, α = 2; r²_{0,p} = (0 + 4)/2.
        let c0 = s[0].as_ref().unwrap();
        assert_eq!(c0.n, 2);
        close(c0.mean_sq_norm, 1.0, "‖μ̂₀‖²");
        close(c0.msd, 1.0, "‖ŝ₀‖²");
        close(c0.alpha(), 2.0, "α₀");
        close(c0.r2_p, 2.0, "r²_{0,p}");
        close(
            c1.margin_energy(p),
            if p == 2.0 { 25.0 } else { want },
            "energy for γ",
        );
    }
    close(
        moments::s_bar(&[Some(1.0), None, Some(3.0)]),
        2.0,
        "s̄ over seen classes",
    );
    close(moments::s_bar(&[None, None]), 0.0, "s̄ before any");
    let mut e = moments::Ema::new(2, 0.9).unwrap();
    e.update(1, 10.0);
    close(e.values[1].unwrap(), 10.0, "first observation");
    e.update(1, 0.0);
    close(e.values[1].unwrap(), 9.0, "0.9·10 + 0.1·0");
    e.update(1, 20.0);
    close(e.values[1].unwrap(), 10.1, "0.9·9 + 0.1·20");
    assert!(e.values[0].is_none());
    // validate: what a checkpoint may hold — decay in [0, 1), values finite and ≥ 0.
    assert!(e.validate().is_ok());
    let with = |decay: f64, v: f64| moments::Ema {
        decay,
        values: vec![None, Some(v)],
    };
    assert!(
        with(0.0, 0.0).validate().is_ok(),
        "decay 0 and value 0 are allowed"
    );
    for (decay, v, why) in [
        (1.0, 1.0, "decay 1"),
        (-0.1, 1.0, "negative decay"),
        (f64::NAN, 1.0, "NaN decay"),
        (0.9, -1e-9, "negative value"),
        (0.9, f64::NAN, "NaN value"),
        (0.9, f64::INFINITY, "infinite value"),
    ] {
        assert!(with(decay, v).validate().is_err(), "{why} must be rejected");
    }
    let p = array![[0.0, 0.0], [2.0, 0.0]];
    close(
        moments::mean_pairwise_sq_dist_distinct(p.view()).unwrap(),
        4.0,
        "distinct pairs",
    );
    close(
        moments::mean_pairwise_sq_dist_all(p.view()).unwrap(),
        2.0,
        "all ordered pairs",
    );
    close(moments::msd(p.view()), 1.0, "‖ŝ‖²");
}

#[test]
fn margins_gamma_and_the_lagrangian() {
    // α = (1, 8, 27): cube roots (1, 2, 3), sum 6; γ = c̄K·α^{1/3}/6 = (1, 2, 3) for c̄ = 2.
    let a = [1.0, 8.0, 27.0];
    let g = gamma::optimal_gamma(&a, 2.0).unwrap();
    for (x, w) in g.iter().zip([1.0, 2.0, 3.0]) {
        close(*x, w, "γ");
    }
    assert_eq!(gamma::uniform_gamma(3, 2.0).unwrap(), vec![2.0; 3]);
    close(
        gamma::complexity_objective(&a, &[1.0, 2.0, 3.0]),
        6.0,
        "1 + 8/4 + 27/9",
    );
    let gv = gamma::gamma_from_multiplier(&a, 2.0);
    for (x, w) in gv.iter().zip([1.0, 2.0, 3.0]) {
        close(*x, w, "(2α/v)^{1/3} at v = 2");
    }
    // Corrected: v^{1/3} = 2^{1/3}·6/6 → v = 2; printed: ((2·36)^{1/3}/6)³ = 72/216.
    close(gamma::multiplier_corrected(&a, 2.0), 2.0, "v corrected");
    close(gamma::multiplier_printed(&a, 2.0), 1.0 / 3.0, "v printed");
}

#[test]
fn khintchine_constants() {
    close(khintchine::gaussian_abs_moment(2.0), 1.0, "E g²");
    close(khintchine::gaussian_abs_moment(4.0), 3.0, "E g⁴");
    close(
        khintchine::gaussian_abs_moment(1.0),
        (2.0 / PI).sqrt(),
        "E|g|",
    );
    close(khintchine::paper_constant(1.5), 1.0, "C(p ≤ 2)");
    close(khintchine::paper_constant(4.0), 3.0, "C(4) = E g⁴");
    close(
        khintchine::haagerup_upper(4.0),
        3f64.powf(0.25),
        "B_4 = 3^{1/4}",
    );
    close(khintchine::haagerup_upper(2.0), 1.0, "B_2");
    close(
        khintchine::rademacher_moment_exact(&[1.0, 1.0], 2.0).unwrap(),
        2f64.sqrt(),
        "√E(ε₁+ε₂)²",
    );
    close(
        khintchine::rademacher_moment_exact(&[1.0, 1.0], 1.0).unwrap(),
        1.0,
        "E|ε₁+ε₂|",
    );
    close(
        khintchine::rademacher_moment_exact(&[3.0, 4.0], 2.0).unwrap(),
        5.0,
        "L2 = ‖a‖₂",
    );
}

#[test]
fn rademacher_averages_of_finite_and_linear_classes() {
    // G = {(1, 0), (0, 1)} on N = 2: E max(σ₁, σ₂) = (1 + 1 + 1 − 1)/4 = 1/2, divided by N.
    close(
        contraction::rademacher_finite(&[vec![1.0, 0.0], vec![0.0, 1.0]]),
        0.25,
        "two-point class",
    );
    close(
        contraction::rademacher_finite(&[vec![1.0, 1.0]]),
        0.0,
        "one function: E Σσ = 0",
    );
    // Two hypotheses on one sample (label 0, γ₀ = 4): scores (2, 0) and (0, 2); margins ±2.
    let class = vec![vec![vec![2.0, 0.0]], vec![vec![0.0, 2.0]]];
    // Losses Φ₄(2) = 1/2, Φ₄(−2) = 1: E max(σ/2, σ) = (1 − 1/2)/2.
    close(
        contraction::margin_loss_complexity(&class, &[0], &[4.0, 1.0]),
        0.25,
        "Eq. 30",
    );
    // Ψ = margin/γ = ±1/2: E max(σ/2, −σ/2) = 1/2.
    close(
        contraction::scaled_margin_complexity(&class, &[0], &[4.0, 1.0]),
        0.5,
        "Eq. 32",
    );
    // Def. 2: E max(ε₁/2, ε₂/2) = (1/2 + 1/2 + 1/2 − 1/2)/4.
    close(
        contraction::gamma_margin_complexity_finite(&class, &[0], &[4.0, 1.0]),
        0.25,
        "Def. 2, finite",
    );
    // E‖ε₁e₁ + ε₂e₂‖_p = ‖(1, 1)‖_p.
    let e = array![[1.0, 0.0], [0.0, 1.0]];
    close(
        expected_norm_exact(e.view(), 2.0).unwrap(),
        2f64.sqrt(),
        "E‖ε‖₂",
    );
    close(expected_norm_exact(e.view(), 1.0).unwrap(), 2.0, "E‖ε‖₁");
    close(
        expected_norm_exact(e.view(), f64::INFINITY).unwrap(),
        1.0,
        "E‖ε‖∞",
    );
    // E|3ε₁ + 4ε₂| = (7 + 1 + 1 + 7)/4.
    let c = array![[3.0, 0.0], [4.0, 0.0]];
    close(
        expected_norm_exact(c.view(), 2.0).unwrap(),
        4.0,
        "E|3ε₁ + 4ε₂|",
    );
    // Def. 2 on features e₁, e₂ with labels (0, 1), γ = (1, 2), Λ = 1: rows e₁, e₂/2,
    // (KΛ/N)·E‖(ε₁, ε₂/2)‖ = 1·√(1 + 1/4).
    let want = 1.25f64.sqrt();
    close(
        gamma_margin_complexity(e.view(), &[0, 1], &[1.0, 2.0], 1.0, 2.0, Method::Exact)
            .unwrap()
            .mean,
        want,
        "Def. 2, linear class",
    );
    close(
        gamma_margin_complexity_bruteforce(e.view(), &[0, 1], &[1.0, 2.0], 1.0, 2.0).unwrap(),
        want,
        "Def. 2, all 2^{NK} sign matrices",
    );
    // Per-class complexity (B.8): (Λ/N_k)·E‖Σ ε_i v_i‖ = (2/2)·4.
    close(
        class_complexity(c.view(), 2.0, 2.0, Method::Exact)
            .unwrap()
            .mean,
        4.0,
        "R̂_k",
    );
    // Sampled: Λ/N_k scales the mean and the standard error alike.
    let mc = Method::MonteCarlo {
        samples: 200,
        seed: 5,
    };
    let got = class_complexity(c.view(), 2.0, 2.0, mc).unwrap();
    let raw = expected_norm(c.view(), 2.0, mc).unwrap();
    close(got.mean, raw.mean, "(2/2)·mean");
    let wide = class_complexity(c.view(), 3.0, 2.0, mc).unwrap();
    close(wide.se, 1.5 * raw.se, "(Λ/N_k)·se with Λ = 3, N_k = 2");
    assert!(raw.se > 0.0);
}

#[test]
fn monte_carlo_rademacher_average_matches_enumeration() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    // By hand: the two-point class {(1, 1), (−1, −1)} gives E|σ₁ + σ₂|/2 = (2 + 0 + 0 + 2)/4/2.
    let two = [vec![1.0, 1.0], vec![-1.0, -1.0]];
    close(contraction::rademacher_finite(&two), 0.5, "E|σ₁ + σ₂|/N");
    let draws = 20_000;
    for case in 0..6 {
        let class: Vec<Vec<f64>> = if case == 0 {
            two.to_vec()
        } else {
            let n = rng.random_range(2..10);
            (0..rng.random_range(1..5))
                .map(|_| (0..n).map(|_| rng.random_range(-2.0..3.0)).collect())
                .collect()
        };
        let n = class[0].len() as f64;
        // One draw is max_h σ·v_h / N; its variance is at most E max_h (σ·v_h)²/N² ≤ Σ_h ‖v_h‖²/N².
        let var: f64 = class.iter().flatten().map(|v| v * v).sum::<f64>() / (n * n);
        let se = (var / draws as f64).sqrt();
        let exact = contraction::rademacher_finite(&class);
        let mc = contraction::rademacher_finite_mc(&class, draws, &mut rng);
        assert!(
            (mc - exact).abs() <= MC_Z * se,
            "case {case}: Monte Carlo {mc} vs enumeration {exact} (se ≤ {se})"
        );
    }
}

#[test]
fn monte_carlo_standard_error_by_hand() {
    use mr2_core::theory::rademacher::expected_norm_mc;
    // v₁ = v₂ = 1 (d = 1): ‖ε₁ + ε₂‖ is 0 or 2. With three draws and k of them equal to 2 the
    // mean is 2k/3 and the unbiased variance Σ(v − m)²/(3 − 1), so se = √(var/3).
    let v = array![[1.0], [1.0]];
    let mut mixed = 0;
    for seed in 0..20 {
        let e = expected_norm_mc(v.view(), 2.0, 3, seed).unwrap();
        let k = (1.5 * e.mean).round();
        close(e.mean, 2.0 * k / 3.0, "mean of three draws in {0, 2}");
        let var = (k * (2.0 - e.mean).powi(2) + (3.0 - k) * e.mean.powi(2)) / 2.0;
        close(e.se, (var / 3.0).sqrt(), "se with Bessel's correction");
        mixed += usize::from(k > 0.0 && k < 3.0);
    }
    assert!(mixed > 0, "some seed draws both values");
    // At least two draws: one is an error, two is fine.
    assert!(expected_norm_mc(v.view(), 2.0, 1, 0).is_err());
    assert!(expected_norm_mc(v.view(), 2.0, 2, 0).is_ok());
}

#[test]
fn sample_mean_and_standard_error_by_hand() {
    use mr2_core::theory::Estimate;
    // [0, 2, 7]: mean 3, Σ(v − 3)² = 9 + 1 + 16 = 26, s² = 26/2 = 13, se = √(13/3).
    let e = Estimate::of_sample(&[0.0, 2.0, 7.0]);
    close(e.mean, 3.0, "mean");
    close(e.se, (13.0f64 / 3.0).sqrt(), "se with Bessel's correction");
    // A shifted sample has the same standard error.
    let e2 = Estimate::of_sample(&[10.0, 12.0, 17.0]);
    close(e2.mean, 13.0, "shifted mean");
    close(e2.se, e.se, "shift-invariant se");
}

#[test]
fn method_choice_scaling_and_input_checks_of_the_complexity() {
    use mr2_core::theory::rademacher::{expected_norm_mc, scaled_rows};
    let rows = |n: usize| ndarray::Array2::from_shape_fn((n, 2), |(i, j)| (i + 2 * j) as f64 - 1.5);
    // Auto enumerates up to 20 rows (se = 0) and samples beyond.
    let auto = Method::Auto {
        samples: 500,
        seed: 3,
    };
    let small = expected_norm(rows(3).view(), 2.0, auto).unwrap();
    assert_eq!(small.se, 0.0, "3 rows: enumerated");
    close(
        small.mean,
        expected_norm_exact(rows(3).view(), 2.0).unwrap(),
        "Auto = exact",
    );
    assert!(
        expected_norm(rows(21).view(), 2.0, auto).unwrap().se > 0.0,
        "21 rows: sampled"
    );
    // Def. 2's scale KΛ/N multiplies the Monte Carlo standard error too.
    let f = rows(4);
    let (y, g) = ([0, 1, 1, 0], [0.5, 2.0]);
    let got = gamma_margin_complexity(
        f.view(),
        &y,
        &g,
        1.5,
        2.0,
        Method::MonteCarlo {
            samples: 300,
            seed: 9,
        },
    )
    .unwrap();
    let v = scaled_rows(f.view(), &y, &g).unwrap();
    let raw = expected_norm_mc(v.view(), 2.0, 300, 9).unwrap();
    let c = 2.0 * 1.5 / 4.0;
    close(got.mean, c * raw.mean, "KΛ/N · mean");
    close(got.se, c * raw.se, "KΛ/N · se");
    // Λ must be finite and ≥ 0 (Λ = 0 is the zero class, complexity 0).
    let exact = |lam: f64| gamma_margin_complexity(f.view(), &y, &g, lam, 2.0, Method::Exact);
    close(exact(0.0).unwrap().mean, 0.0, "Λ = 0");
    for bad in [-1.0, f64::INFINITY, f64::NAN] {
        assert!(exact(bad).is_err(), "Λ = {bad} accepted");
        assert!(class_complexity(f.view(), bad, 2.0, Method::Exact).is_err());
    }
    // Margins must be finite and positive; every other value is named in the error.
    for bad in [0.0, -1.0, f64::INFINITY, f64::NAN] {
        assert!(
            scaled_rows(f.view(), &y, &[bad, 1.0]).is_err(),
            "γ = {bad} accepted"
        );
    }
    // The literal Def. 2 enumerates N·K signs: 9 samples × 3 classes = 27 > 24 is refused
    // (N + K = 12 would not be).
    let nine = ndarray::Array2::<f64>::zeros((9, 1));
    match gamma_margin_complexity_bruteforce(nine.view(), &[0; 9], &[1.0; 3], 1.0, 2.0) {
        Err(mr2_core::Error::TooLarge { n, .. }) => assert_eq!(n, 27),
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

#[test]
fn fast_implementations_agree_with_their_brute_force_twins() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
    for _ in 0..20 {
        let n = rng.random_range(1..6);
        let d = rng.random_range(1..4);
        let k = rng.random_range(2..4);
        let f = ndarray::Array2::from_shape_fn((n, d), |_| rng.random_range(-2.0..2.0));
        let y: Vec<usize> = (0..n).map(|_| rng.random_range(0..k)).collect();
        let g: Vec<f64> = (0..k).map(|_| rng.random_range(0.3..3.0)).collect();
        let p = [1.0, 2.0, 3.0, f64::INFINITY][rng.random_range(0..4)];
        let fast = gamma_margin_complexity(f.view(), &y, &g, 1.7, p, Method::Exact)
            .unwrap()
            .mean;
        if n * k <= 12 {
            let slow = gamma_margin_complexity_bruteforce(f.view(), &y, &g, 1.7, p).unwrap();
            close(
                fast,
                slow,
                "Def. 2: N signs (symmetry, Gray code) vs N·K signs",
            );
        }
        // Monte Carlo within its standard error of the exact value.
        let mc = expected_norm(
            f.view(),
            p,
            Method::MonteCarlo {
                samples: 4000,
                seed: 1,
            },
        )
        .unwrap();
        let ex = expected_norm_exact(f.view(), p).unwrap();
        assert!(
            (mc.mean - ex).abs() <= MC_Z * mc.se + IDENTITY.abs,
            "MC {} ± {} vs exact {ex}",
            mc.mean,
            mc.se
        );
        // Exact Rademacher moments against the enumeration inside expected_norm_exact (d = 1).
        let a: Vec<f64> = (0..n).map(|_| rng.random_range(-2.0..2.0)).collect();
        let col = ndarray::Array2::from_shape_vec((n, 1), a.clone()).unwrap();
        close(
            khintchine::rademacher_moment_exact(&a, 1.0).unwrap(),
            expected_norm_exact(col.view(), 1.0).unwrap(),
            "E|Σ a_i ε_i| two ways",
        );
    }
}

#[test]
fn bounds_by_their_terms() {
    // α = (4, 9), γ = 1, N = 2, Λ = 1, K = 2: S = 13; printed √((2/2)·√13) = 13^{1/4}.
    close(
        lemma2_printed(&[4.0, 9.0], &[1.0, 1.0], 2, 1.0),
        13f64.powf(0.25),
        "Lemma 2 printed",
    );
    close(
        lemma2_corrected(&[4.0, 9.0], &[1.0, 1.0], 2, 1.0),
        13f64.sqrt(),
        "Lemma 2 corrected",
    );
    close(
        lemma2_corrected(&[4.0, 9.0], &[2.0, 1.0], 8, 3.0),
        3.0 * 0.5 * 10f64.sqrt(),
        "Λ√(K/N)√(4/4 + 9)",
    );
    // Eq. 50 with counts (1, 1): (KΛ/N)√(Σ N_k α_k/γ_k²) = 1·√13; counts (3, 1): (2/4)√(12 + 9).
    close(
        lemma2_general(&[1, 1], &[4.0, 9.0], &[1.0, 1.0], 1.0),
        13f64.sqrt(),
        "Eq. 50, balanced",
    );
    close(
        lemma2_general(&[3, 1], &[4.0, 9.0], &[1.0, 1.0], 1.0),
        0.5 * 21f64.sqrt(),
        "Eq. 50, unbalanced",
    );
    close(
        prop2_shape(&[4.0, 9.0], &[1.0, 1.0], 2, 1.0),
        13f64.sqrt(),
        "Prop. 2 shape",
    );
    close(
        prop2_constant_printed(f64::INFINITY, 4),
        (2.0 * 4f64.ln()).sqrt(),
        "√(2 log d)",
    );
    close(
        prop2_constant_corrected(f64::INFINITY, 4),
        (2.0 * 8f64.ln()).sqrt(),
        "√(2 log 2d)",
    );
    // The bound = constant × shape: C(4) = 3 printed, B_4 = 3^{1/4} corrected.
    close(
        prop2_bound(
            Prop2Constant::Printed,
            4.0,
            4,
            &[4.0, 9.0],
            &[1.0, 1.0],
            2,
            1.0,
        ),
        3.0 * 13f64.sqrt(),
        "Prop. 2 printed, p = 4",
    );
    close(
        prop2_bound(
            Prop2Constant::Corrected,
            4.0,
            4,
            &[4.0, 9.0],
            &[1.0, 1.0],
            2,
            1.0,
        ),
        3f64.powf(0.25) * 13f64.sqrt(),
        "Prop. 2 corrected, p = 4",
    );
    close(prop2_constant_printed(4.0, 4), 3.0, "C(4)");
    close(prop2_constant_corrected(4.0, 4), 3f64.powf(0.25), "B_4");
    close(
        prop2_constant_corrected(1.0, 4),
        2.0,
        "d^{1/p − 1/2} at p = 1, d = 4",
    );
    close(prop2_constant_corrected(2.0, 9), 1.0, "p = 2");
    // p = 4/3: 1/p − 1/2 = 1/4, so 16^{1/4} = 2 (p = 1 alone cannot tell 1/p from p).
    close(
        prop2_constant_corrected(4.0 / 3.0, 16),
        2.0,
        "d^{1/p − 1/2} at p = 4/3, d = 16",
    );
    close(b8_printed(9.0, 2.0), 6.0, "Λ√α");
    close(b8_corrected(9.0, 4, 2.0), 3.0, "Λ√(α/N_k)");
    // δ = 2/e² makes ln(2/δ) = 2: 3√(2/(2N)) = 0.3 at N = 100.
    let delta = 2.0 / E.powi(2);
    close(confidence_term(100, delta).unwrap(), 0.3, "confidence term");
    close(
        confidence_term(25, delta).unwrap(),
        0.6,
        "confidence term, N = 25",
    );
    assert!(
        confidence_term(0, 0.05).is_err()
            && confidence_term(10, 1.0).is_err()
            && confidence_term(10, 0.0).is_err()
    );
    close(Lemma1Constant::Printed.value(2), 8.0, "4√(2K), K = 2");
    close(Lemma1Constant::Tight.value(7), 4.0, "4");
    let t = lemma1_terms(
        0.1,
        0.5,
        Sample {
            n: 100,
            classes: 2,
            delta,
        },
        Lemma1Constant::Printed,
    )
    .unwrap();
    close(t.empirical, 0.1, "Lemma 1 empirical");
    close(t.complexity, 4.0, "8·0.5");
    close(t.confidence, 0.3, "conf");
    close(t.total(), 4.4, "Lemma 1 total");
    let t = prop1_terms(
        0.2 * LN_2,
        0.5,
        Sample {
            n: 100,
            classes: 2,
            delta,
        },
        Lemma1Constant::Tight,
    )
    .unwrap();
    close(t.empirical, 0.2, "R̂^{γ,ce}/ln 2");
    close(t.complexity, 2.0, "4·0.5");
    close(t.total(), 2.5, "Prop. 1 total");
    close(
        prop1_bound(
            0.2 * LN_2,
            &[4.0, 9.0],
            &[1.0, 1.0],
            1.0,
            Sample {
                n: 2,
                classes: 2,
                delta: 2.0 / E.powi(2),
            },
            Lemma1Constant::Tight,
        )
        .unwrap(),
        0.2 + 4.0 * 13f64.sqrt() + 3.0 * (2.0f64 / 4.0).sqrt(),
        "Prop. 1 with Lemma 2",
    );
    close(PerClassConstant::Printed.value(2.0, 3), 2.0, "4/γ_k");
    close(
        PerClassConstant::Derived.value(2.0, 3),
        6.0 * 6f64.sqrt(),
        "4√(2K)K/γ_k",
    );
    close(PerClassConstant::DerivedTight.value(2.0, 3), 6.0, "4K/γ_k");
    let t = per_class_terms(
        0.1 * LN_2,
        0.25,
        2.0,
        Sample {
            n: 100,
            classes: 3,
            delta,
        },
        PerClassConstant::DerivedTight,
    )
    .unwrap();
    close(t.empirical, 0.1, "Eq. 15 empirical");
    close(t.complexity, 1.5, "6·0.25");
    close(t.confidence, 0.3, "Eq. 15 confidence with N_k");
}

#[test]
fn the_mr2_objective_of_a_batch() {
    // Two samples of class 0 with equal logits (ℓ_γ,ce = ln 2 each) one unit apart, s̄ = 0.5:
    // ℓ_s̄ = ln(1 + e^{1 − 1}) = ln 2 each; λ = 0.5.
    let t = objective::mr2_batch(
        &[vec![0.0, 0.0], vec![0.0, 0.0]],
        &[vec![0.0], vec![1.0]],
        &[0, 0],
        &[1.0, 1.0],
        0.5,
        0.5,
    );
    close(t.gamma_ce, LN_2, "ℓ_γ,ce");
    close(t.rep, LN_2, "ℓ_s̄");
    close(t.total, 1.5 * LN_2, "Eq. 4");
    // γ divides the label's logits: (2, 0) with γ₀ = 2 → ln(1 + e^{−1}); class 1 singleton.
    let t = objective::mr2_batch(
        &[vec![2.0, 0.0], vec![0.0, 0.0]],
        &[vec![0.0], vec![5.0]],
        &[0, 1],
        &[2.0, 1.0],
        0.0,
        1.0,
    );
    close(
        t.gamma_ce,
        ((1.0 + (-1.0f64).exp()).ln() + LN_2) / 2.0,
        "per-label γ",
    );
    close(t.rep, 0.0, "no same-class pairs");
}
