//! The experiments: their names, the grid each reuses, and the per-class differences each
//! report tabulates. What each trains under a preset is [`super::grids`].

/// The experiments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Experiment {
    /// Table 1: ERM, every baseline and MR²; overall / easy / medium / hard by ERM's thirds.
    Baselines,
    /// Table 3 rows (a)–(f): CE; ℓ_γ,ce with uniform γ; ℓ_γ,ce; CE + λℓ_s̄ with s̄ = 0;
    /// CE + λℓ_s̄; MR².
    Ablation,
    /// ERM against MR² as printed, MR² with the preset's `ℓ_s̄` and MR² as the authors'
    /// released code configures it ([`Variant`]), same seeds.
    Fidelity,
    /// Tables 8, 12, 13, Figs. 5–6: p, c̄ and λ (λ under both ℓ_s̄ scalings) one at a time.
    Sweep,
    /// Table 14: 10% of the training set, per-class accuracy ERM vs MR², sorted, with Δ.
    PerClass,
    /// Table 7: long-tailed training set (ρ = 100) with ERM, LA and LA + MR².
    Imbalanced,
    /// The long-tailed anchors (LDAM-DRW, Cao et al. 2019; MM, seed 004): ρ = 100, LDAM-DRW's
    /// schedule (step ×0.01 at 80% and 90% of training after a per-epoch warm-up, weight decay
    /// 2e-4, DRW from 80%), rows ERM, LDAM-DRW, LA, MM, MM-DRW, MR², LA + MR².
    LongTail,
    /// Fig. 7 / Fig. 1b: per-class spread ‖ŝ_y‖ of the easy / medium / hard thirds over
    /// training, ERM vs MR², on the synthetic mixture (a figure about the theory).
    Spread,
    /// Table 4: output-level margins (average and by ERM's easy / medium / hard thirds) and
    /// the classifier-level margin, ERM vs MR².
    Margins,
    /// Balestriero et al. (2022): weight decay and augmentation (crop padding) swept one at a
    /// time from none, for ERM and MR², on a 10% validation split; the strength with the best
    /// validation accuracy is picked and the per-class change it causes against none is
    /// reported with intervals — which classes the tuned regulariser sacrifices.
    RegularizationAudit,
    /// The per-class bound of `bounds` for every run of the baselines grid, against the
    /// per-class and the per-method test error (rank correlations). Trains the baselines grid
    /// where it is missing (in the baselines' directory) and computes bounds; not in
    /// [`Experiment::ALL`], which lists the training grids.
    BoundsVsError,
    /// What the JPEG copy of CIFAR-10 costs: ERM trained on the official pixels of the shared
    /// 4 000-image subset and on their JPEG-copy counterparts (same order, seeds and
    /// augmentation), each evaluated on both copies of the 1 000 test images
    /// ([`super::jpeg_effect`]).
    JpegEffect,
    /// The paper's selection of c̄ and λ (§5): MR² in the paper's configuration (p = 2, EMA
    /// 0.9 kept across epochs, the released code's ℓ_s̄, s̄ estimated) for c̄ ∈ {1, 2, 3} ×
    /// λ ∈ {0.1, 0.5, 0.9}, and ERM, each holding out a seeded 10% of the training set; the
    /// report picks (c̄, λ) by mean validation accuracy ([`super::tune`]).
    Tune,
}

/// The rows of `ablation` (Table 3's (a)–(f)).
pub(super) const ABLATION_ROWS: [&str; 6] = [
    "(a) CE",
    "(b) gamma-ce, uniform gamma",
    "(c) gamma-ce",
    "(d) CE + rep, s_bar = 0",
    "(e) CE + rep",
    "(f) MR2",
];

impl Experiment {
    /// Name as typed (`per-class`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::Baselines => "baselines",
            Self::Ablation => "ablation",
            Self::Fidelity => "fidelity",
            Self::Sweep => "sweep",
            Self::PerClass => "per-class",
            Self::Imbalanced => "imbalanced",
            Self::LongTail => "long-tail",
            Self::Spread => "spread",
            Self::Margins => "margins",
            Self::RegularizationAudit => "regularization-audit",
            Self::BoundsVsError => "bounds-vs-error",
            Self::JpegEffect => "jpeg-effect",
            Self::Tune => "tune",
        }
    }

    /// The training grid whose runs the experiment uses: its own, except `bounds-vs-error`,
    /// which bounds the baselines' runs.
    pub fn grid(self) -> Experiment {
        match self {
            Self::BoundsVsError => Self::Baselines,
            e => e,
        }
    }

    /// Every training grid that runs on any preset (`bounds-vs-error` reuses the baselines';
    /// `jpeg-effect` reads the official-pixel CIFAR-10 files whatever the preset).
    pub const ALL: [Experiment; 11] = [
        Self::Baselines,
        Self::Ablation,
        Self::Fidelity,
        Self::Sweep,
        Self::PerClass,
        Self::Imbalanced,
        Self::LongTail,
        Self::Spread,
        Self::Margins,
        Self::RegularizationAudit,
        Self::Tune,
    ];

    /// Per-class differences the report tabulates: `(label, from row, to row)`, Δ = to − from.
    pub fn contrasts(self) -> Vec<(String, String, String)> {
        let c = |l: &str, a: &str, b: &str| (l.to_string(), a.to_string(), b.to_string());
        match self {
            Self::PerClass => vec![
                c("MR2 − ERM", "ERM", "MR2"),
                c("MR2 released − ERM", "ERM", "MR2 released"),
            ],
            Self::Spread | Self::Margins => vec![c("MR2 − ERM", "ERM", "MR2")],
            Self::Imbalanced => vec![
                c("LA + MR2 − LA", "LA", "LA + MR2"),
                c(
                    "LA + MR2 (shift ÷ γ) − LA",
                    "LA",
                    "LA + MR2, shift before ÷γ",
                ),
            ],
            Self::Fidelity => vec![
                c("MR2 printed − ERM", "ERM", "MR2 printed"),
                c("MR2 preset − ERM", "ERM", "MR2 preset"),
                c("MR2 released − ERM", "ERM", "MR2 released"),
            ],
            Self::RegularizationAudit => vec![c("MR2 − ERM (none)", "ERM, none", "MR2, none")],
            Self::LongTail => vec![
                c("LDAM-DRW − ERM", "ERM", "LDAM-DRW"),
                c("MM-DRW − ERM", "ERM", "MM-DRW"),
                c("MR2 − ERM", "ERM", "MR2"),
                c("LA + MR2 − LA", "LA", "LA + MR2"),
            ],
            Self::Baselines => vec![c("MR2 − ERM", "ERM", "MR2")],
            Self::JpegEffect => vec![c(
                "JPEG − official (each on its own test copy)",
                super::jpeg_effect::ROW_OFFICIAL,
                super::jpeg_effect::ROW_JPEG,
            )],
            Self::Ablation => ["(b)", "(c)", "(d)", "(e)", "(f)"]
                .iter()
                .map(|r| {
                    let row = ABLATION_ROWS
                        .iter()
                        .find(|x| x.starts_with(r))
                        .expect("ablation row");
                    c(&format!("{r} − (a)"), ABLATION_ROWS[0], row)
                })
                .collect(),
            Self::Sweep | Self::BoundsVsError | Self::Tune => vec![],
        }
    }
}
