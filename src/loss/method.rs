//! The registry of objectives: [`Method`], a name and its parameters (the configuration);
//! [`super::Objective`] is the method with its training state.

use serde::{Deserialize, Serialize};

use super::ce::{EqlParams, FocalParams, LaParams, LabelSmoothingParams};
use super::dro::{FairDroParams, GroupDroParams};
use super::largest_margin::{LmSoftmaxParams, SampleMarginParams};
use super::margin::{LdamParams, MmParams};
use super::mr2::{LaMr2Params, Mr2Form, Mr2Params, Mr2Spec};
use super::representation::{CenterParams, DrlParams, LgmParams, SupConParams};
use super::reweight::{CsrParams, JttParams, LffParams};
use crate::error::{Error, Result};
use crate::model::{Extras, HeadKind};
use crate::settings::Value;

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
    /// `ℓ_γ,ce` alone: the keys of [`Mr2Form::GammaCe`].
    #[serde(with = "super::mr2::gamma_ce_table")]
    GammaCe(Mr2Params),
    /// `ℓ_ce + λ ℓ_s̄`: the keys of [`Mr2Form::Rep`].
    #[serde(with = "super::mr2::rep_table")]
    Rep(Mr2Params),
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
        let mut table = toml::map::Map::new();
        table.insert("method".into(), toml::Value::String(name.to_string()));
        toml::Value::Table(table).try_into::<Method>().map_err(|_| {
            let names: Vec<&str> = METHODS.iter().map(|m| m.name).collect();
            Error::Config {
                path: "--loss".into(),
                reason: format!(
                    "unknown method `{name}`{}; the methods are: {}",
                    crate::settings::suggestion(name, &names),
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

    /// The same method with parameters `key = value` changed (typed values,
    /// [`crate::settings::Value`]; [`crate::settings::parse_value`] makes them from text a
    /// user typed). `source` names where they come from in errors.
    ///
    /// # Errors
    /// A key the method does not have (closest name suggested), a value of the wrong type.
    pub fn with_params(&self, kv: &[(String, Value)], source: &str) -> Result<Self> {
        let mut t = match toml::Value::try_from(self) {
            Ok(toml::Value::Table(t)) => t,
            _ => toml::map::Map::new(),
        };
        for (k, v) in kv {
            t.insert(k.clone(), v.clone());
        }
        crate::settings::from_toml_value(toml::Value::Table(t), source)
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
                self.mr2_spec().map(|_| ())
            }
        }
    }

    /// The MR²-family form and parameters, for `gamma-ce`, `rep`, `mr2` and `la-mr2`
    /// (`None` for the other methods).
    pub fn mr2_form(&self) -> Option<(Mr2Form, Mr2Params)> {
        use super::mr2::LogitAdjustment;
        match *self {
            Self::GammaCe(p) => Some((Mr2Form::GammaCe, p)),
            Self::Rep(p) => Some((Mr2Form::Rep, p)),
            Self::Mr2(p) => Some((Mr2Form::Mr2, p)),
            Self::LaMr2(p) => Some((
                Mr2Form::LaMr2(LogitAdjustment {
                    tau: p.tau,
                    order: p.la_order,
                }),
                p.mr2,
            )),
            _ => None,
        }
    }

    /// λ of the representation term `λ ℓ_s̄`, for the methods that have one (`rep`, `mr2`,
    /// `la-mr2`).
    pub fn rep_lambda(&self) -> Option<f64> {
        let (form, p) = self.mr2_form()?;
        form.has_rep().then_some(p.lambda)
    }

    /// The validated MR²-family specification ([`Mr2Spec::new`]); `Ok(None)` for the other
    /// methods.
    ///
    /// # Errors
    /// The first invalid parameter, named.
    pub fn mr2_spec(&self) -> Result<Option<Mr2Spec>> {
        self.mr2_form()
            .map(|(form, p)| Mr2Spec::new(form, p))
            .transpose()
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
