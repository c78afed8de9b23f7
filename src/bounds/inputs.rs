//! What the bounds need from a trained model — training features, labels, the head as a linear
//! scoring rule, the γ used in training, and the observed test error — from a net, from a run
//! directory written by `train`, or (bring your own model) from feature files.

use std::path::Path;

use burn::tensor::Device;
use ndarray::Array2;

use crate::data::Dataset;
use crate::error::{invalid, Error, Result};
use crate::eval::{predict, Predictions};
use crate::model::{LinearHead, Net};

/// The bounds' inputs for one model.
#[derive(Debug, Clone)]
pub struct BoundInputs {
    /// Label of the model in reports (`ERM`, a run directory's name, …).
    pub name: String,
    /// Training features `φ̃` (`N × d`): normalised for a cosine head, with a constant last
    /// coordinate 1 when the head has a bias (folded in, so `f(x, y) = w_yᵀφ̃(x)` as in §4).
    pub features: Array2<f64>,
    /// Training labels.
    pub labels: Vec<usize>,
    /// Head rows `w_k` (`K × d`, the bias as last coordinate when folded).
    pub head: Vec<Vec<f64>>,
    /// Margins γ the logits were divided by in training.
    pub gamma: Vec<f64>,
    /// Class names.
    pub class_names: Vec<String>,
    /// Observed test error per class.
    pub test_error_per_class: Vec<f64>,
    /// Observed overall test error.
    pub test_error: f64,
    /// Test samples per class, when the error was measured here (test features); `None` when
    /// only accuracies were given.
    pub test_counts: Option<Vec<usize>>,
    /// Where the model came from when that matters to a reader (a run's checkpoint epoch, and
    /// whether the run had finished); `None` otherwise.
    pub provenance: Option<String>,
}

/// How the observed test error is known.
pub enum TestSet {
    /// Test features (raw, as the model outputs them) and labels: the error is the head's on them.
    Features(Array2<f64>, Vec<usize>),
    /// Per-class test accuracy and overall accuracy, as measured elsewhere.
    Accuracy {
        /// Per class.
        per_class: Vec<f64>,
        /// Overall.
        overall: f64,
    },
}

/// `φ̃` of raw feature rows for a head: normalised rows for a cosine head, the bias coordinate
/// appended when the head has a (non-zero) bias.
pub fn transform_features(raw: &Array2<f64>, head: &LinearHead) -> Array2<f64> {
    let bias = head.bias.iter().any(|b| *b != 0.0);
    let (n, d) = raw.dim();
    let norms: Vec<f64> = (0..n)
        .map(|i| {
            if head.normalize_features {
                raw.row(i)
                    .iter()
                    .map(|v| v * v)
                    .sum::<f64>()
                    .sqrt()
                    .max(f64::from(crate::model::NORM_EPS))
            } else {
                1.0
            }
        })
        .collect();
    Array2::from_shape_fn((n, d + usize::from(bias)), |(i, j)| {
        if j < d {
            raw[[i, j]] / norms[i]
        } else {
            1.0
        }
    })
}

/// The head's rows `w_k`, each with its bias appended when `folded` (the features then carry
/// the constant coordinate 1 of [`transform_features`]).
pub fn fold_head(head: &LinearHead, folded: bool) -> Vec<Vec<f64>> {
    head.weights
        .iter()
        .zip(&head.bias)
        .map(|(w, b)| {
            let mut r = w.clone();
            if folded {
                r.push(*b);
            }
            r
        })
        .collect()
}

/// Scores `w_kᵀφ̃` of row `i`.
pub fn scores(f: &Array2<f64>, head: &[Vec<f64>], i: usize) -> Vec<f64> {
    head.iter()
        .map(|w| w.iter().zip(f.row(i).iter()).map(|(a, b)| a * b).sum())
        .collect()
}

/// Predicted class (first arg-max) of a score row.
pub fn argmax(z: &[f64]) -> usize {
    (0..z.len()).fold(0, |b, j| if z[j] > z[b] { j } else { b })
}

/// Per-class and overall error of `head` on transformed features, under the bounds' 0-1 loss
/// (`zero_one`: a tie for the top score is an error, as `margin ≤ 0`) — the same count as the
/// training error the bounds report (an all-zero head used to have training error 1 but a test
/// error of 1 − 1/K, its ties broken to the first class).
pub fn head_errors(f: &Array2<f64>, labels: &[usize], head: &[Vec<f64>]) -> (Vec<f64>, f64) {
    let k = head.len();
    let mut hit = vec![0usize; k];
    let mut tot = vec![0usize; k];
    for (i, &y) in labels.iter().enumerate() {
        tot[y] += 1;
        hit[y] += usize::from(crate::theory::margin::zero_one(&scores(f, head, i), y) == 0.0);
    }
    let per: Vec<f64> = hit
        .iter()
        .zip(&tot)
        .map(|(h, t)| {
            if *t == 0 {
                f64::NAN
            } else {
                1.0 - *h as f64 / *t as f64
            }
        })
        .collect();
    let overall = 1.0 - hit.iter().sum::<usize>() as f64 / tot.iter().sum::<usize>().max(1) as f64;
    (per, overall)
}

/// Raw features of predictions as `N × d` f64.
pub fn feature_matrix(p: &Predictions) -> Array2<f64> {
    Array2::from_shape_fn((p.labels.len(), p.d), |(i, j)| {
        f64::from(p.features[i * p.d + j])
    })
}

impl BoundInputs {
    /// Assemble and check the inputs: `K ≥ 2` head rows of the features' width, labels in
    /// `0..K`, one γ per class (finite, > 0), finite features and weights, every class present
    /// in training; test features of the same width, finite, at least one, one label per row.
    /// A class without test samples has test error NaN: the reports say so and leave it out of
    /// the rank correlations.
    ///
    /// # Errors
    /// The first inconsistency, naming the input.
    pub fn new(
        name: impl Into<String>,
        raw_train: &Array2<f64>,
        labels: Vec<usize>,
        head: &LinearHead,
        gamma: Vec<f64>,
        class_names: Option<Vec<String>>,
        test: TestSet,
    ) -> Result<Self> {
        let k = head.weights.len();
        let d = raw_train.ncols();
        if k < 2 {
            return Err(invalid("head", k, "need at least 2 classes (head rows)"));
        }
        if let Some(w) = head.weights.iter().find(|w| w.len() != d) {
            return Err(Error::Shape {
                what: "head row width (= feature dimension)",
                expected: d,
                got: w.len(),
            });
        }
        if head.bias.len() != k {
            return Err(Error::Shape {
                what: "head bias (one per class)",
                expected: k,
                got: head.bias.len(),
            });
        }
        if labels.len() != raw_train.nrows() {
            return Err(Error::Shape {
                what: "training labels (one per feature row)",
                expected: raw_train.nrows(),
                got: labels.len(),
            });
        }
        if let Some(&y) = labels.iter().find(|&&y| y >= k) {
            return Err(invalid(
                "label",
                y,
                "training labels must lie in 0..K (the head's rows)",
            ));
        }
        if gamma.len() != k {
            return Err(Error::Shape {
                what: "gamma (one per class)",
                expected: k,
                got: gamma.len(),
            });
        }
        if let Some(g) = gamma.iter().find(|g| !(g.is_finite() && **g > 0.0)) {
            return Err(invalid("gamma", g, "every γ_k must be finite and > 0"));
        }
        if raw_train.iter().any(|v| !v.is_finite())
            || head
                .weights
                .iter()
                .flatten()
                .chain(&head.bias)
                .any(|v| !v.is_finite())
        {
            return Err(invalid(
                "features/head",
                "non-finite",
                "features and head weights must be finite",
            ));
        }
        let features = transform_features(raw_train, head);
        let bias = features.ncols() > d;
        let weights = fold_head(head, bias);
        let mut test_counts = None;
        let (test_error_per_class, test_error) = match test {
            TestSet::Features(f, y) => {
                if f.ncols() != d {
                    return Err(Error::Shape {
                        what: "test feature width (= the training features' width)",
                        expected: d,
                        got: f.ncols(),
                    });
                }
                if y.len() != f.nrows() {
                    return Err(Error::Shape {
                        what: "test labels (one per test feature row)",
                        expected: f.nrows(),
                        got: y.len(),
                    });
                }
                if f.nrows() == 0 {
                    return Err(invalid(
                        "test_features",
                        "0 rows",
                        "the test set is empty: no test error can be measured",
                    ));
                }
                if let Some(i) = f.iter().position(|v| !v.is_finite()) {
                    return Err(invalid(
                        "test_features",
                        format!("non-finite value in row {}", i / d.max(1)),
                        "test features must be finite",
                    ));
                }
                if let Some(&bad) = y.iter().find(|&&v| v >= k) {
                    return Err(invalid("test label", bad, "test labels must lie in 0..K"));
                }
                let mut counts = vec![0usize; k];
                for &c in &y {
                    counts[c] += 1;
                }
                test_counts = Some(counts);
                head_errors(&transform_features(&f, head), &y, &weights)
            }
            TestSet::Accuracy { per_class, overall } => {
                if per_class.len() != k {
                    return Err(Error::Shape {
                        what: "per-class test accuracy",
                        expected: k,
                        got: per_class.len(),
                    });
                }
                if let Some(a) = per_class
                    .iter()
                    .chain([&overall])
                    .find(|a| !(0.0..=1.0).contains(*a))
                {
                    return Err(invalid("test accuracy", a, "accuracies must lie in [0, 1]"));
                }
                (per_class.iter().map(|a| 1.0 - a).collect(), 1.0 - overall)
            }
        };
        let class_names = class_names.unwrap_or_else(|| (0..k).map(|c| c.to_string()).collect());
        if class_names.len() != k {
            return Err(Error::Shape {
                what: "class names",
                expected: k,
                got: class_names.len(),
            });
        }
        Ok(Self {
            name: name.into(),
            features,
            labels,
            head: weights,
            gamma,
            class_names,
            test_error_per_class,
            test_error,
            test_counts,
            provenance: None,
        })
    }

    /// From a net and its training and test sets (features in evaluation mode).
    ///
    /// # Errors
    /// Backend failures; inconsistent inputs (see [`BoundInputs::new`]).
    pub fn from_net(
        name: impl Into<String>,
        net: &Net,
        train: &Dataset,
        test: &Dataset,
        gamma: Vec<f64>,
        device: &Device,
    ) -> Result<Self> {
        let trp = predict(net, train, 256, device)?;
        let tep = predict(net, test, 256, device)?;
        let names = (0..train.classes).map(|k| train.class_name(k)).collect();
        Self::new(
            name,
            &feature_matrix(&trp),
            trp.labels.clone(),
            &net.linear_head()?,
            gamma,
            Some(names),
            TestSet::Features(feature_matrix(&tep), tep.labels),
        )
    }

    /// From a run directory written by `train`: its configuration, its latest verified
    /// checkpoint, the γ its objective used, and its data.
    ///
    /// # Errors
    /// As [`crate::train::checkpoint::latest_verified`], data errors, and a run without a
    /// checkpoint.
    pub fn from_run(dir: &Path) -> Result<Self> {
        if dir.join("plan.json").is_file() {
            return Err(crate::error::checkpoint_err(
                dir,
                "is an experiments grid, not a run: give one of its runs (DIR/runs/ID), or use `experiments bounds-vs-error` for the whole grid",
            ));
        }
        let r = crate::train::restore(dir)?;
        let name = dir
            .file_name()
            .map_or("model".into(), |n| n.to_string_lossy().into_owned());
        let k = r.splits.train.classes;
        let mut inputs = Self::from_net(
            name,
            &r.net,
            &r.splits.train,
            &r.splits.test,
            r.state.objective.gamma_used(k),
            &crate::train::device(),
        )?;
        inputs.provenance = Some(r.provenance);
        Ok(inputs)
    }

    /// Classes `K`.
    pub fn classes(&self) -> usize {
        self.head.len()
    }
}
