//! The registry of objectives: [`Method`] (name + parameters, the configuration) and
//! [`Objective`] (the method with its training state).

use serde::{Deserialize, Serialize};

use super::ce::{Eql, EqlParams, FocalParams, La, LaParams, LabelSmoothingParams};
use super::dro::{FairDro, FairDroParams, GroupDro, GroupDroParams};
use super::largest_margin::{LmSoftmaxParams, SampleMarginParams};
use super::margin::{scale_as_gamma, Ldam, LdamParams, Mm, MmParams};
use super::mr2::{GammaCeParams, LaMr2Params, Mr2, Mr2Params, Mr2Spec, RepParams};
use super::representation::{Center, CenterParams, Drl, DrlParams, LgmParams, SupConParams};
use super::reweight::{Csr, CsrParams, Jtt, JttParams, Lff, LffParams};
use super::{Batch, EpochPlan, EpochStart, Terms, TrainingSet};
use crate::error::{invalid, Error, Result};
use crate::model::{Extras, HeadKind};

/// Cross-entropy has no parameters (an empty table, so unknown keys are still refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CeParams {}

/// A training objective and its hyper-parameters: the `[loss]` table of a configuration
/// (`method = "NAME"` plus the method's parameters) and `train --loss NAME --param key=value`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
#[allow(missing_docs)]
pub enum Method {
    Ce(CeParams),
    LabelSmoothing(LabelSmoothingParams),
    Focal(FocalParams),
    Ldam(LdamParams),
    Eql(EqlParams),
    La(LaParams),
    Mm(MmParams),
    GroupDro(GroupDroParams),
    FairDro(FairDroParams),
    Supcon(SupConParams),
    Center(CenterParams),
    Drl(DrlParams),
    Lgm(LgmParams),
    Csr(CsrParams),
    Jtt(JttParams),
    Lff(LffParams),
    LmSoftmax(LmSoftmaxParams),
    SampleMargin(SampleMarginParams),
    GammaCe(GammaCeParams),
    Rep(RepParams),
    Mr2(Mr2Params),
    LaMr2(LaMr2Params),
}

impl Default for Method {
    fn default() -> Self {
        Self::Mr2(Mr2Params::default())
    }
}

/// One line of the method table (`train --list-losses`, README).
#[derive(Debug, Clone, Copy)]
pub struct MethodInfo {
    /// Name as given to `--loss`.
    pub name: &'static str,
    /// Family.
    pub family: &'static str,
    /// Formula in one line.
    pub formula: &'static str,
    /// Source.
    pub source: &'static str,
}

macro_rules! info {
    ($name:literal, $family:literal, $formula:literal, $source:literal) => {
        MethodInfo {
            name: $name,
            family: $family,
            formula: $formula,
            source: $source,
        }
    };
}

/// Every method, in the order of the crate documentation's table.
pub const METHODS: &[MethodInfo] = &[
    info!("ce", "ERM", "−ln softmax(z)_y", "cross-entropy"),
    info!(
        "label-smoothing",
        "ERM", "(1−ε)CE + ε·mean_k(−ln p_k)", "Szegedy et al. 2016"
    ),
    info!("focal", "ERM", "(1 − p_y)^γ·CE", "Lin et al. 2017"),
    info!(
        "ldam",
        "margin", "CE(s(cos θ − Δ_y 1_y)), Δ ∝ n^{−1/4}; drw", "Cao et al. 2019"
    ),
    info!(
        "eql",
        "margin", "softmax EQL: tail negatives dropped w.p. γ", "Tan et al. 2020"
    ),
    info!("la", "margin", "CE(z + τ ln π)", "Menon et al. 2021"),
    info!(
        "mm",
        "margin", "CE(s(cos θ − e^{−|g|−δ^±} 1_y)); ldam, drw", "Kang et al. (paper 004)"
    ),
    info!(
        "group-dro",
        "robust", "Σ_k q_k ℓ̄_k, q ∝ q·e^{η ℓ̄}", "Sagawa et al. 2020"
    ),
    info!(
        "fair-dro",
        "robust", "Σ_k q_k ℓ̄_k, q → χ²-ball maximiser per epoch", "Jung et al. 2023"
    ),
    info!(
        "supcon",
        "representation", "CE + λ·SupCon(φ/‖φ‖; τ)", "Khosla et al. 2020"
    ),
    info!(
        "center",
        "representation", "CE + λ·½Σ‖φ − c_y‖²", "Wen et al. 2016 (DFL)"
    ),
    info!(
        "drl",
        "representation", "CE + L_rob(−‖φ − μ_c‖ − ε_y 1_y)", "Samuel & Chechik 2021"
    ),
    info!(
        "lgm",
        "representation", "Gaussian head, (1+α)d_y, + λ·d_y", "Wan et al. 2018"
    ),
    info!(
        "csr",
        "reweighting", "0.7CE + 0.3·G[ŷ,y]·CE", "Jin et al. 2025 (clean)"
    ),
    info!(
        "jtt",
        "reweighting", "ERM T epochs; retrain with error set ×(1+up)", "Liu et al. 2021"
    ),
    info!(
        "lff",
        "reweighting", "GCE(f_B) + W·CE(f_D)", "Nam et al. 2020"
    ),
    info!(
        "lm-softmax",
        "largest margin", "(1/s) ln Σ_{k≠y} e^{s(cos θ_k − cos θ_y)}", "Zhou et al. 2022"
    ),
    info!(
        "sample-margin",
        "largest margin", "CE + λ(max_{k≠y} cos θ_k − cos θ_y)", "Zhou et al. 2022"
    ),
    info!(
        "gamma-ce",
        "MR² ablation", "ℓ_γ,ce (Eq. 1)", "MR² Table 3 b/c"
    ),
    info!(
        "rep",
        "MR² ablation", "CE + λℓ_s̄ (Eq. 2)", "MR² Table 3 d/e"
    ),
    info!("mr2", "MR²", "ℓ_γ,ce + λℓ_s̄ (Eq. 4)", "MR²"),
    info!(
        "la-mr2",
        "MR² + LA", "ℓ_γ,ce(z + τ ln π) + λℓ_s̄", "MR² Table 7"
    ),
];

impl Method {
    /// The method's name (as `--loss` takes it).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Ce(_) => "ce",
            Self::LabelSmoothing(_) => "label-smoothing",
            Self::Focal(_) => "focal",
            Self::Ldam(_) => "ldam",
            Self::Eql(_) => "eql",
            Self::La(_) => "la",
            Self::Mm(_) => "mm",
            Self::GroupDro(_) => "group-dro",
            Self::FairDro(_) => "fair-dro",
            Self::Supcon(_) => "supcon",
            Self::Center(_) => "center",
            Self::Drl(_) => "drl",
            Self::Lgm(_) => "lgm",
            Self::Csr(_) => "csr",
            Self::Jtt(_) => "jtt",
            Self::Lff(_) => "lff",
            Self::LmSoftmax(_) => "lm-softmax",
            Self::SampleMargin(_) => "sample-margin",
            Self::GammaCe(_) => "gamma-ce",
            Self::Rep(_) => "rep",
            Self::Mr2(_) => "mr2",
            Self::LaMr2(_) => "la-mr2",
        }
    }

    /// The method `name` with its default parameters.
    ///
    /// # Errors
    /// An unknown name (the closest known one is suggested).
    pub fn from_name(name: &str) -> Result<Self> {
        let table = format!("method = {}", toml::Value::String(name.to_string()));
        toml::from_str::<Method>(&table).map_err(|_| {
            let names: Vec<&str> = METHODS.iter().map(|m| m.name).collect();
            Error::Config {
                path: "--loss".into(),
                reason: format!(
                    "unknown method `{name}`{}; the methods are: {}",
                    crate::train::config::suggestion(name, &names),
                    names.join(", ")
                ),
            }
        })
    }

    /// The parameters as `(key, value)` pairs, in declaration order.
    pub fn params(&self) -> Vec<(String, String)> {
        let Ok(toml::Value::Table(t)) = toml::Value::try_from(self) else {
            return vec![];
        };
        t.into_iter()
            .filter(|(k, _)| k != "method")
            .map(|(k, v)| (k, v.to_string()))
            .collect()
    }

    /// The same method with parameters `key = value` changed (values in TOML syntax; bare words
    /// are strings). `source` names where they come from in errors.
    ///
    /// # Errors
    /// A key the method does not have (closest name suggested), a value of the wrong type.
    pub fn with_params(&self, kv: &[(String, String)], source: &str) -> Result<Self> {
        let mut t = match toml::Value::try_from(self) {
            Ok(toml::Value::Table(t)) => t,
            _ => toml::map::Map::new(),
        };
        for (k, v) in kv {
            let parsed = toml::from_str::<toml::Table>(&format!("v = {v}"))
                .ok()
                .and_then(|mut t| t.remove("v"))
                .unwrap_or_else(|| toml::Value::String(v.clone()));
            t.insert(k.clone(), parsed);
        }
        crate::train::config::from_toml_value(toml::Value::Table(t), source)
    }

    /// Validate the parameters, naming the bad one.
    ///
    /// # Errors
    /// The first invalid parameter.
    pub fn validate(&self) -> Result<()> {
        match self {
            Self::Ce(_) => Ok(()),
            Self::LabelSmoothing(p) => p.validate(),
            Self::Focal(p) => p.validate(),
            Self::Ldam(p) => p.validate(),
            Self::Eql(p) => p.validate(),
            Self::La(p) => p.validate(),
            Self::Mm(p) => p.validate(),
            Self::GroupDro(p) => p.validate(),
            Self::FairDro(p) => p.validate(),
            Self::Supcon(p) => p.validate(),
            Self::Center(p) => p.validate(),
            Self::Drl(p) => p.validate(),
            Self::Lgm(p) => p.validate(),
            Self::Csr(p) => p.validate(),
            Self::Jtt(p) => p.validate(),
            Self::Lff(p) => p.validate(),
            Self::LmSoftmax(p) => p.validate(),
            Self::SampleMargin(p) => p.validate(),
            Self::GammaCe(_) | Self::Rep(_) | Self::Mr2(_) | Self::LaMr2(_) => {
                self.mr2_spec().map_or(Ok(()), |s| s.validate())
            }
        }
    }

    /// The MR²-family specification, for `gamma-ce`, `rep`, `mr2` and `la-mr2`.
    pub fn mr2_spec(&self) -> Option<Mr2Spec> {
        match *self {
            Self::GammaCe(p) => Some(p.into()),
            Self::Rep(p) => Some(p.into()),
            Self::Mr2(p) => Some(p.into()),
            Self::LaMr2(p) => Some(p.into()),
            _ => None,
        }
    }

    /// The head the method trains: cosine for LDAM, MM and LM-softmax, Gaussian for L-GM,
    /// linear otherwise.
    pub fn head(&self) -> HeadKind {
        match self {
            Self::Ldam(_) | Self::Mm(_) | Self::LmSoftmax(_) => HeadKind::Cosine,
            Self::Lgm(_) => HeadKind::Gaussian,
            _ => HeadKind::Linear,
        }
    }

    /// The extra trainable parts the method needs.
    pub fn extras(&self) -> Extras {
        Extras {
            biased_net: matches!(self, Self::Lff(_)),
            radii: matches!(self, Self::Drl(_)),
        }
    }

    /// Epochs the method runs before the configured ones (JTT's identification stage).
    pub fn extra_epochs(&self) -> usize {
        match self {
            Self::Jtt(p) => p.identification_epochs,
            _ => 0,
        }
    }
}

/// A method with its training state, saved with every checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
#[allow(missing_docs)]
pub enum Objective {
    Ce,
    LabelSmoothing(LabelSmoothingParams),
    Focal(FocalParams),
    Ldam(Ldam),
    Eql(Eql),
    La(La),
    Mm(Mm),
    GroupDro(GroupDro),
    FairDro(FairDro),
    Supcon(SupConParams),
    Center(Center),
    Drl(Drl),
    Lgm(LgmParams),
    Csr(Csr),
    Jtt(Jtt),
    Lff(Lff),
    LmSoftmax(LmSoftmaxParams),
    SampleMargin(SampleMarginParams),
    Mr2(Mr2),
}

impl Objective {
    /// Build `method` for a training set.
    ///
    /// # Errors
    /// Invalid parameters; a training set the method cannot use.
    pub fn new(method: &Method, set: &TrainingSet) -> Result<Self> {
        method.validate()?;
        let k = set.classes();
        if k < 2 {
            return Err(invalid("classes", k, "need at least 2 classes"));
        }
        Ok(match *method {
            Method::Ce(_) => Self::Ce,
            Method::LabelSmoothing(p) => Self::LabelSmoothing(p),
            Method::Focal(p) => Self::Focal(p),
            Method::Ldam(p) => Self::Ldam(Ldam::new(p, set)),
            Method::Eql(p) => Self::Eql(Eql::new(p, set)?),
            Method::La(p) => Self::La(La::new(p, set)),
            Method::Mm(p) => Self::Mm(Mm::new(p, set)),
            Method::GroupDro(p) => Self::GroupDro(GroupDro::new(p, set)),
            Method::FairDro(p) => Self::FairDro(FairDro::new(p, set)),
            Method::Supcon(p) => Self::Supcon(p),
            Method::Center(p) => Self::Center(Center::new(p, k)),
            Method::Drl(p) => Self::Drl(Drl::new(p, k)),
            Method::Lgm(p) => Self::Lgm(p),
            Method::Csr(p) => Self::Csr(Csr::new(p, k)),
            Method::Jtt(p) => Self::Jtt(Jtt::new(p, set)),
            Method::Lff(p) => Self::Lff(Lff::new(p, set)),
            Method::LmSoftmax(p) => Self::LmSoftmax(p),
            Method::SampleMargin(p) => Self::SampleMargin(p),
            Method::GammaCe(_) | Method::Rep(_) | Method::Mr2(_) | Method::LaMr2(_) => {
                let spec = method
                    .mr2_spec()
                    .ok_or_else(|| invalid("method", method.name(), "not of the MR² family"))?;
                Self::Mr2(Mr2::new(spec, &set.counts)?)
            }
        })
    }

    /// The objective on one batch (updating its state where the method does so per batch).
    ///
    /// # Errors
    /// Backend failures; a model without the parts the method needs.
    pub fn loss(&mut self, b: &Batch<'_>) -> Result<Terms> {
        use super::ce::cross_entropy;
        Ok(match self {
            Self::Ce => Terms::total(cross_entropy(b.logits.clone(), b.labels)),
            Self::LabelSmoothing(p) => p.loss(b),
            Self::Focal(p) => p.loss(b),
            Self::Ldam(o) => o.loss(b),
            Self::Eql(o) => o.loss(b),
            Self::La(o) => o.loss(b),
            Self::Mm(o) => o.loss(b)?,
            Self::GroupDro(o) => o.loss(b)?,
            Self::FairDro(o) => o.loss(b),
            Self::Supcon(p) => p.loss(b)?,
            Self::Center(o) => o.loss(b)?,
            Self::Drl(o) => o.loss(b)?,
            Self::Lgm(p) => p.loss(b)?,
            Self::Csr(o) => o.loss(b)?,
            Self::Jtt(_) => Terms::total(cross_entropy(b.logits.clone(), b.labels)),
            Self::Lff(o) => o.loss(b)?,
            Self::LmSoftmax(p) => p.loss(b)?,
            Self::SampleMargin(p) => p.loss(b)?,
            Self::Mr2(o) => o.terms(b.logits.clone(), b.features.clone(), b.labels)?,
        })
    }

    /// The objective on one batch without changing its state (read-only): per-batch state
    /// (MR²'s EMA, group DRO's weights, EQL's random stream, centres) is used as it stands. For
    /// LfF the weights `W` come from its tables as they stand, the batch's own losses filling
    /// entries never visited.
    ///
    /// # Errors
    /// As [`Objective::loss`].
    pub fn evaluate(&self, b: &Batch<'_>) -> Result<Terms> {
        match self {
            Self::GroupDro(o) => Ok(o.evaluate(b)),
            Self::Mr2(o) => {
                let v = o.evaluate(b.logits.clone(), b.features.clone(), b.labels);
                Ok(Terms::total(v.total))
            }
            Self::Lff(o) => o.clone().loss(b),
            _ => self.clone().loss(b),
        }
    }

    /// Called before each epoch: DRW switches, per-epoch statistics of the training set (DRL,
    /// CSR, FairDRO) and JTT's second stage.
    ///
    /// # Errors
    /// Evaluating the training set failed.
    pub fn on_epoch_start(&mut self, e: &mut EpochStart<'_>) -> Result<EpochPlan> {
        match self {
            Self::Ldam(o) => Ok(o.on_epoch_start(e)),
            Self::Mm(o) => Ok(o.on_epoch_start(e)),
            Self::FairDro(o) => o.on_epoch_start(e),
            Self::Drl(o) => o.on_epoch_start(e),
            Self::Csr(o) => o.on_epoch_start(e),
            Self::Jtt(o) => o.on_epoch_start(e),
            _ => Ok(EpochPlan::default()),
        }
    }

    /// The per-class γ the logits are divided by in training — the one answer to "does this
    /// objective use γ": MR²'s margins for `gamma-ce`, `mr2`, `la-mr2`; `1/s` for the scaled
    /// cosine losses (LDAM, MM, LM-softmax, whose logits are `s·cos θ`); 1 otherwise.
    pub fn gamma_used(&self, k: usize) -> Vec<f64> {
        match self {
            Self::Mr2(o) => o.gamma_used(),
            Self::Ldam(_) | Self::Mm(_) | Self::LmSoftmax(_) => {
                scale_as_gamma(self.logit_scale(), k)
            }
            _ => vec![1.0; k],
        }
    }

    /// The factor the objective multiplies the model's logits by before its softmax: `s` for
    /// the scaled cosine losses (LDAM, MM, LM-softmax), 1 otherwise.
    pub fn logit_scale(&self) -> f64 {
        match self {
            Self::Ldam(o) => o.params.scale,
            Self::Mm(o) => o.params.scale,
            Self::LmSoftmax(p) => p.scale,
            _ => 1.0,
        }
    }

    /// s̄ the objective uses (MR² family), `None` for the others.
    pub fn s_bar(&self) -> Option<f64> {
        match self {
            Self::Mr2(o) => Some(o.s_bar_used()),
            _ => None,
        }
    }

    /// The MR² EMA state, when the objective has one.
    pub fn margin_state(&self) -> Option<&super::MarginState> {
        match self {
            Self::Mr2(o) => Some(&o.state),
            _ => None,
        }
    }

    /// Check a state read back from a checkpoint for `k` classes: the sizes match and every
    /// stored number is finite.
    ///
    /// # Errors
    /// The first offending field, named.
    pub fn validate_state(&self, k: usize) -> Result<()> {
        let finite = |name: &'static str, v: &[f64]| match v.iter().find(|x| !x.is_finite()) {
            Some(x) => Err(invalid(name, x, "a stored objective value must be finite")),
            None => Ok(()),
        };
        let len = |name: &'static str, got: usize, want: usize| {
            if got == want {
                Ok(())
            } else {
                Err(Error::Shape {
                    what: name,
                    expected: want,
                    got,
                })
            }
        };
        match self {
            Self::Mr2(o) => o.state.validate(k),
            Self::GroupDro(o) => {
                len("group-DRO weights", o.q.len(), k)?;
                finite("q", &o.q)
            }
            Self::FairDro(o) => {
                len("FairDRO weights", o.q.len(), k)?;
                finite("q", &o.q)
            }
            Self::Ldam(o) => {
                len("LDAM margins", o.margins.len(), k)?;
                finite("margins", &o.margins)?;
                finite("weights", &o.weights)
            }
            Self::Center(o) => finite("centers", &o.centers),
            Self::Drl(o) => finite("centroids", &o.centroids),
            Self::Csr(o) => {
                len("CSR weights", o.weights.len(), k * k)?;
                finite("weights", &o.weights)
            }
            Self::Lff(o) => {
                finite("ema_biased", &o.ema_biased)?;
                finite("ema_main", &o.ema_main)
            }
            _ => Ok(()),
        }
    }
}
