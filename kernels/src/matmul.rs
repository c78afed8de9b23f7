//! Safe strided matrix product over `gemm` (the crate's one `unsafe` call).

/// A read-only strided matrix view: element (i, j) is `data[i·rs + j·cs]`.
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

impl<'a> MatRef<'a> {
    /// A row-major `rows × cols` matrix stored contiguously.
    ///
    /// # Panics
    /// If `data` is shorter than `rows · cols`.
    pub fn row_major(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Self::strided(data, rows, cols, cols, 1)
    }

    /// A view with explicit strides.
    ///
    /// # Panics
    /// If the last element lies outside `data`.
    pub fn strided(data: &'a [f32], rows: usize, cols: usize, rs: usize, cs: usize) -> Self {
        if rows > 0 && cols > 0 {
            let last = (rows - 1) * rs + (cols - 1) * cs;
            assert!(
                last < data.len(),
                "matrix view {rows}×{cols} (strides {rs}, {cs}) exceeds its buffer of {}",
                data.len()
            );
        }
        Self {
            data,
            rows,
            cols,
            rs,
            cs,
        }
    }

    /// The transpose (no copy).
    pub fn t(self) -> Self {
        Self {
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
            ..self
        }
    }

    /// Rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Columns.
    pub fn cols(&self) -> usize {
        self.cols
    }
}

fn stride(s: usize) -> isize {
    isize::try_from(s).expect("matrix stride fits in isize")
}

/// `dst = a · b` (or `dst += a · b` when `accumulate`), `dst` row-major `a.rows × b.cols`.
/// `parallel` lets gemm use all rayon threads (for a call that is not already inside a
/// parallel loop).
///
/// # Panics
/// If the inner dimensions differ or `dst` has the wrong length.
pub fn matmul(dst: &mut [f32], a: MatRef<'_>, b: MatRef<'_>, accumulate: bool, parallel: bool) {
    let n = b.cols;
    assert_eq!(
        dst.len(),
        a.rows * n,
        "matmul: destination length is not {}×{n}",
        a.rows
    );
    matmul_strided(dst, [n, 1], a, b, accumulate, parallel);
}

/// [`matmul`] into a strided destination: element (i, j) of `a · b` goes to
/// `dst[i·strides[0] + j·strides[1]]` (e.g. `[1, rows]` writes the transpose).
///
/// # Panics
/// If the inner dimensions differ or the destination view exceeds `dst` or overlaps itself.
pub fn matmul_strided(
    dst: &mut [f32],
    strides: [usize; 2],
    a: MatRef<'_>,
    b: MatRef<'_>,
    accumulate: bool,
    parallel: bool,
) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert_eq!(
        k, b.rows,
        "matmul: inner dimensions {k} and {} differ",
        b.rows
    );
    // The destination view must lie inside `dst` and its elements must not coincide.
    let _ = MatRef::strided(dst, m, n, strides[0], strides[1]);
    assert!(
        (m <= 1 || strides[0] > 0) && (n <= 1 || strides[1] > 0),
        "matmul: destination strides {strides:?} overlap for a {m}×{n} result"
    );
    if m > 1 && n > 1 {
        let (small, big) = if strides[0] <= strides[1] {
            (0, 1)
        } else {
            (1, 0)
        };
        let extent = [m, n][small];
        assert!(
            strides[small] > 0 && strides[big] >= strides[small] * extent,
            "matmul: destination strides {strides:?} overlap for a {m}×{n} result"
        );
    }
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            for i in 0..m {
                for j in 0..n {
                    dst[i * strides[0] + j * strides[1]] = 0.0;
                }
            }
        }
        return;
    }
    let par = if parallel {
        gemm::Parallelism::Rayon(0)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: every destination element i·strides[0] + j·strides[1] (i < m, j < n) lies in
    // the exclusively borrowed `dst` and no two coincide (both checked above); `a` and `b` are
    // shared views whose every addressed element was bounds-checked when the view was built;
    // `dst` cannot alias them (it is a `&mut` borrow). gemm reads `dst` only when `read_dst`
    // is set.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            stride(strides[1]),
            stride(strides[0]),
            accumulate,
            a.data.as_ptr(),
            stride(a.cs),
            stride(a.rs),
            b.data.as_ptr(),
            stride(b.cs),
            stride(b.rs),
            1.0,
            1.0,
            false,
            false,
            false,
            par,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{random, rel};

    fn naive(a: MatRef<'_>, b: MatRef<'_>) -> Vec<f64> {
        let mut out = vec![0.0; a.rows * b.cols];
        for i in 0..a.rows {
            for j in 0..b.cols {
                out[i * b.cols + j] = (0..a.cols)
                    .map(|l| {
                        f64::from(a.data[i * a.rs + l * a.cs])
                            * f64::from(b.data[l * b.rs + j * b.cs])
                    })
                    .sum();
            }
        }
        out
    }

    #[test]
    fn products_of_strided_views_match_the_definition() {
        for (m, k, n) in [(1, 1, 1), (3, 5, 7), (17, 33, 9), (64, 27, 100)] {
            let a = random(m * k, 1);
            let b = random(k * n, 2);
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let av = if ta {
                    MatRef::row_major(&a, k, m).t()
                } else {
                    MatRef::row_major(&a, m, k)
                };
                let bv = if tb {
                    MatRef::row_major(&b, n, k).t()
                } else {
                    MatRef::row_major(&b, k, n)
                };
                let want = naive(av, bv);
                for par in [false, true] {
                    let mut d = vec![f32::NAN; m * n];
                    matmul(&mut d, av, bv, false, par);
                    assert!(rel(&d, &want) < 1e-6, "{m}×{k}×{n} t={ta},{tb}");
                    // accumulate adds on top
                    matmul(&mut d, av, bv, true, par);
                    let twice: Vec<f64> = want.iter().map(|x| 2.0 * x).collect();
                    assert!(rel(&d, &twice) < 1e-6);
                }
            }
        }
    }

    #[test]
    fn transposed_destinations_receive_the_transpose() {
        let (m, k, n) = (5, 7, 3);
        let a = random(m * k, 5);
        let b = random(k * n, 6);
        let (av, bv) = (MatRef::row_major(&a, m, k), MatRef::row_major(&b, k, n));
        let want = naive(av, bv);
        let mut t = vec![0.0; m * n];
        matmul_strided(&mut t, [1, m], av, bv, false, false);
        let back: Vec<f32> = (0..m * n).map(|i| t[(i % n) * m + i / n]).collect();
        assert!(rel(&back, &want) < 1e-6);
    }

    #[test]
    #[should_panic(expected = "overlap")]
    fn overlapping_destinations_are_refused() {
        let mut d = vec![0.0; 16];
        let a = [1.0; 6];
        matmul_strided(
            &mut d,
            [1, 1],
            MatRef::row_major(&a, 3, 2),
            MatRef::row_major(&a, 2, 3),
            false,
            false,
        );
    }

    #[test]
    fn empty_inner_dimension_gives_zero_or_keeps_dst() {
        let mut d = vec![3.0; 6];
        matmul(
            &mut d,
            MatRef::row_major(&[], 2, 0),
            MatRef::row_major(&[], 0, 3),
            true,
            false,
        );
        assert_eq!(d, vec![3.0; 6]);
        matmul(
            &mut d,
            MatRef::row_major(&[], 2, 0),
            MatRef::row_major(&[], 0, 3),
            false,
            false,
        );
        assert_eq!(d, vec![0.0; 6]);
    }

    #[test]
    #[should_panic(expected = "exceeds its buffer")]
    fn views_outside_the_buffer_are_refused() {
        let _ = MatRef::strided(&[0.0; 5], 2, 3, 3, 1);
    }
}
