//! Every numerical tolerance the verification suite uses, with the reason for its value.
//!
//! No test or claim uses a bare literal tolerance: they all come from here.

/// A relative/absolute tolerance pair: `|a - b| <= abs + rel * max(|a|, |b|)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    /// Relative part.
    pub rel: f64,
    /// Absolute part.
    pub abs: f64,
}

impl Tolerance {
    /// Whether `a` and `b` agree within this tolerance. A non-finite value agrees only with
    /// itself (an infinity is not "relatively close" to every number, and NaN to nothing).
    pub fn close(&self, a: f64, b: f64) -> bool {
        if !(a.is_finite() && b.is_finite()) {
            // Equal infinities agree; NaN agrees with nothing.
            return a.is_infinite()
                && b.is_infinite()
                && a.signum().to_bits() == b.signum().to_bits();
        }
        (a - b).abs() <= self.abs + self.rel * a.abs().max(b.abs())
    }
    /// The relative discrepancy `|a-b| / max(|a|,|b|,abs)` used in reports.
    pub fn rel_err(a: f64, b: f64) -> f64 {
        let s = a.abs().max(b.abs()).max(f64::MIN_POSITIVE);
        (a - b).abs() / s
    }
}

/// Identities evaluated in f64 over at most a few thousand operations on O(1e3) values:
/// accumulated rounding stays below 1e-12 relative, so 1e-9 separates rounding from a real
/// discrepancy by three orders of magnitude while any printed-formula error (O(1) relative) is
/// far outside it.
pub const IDENTITY: Tolerance = Tolerance {
    rel: 1e-9,
    abs: 1e-12,
};

/// An inequality `lhs <= rhs` is accepted when `lhs <= rhs * (1 + INEQ_REL) + INEQ_ABS`. Same
/// rounding argument as [`IDENTITY`]; the absolute part covers bounds that are exactly 0.
pub const INEQ_REL: f64 = 1e-9;
/// Absolute slack for inequalities whose right-hand side can be 0.
pub const INEQ_ABS: f64 = 1e-12;

/// A searched ratio `lhs/rhs` above `1 + VIOLATION` is a violation. 1e-6 is a thousand times
/// the inequality slack, so a reported violation is never rounding.
pub const VIOLATION: f64 = 1e-6;

/// A bound counts as attained (tight, verdict `holds`) when the adversarial search reaches
/// `lhs/rhs >= 1 - TIGHT`. Several tight cases are only approached in a limit (large N, a
/// margin tending to 0, Nelder–Mead stopping after a finite budget); 2% is the slack those
/// limits leave at the quick budget, measured on the claims whose sharpness is known
/// analytically (Jensen with orthogonal features, Lemma 4 at u = 0, Khintchine for p <= 2).
pub const TIGHT: f64 = 0.02;

/// Monte Carlo comparisons accept `|estimate - truth| <= MC_Z * standard_error`. Four standard
/// errors give a two-sided false-alarm probability of about 6e-5 per comparison, so a suite of
/// a few dozen Monte Carlo checks fails spuriously less than once in 300 runs, and every run is
/// seeded so a failure reproduces.
pub const MC_Z: f64 = 4.0;

/// Step for central finite differences of smooth scalar functions: the optimal step for f64
/// central differences is about eps^(1/3) ≈ 6e-6 times the scale of the argument.
pub const FD_STEP: f64 = 1e-5;

/// Central finite differences with step [`FD_STEP`] have truncation error O(h^2) ≈ 1e-10 and
/// rounding error O(eps/h) ≈ 1e-11 (relative), so derivatives agree within 1e-6.
pub const FINITE_DIFF: Tolerance = Tolerance {
    rel: 1e-6,
    abs: 1e-9,
};

/// A numerical optimiser's answer against a closed form: Nelder–Mead stops when the simplex's
/// cost spread is below 1e-14; near a quadratic minimum that leaves a parameter error of order
/// 1e-7 relative, so 1e-5 separates solver accuracy from a wrong closed form (which would be off
/// by O(1)).
pub const OPTIMUM: Tolerance = Tolerance {
    rel: 1e-5,
    abs: 1e-9,
};

/// Rounding of a closed form evaluated two ways in f64 (e.g. Eq. 1 against Eq. 5, a mean of
/// generated margins against c̄): a handful of operations leaves a few ulps, so 1e-12 times the
/// values' scale still catches any algebraic difference.
pub const ROUNDING: f64 = 1e-12;

/// A searched best ratio (or argmax) against its analytically known supremum: the quick
/// budget's Nelder–Mead starts reach it to ~1e-5 on the claims that have one; 1e-3 accepts
/// that and rejects a supremum off by a constant factor (the printed forms are off by ≥ 1.4×).
pub const SUPREMUM: f64 = 1e-3;

/// `lhs <= rhs` within [`INEQ_REL`] / [`INEQ_ABS`].
pub fn le(lhs: f64, rhs: f64) -> bool {
    lhs <= rhs + INEQ_REL * rhs.abs() + INEQ_ABS
}

/// burn's tensor code run in f64 (Flex backend) against an independent f64 implementation
/// (numpy, or the theory functions): Flex's f64 `exp`/`log` are polynomial approximations, so
/// values agree to a few 1e-9 relative (measured on the reference batch of
/// `scripts/reference-losses.py`: cross-entropy 2.5e-9, DRL 2.0e-7 through a sqrt and a
/// log-softmax over the batch); 1e-6 relative separates that from any formula difference.
pub const BURN_F64: Tolerance = Tolerance {
    rel: 1e-6,
    abs: 1e-9,
};

/// Finite-difference step for gradients of burn code in f64: the function values carry noise
/// of ~1e-9 relative ([`BURN_F64`]), so a step of 1e-3 keeps the noise term (1e-9/1e-3) and the
/// truncation term (1e-6) both at 1e-6.
pub const FD_STEP_BURN: f64 = 1e-3;

/// Autodiff gradients of burn code in f64 against central differences with
/// [`FD_STEP_BURN`]: truncation and noise are ~1e-6 each, so 1e-4 relative + 1e-6 absolute.
pub const GRADIENT_F64: Tolerance = Tolerance {
    rel: 1e-4,
    abs: 1e-6,
};

/// f32 tensor code against the f64 theory functions: single-precision rounding on sums of a few
/// hundred terms of magnitude ≤ 1e2 leaves about 1e-5 relative error, so 1e-4 relative (plus
/// 1e-4 absolute for values near 0) separates rounding from a formula difference.
pub const F32_VS_F64: Tolerance = Tolerance {
    rel: 1e-4,
    abs: 1e-4,
};

/// An f32 computation of a single small quantity against its f64 value, relative only: f32
/// carries 6e-8 relative rounding per operation; 1e-5 allows a few dozen operations and still
/// separates a formula that loses the quantity against a larger one (e.g. `ln Σ` over
/// `{0, z}` for tiny `Σ e^z`, off by up to 2e-4 relative at 1e-4).
pub const F32_RELATIVE: Tolerance = Tolerance {
    rel: 1e-5,
    abs: 0.0,
};

/// Autodiff (f32) gradients against central finite differences of the f64 theory function:
/// the f64 difference quotient is accurate to ~1e-9, the f32 gradient to ~1e-5 relative of the
/// largest contributing term; 2e-3 relative + 2e-4 absolute covers the f32 side.
pub const GRADIENT: Tolerance = Tolerance {
    rel: 2e-3,
    abs: 2e-4,
};
