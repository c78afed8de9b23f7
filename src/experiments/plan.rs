//! A grid as planned: its runs ([`RunSpec`]), the paper's figures for its rows
//! ([`PaperTable`]) and the [`Plan`] itself, saved as `ROOT/plan.json`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::train::TrainConfig;

/// Before the first learning-rate decay, a grid on LDAM-DRW's own subset evaluates the test set
/// only every this many epochs ([`Plan::with_ldam_subset`]).
pub const LDAM_EARLY_EVAL_EVERY: usize = 10;

/// One training run of an experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSpec {
    /// Directory name under `ROOT/runs/` (`ROW-sSEED`, file-name safe).
    pub id: String,
    /// The table row it belongs to (method or setting).
    pub row: String,
    /// Seed.
    pub seed: u64,
    /// For sweeps: the swept parameter and its value (plotted on the x axis).
    pub axis: Option<(String, f64)>,
    /// The complete configuration `train` runs.
    pub config: TrainConfig,
}

/// An experiment's grid under a preset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Experiment name.
    pub experiment: String,
    /// Preset name.
    pub preset: String,
    /// What the preset sets (printed and saved).
    pub settings: String,
    /// The row whose model's per-class accuracy defines the easy / medium / hard thirds of
    /// every run with the same seed (ERM, as in the paper's tables).
    pub reference_row: String,
    /// The runs, in the order they are run.
    pub runs: Vec<RunSpec>,
    /// The paper's figures for the rows it reports (shown next to ours; its setting differs).
    pub paper: Option<PaperTable>,
    /// Per-class differences to tabulate: `(label, from row, to row)`.
    pub contrasts: Vec<(String, String, String)>,
}

/// The paper's figures for some rows of an experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaperTable {
    /// Where they come from (table, dataset, backbone).
    pub source: String,
    /// `(row, [overall, easy, medium, hard])` in %; NaN where the paper gives no figure
    /// (written to JSON as `null`, read back as NaN).
    #[serde(deserialize_with = "rows_with_gaps")]
    pub rows: Vec<(String, [f64; 4])>,
}

/// Reads [`PaperTable::rows`] as `serde_json` writes them: a figure the paper does not give is
/// NaN in memory and `null` in the file ([`crate::settings::nan_as_null`], figure by figure).
fn rows_with_gaps<'de, D>(d: D) -> Result<Vec<(String, [f64; 4])>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    struct Figure(#[serde(with = "crate::settings::nan_as_null")] f64);
    let rows: Vec<(String, [Figure; 4])> = Deserialize::deserialize(d)?;
    Ok(rows
        .into_iter()
        .map(|(name, v)| (name, v.map(|f| f.0)))
        .collect())
}

impl Plan {
    /// Every run reads its dataset from `dir` (e.g. the official CIFAR-10 binary release
    /// instead of the preset's JPEG copy); the settings line says so.
    ///
    /// # Errors
    /// A grid with a run on the generated synthetic mixture (it reads no files).
    pub fn with_data_dir(mut self, dir: &std::path::Path) -> crate::error::Result<Self> {
        for r in &mut self.runs {
            r.config.data.name.check_dir(dir)?;
            r.config.data.dir = Some(dir.to_path_buf());
        }
        self.settings = format!("{}; data from {}", self.settings, dir.display());
        Ok(self)
    }

    /// Every long-tailed run draws LDAM-DRW's own subset ([`crate::data::Imbalance::LongTailLdam`])
    /// and evaluates the test set after every epoch from its first learning-rate decay on (or
    /// the last 10% without one), so that the best epoch — LDAM's "Best Prec@1" — is recorded
    /// beside the last; before the decay only every [`LDAM_EARLY_EVAL_EVERY`] epochs (a test
    /// pass costs about half a training epoch on this subset, and LDAM-DRW's best epoch falls
    /// after the decay). The settings line says so.
    ///
    /// # Errors
    /// A grid without a long-tailed run.
    pub fn with_ldam_subset(mut self) -> crate::error::Result<Self> {
        use crate::data::Imbalance;
        let mut any = false;
        for r in &mut self.runs {
            if let Some(Imbalance::LongTail { ratio }) = r.config.data.imbalance {
                any = true;
                r.config.data.imbalance = Some(Imbalance::LongTailLdam { ratio });
                let total = r.config.total_epochs();
                let first_decay = r.config.optim.milestones.iter().copied().min();
                r.config.eval_last = first_decay.map_or(total / 10, |m| total - m.min(total));
                r.config.eval_every = r.config.eval_every.max(LDAM_EARLY_EVAL_EVERY);
            }
        }
        if !any {
            return Err(crate::error::invalid(
                "--ldam-subset",
                &self.experiment,
                "applies to long-tailed grids (long-tail, imbalanced)",
            ));
        }
        self.settings = format!(
            "{}; LDAM-DRW's own long-tailed subset (numpy RandomState(0), as its code draws it), the test set evaluated every {LDAM_EARLY_EVAL_EVERY} epochs before the first learning-rate decay and every epoch from it",
            self.settings
        );
        Ok(self)
    }

    /// Every run shortened to `epochs` epochs — a smoke test or a timing slice of the grid, not
    /// a result: the warm-up is cut to fewer epochs than the run has, learning-rate milestones
    /// past the end are dropped, and the settings line says so.
    ///
    /// # Errors
    /// `epochs` = 0.
    pub fn with_epochs(mut self, epochs: usize) -> crate::error::Result<Self> {
        if epochs == 0 {
            return Err(crate::error::invalid(
                "--epochs",
                0,
                "a shortened grid needs at least one epoch",
            ));
        }
        for r in &mut self.runs {
            let c = &mut r.config;
            c.epochs = epochs;
            c.optim.warmup_epochs = c.optim.warmup_epochs.min(epochs - 1);
            c.optim.milestones.retain(|&m| m < epochs);
            c.eval_last = c.eval_last.min(c.total_epochs());
        }
        self.settings = format!(
            "{}; shortened to {epochs} epochs (a timing or smoke slice, not a result)",
            self.settings
        );
        Ok(self)
    }

    /// The run directory of `spec` under `root`.
    pub fn run_dir(root: &std::path::Path, spec: &RunSpec) -> PathBuf {
        root.join("runs").join(&spec.id)
    }

    /// Rows in first-appearance order.
    pub fn rows(&self) -> Vec<String> {
        let mut rows: Vec<String> = Vec::new();
        for r in &self.runs {
            if !rows.contains(&r.row) {
                rows.push(r.row.clone());
            }
        }
        rows
    }

    /// Write `ROOT/plan.json`.
    ///
    /// # Errors
    /// I/O.
    pub fn save(&self, root: &std::path::Path) -> crate::error::Result<()> {
        std::fs::create_dir_all(root).map_err(|e| crate::error::io_err(root, e))?;
        let p = root.join("plan.json");
        let text = crate::error::json_for(&p, self)?;
        crate::train::checkpoint::write_atomic(&p, text.as_bytes())
    }
}
