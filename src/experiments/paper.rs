//! The paper's own figures for the rows of our experiments that it reports.

use super::grids::Experiment;
use super::PaperTable;

/// The paper's figures (CIFAR-100, ResNet-32: Tables 1a, 3 and 7) for the rows it reports.
pub(super) fn paper_table(e: Experiment) -> Option<PaperTable> {
    let (source, rows): (&str, &[(&str, [f64; 4])]) = match e {
        Experiment::Baselines => (
            "Table 1(a), CIFAR-100, ResNet-32",
            &[
                ("ERM", [70.9, 84.5, 71.0, 56.7]),
                ("LfF", [69.1, 83.6, 70.1, 53.7]),
                ("JTT", [70.6, 84.3, 70.8, 56.2]),
                ("EQL", [70.7, 84.4, 70.9, 56.4]),
                ("LDAM-DRW", [71.1, 84.7, 71.2, 57.0]),
                ("L-GM", [70.8, 84.0, 71.4, 56.6]),
                ("SAM", [71.0, 84.6, 71.1, 56.9]),
                ("center (DFL)", [71.3, 84.8, 71.3, 57.1]),
                ("SupCon", [71.5, 85.0, 72.1, 57.5]),
                ("DRL", [71.9, 85.5, 72.5, 57.7]),
                ("CSR", [71.2, 85.1, 71.3, 57.1]),
                ("group-DRO", [71.6, 85.1, 72.2, 57.2]),
                ("FairDRO", [72.0, 85.7, 72.5, 57.7]),
                ("MR2", [73.9, 85.9, 73.8, 61.9]),
            ],
        ),
        Experiment::Ablation => (
            "Table 3, CIFAR-100, ResNet-32",
            &[
                ("(a) CE", [70.9, 84.5, 71.0, 56.7]),
                ("(b) gamma-ce, uniform gamma", [70.6, 84.6, 70.8, 56.5]),
                ("(c) gamma-ce", [72.8, 85.1, 72.9, 60.4]),
                ("(d) CE + rep, s_bar = 0", [71.6, 85.0, 72.2, 57.6]),
                ("(e) CE + rep", [72.3, 85.4, 73.1, 58.8]),
                ("(f) MR2", [73.9, 85.9, 73.8, 61.9]),
            ],
        ),
        Experiment::Imbalanced => (
            "Table 7, CIFAR-100-IB-100, ResNet-32",
            &[
                ("ERM", [37.7, 69.6, 38.9, 5.4]),
                ("LA", [41.9, 66.9, 43.9, 15.6]),
                ("LA + MR2", [44.2, 68.1, 46.3, 18.9]),
            ],
        ),
        Experiment::Sweep
        | Experiment::PerClass
        | Experiment::Spread
        | Experiment::Margins
        | Experiment::RegularizationAudit
        | Experiment::BoundsVsError => return None,
    };
    Some(PaperTable {
        source: source.into(),
        rows: rows.iter().map(|(r, v)| (r.to_string(), *v)).collect(),
    })
}

/// The paper's Table 4 (its dataset and backbone as in Table 1: CIFAR-100, ResNet-32): per row
/// the output-level margin (average, easy, medium, hard) and the classifier-level margin (°).
pub(super) const TABLE4: (&str, [(&str, [f64; 5]); 2]) = (
    "Table 4, CIFAR-100, ResNet-32",
    [
        ("ERM", [0.158, 0.236, 0.144, 0.093, 58.4]),
        ("MR2", [0.373, 0.435, 0.396, 0.289, 81.8]),
    ],
);
