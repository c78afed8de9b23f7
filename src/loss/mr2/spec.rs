//! Which terms an MR²-family objective has ([`Mr2Form`]), the keys each one's configuration
//! table takes, and [`Mr2Spec`]: the form with its one [`Mr2Params`], validated, as the
//! objective uses it (named terms, no positional tuples).

use serde::de::Error as _;
use serde::ser::{Error as _, SerializeMap};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::params::{LaMr2Params, LaOrder, Mr2Params, RepScaling};
use crate::error::{invalid, Result};
use crate::loss::{check_finite_nonneg, check_unit};
use crate::theory::gamma;

/// `τ ln π` added to the logits (LA + MR², Table 7).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogitAdjustment {
    /// Strength τ ≥ 0.
    pub tau: f64,
    /// Whether the shift is added after or before the division by γ.
    pub order: LaOrder,
}

/// The terms of an MR²-family objective.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mr2Form {
    /// `ℓ_γ,ce` alone (Table 3 rows b, c).
    GammaCe,
    /// `ℓ_ce + λ ℓ_s̄` (Table 3 rows d, e).
    Rep,
    /// `ℓ_γ,ce + λ ℓ_s̄` (Eq. 4).
    Mr2,
    /// MR² with the logits adjusted (Table 7).
    LaMr2(LogitAdjustment),
}

const GAMMA_CE_KEYS: &[&str] = &[
    "c_bar",
    "p",
    "decay",
    "uniform_gamma",
    "ema_reset",
    "class_stat",
];
const REP_KEYS: &[&str] = &["lambda", "decay", "s_bar_zero", "rep_scaling", "ema_reset"];
const MR2_KEYS: &[&str] = &[
    "c_bar",
    "lambda",
    "p",
    "decay",
    "uniform_gamma",
    "s_bar_zero",
    "rep_scaling",
    "ema_reset",
    "class_stat",
];
const LA_MR2_KEYS: &[&str] = &[
    "tau",
    "la_order",
    "c_bar",
    "lambda",
    "p",
    "decay",
    "uniform_gamma",
    "s_bar_zero",
    "rep_scaling",
    "ema_reset",
    "class_stat",
];

impl Mr2Form {
    /// Whether the logits are divided by γ.
    pub fn has_gamma(self) -> bool {
        !matches!(self, Self::Rep)
    }

    /// Whether `λ ℓ_s̄` is added.
    pub fn has_rep(self) -> bool {
        !matches!(self, Self::GammaCe)
    }

    /// The keys its configuration table takes, in the order they are written; every other
    /// [`Mr2Params`] field keeps its default (`rep`: p = 2, unused).
    pub fn keys(self) -> &'static [&'static str] {
        match self {
            Self::GammaCe => GAMMA_CE_KEYS,
            Self::Rep => REP_KEYS,
            Self::Mr2 => MR2_KEYS,
            Self::LaMr2(_) => LA_MR2_KEYS,
        }
    }
}

/// The ℓ_γ,ce term's settings, read from [`Mr2Spec::gamma`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaMargin {
    /// Mean margin c̄.
    pub c_bar: f64,
    /// `γ_k = c̄` for every class.
    pub uniform: bool,
}

/// The `λ ℓ_s̄` term's settings, read from [`Mr2Spec::rep`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RepMargin {
    /// Weight λ.
    pub lambda: f64,
    /// `s̄ = 0`.
    pub s_bar_zero: bool,
    /// Scaling and reduction of `ℓ_s̄`.
    pub scaling: RepScaling,
}

/// What an MR²-family objective uses: its form and its parameters, validated by
/// [`Mr2Spec::new`]. Stored in every checkpoint's objective state; a state written before
/// 2026-12-04 (positional `gamma`/`rep` tuples) still reads.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StoredSpec")]
pub struct Mr2Spec {
    form: Mr2Form,
    params: Mr2Params,
}

impl Mr2Spec {
    /// The objective `form` with `params`.
    ///
    /// # Errors
    /// The first invalid parameter the form uses, named: `c̄ ≤ 0` (with γ), `λ < 0` (with
    /// `ℓ_s̄`), `τ < 0` (LA), `p < 1`, `decay ∉ [0, 1)`.
    pub fn new(form: Mr2Form, params: Mr2Params) -> Result<Self> {
        if form.has_gamma() {
            gamma::check_c_bar(params.c_bar)?;
        }
        if form.has_rep() {
            check_finite_nonneg("lambda", params.lambda, "λ must be finite and >= 0")?;
        }
        if let Mr2Form::LaMr2(la) = form {
            check_finite_nonneg(
                "tau",
                la.tau,
                "the logit-adjustment τ must be finite and >= 0",
            )?;
        }
        crate::theory::check_p(params.p)?;
        check_unit("decay", params.decay, "the EMA decay must lie in [0, 1)")?;
        Ok(Self { form, params })
    }

    /// MR² (Eq. 4) with `params`.
    ///
    /// # Errors
    /// As [`Mr2Spec::new`].
    pub fn mr2(params: Mr2Params) -> Result<Self> {
        Self::new(Mr2Form::Mr2, params)
    }

    /// The form.
    pub fn form(&self) -> Mr2Form {
        self.form
    }

    /// The parameters (the one place c̄, p and the decay are kept).
    pub fn params(&self) -> &Mr2Params {
        &self.params
    }

    /// The γ term, when the form divides the logits by γ.
    pub fn gamma(&self) -> Option<GammaMargin> {
        self.form.has_gamma().then_some(GammaMargin {
            c_bar: self.params.c_bar,
            uniform: self.params.uniform_gamma,
        })
    }

    /// The `λ ℓ_s̄` term, when the form has it.
    pub fn rep(&self) -> Option<RepMargin> {
        self.form.has_rep().then_some(RepMargin {
            lambda: self.params.lambda,
            s_bar_zero: self.params.s_bar_zero,
            scaling: self.params.rep_scaling,
        })
    }

    /// The logit adjustment (LA + MR²).
    pub fn la(&self) -> Option<LogitAdjustment> {
        match self.form {
            Mr2Form::LaMr2(la) => Some(la),
            _ => None,
        }
    }
}

/// A stored [`Mr2Spec`]: the named form, or the positional one written before 2026-12-04.
#[derive(Deserialize)]
#[serde(untagged)]
enum StoredSpec {
    Named { form: Mr2Form, params: Mr2Params },
    Positional(PositionalSpec),
}

/// The layout of [`Mr2Spec`] before 2026-12-04.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PositionalSpec {
    gamma: Option<(f64, bool)>,
    rep: Option<(f64, bool, RepScaling)>,
    la_tau: Option<f64>,
    #[serde(default)]
    la_order: LaOrder,
    #[serde(default)]
    ema_reset: bool,
    decay: f64,
    p: f64,
}

impl TryFrom<StoredSpec> for Mr2Spec {
    type Error = crate::Error;

    fn try_from(s: StoredSpec) -> Result<Self> {
        let (form, params) = match s {
            StoredSpec::Named { form, params } => (form, params),
            StoredSpec::Positional(v) => {
                let d = Mr2Params::default();
                let (c_bar, uniform_gamma) = v.gamma.unwrap_or((d.c_bar, d.uniform_gamma));
                let (lambda, s_bar_zero, rep_scaling) =
                    v.rep.unwrap_or((d.lambda, d.s_bar_zero, d.rep_scaling));
                let form = match (v.gamma.is_some(), v.rep.is_some(), v.la_tau) {
                    (true, true, Some(tau)) => Mr2Form::LaMr2(LogitAdjustment {
                        tau,
                        order: v.la_order,
                    }),
                    (true, true, None) => Mr2Form::Mr2,
                    (true, false, None) => Mr2Form::GammaCe,
                    (false, true, None) => Mr2Form::Rep,
                    _ => {
                        return Err(invalid(
                            "MR² specification",
                            "gamma/rep/la_tau",
                            "a stored specification needs γ or ℓ_s̄, and both with τ",
                        ))
                    }
                };
                let params = Mr2Params {
                    c_bar,
                    lambda,
                    p: v.p,
                    decay: v.decay,
                    uniform_gamma,
                    s_bar_zero,
                    rep_scaling,
                    ema_reset: v.ema_reset,
                    class_stat: Default::default(),
                };
                (form, params)
            }
        };
        Self::new(form, params)
    }
}

/// A configuration table on its way in or out (TOML values: a NaN stays a float and reaches
/// validation).
type Table = toml::map::Map<String, toml::Value>;

/// A configuration table with only `keys` (else serde's "unknown field" error, which the
/// settings layer turns into a suggestion).
fn table_of<'de, D: Deserializer<'de>>(
    d: D,
    keys: &'static [&'static str],
) -> std::result::Result<Table, D::Error> {
    let m = Table::deserialize(d)?;
    match m.keys().find(|k| !keys.contains(&k.as_str())) {
        Some(k) => Err(D::Error::unknown_field(k, keys)),
        None => Ok(m),
    }
}

fn params_of<E: serde::de::Error>(m: Table) -> std::result::Result<Mr2Params, E> {
    Mr2Params::deserialize(toml::Value::Table(m)).map_err(E::custom)
}

/// Write the `keys` of `p` as a table.
fn write_table<S: Serializer>(
    p: &Mr2Params,
    keys: &[&str],
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    let toml::Value::Table(all) = toml::Value::try_from(p).map_err(S::Error::custom)? else {
        return Err(S::Error::custom("MR² parameters are not a table"));
    };
    let mut map = s.serialize_map(Some(keys.len()))?;
    for k in keys {
        if let Some(v) = all.get(*k) {
            map.serialize_entry(k, v)?;
        }
    }
    map.end()
}

/// A serde `with` module for a method whose table is [`Mr2Params`] restricted to `$keys`.
macro_rules! form_table {
    ($(#[$doc:meta])* $module:ident, $keys:expr) => {
        $(#[$doc])*
        pub(crate) mod $module {
            use super::*;

            pub fn serialize<S: Serializer>(
                p: &Mr2Params,
                s: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                write_table(p, $keys, s)
            }

            pub fn deserialize<'de, D: Deserializer<'de>>(
                d: D,
            ) -> std::result::Result<Mr2Params, D::Error> {
                params_of(table_of(d, $keys)?)
            }
        }
    };
}

form_table!(
    /// `method = "gamma-ce"`: [`Mr2Params`] with the keys of [`Mr2Form::GammaCe`].
    gamma_ce_table,
    GAMMA_CE_KEYS
);
form_table!(
    /// `method = "rep"`: [`Mr2Params`] with the keys of [`Mr2Form::Rep`].
    rep_table,
    REP_KEYS
);

impl<'de> Deserialize<'de> for LaMr2Params {
    /// One flat table: `tau`, `la_order` and [`Mr2Params`]'s keys (unknown keys refused).
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let mut m = table_of(d, LA_MR2_KEYS)?;
        let def = Self::default();
        let tau = match m.remove("tau") {
            Some(v) => f64::deserialize(v).map_err(D::Error::custom)?,
            None => def.tau,
        };
        let la_order = match m.remove("la_order") {
            Some(v) => LaOrder::deserialize(v).map_err(D::Error::custom)?,
            None => def.la_order,
        };
        Ok(Self {
            tau,
            la_order,
            mr2: params_of(m)?,
        })
    }
}
