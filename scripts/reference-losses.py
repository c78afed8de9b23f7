#!/usr/bin/env python3
"""Reference values of every training objective on one tiny batch, computed independently of
mr2 with numpy (float64), for tests/baselines.rs. Run: python3 scripts/reference-losses.py
(needs numpy only; the tests do not run it — its output is pasted into the test file).

Each formula is written from the method's paper or official code as described in the module
documentation of src/loss/*.rs; the point is a second, plain implementation to compare with.
"""
import numpy as np

np.set_printoptions(precision=17)

Z = np.array([[2.0, -1.0, 0.5], [0.3, 1.2, -0.4], [-0.5, 0.1, 0.9],
              [1.5, 1.4, -2.0], [0.0, 0.2, 0.1], [-1.0, 2.0, 0.5]])
C = Z / 2.5  # cosines for the cosine-head losses
Y = np.array([0, 1, 2, 1, 0, 1])
PHI = np.array([[1.0, 0.5, -0.2, 0.3], [0.2, -0.4, 0.8, 0.1], [-0.6, 0.3, 0.2, 0.9],
                [0.4, -0.1, 0.7, -0.3], [0.9, 0.6, -0.5, 0.2], [0.1, -0.7, 0.6, 0.4]])
COUNTS = np.array([50, 30, 20])
B, K = Z.shape
D = PHI.shape[1]


def lse(a, axis=-1):
    m = a.max(axis=axis, keepdims=True)
    return (m + np.log(np.exp(a - m).sum(axis=axis, keepdims=True))).squeeze(axis)


def ce_rows(z, y):
    return lse(z) - z[np.arange(len(y)), y]


def out(name, v):
    print(f"const {name}: f64 = {float(v)!r};")


# ERM, label smoothing, focal
out("CE", ce_rows(Z, Y).mean())
eps = 0.1
logp = Z - lse(Z)[:, None]
out("LABEL_SMOOTHING", ((1 - eps) * ce_rows(Z, Y) + eps * (-logp.mean(axis=1))).mean())
g = 2.0
ce = ce_rows(Z, Y)
out("FOCAL", ((1 - np.exp(-ce)) ** g * ce).mean())

# LDAM (max margin 0.5, s = 30) without and with DRW (β = 0.9999)
q = COUNTS ** -0.25
delta = 0.5 * q / q.max()
zl = C - np.eye(K)[Y] * delta[None, :]
l = ce_rows(30 * zl, Y)
out("LDAM", l.mean())
w = (1 - 0.9999) / (1 - 0.9999 ** COUNTS)
w = w * K / w.sum()
out("LDAM_DRW", (w[Y] * l).sum() / w[Y].sum())

# LA (τ = 1)
prior = COUNTS / COUNTS.sum()
out("LA", ce_rows(Z + np.log(prior)[None, :], Y).mean())


# MM (δ⁻ = 1.2, β = 1.3, s = 10), without and with LDAM offsets (max 0.5)
def mm(offsets):
    m = np.empty(B)
    for i in range(B):
        y = Y[i]
        other = np.max(np.delete(C[i], y))
        gap = C[i, y] - other
        dm = 1.2 - offsets[y]
        d = 1.3 * dm if gap > 0 else dm
        m[i] = np.exp(-abs(gap) - d)
    return ce_rows(10 * (C - np.eye(K)[Y] * m[:, None]), Y).mean()


out("MM", mm(np.zeros(K)))
out("MM_LDAM", mm(delta))

# Group DRO (η = 0.01, C = 0), one step from uniform q
cm = np.array([ce[Y == k].mean() for k in range(K)])
qd = np.full(K, 1 / K) * np.exp(0.01 * cm)
qd /= qd.sum()
out("GROUP_DRO", (qd * cm).sum())
# FairDRO: uniform q → mean of the class means; worst case for L = (1, 2, 4), ρ = 0.5
out("FAIR_DRO_UNIFORM", cm.mean())
L = np.array([1.0, 2.0, 4.0])
dev = L - L.mean()
print("const FAIR_DRO_Q: [f64; 3] =", [float(v) for v in 1 / 3 + np.sqrt(2 * 0.5 / 3) * dev / np.linalg.norm(dev)], ";")

# SupCon (τ = 0.1) on normalised φ; total CE + 0.1·SupCon
u = PHI / np.linalg.norm(PHI, axis=1, keepdims=True)
sim = u @ u.T / 0.1
sc = np.zeros(B)
for i in range(B):
    others = [a for a in range(B) if a != i]
    den = lse(sim[i, others])
    pos = [p for p in others if Y[p] == Y[i]]
    sc[i] = -np.mean([sim[i, p] - den for p in pos]) if pos else 0.0
out("SUPCON", sc.mean())
out("SUPCON_TOTAL", ce.mean() + 0.1 * sc.mean())

# Centre loss (λ = 0.003, α = 0.5) with zero centres, and the centres after one update
out("CENTER_TOTAL", ce.mean() + 0.003 * 0.5 * (PHI ** 2).sum())
cen = np.zeros((K, D))
for k in range(K):
    n = (Y == k).sum()
    cen[k] -= 0.5 * (cen[k] * n - PHI[Y == k].sum(axis=0)) / (1 + n)
print("const CENTERS_AFTER: [f64; 12] =", [float(v) for v in cen.ravel()], ";")

# DRL (τ = 1, weight 1) with the class means of φ as centroids and radii (0.5, 1, 1.5)
mu = np.array([PHI[Y == k].mean(axis=0) for k in range(K)])
radii = np.array([0.5, 1.0, 1.5])
dist = np.sqrt(((PHI[:, None, :] - mu[None, :, :]) ** 2).sum(-1))
logits = -dist - np.eye(K)[Y] * radii[None, :]
logp_b = logits - lse(logits, axis=0)[None, :]
rob = np.mean([-logp_b[Y == k, k].mean() for k in range(K) if (Y == k).any()])
out("DRL_ROB", rob)

# L-GM (α = 0.1, λ = 0.1) with means MU_G
MU_G = np.array([[0.5, 0.5, 0.0, 0.0], [0.0, -0.5, 0.5, 0.0], [-0.5, 0.0, 0.0, 0.5]])
zg = -0.5 * ((PHI[:, None, :] - MU_G[None, :, :]) ** 2).sum(-1)
zm = zg + 0.1 * zg * np.eye(K)[Y]
out("LGM_TOTAL", ce_rows(zm, Y).mean() + 0.1 * (-zg[np.arange(B), Y]).mean())
print("const LGM_LOGITS: [f64; 18] =", [float(v) for v in zg.ravel()], ";")

# CSR (mix 0.3) with G from the confusion counts CONF, weights G[argmax z, y]
CONF = np.array([[0, 3, 1], [2, 0, 0], [0, 1, 0]], dtype=float)
U, S, Vt = np.linalg.svd(CONF)
G = np.outer(U[:, 0], Vt[0])
if G.sum() < 0:
    G = -G
G = 2 * (G - G.min()) / (G.max() - G.min()) + 0.01
print("const CSR_G: [f64; 9] =", [float(v) for v in G.ravel()], ";")
wc = G[Z.argmax(1), Y]
out("CSR", 0.7 * ce.mean() + 0.3 * (wc * ce).mean())

# LM-softmax (s = 5) on the cosines
lm = np.array([lse(5 * (np.delete(C[i], Y[i]) - C[i, Y[i]])) / 5 for i in range(B)])
out("LM_SOFTMAX", lm.mean())
# zero-centroid of head columns W_H (d × K)
W_H = np.array([[1.0, -0.5, 0.2], [0.3, 0.8, -0.6], [-0.2, 0.4, 0.9], [0.5, 0.1, 0.3]])
wn = W_H / np.linalg.norm(W_H, axis=0, keepdims=True)
out("ZERO_CENTROID", ((wn.sum(axis=1) / K) ** 2).sum())
# sample-margin regulariser (λ = 1) with W_H on φ: CE(z) + mean(max_{k≠y} cos − cos_y)
cosm = u @ wn
sm = np.array([np.max(np.delete(cosm[i], Y[i])) - cosm[i, Y[i]] for i in range(B)])
out("SAMPLE_MARGIN_REG", sm.mean())

# LfF (q = 0.7): biased logits ZB; first visit; training set = this batch
ZB = Z[:, ::-1].copy()
cb, cd = ce_rows(ZB, Y), ce
mb = np.array([cb[Y == y].max() for y in Y])
md = np.array([cd[Y == y].max() for y in Y])
eb, ed = cb / mb, cd / md
W = eb / (eb + ed + 1e-8)
pyb = np.exp(-cb)
out("LFF", ((1 - pyb ** 0.7) / 0.7).mean() + (W * cd).mean())

# LA + MR² (τ = 1, λ = 0.5) with γ = (0.8, 1.1, 1.4) and s̄ = 0.3 given
GAM = np.array([0.8, 1.1, 1.4])
za = (Z + np.log(prior)[None, :]) / GAM[Y][:, None]
gce = ce_rows(za, Y).mean()
rep = np.zeros(B)
for i in range(B):
    d2 = [((PHI[i] - PHI[j]) ** 2).sum() - 0.6 for j in range(B) if j != i and Y[j] == Y[i]]
    rep[i] = np.log1p(np.sum(np.exp(d2))) if d2 else 0.0
out("LA_MR2", gce + 0.5 * rep.mean())

# LA + MR² with the shift after the division by γ (la_order = "after-gamma"): the shift keeps
# its full strength.
zb = Z / GAM[Y][:, None] + np.log(prior)[None, :]
out("LA_MR2_AFTER", ce_rows(zb, Y).mean() + 0.5 * rep.mean())

# ℓ_s̄ as the released code (MRF-CIFAR/losses.py) computes it, written from its description:
# for each class with at least two samples in the batch, the mean over its samples i of
# ln(1 + Σ_{j≠i same class} exp((‖φ_i − φ_j‖² − 2s̄)/(10D))); these means summed over the
# classes; times D/(10K) (released) or D/K (the compiled copy). s̄ = 0.3 as above.
D, K = PHI.shape[1], 3
total = 0.0
for k in range(K):
    idx = [i for i in range(B) if Y[i] == k]
    if len(idx) < 2:
        continue
    per = []
    for i in idx:
        e = [(((PHI[i] - PHI[j]) ** 2).sum() - 0.6) / (10 * D) for j in idx if j != i]
        per.append(np.log(1.0 + np.sum(np.exp(e))))
    total += np.mean(per)
out("REP_RELEASED", total * D / (10 * K))
out("REP_RELEASED_COMPILED", total * D / K)
