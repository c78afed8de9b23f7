//! The models `bounds` trains when it is given none: ERM and MR² on a dataset, quickly.

use super::certificate::certificate_inputs;
use super::inputs::BoundInputs;
use super::pac_bayes::{certify_net, Certificates, CertifySettings};
use crate::data::{transform, DatasetName};
use crate::error::invalid;
use crate::error::Result;
use crate::loss::mr2::RepScaling;
use crate::loss::{CeParams, Method};
use crate::train::{train_on, RunOptions, TrainConfig};

/// What to train.
#[derive(Debug, Clone, Copy)]
pub struct QuickModels {
    /// Dataset.
    pub dataset: DatasetName,
    /// Epochs (default: the dataset's for synthetic data, 3 for images).
    pub epochs: Option<usize>,
    /// Fraction of a real training set (default 0.2).
    pub subset: Option<f64>,
    /// Seed.
    pub seed: u64,
    /// Train the features on half the training set and certify on the other half.
    pub certificate: bool,
}

impl QuickModels {
    /// Check the settings before anything is trained.
    ///
    /// # Errors
    /// A subset outside (0, 1], or any subset of the synthetic mixture (it is generated at
    /// its size; `--subset` would be ignored), naming `--subset`.
    pub fn validate(&self) -> Result<()> {
        if let Some(f) = self.subset {
            if !self.dataset.is_image() {
                return Err(invalid(
                    "--subset",
                    f,
                    "applies to a real dataset (--dataset): the synthetic mixture is generated at its size",
                ));
            }
            if !(f > 0.0 && f <= 1.0) {
                return Err(invalid("--subset", f, "the fraction must lie in (0, 1]"));
            }
        }
        Ok(())
    }

    /// The configuration of the ERM (`mr2 = false`) or MR² model: the dataset's defaults
    /// (synthetic: MLP, 15 epochs, λ = 0.1); for images a small CNN, 3 epochs on 20% of the
    /// training set, and `ℓ_s̄` scaled as `scaled-mean` (the exponent as in the released code,
    /// the batch mean; kept so that README's figures reproduce).
    pub fn config(&self, mr2: bool) -> TrainConfig {
        self.config_for(mr2, false)
    }

    /// [`QuickModels::config`], or with `certify` on images the `experiments --preset cpu`
    /// setting (8 epochs on the whole training set — of which the features see half — and the
    /// released `ℓ_s̄`), unless `epochs` / `subset` say otherwise.
    pub fn config_for(&self, mr2: bool, certify: bool) -> TrainConfig {
        let mut c = TrainConfig::defaults_for(self.dataset);
        if certify && self.dataset.is_image() {
            c.seed = self.seed;
            c.epochs = self.epochs.unwrap_or(8);
            c.data.subset = self.subset.filter(|f| *f < 1.0);
            if let Method::Mr2(p) = &mut c.loss {
                p.rep_scaling = RepScaling::Released;
            }
            if !mr2 {
                c.loss = Method::Ce(CeParams::default());
            }
            return c;
        }
        c.seed = self.seed;
        if self.dataset.is_image() {
            c.epochs = self.epochs.unwrap_or(3);
            c.data.subset = Some(self.subset.unwrap_or(0.2));
            if let Method::Mr2(p) = &mut c.loss {
                p.rep_scaling = RepScaling::ScaledMean;
            }
        } else if let Some(e) = self.epochs {
            c.epochs = e;
        }
        if !mr2 {
            c.loss = Method::Ce(CeParams::default());
        }
        c
    }

    /// Train ERM and MR² and return their bound inputs (named `ERM` and `MR²`).
    ///
    /// # Errors
    /// Data, training or backend errors.
    pub fn train(&self) -> Result<Vec<BoundInputs>> {
        Ok(self.train_each(None)?.into_iter().map(|(b, _)| b).collect())
    }

    /// Train ERM and MR² with features on half the training set and return, for each, the
    /// certificate-mode bound inputs (Eq. 15 for a head refitted on the other half) and the
    /// per-class certificates ([`certify_net`]) of its own head.
    ///
    /// # Errors
    /// Invalid settings; data, training or backend errors.
    pub fn train_certified(
        &self,
        settings: &CertifySettings,
    ) -> Result<Vec<(BoundInputs, Certificates)>> {
        settings.validate()?;
        let q = Self {
            certificate: true,
            ..*self
        };
        q.train_each(Some(settings))?
            .into_iter()
            .map(|(b, c)| {
                c.map(|c| (b, c))
                    .ok_or_else(|| invalid("certify", "", "no certificate"))
            })
            .collect()
    }

    fn train_each(
        &self,
        certify: Option<&CertifySettings>,
    ) -> Result<Vec<(BoundInputs, Option<Certificates>)>> {
        self.validate()?;
        let mut out = Vec::new();
        for (label, mr2) in [("ERM", false), ("MR²", true)] {
            let cfg = self.config_for(mr2, certify.is_some());
            let mut splits = cfg.data.load(cfg.seed)?;
            let held_out = if self.certificate {
                let (a, b) = transform::split(&splits.train, 0.5, cfg.seed)?;
                splits.train = a;
                Some(b)
            } else {
                None
            };
            eprintln!(
                "training {label} ({:?}, {} epochs)…",
                cfg.data.name, cfg.epochs
            );
            let t = train_on(&cfg, splits, RunOptions::default())?;
            let gamma = t.objective.gamma_used(t.splits.train.classes);
            let certificates = match (certify, &held_out) {
                (Some(s), Some(b)) => Some(certify_net(
                    label,
                    &t.model,
                    b,
                    &t.splits.test,
                    &gamma,
                    &t.device,
                    s,
                    |line| eprintln!("{label}: {line}"),
                )?),
                _ => None,
            };
            let inputs = match &held_out {
                Some(b) => {
                    certificate_inputs(label, &t.model, b, &t.splits.test, gamma, &t.device)?
                }
                None => BoundInputs::from_net(
                    label,
                    &t.model,
                    &t.splits.train,
                    &t.splits.test,
                    gamma,
                    &t.device,
                )?,
            };
            out.push((inputs, certificates));
        }
        Ok(out)
    }
}
