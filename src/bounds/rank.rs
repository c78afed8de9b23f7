//! Rank correlations of the per-class bound with the per-class error.

/// Average ranks (ties share the mean rank).
pub fn ranks(v: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && v[idx[j + 1]].total_cmp(&v[idx[i]]).is_eq() {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &t in &idx[i..=j] {
            r[t] = avg;
        }
        i = j + 1;
    }
    r
}

// Exact zero variance means a constant side: the correlation is undefined.
#[allow(clippy::float_cmp)]
fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    if va == 0.0 || vb == 0.0 {
        f64::NAN
    } else {
        cov / (va * vb).sqrt()
    }
}

/// The pairs `(a_i, b_i)` where both are finite (a class without test samples has no error,
/// so it has no rank).
pub fn defined_pairs(a: &[f64], b: &[f64]) -> (Vec<f64>, Vec<f64>) {
    a.iter()
        .zip(b)
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .map(|(x, y)| (*x, *y))
        .unzip()
}

/// Spearman's ρ (Pearson correlation of average ranks) over the pairs where both values are
/// defined ([`defined_pairs`]); NaN when either side is constant or fewer than 2 pairs remain.
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let (a, b) = defined_pairs(a, b);
    if a.len() < 2 {
        return f64::NAN;
    }
    pearson(&ranks(&a), &ranks(&b))
}

/// Kendall's τ-b (ties corrected) over the pairs where both values are defined
/// ([`defined_pairs`]); NaN when either side is constant or fewer than 2 pairs remain.
// Exact ties are what τ-b corrects for.
#[allow(clippy::float_cmp)]
pub fn kendall(a: &[f64], b: &[f64]) -> f64 {
    let (a, b) = defined_pairs(a, b);
    let n = a.len();
    let (mut conc, mut disc, mut ta, mut tb) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for i in 0..n {
        for j in i + 1..n {
            let (da, db) = (a[i] - a[j], b[i] - b[j]);
            if da == 0.0 && db == 0.0 {
                continue;
            } else if da == 0.0 {
                ta += 1.0;
            } else if db == 0.0 {
                tb += 1.0;
            } else if da * db > 0.0 {
                conc += 1.0;
            } else {
                disc += 1.0;
            }
        }
    }
    let denom = ((conc + disc + ta) * (conc + disc + tb)).sqrt();
    if denom == 0.0 {
        f64::NAN
    } else {
        (conc - disc) / denom
    }
}
