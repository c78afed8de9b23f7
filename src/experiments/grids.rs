//! What each experiment trains, under each preset.

pub use super::experiment::Experiment;
pub use super::presets::{Preset, PresetSettings, Variant};
use super::rows::{add_rows, Grid};
pub use super::rows::{
    slug, AUDIT_AUG_AXIS, AUDIT_CROP_PAD, AUDIT_VALIDATION, AUDIT_WD_AXIS, AUDIT_WEIGHT_DECAY,
    LT_EPOCHS, LT_MILESTONES, LT_WARMUP,
};
use super::Plan;
use crate::data::DatasetName;
use crate::error::{invalid, Result};
use crate::loss::mr2::Mr2Params;
use crate::loss::Method;
use crate::settings::Value;
use crate::train::TrainConfig;

impl Experiment {
    /// The grid under `preset`, with `seeds` replacing the preset's when given, and the
    /// preset's own MR² ([`Variant::Preset`]).
    ///
    /// # Errors
    /// Empty or duplicated seeds; a parameter a method does not have (a bug in the grid).
    pub fn plan(self, preset: Preset, seeds: Option<&[u64]>) -> Result<Plan> {
        self.plan_variant(preset, seeds, Variant::Preset)
    }

    /// [`Experiment::plan`] with the MR²-family rows in `variant` (the `fidelity` grid sets its
    /// rows' variants itself).
    ///
    /// # Errors
    /// As [`Experiment::plan`].
    pub fn plan_variant(
        self,
        preset: Preset,
        seeds: Option<&[u64]>,
        variant: Variant,
    ) -> Result<Plan> {
        self.plan_on(preset, seeds, variant, None)
    }

    /// [`Experiment::plan_variant`] on another image dataset than the preset's (`dataset`;
    /// its default directory, the preset's model and schedule), e.g. MNIST for Table 6.
    ///
    /// # Errors
    /// As [`Experiment::plan`]; a dataset for the `quick` preset (its MLP needs the synthetic
    /// mixture) or the synthetic mixture for an image preset.
    pub fn plan_on(
        self,
        preset: Preset,
        seeds: Option<&[u64]>,
        variant: Variant,
        dataset: Option<DatasetName>,
    ) -> Result<Plan> {
        self.plan_with(preset, seeds, variant, dataset, &[])
    }

    /// [`Experiment::plan_on`] with MR²-family parameters set on every MR²-family row after the
    /// preset and the variant (a row that defines a parameter — a sweep's axis, the ablation's
    /// switches — keeps its own): e.g. the c̄ and λ `tune` chose.
    ///
    /// # Errors
    /// As [`Experiment::plan`]; a parameter MR² does not have (named, with the closest name).
    pub fn plan_with(
        self,
        preset: Preset,
        seeds: Option<&[u64]>,
        variant: Variant,
        dataset: Option<DatasetName>,
        params: &[(String, Value)],
    ) -> Result<Plan> {
        if self != self.grid() {
            return self
                .grid()
                .plan_with(preset, seeds, variant, dataset, params);
        }
        if !params.is_empty() {
            Method::Mr2(Mr2Params::default()).with_params(params, "--param")?;
        }
        let mut s = preset.settings();
        s.variant = variant;
        if let Some(d) = dataset.filter(|d| *d != s.base.data.name) {
            if !s.base.data.name.is_image() || !d.is_image() {
                return Err(invalid(
                    "--dataset",
                    format!("{d:?}"),
                    "the quick preset runs the synthetic mixture only, and the image presets need an image dataset",
                ));
            }
            s.base.data.name = d;
            s.base.data.dir = None;
        }
        if self == Self::Spread && preset != Preset::Quick {
            // A figure about the theory: the synthetic mixture and its MLP whatever the preset.
            s.base = TrainConfig::defaults_for(DatasetName::Synthetic);
            s.mr2_params.clear();
        }
        let seeds: Vec<u64> = seeds.map_or_else(|| s.seeds.clone(), <[u64]>::to_vec);
        if seeds.is_empty() {
            return Err(invalid("seeds", "[]", "give at least one seed"));
        }
        let mut sorted = seeds.clone();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted.len() != seeds.len() {
            return Err(invalid("seeds", format!("{seeds:?}"), "seeds repeat"));
        }
        let mut g = Grid {
            s: &s,
            seeds: &seeds,
            runs: vec![],
            params,
        };
        add_rows(self, preset, &mut g)?;
        if self == Self::JpegEffect {
            // Seed by seed (official, JPEG): `--shard 0/2` and `1/2` then train the two rows
            // side by side and finish whole seeds first.
            g.runs.sort_by_key(|r| r.seed);
        }
        // Only the contrasts whose two rows the grid has.
        let contrasts = {
            let rows: Vec<&str> = g.runs.iter().map(|r| r.row.as_str()).collect();
            self.contrasts()
                .into_iter()
                .filter(|(_, a, b)| rows.contains(&a.as_str()) && rows.contains(&b.as_str()))
                .collect()
        };
        let mut settings = s.describe(preset, &seeds, &g.runs[0].config);
        if !params.is_empty() {
            let kv: Vec<String> = params.iter().map(|(k, v)| format!("{k} = {v}")).collect();
            settings = format!("{settings}; --param {}", kv.join(", "));
        }
        Ok(Plan {
            experiment: self.name().into(),
            preset: preset.name().into(),
            settings,
            reference_row: g.runs[0].row.clone(),
            runs: g.runs,
            paper: super::paper::paper_table(self),
            contrasts,
        })
    }
}
