#!/usr/bin/env python3
"""Reference values for mr2_core::theory::certificates, computed independently with scipy
(binomial CDF by scipy.stats, inversions by scipy.optimize.brentq). The constants printed here
are the ones core/proofs/certificates.rs checks against.

Run: python3 scripts/reference-certificates.py
"""
import math

from scipy.optimize import brentq
from scipy.stats import binom


def kl(q, p):
    t = lambda a, b: 0.0 if a <= 0 else a * math.log(a / b)
    return t(q, p) + t(1 - q, 1 - p)


def kl_inv(q, c):
    if q >= 1 or kl(q, 1 - 1e-16) <= c:
        return 1.0
    return brentq(lambda p: kl(q, p) - c, q, 1 - 1e-16, xtol=1e-16, rtol=1e-15)


def test_set(errors, n, delta):
    return brentq(lambda p: binom.cdf(errors, n, p) - delta, errors / n, 1 - 1e-16, xtol=1e-16, rtol=1e-15)


def gaussian_kl(dist_sq, d, sq, sp):
    return 0.5 * (d * sq**2 / sp**2 + dist_sq / sp**2 - d + d * math.log(sp**2 / sq**2))


def pac_bayes(emp, kl_qp, n, delta):
    return kl_inv(emp, (kl_qp + math.log(2 * math.sqrt(n) / delta)) / n)


def sampled(est, m, delta):
    return kl_inv(est, math.log(2 / delta) / m)


print("TEST_SET_0_100", repr(test_set(0, 100, 0.05)))
print("TEST_SET_7_250", repr(test_set(7, 250, 0.01)))
print("TEST_SET_300_3000", repr(test_set(300, 3000, 0.005)))
print("KL_INV_01_002", repr(kl_inv(0.1, 0.02)))
print("GAUSS_KL", repr(gaussian_kl(3.5, 1290, 0.03, 0.05)))
print("PAC_BAYES", repr(pac_bayes(0.08, 25.0, 3000, 0.0025)))
print("SAMPLED", repr(sampled(0.085, 1000, 0.0025)))
