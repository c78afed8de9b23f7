//! A run's configuration: one set of defaults per dataset whatever the entry point (flags,
//! `--config FILE`, the library), files read with unknown keys refused (closest valid name
//! suggested), and validation that names the bad setting.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::optim::OptimConfig;
use crate::data::{DataConfig, DatasetName};
use crate::error::{invalid, Error, Result};
use crate::loss::mr2::{LaMr2Params, Mr2Params};
use crate::loss::Method;
use crate::model::{Arch, ModelConfig};
use crate::settings::from_toml_value;

/// A whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    /// Data.
    pub data: DataConfig,
    /// Model.
    pub model: ModelConfig,
    /// Objective (`method = "NAME"` and its parameters).
    pub loss: Method,
    /// Optimiser and schedule.
    pub optim: OptimConfig,
    /// Epochs (JTT adds its identification epochs before these).
    pub epochs: usize,
    /// Mini-batch size.
    pub batch_size: usize,
    /// Seed for initialisation, shuffling, augmentation and the synthetic data.
    pub seed: u64,
    /// Evaluate on the test (and validation) set after every this many epochs, and always
    /// after the last; the epochs in between record NaN test metrics and call no hooks but
    /// the progress line (default 1: every epoch). Results do not depend on it.
    pub eval_every: usize,
    /// Also evaluate after each of the last this many epochs (default 0), so that the best
    /// test accuracy over the end of training — what LDAM-DRW's and the released MR² code
    /// print as "Best Prec@1" — is recorded beside the last epoch's (`summary.json`'s `best`).
    /// Results do not depend on it.
    #[serde(skip_serializing_if = "is_zero")]
    pub eval_last: usize,
}

fn is_zero(v: &usize) -> bool {
    *v == 0
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self::defaults_for(DatasetName::Synthetic)
    }
}

/// λ of `ℓ_s̄` on the synthetic mixture, for every method that has the term (the paper's 0.5
/// elsewhere): the MLP's features are large there (‖μ̂‖ ≈ 6) and `ℓ_s̄` as printed collapses
/// them at 0.5. [`TrainConfig::notes`] says so when a run uses it.
pub const SYNTHETIC_LAMBDA: f64 = 0.1;

impl TrainConfig {
    /// The defaults for a dataset — the same whether a run starts from flags, from a
    /// configuration file or from the library:
    ///
    /// | setting | synthetic | image datasets |
    /// |---|---|---|
    /// | model | MLP (width 128) | small CNN |
    /// | epochs | 15 | 10 |
    /// | loss | MR², c̄ = 2, **λ = 0.1**, p = 2, decay 0.9 | MR², c̄ = 2, λ = 0.5, p = 2, decay 0.9 |
    ///
    /// On the synthetic mixture the MLP's features are large (‖μ̂‖ ≈ 6) and `ℓ_s̄` as printed
    /// (Eq. 2) collapses them at λ = 0.5, so its default is the low end of the paper's range.
    /// Everything else: batch 128, SGD lr 0.05 momentum 0.9 weight decay 5e-4, cosine
    /// schedule, seed 0, standardised inputs, no augmentation.
    pub fn defaults_for(name: DatasetName) -> Self {
        let image = name.is_image();
        Self {
            data: DataConfig {
                name,
                ..DataConfig::default()
            },
            model: ModelConfig {
                arch: if image { Arch::Cnn } else { Arch::Mlp },
                ..ModelConfig::default()
            },
            loss: Self::default_method(Method::default(), name),
            optim: OptimConfig::default(),
            epochs: if image { 10 } else { 15 },
            batch_size: 128,
            seed: 0,
            eval_every: 1,
            eval_last: 0,
        }
    }

    /// A method with the dataset's defaults: on the synthetic mixture the λ of `ℓ_s̄` defaults
    /// to 0.1 for every method that has one (`rep`, `mr2`, `la-mr2`); otherwise the method's
    /// own defaults.
    pub fn default_method(method: Method, name: DatasetName) -> Method {
        if name.is_image() {
            return method;
        }
        let lambda = SYNTHETIC_LAMBDA;
        match method {
            Method::Rep(p) => Method::Rep(Mr2Params { lambda, ..p }),
            Method::Mr2(p) => Method::Mr2(Mr2Params { lambda, ..p }),
            Method::LaMr2(p) => Method::LaMr2(LaMr2Params {
                mr2: Mr2Params { lambda, ..p.mr2 },
                ..p
            }),
            m => m,
        }
    }

    /// What a reader of the run should know about settings that differ from the paper's
    /// without being asked for: printed by `train` before it starts. Today one: λ =
    /// [`SYNTHETIC_LAMBDA`] on the synthetic mixture.
    pub fn notes(&self) -> Vec<String> {
        match self.loss.rep_lambda() {
            Some(l) if !self.data.name.is_image() && l.to_bits() == SYNTHETIC_LAMBDA.to_bits() => {
                vec![format!(
                    "λ = {l}: the synthetic mixture's default (the paper's 0.5 with ℓ_s̄ as printed \
                     collapses this MLP's features); --lambda sets it"
                )]
            }
            _ => vec![],
        }
    }

    /// Read a configuration file (TOML, or JSON by extension) over the defaults of its dataset
    /// (`dataset` overrides the file's `data.name`): keys the file omits keep their defaults;
    /// a `[loss]` table naming another method starts from that method's defaults.
    ///
    /// # Errors
    /// Unreadable file, syntax errors, unknown keys (with the closest valid name), values of
    /// the wrong type — each naming the file.
    pub fn from_file(path: &Path, dataset: Option<DatasetName>) -> Result<Self> {
        let src = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| crate::error::io_err(path, e))?;
        let file: toml::Value = if path.extension().is_some_and(|e| e == "json") {
            // JSON objects keep the last of two equal keys; TOML refuses them, and so does this.
            serde_json::from_str::<NoDuplicateKeys>(&text).map_err(|e| Error::Config {
                path: src.clone(),
                reason: e.to_string(),
            })?;
            let j: serde_json::Value = serde_json::from_str(&text).map_err(|e| Error::Config {
                path: src.clone(),
                reason: e.to_string(),
            })?;
            // JSON's null is TOML's absent key (every optional setting defaults to none).
            toml::Value::try_from(drop_nulls(j)).map_err(|e| Error::Config {
                path: src.clone(),
                reason: e.to_string(),
            })?
        } else {
            text.parse::<toml::Table>()
                .map(toml::Value::Table)
                .map_err(|e| Error::Config {
                    path: src.clone(),
                    reason: e.to_string(),
                })?
        };
        Self::over_defaults(file, dataset, &src)
    }

    /// [`TrainConfig::from_file`] on an already parsed value.
    ///
    /// # Errors
    /// As [`TrainConfig::from_file`].
    pub fn over_defaults(
        file: toml::Value,
        dataset: Option<DatasetName>,
        source: &str,
    ) -> Result<Self> {
        let named = file
            .get("data")
            .and_then(|d| d.get("name"))
            .map(|n| from_toml_value::<DatasetName>(n.clone(), source))
            .transpose()?;
        let name = dataset.or(named).unwrap_or(DatasetName::Synthetic);
        let defaults = Self::defaults_for(name);
        let to_value = |v: &dyn erased::Ser| {
            v.value().map_err(|e| Error::Config {
                path: source.into(),
                reason: e,
            })
        };
        let mut base = to_value(&defaults)?;
        let mut file = file;
        // The loss table: the named method's defaults (for this dataset), then the file's keys.
        if let Some(loss) = file.as_table_mut().and_then(|t| t.remove("loss")) {
            let method = match loss.get("method").and_then(|m| m.as_str()) {
                Some(m) => Self::default_method(
                    Method::from_name(m).map_err(|e| Error::Config {
                        path: source.into(),
                        reason: e.to_string(),
                    })?,
                    name,
                ),
                None => defaults.loss.clone(),
            };
            let mut l = to_value(&method)?;
            merge(&mut l, loss);
            if let Some(t) = base.as_table_mut() {
                t.insert("loss".into(), l);
            }
        }
        merge(&mut base, file);
        if let Some(d) = dataset {
            if let Some(t) = base.get_mut("data").and_then(|v| v.as_table_mut()) {
                t.insert(
                    "name".into(),
                    toml::Value::try_from(d).unwrap_or(toml::Value::String(String::new())),
                );
            }
        }
        from_toml_value(base, source)
    }

    /// Validate every setting, naming the bad one.
    ///
    /// # Errors
    /// See each check.
    pub fn validate(&self) -> Result<()> {
        self.loss.validate()?;
        if self.epochs == 0 {
            return Err(invalid("epochs", 0, "train for at least one epoch"));
        }
        if self.eval_every == 0 {
            return Err(invalid(
                "eval_every",
                0,
                "must be at least 1 (1 = evaluate after every epoch)",
            ));
        }
        if self.eval_last > self.total_epochs() {
            return Err(invalid(
                "eval_last",
                self.eval_last,
                "is more epochs than the run trains (0 = only every eval_every epochs)",
            ));
        }
        if self.batch_size < 2 {
            return Err(invalid(
                "batch_size",
                self.batch_size,
                "batches need at least 2 samples (ℓ_s̄ compares pairs)",
            ));
        }
        if self.data.augment && !(1..=16).contains(&self.data.augment_pad) {
            return Err(invalid(
                "augment_pad",
                self.data.augment_pad,
                "the crop's padding must lie in 1..=16 pixels",
            ));
        }
        if let Some(dir) = &self.data.dir {
            self.data.name.check_dir(dir)?;
        }
        if self.data.augment && !self.data.name.is_image() {
            return Err(invalid(
                "augment",
                true,
                "crop + flip needs an image dataset (the synthetic mixture has no image layout)",
            ));
        }
        self.optim.validate(self.epochs)
    }

    /// Epochs the run trains in all (the configured ones plus JTT's identification stage).
    pub fn total_epochs(&self) -> usize {
        self.epochs + self.loss.extra_epochs()
    }
}

/// A JSON document read only to refuse an object with a key given twice (anywhere in it).
struct NoDuplicateKeys;

impl<'de> Deserialize<'de> for NoDuplicateKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = NoDuplicateKeys;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut seen = std::collections::HashSet::new();
                while let Some(k) = m.next_key::<String>()? {
                    if !seen.insert(k.clone()) {
                        return Err(serde::de::Error::custom(format!(
                            "the key `{k}` is given twice in one object"
                        )));
                    }
                    m.next_value::<NoDuplicateKeys>()?;
                }
                Ok(NoDuplicateKeys)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                while a.next_element::<NoDuplicateKeys>()?.is_some() {}
                Ok(NoDuplicateKeys)
            }
            fn visit_bool<E>(self, _: bool) -> std::result::Result<Self::Value, E> {
                Ok(NoDuplicateKeys)
            }
            fn visit_i64<E>(self, _: i64) -> std::result::Result<Self::Value, E> {
                Ok(NoDuplicateKeys)
            }
            fn visit_u64<E>(self, _: u64) -> std::result::Result<Self::Value, E> {
                Ok(NoDuplicateKeys)
            }
            fn visit_f64<E>(self, _: f64) -> std::result::Result<Self::Value, E> {
                Ok(NoDuplicateKeys)
            }
            fn visit_str<E>(self, _: &str) -> std::result::Result<Self::Value, E> {
                Ok(NoDuplicateKeys)
            }
            fn visit_unit<E>(self) -> std::result::Result<Self::Value, E> {
                Ok(NoDuplicateKeys)
            }
        }
        d.deserialize_any(V)
    }
}

/// Deep-merge `over` into `base`: tables merge key by key, other values are replaced.
fn merge(base: &mut toml::Value, over: toml::Value) {
    match (base, over) {
        (toml::Value::Table(b), toml::Value::Table(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

/// Serialising either a configuration or a method to a TOML value.
mod erased {
    /// Something serialisable to a TOML value.
    pub trait Ser {
        /// The value, or the serialiser's message.
        fn value(&self) -> Result<toml::Value, String>;
    }
    impl<T: serde::Serialize> Ser for T {
        fn value(&self) -> Result<toml::Value, String> {
            toml::Value::try_from(self).map_err(|e| e.to_string())
        }
    }
}

/// `v` without its `null` members (recursively), which TOML cannot represent.
fn drop_nulls(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| (k, drop_nulls(x)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(drop_nulls).collect()),
        x => x,
    }
}

/// Settings given on the command line, applied over the defaults or a configuration file.
/// Every `None` / `false` leaves the setting as it is.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// Dataset.
    pub dataset: Option<DatasetName>,
    /// Directory of the dataset's files.
    pub data_dir: Option<std::path::PathBuf>,
    /// Architecture.
    pub model: Option<Arch>,
    /// MLP width / WRN widen factor.
    pub width: Option<usize>,
    /// WRN depth.
    pub depth: Option<usize>,
    /// Weight initialisation.
    pub init: Option<crate::model::Init>,
    /// Objective by name (its parameters reset to the method's defaults when it changes).
    pub loss: Option<String>,
    /// Objective parameters `key = value` (TOML values); [`Overrides::add_param`] adds one
    /// with the flag that gave it.
    pub params: Vec<(String, crate::settings::Value)>,
    /// The command-line flag each parameter of `params` came from (`lambda` → `--lambda`),
    /// named when its value is invalid.
    pub param_flags: Vec<(String, String)>,
    /// Epochs.
    pub epochs: Option<usize>,
    /// Batch size.
    pub batch_size: Option<usize>,
    /// Optimiser.
    pub optimizer: Option<super::optim::OptimKind>,
    /// Learning rate.
    pub lr: Option<f64>,
    /// Weight decay.
    pub weight_decay: Option<f64>,
    /// Schedule.
    pub schedule: Option<super::optim::ScheduleKind>,
    /// Warm-up epochs.
    pub warmup_epochs: Option<usize>,
    /// SAM radius.
    pub sam_rho: Option<f64>,
    /// Training-set subset fraction.
    pub subset: Option<f64>,
    /// Validation fraction.
    pub val_fraction: Option<f64>,
    /// Long-tailed imbalance ratio.
    pub long_tail: Option<f64>,
    /// Step imbalance ratio.
    pub step_imbalance: Option<f64>,
    /// Crop + flip augmentation.
    pub augment: bool,
    /// No standardisation.
    pub no_standardize: bool,
    /// Seed.
    pub seed: Option<u64>,
    /// Evaluate every this many epochs.
    pub eval_every: Option<usize>,
    /// Also evaluate after each of the last this many epochs.
    pub eval_last: Option<usize>,
}

impl Overrides {
    /// Add the objective parameter `key = value`, given on the command line by `flag`
    /// (`--param` or the parameter's own flag, e.g. `--lambda`).
    ///
    /// # Errors
    /// The key already given (by this flag or another): one of the two would silently win.
    pub fn add_param(
        &mut self,
        key: &str,
        value: crate::settings::Value,
        flag: &str,
    ) -> Result<()> {
        if let Some(first) = self.flag_of(key) {
            return Err(Error::Config {
                path: flag.to_string(),
                reason: format!("`{key}` is given twice ({first} and {flag}): give it once"),
            });
        }
        self.params.push((key.to_string(), value));
        self.param_flags.push((key.to_string(), flag.to_string()));
        Ok(())
    }

    /// The flag `key` was given by: its own flag from `param_flags`, else `--param KEY=…`;
    /// `None` when not given.
    fn flag_of(&self, key: &str) -> Option<String> {
        if !self.params.iter().any(|(k, _)| k == key) {
            return None;
        }
        Some(match self.param_flags.iter().find(|(k, _)| k == key) {
            Some((_, f)) if f != "--param" => f.clone(),
            _ => format!("--param {key}=…"),
        })
    }

    /// `e` with the flag that gave the invalid parameter in front, where it came from the
    /// command line (`--lambda: invalid parameter `lambda` = -1: …`).
    fn name_flag(&self, e: Error) -> Error {
        match &e {
            Error::InvalidParameter { name, .. } => match self.flag_of(name) {
                Some(flag) => Error::Config {
                    path: flag,
                    reason: e.to_string(),
                },
                None => e,
            },
            _ => e,
        }
    }
}

impl TrainConfig {
    /// The configuration of a run: the defaults of the dataset (or `file` over them), then the
    /// command-line `o`, validated.
    ///
    /// # Errors
    /// Configuration-file errors, an unknown method or parameter, invalid values.
    pub fn resolve(file: Option<&Path>, o: &Overrides) -> Result<Self> {
        let mut c = match file {
            Some(p) => Self::from_file(p, o.dataset)?,
            None => Self::defaults_for(o.dataset.unwrap_or(DatasetName::Synthetic)),
        };
        if let Some(v) = &o.data_dir {
            c.data.dir = Some(v.clone());
        }
        macro_rules! set {
            ($($field:expr => $arg:expr),* $(,)?) => { $( if let Some(v) = $arg { $field = v; } )* };
        }
        set!(c.model.arch => o.model, c.model.width => o.width, c.model.depth => o.depth,
             c.model.init => o.init,
             c.epochs => o.epochs, c.batch_size => o.batch_size, c.optim.kind => o.optimizer,
             c.optim.lr => o.lr, c.optim.weight_decay => o.weight_decay,
             c.optim.schedule => o.schedule, c.optim.warmup_epochs => o.warmup_epochs,
             c.optim.sam_rho => o.sam_rho, c.seed => o.seed, c.eval_every => o.eval_every,
             c.eval_last => o.eval_last);
        if let Some(name) = &o.loss {
            let m = Method::from_name(name)?;
            if m.name() != c.loss.name() {
                c.loss = Self::default_method(m, c.data.name);
            }
        }
        if !o.params.is_empty() {
            c.loss = c
                .loss
                .with_params(&o.params, &format!("--param (method `{}`)", c.loss.name()))?;
        }
        if o.augment {
            c.data.augment = true;
        }
        if o.no_standardize {
            c.data.standardize = false;
        }
        if o.subset.is_some() {
            c.data.subset = o.subset;
        }
        if o.val_fraction.is_some() {
            c.data.val_fraction = o.val_fraction;
        }
        if let Some(r) = o.long_tail {
            c.data.imbalance = Some(crate::data::Imbalance::LongTail { ratio: r });
        }
        if let Some(r) = o.step_imbalance {
            c.data.imbalance = Some(crate::data::Imbalance::Step { ratio: r });
        }
        c.validate().map_err(|e| o.name_flag(e))?;
        Ok(c)
    }

    /// Whether the test set is evaluated after epoch `epoch` (1-based): every `eval_every`
    /// epochs, each of the last `eval_last`, and always the last.
    pub fn evaluates_after(&self, epoch: usize) -> bool {
        let total = self.total_epochs();
        epoch.is_multiple_of(self.eval_every) || epoch == total || epoch + self.eval_last > total
    }

    /// `results/DATASET-MODEL-METHOD-sSEED`.
    pub fn default_out(&self) -> std::path::PathBuf {
        std::path::PathBuf::from("results").join(
            format!(
                "{:?}-{:?}-{}-s{}",
                self.data.name,
                self.model.arch,
                self.loss.name(),
                self.seed
            )
            .to_lowercase(),
        )
    }
}
