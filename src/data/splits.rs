//! The data part of a run's configuration and the training / validation / test sets it produces.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{cifar, folder, idx, synthetic, transform, Dataset, SyntheticConfig};
use crate::error::{data_err, Error, Result};

/// Which dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum DatasetName {
    /// The embedded synthetic heteroscedastic mixture (no files).
    Synthetic,
    /// MNIST (IDX files under `dir`, default `data/mnist`).
    Mnist,
    /// Fashion-MNIST (IDX files under `dir`, default `data/fashion-mnist`).
    FashionMnist,
    /// CIFAR-10 under `dir` (default `data/cifar10-jpeg`, where `scripts/fetch-data.sh cifar10`
    /// unpacks the JPEG copy; the one default of every entry point): the official binary
    /// batches or the one-folder-per-class layout (`dir/{train,test}/<class>/*.jpg`), whichever
    /// `dir` holds.
    Cifar10,
    /// CIFAR-100 binary files under `dir` (default `data/cifar-100-binary`).
    Cifar100,
    /// Any images in the one-folder-per-class layout under `dir` (default `data/images`):
    /// `dir/{train,test}/<class>/*.{jpg,jpeg,png}`, class names from the sorted folder names.
    ImageFolder,
}

impl DatasetName {
    /// Directory used when `dir` is not given.
    pub fn default_dir(self) -> PathBuf {
        PathBuf::from("data").join(match self {
            Self::Synthetic => "",
            Self::Mnist => "mnist",
            Self::FashionMnist => "fashion-mnist",
            Self::Cifar10 => "cifar10-jpeg",
            Self::Cifar100 => "cifar-100-binary",
            Self::ImageFolder => "images",
        })
    }

    /// Refuse a directory for the synthetic mixture, which is generated and reads no files (the
    /// one check behind `train --data-dir`, a configuration file's `[data] dir` and
    /// `experiments --data-dir`).
    ///
    /// # Errors
    /// `self` is [`DatasetName::Synthetic`].
    pub fn check_dir(self, dir: &std::path::Path) -> Result<()> {
        if self == Self::Synthetic {
            return Err(crate::error::invalid(
                "data_dir",
                dir.display(),
                "the synthetic mixture is generated and reads no files: drop --data-dir (or [data] dir), or choose a dataset read from files",
            ));
        }
        Ok(())
    }

    /// Whether the samples are images (convolutional models apply).
    pub fn is_image(self) -> bool {
        self != Self::Synthetic
    }

    /// Whether it is CIFAR-10 or CIFAR-100 (the released MR² code's CIFAR scripts set s̄ = 0).
    pub fn is_cifar(self) -> bool {
        matches!(self, Self::Cifar10 | Self::Cifar100)
    }
}

/// Imbalance applied to the training set.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", deny_unknown_fields)]
pub enum Imbalance {
    /// LDAM long tail `n_i = n_max ρ^{−i/(K−1)}`.
    LongTail {
        /// ρ ≥ 1.
        ratio: f64,
    },
    /// LDAM-DRW's own subset (Cao et al.'s code): the same profile,
    /// `int(n_max · (1/ρ)^{i/(K−1)})`, drawn with numpy's `RandomState(0)` exactly as their
    /// `IMBALANCECIFAR10` draws it, whatever the run's seed ([`super::ldam_draw`]); needs a
    /// balanced training set listed in the official order within each class.
    LongTailLdam {
        /// ρ ≥ 1.
        ratio: f64,
    },
    /// Half the classes reduced by ρ.
    Step {
        /// ρ ≥ 1.
        ratio: f64,
    },
}

/// Data settings of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DataConfig {
    /// Dataset.
    pub name: DatasetName,
    /// Directory of the files (real datasets; default [`DatasetName::default_dir`]).
    pub dir: Option<PathBuf>,
    /// Synthetic mixture settings.
    pub synthetic: SyntheticConfig,
    /// Keep this stratified fraction of the training set (e.g. 0.1).
    pub subset: Option<f64>,
    /// Hold out this stratified fraction of the training set for validation.
    pub val_fraction: Option<f64>,
    /// Training-set imbalance.
    pub imbalance: Option<Imbalance>,
    /// Per-channel standardisation fitted on the training set.
    pub standardize: bool,
    /// Random crop (zero padding `augment_pad`) + horizontal flip for image datasets.
    pub augment: bool,
    /// The crop's padding in pixels (the CIFAR recipe: 4); the augmentation's strength.
    pub augment_pad: usize,
}

impl Default for DataConfig {
    fn default() -> Self {
        Self {
            name: DatasetName::Synthetic,
            dir: None,
            synthetic: SyntheticConfig::default(),
            subset: None,
            val_fraction: None,
            imbalance: None,
            standardize: true,
            augment: false,
            augment_pad: 4,
        }
    }
}

/// Training, validation and test sets after every transform.
pub struct Splits {
    /// Training set.
    pub train: Dataset,
    /// Validation set (if `val_fraction`).
    pub val: Option<Dataset>,
    /// Test set.
    pub test: Dataset,
}

impl DataConfig {
    /// The directory the dataset's files are read from.
    pub fn resolved_dir(&self) -> PathBuf {
        self.dir.clone().unwrap_or_else(|| self.name.default_dir())
    }

    /// Load and transform: subset, imbalance, validation split, standardisation (fitted on the
    /// training part). `seed` drives the synthetic draw and every random selection.
    ///
    /// # Errors
    /// Missing or malformed files (named), training and test sets that disagree in sample shape
    /// or classes, invalid fractions or ratios, and a class left empty by the transforms.
    pub fn load(&self, seed: u64) -> Result<Splits> {
        let dir = self.resolved_dir();
        let (mut train, mut test) = match self.name {
            DatasetName::Synthetic => synthetic(&SyntheticConfig {
                seed,
                ..self.synthetic
            })?,
            DatasetName::Mnist => idx::load(&dir, None)?,
            DatasetName::FashionMnist => idx::load(
                &dir,
                Some(
                    idx::FASHION_MNIST_CLASSES
                        .iter()
                        .map(|s| s.to_string())
                        .collect(),
                ),
            )?,
            DatasetName::Cifar10 if folder::is_folder_layout(&dir) => {
                let (tr, te) = folder::load_dir(&dir)?;
                if tr.classes != 10 {
                    return Err(data_err(
                        &dir,
                        format!(
                            "CIFAR-10 has 10 class folders (airplane … truck); this one has {:?}: use --dataset image-folder for another dataset",
                            tr.class_names.clone().unwrap_or_default()
                        ),
                    ));
                }
                (tr, te)
            }
            DatasetName::Cifar10 => cifar::load_dir(&dir, cifar::Variant::Cifar10)?,
            DatasetName::ImageFolder => folder::load_dir(&dir)?,
            DatasetName::Cifar100 => cifar::load_dir(&dir, cifar::Variant::Cifar100)?,
        };
        if train.shape != test.shape || train.classes != test.classes {
            return Err(data_err(
                &dir,
                format!(
                    "the training set has samples of shape {:?} and {} classes, the test set {:?} and {}",
                    train.shape, train.classes, test.shape, test.classes
                ),
            ));
        }
        if let Some(f) = self.subset {
            train = transform::subset(&train, f, seed)?;
        }
        match self.imbalance {
            Some(Imbalance::LongTail { ratio }) => {
                train = transform::long_tail(&train, ratio, seed)?
            }
            Some(Imbalance::LongTailLdam { ratio }) => {
                train = super::ldam_draw::long_tail_ldam(&train, ratio)?
            }
            Some(Imbalance::Step { ratio }) => {
                train = transform::step_imbalance(&train, ratio, seed)?
            }
            None => {}
        }
        let mut val = None;
        if let Some(f) = self.val_fraction {
            let (t, v) = transform::split(&train, f, seed)?;
            train = t;
            val = Some(v);
        }
        if self.standardize {
            let s = transform::Standardizer::fit(&train);
            s.apply(&mut train);
            s.apply(&mut test);
            if let Some(v) = val.as_mut() {
                s.apply(v);
            }
        }
        if let Some(k) = train.class_counts().iter().position(|&c| c == 0) {
            return Err(Error::EmptyClass {
                class: Some(k),
                context: "the training set after subset/imbalance/split",
            });
        }
        Ok(Splits { train, val, test })
    }
}
