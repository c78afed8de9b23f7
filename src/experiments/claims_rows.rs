//! The rows of README's claims table ([`super::claims`]): each paper claim, the grid and the
//! contrast that test it, and what is measured — data only, no logic.

/// What a row measures.
#[derive(Debug, Clone, Copy)]
pub(super) enum Measure {
    /// Overall and hard-third accuracy against the paper's claim stored with the contrast.
    Accuracy,
    /// Overall and hard-third accuracy against an explicit claim: the paper's Δ (overall,
    /// hard) and its subtracted row's accuracy (overall, hard), for the scaling.
    AccuracyAgainst([f64; 2], [f64; 2]),
    /// Table 4: the output-level margin and the classifier-level margin (°) against the
    /// paper's Δ (no scaling: the levels are of another, unstated dataset).
    Margins([f64; 2]),
    /// The easy third: the claim of no loss (Δ = 0).
    EasyThird,
    /// Eq. 2 as printed: a finding about that loss (training error and the overall Δ).
    Printed,
}

/// One row of the table.
pub(super) struct Row {
    pub(super) claim: &'static str,
    pub(super) setting: &'static str,
    pub(super) grid: &'static str,
    pub(super) contrast: &'static str,
    pub(super) measure: Measure,
}

/// The rows, in README order.
pub(super) const ROWS: &[Row] = &[
    Row {
        claim: "MR² improves accuracy, most on the hard classes (Table 1a)",
        setting: "Fashion-MNIST, CNN, 8 epochs; c̄ = 2, λ = 0.5, p = 2, the released code's ℓ_s̄",
        grid: "margins",
        contrast: "MR2 − ERM",
        measure: Measure::Accuracy,
    },
    Row {
        claim: "… in the released configuration",
        setting: "Fashion-MNIST, CNN; the released configuration",
        grid: "fidelity",
        contrast: "MR2 released − ERM",
        measure: Measure::Accuracy,
    },
    Row {
        claim: "… with Eq. 2 as printed",
        setting: "Fashion-MNIST, CNN; Eq. 2 as printed, c̄ = 2, λ = 0.5, p = 2",
        grid: "fidelity",
        contrast: "MR2 printed − ERM",
        measure: Measure::Printed,
    },
    Row {
        claim: "Table 14: with 10% of the data the hardest classes gain most",
        setting: "Fashion-MNIST 10%, CNN; as the first row",
        grid: "per-class",
        contrast: "MR2 − ERM",
        measure: Measure::Accuracy,
    },
    Row {
        claim: "Table 14 on CIFAR-10",
        setting: "CIFAR-10 (JPEG copy) 10%, ResNet-32, 100 epochs; the released configuration",
        grid: "per-class-cifar",
        contrast: "MR2 released − ERM",
        measure: Measure::Accuracy,
    },
    Row {
        claim: "Table 14 on CIFAR-10, Eq. 2 as printed",
        setting: "CIFAR-10 (JPEG copy) 10%, ResNet-32, 100 epochs; Eq. 2 as printed, c̄ = 2, λ = 0.5, p = 2",
        grid: "per-class-cifar",
        contrast: "MR2 − ERM",
        measure: Measure::Printed,
    },
    Row {
        claim: "Table 3 (c) − (a): ℓ_γ,ce alone helps",
        setting: "Fashion-MNIST, CNN",
        grid: "ablation",
        contrast: "(c) − (a)",
        measure: Measure::Accuracy,
    },
    Row {
        claim: "Table 3 (d) − (a): ℓ_s̄ with s̄ = 0",
        setting: "Fashion-MNIST, CNN",
        grid: "ablation",
        contrast: "(d) − (a)",
        measure: Measure::Accuracy,
    },
    Row {
        claim: "Table 3 (e) − (a): ℓ_s̄",
        setting: "Fashion-MNIST, CNN",
        grid: "ablation",
        contrast: "(e) − (a)",
        measure: Measure::Accuracy,
    },
    Row {
        claim: "Table 3 (f) − (a): MR²",
        setting: "Fashion-MNIST, CNN",
        grid: "ablation",
        contrast: "(f) − (a)",
        measure: Measure::Accuracy,
    },
    Row {
        claim: "Table 3 (c) − (a) on CIFAR-10",
        setting: "CIFAR-10 (JPEG copy) 10%, ResNet-32, 100 epochs; the released configuration",
        grid: "ablation-cifar-released",
        contrast: "(c) − (a)",
        measure: Measure::Accuracy,
    },
    Row {
        claim: "Table 3 (d) − (a) on CIFAR-10",
        setting: "as above",
        grid: "ablation-cifar-released",
        contrast: "(d) − (a)",
        measure: Measure::Accuracy,
    },
    Row {
        claim: "Table 3 (e) − (a) on CIFAR-10",
        setting: "as above",
        grid: "ablation-cifar-released",
        contrast: "(e) − (a)",
        measure: Measure::Accuracy,
    },
    Row {
        claim: "Table 3 (f) − (a) on CIFAR-10",
        setting: "as above",
        grid: "ablation-cifar-released",
        contrast: "(f) − (a)",
        measure: Measure::Accuracy,
    },
    Row {
        claim: "Table 4: larger output-level margin · classifier-level margin (°)",
        setting: "Fashion-MNIST, CNN; as the first row",
        grid: "margins",
        contrast: "MR2 − ERM",
        measure: Measure::Margins([0.215, 23.4]),
    },
    Row {
        claim: "Table 4 on CIFAR-10",
        setting: "CIFAR-10 (JPEG copy) 10%, ResNet-32; the released configuration",
        grid: "per-class-cifar",
        contrast: "MR2 released − ERM",
        measure: Measure::Margins([0.215, 23.4]),
    },
    Row {
        claim: "no easy-class trade-off: the easy third does not lose (§5)",
        setting: "Fashion-MNIST, CNN; as the first row",
        grid: "margins",
        contrast: "MR2 − ERM",
        measure: Measure::EasyThird,
    },
    Row {
        claim: "Table 7: LA + MR² beats LA under imbalance",
        setting: "Fashion-MNIST, ρ = 100, CNN; shift after ÷γ",
        grid: "imbalanced",
        contrast: "LA + MR2 − LA",
        measure: Measure::Accuracy,
    },
    Row {
        claim: "Table 7 on long-tailed CIFAR-10",
        setting: "CIFAR-10 (JPEG copy), ρ = 100, ResNet-32, 100-epoch LDAM schedule; the released configuration",
        grid: "long-tail-cifar-released",
        contrast: "LA + MR2 − LA",
        // Table 7 (CIFAR-100-IB-100): LA 41.9 / 15.6, LA + MR² 44.2 / 18.9.
        measure: Measure::AccuracyAgainst([2.3, 3.3], [41.9, 15.6]),
    },
];
