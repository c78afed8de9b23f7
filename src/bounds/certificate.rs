//! Certificate mode: a bound that holds for the head. Features come from a net trained on one
//! part of the training data; a new head is fitted on the other part with Λ and γ fixed
//! before that part is seen, and the bound is computed on it — the head is then a data-dependent
//! choice within a class fixed in advance, as Prop. 1 requires.

use burn::tensor::Device;
use ndarray::Array2;

use super::inputs::{feature_matrix, transform_features, BoundInputs, TestSet};
use crate::data::Dataset;
use crate::error::{invalid, Result};
use crate::eval::predict;
use crate::model::{LinearHead, Net};
use crate::theory::lp_norm;

/// Mean γ-scaled softmax cross-entropy `(1/N) Σ_i −ln softmax(Wφ_i/γ_{y_i})_{y_i}` of a head
/// `w` (`K` rows) on features `f` and its gradient with respect to every `w_k`.
pub fn head_loss_and_grad(
    f: &Array2<f64>,
    y: &[usize],
    w: &[Vec<f64>],
    gamma: &[f64],
) -> (f64, Vec<Vec<f64>>) {
    let (n, d) = f.dim();
    let k = w.len();
    let mut g = vec![vec![0.0; d]; k];
    let mut loss = 0.0;
    for i in 0..n {
        let gi = gamma[y[i]];
        let z: Vec<f64> = (0..k)
            .map(|c| {
                w[c].iter()
                    .zip(f.row(i).iter())
                    .map(|(a, b)| a * b)
                    .sum::<f64>()
                    / gi
            })
            .collect();
        let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = z.iter().map(|v| (v - m).exp()).collect();
        let s: f64 = e.iter().sum();
        loss += m + s.ln() - z[y[i]];
        for c in 0..k {
            let coef = (e[c] / s - f64::from(u8::from(c == y[i]))) / gi / n as f64;
            for (gj, xj) in g[c].iter_mut().zip(f.row(i).iter()) {
                *gj += coef * xj;
            }
        }
    }
    (loss / n as f64, g)
}

/// Projected gradient descent on [`head_loss_and_grad`] from `w = 0`, step 0.5, each row
/// projected onto the ball `‖w_k‖₂ ≤ Λ` after every step.
///
/// # Errors
/// `Λ` not finite and > 0, labels outside `0..K`, γ of the wrong length.
pub fn fit_head(
    f: &Array2<f64>,
    y: &[usize],
    k: usize,
    gamma: &[f64],
    norm_bound: f64,
    iters: usize,
) -> Result<Vec<Vec<f64>>> {
    if !(norm_bound.is_finite() && norm_bound > 0.0) {
        return Err(invalid(
            "Lambda",
            norm_bound,
            "the head-norm bound Λ must be finite and > 0",
        ));
    }
    if gamma.len() != k || y.iter().any(|&v| v >= k) {
        return Err(invalid(
            "labels/gamma",
            k,
            "labels must lie in 0..K and γ have K entries",
        ));
    }
    Ok(descend(
        vec![vec![0.0; f.ncols()]; k],
        f,
        y,
        gamma,
        Some(norm_bound),
        iters,
    ))
}

/// `steps` steps of gradient descent (step 0.5) on [`head_loss_and_grad`] from `w`, each row
/// projected onto the ball `‖w_k‖₂ ≤ Λ` after every step when `norm_bound = Some(Λ)`.
pub fn descend(
    mut w: Vec<Vec<f64>>,
    f: &Array2<f64>,
    y: &[usize],
    gamma: &[f64],
    norm_bound: Option<f64>,
    steps: usize,
) -> Vec<Vec<f64>> {
    for _ in 0..steps {
        let (_, g) = head_loss_and_grad(f, y, &w, gamma);
        for (wc, gc) in w.iter_mut().zip(&g) {
            for (a, b) in wc.iter_mut().zip(gc) {
                *a -= 0.5 * b;
            }
            if let Some(bound) = norm_bound {
                let nrm = lp_norm(wc, 2.0);
                if nrm > bound {
                    wc.iter_mut().for_each(|v| *v *= bound / nrm);
                }
            }
        }
    }
    w
}

/// Certificate inputs: `net` was trained on another part of the training data; its features on
/// `held_out` get a new head (Λ = the net's largest head-row norm, γ as given, both fixed before
/// `held_out` is used), and the test error is that head's.
///
/// # Errors
/// Backend failures; inconsistent inputs.
pub fn certificate_inputs(
    name: impl Into<String>,
    net: &Net,
    held_out: &Dataset,
    test: &Dataset,
    gamma: Vec<f64>,
    device: &Device,
) -> Result<BoundInputs> {
    let head = net.linear_head()?;
    let bp = predict(net, held_out, 256, device)?;
    let tp = predict(net, test, 256, device)?;
    let fb = transform_features(&feature_matrix(&bp), &head);
    let ft = transform_features(&feature_matrix(&tp), &head);
    let folded = BoundInputs::new(
        "",
        &feature_matrix(&bp),
        bp.labels.clone(),
        &head,
        gamma.clone(),
        None,
        TestSet::Accuracy {
            per_class: vec![1.0; head.weights.len()],
            overall: 1.0,
        },
    )?;
    let norm_bound = folded
        .head
        .iter()
        .map(|w| lp_norm(w, 2.0))
        .fold(0.0, f64::max);
    let k = held_out.classes;
    let fitted = fit_head(&fb, &bp.labels, k, &gamma, norm_bound, 300)?;
    let plain = LinearHead {
        bias: vec![0.0; k],
        weights: fitted,
        normalize_features: false,
    };
    BoundInputs::new(
        name,
        &fb,
        bp.labels,
        &plain,
        gamma,
        Some((0..k).map(|c| held_out.class_name(c)).collect()),
        TestSet::Features(ft, tp.labels),
    )
}
