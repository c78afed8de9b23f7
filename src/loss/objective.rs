//! [`Objective`]: a [`Method`] with its training state (saved with every checkpoint), and the
//! dispatch of a batch, an epoch start and the state checks to each method's implementation.

use serde::{Deserialize, Serialize};

use super::ce::{Eql, FocalParams, La, LabelSmoothingParams};
use super::dro::{FairDro, GroupDro};
use super::largest_margin::{LmSoftmaxParams, SampleMarginParams};
use super::margin::{scale_as_gamma, Ldam, Mm};
use super::mr2::Mr2;
use super::representation::{Center, Drl, LgmParams, SupConParams};
use super::reweight::{Csr, Jtt, Lff};
use super::{Batch, EpochPlan, EpochStart, Method, Terms, TrainingSet};
use crate::error::{invalid, Error, Result};

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
        if method.mr2_form().is_none() {
            method.validate()?; // the MR² family's parameters are checked by `Mr2Spec::new` below
        }
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
                    .mr2_spec()?
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
            Self::Mr2(o) => {
                o.on_epoch_start();
                Ok(EpochPlan::default())
            }
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
            Self::Mr2(o) => o.state.validate(k, o.spec.params().decay),
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
