#!/usr/bin/env python3
"""Write the bring-your-own-model fixture of tests/bounds.rs with numpy (and the `safetensors`
package): a tiny model's features, labels and head as a directory of .npy files, one .npz and
one .safetensors file, plus expected.json with quantities computed here independently of mr2.

Run: python3 scripts/make-byom-fixture.py   (needs numpy and safetensors; the tests only read
the committed files in tests/fixtures/byom/).
"""
import json
import os

import numpy as np
from safetensors.numpy import save_file

root = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "byom")
os.makedirs(os.path.join(root, "npy"), exist_ok=True)
rng = np.random.default_rng(7)
K, d, n_per, m_per = 3, 4, 20, 10
means = rng.normal(size=(K, d)) * 2.0
train_y = np.repeat(np.arange(K), n_per).astype(np.int64)
test_y = np.repeat(np.arange(K), m_per).astype(np.int64)
train_x = (means[train_y] + rng.normal(size=(len(train_y), d)) * (0.5 + 0.4 * train_y[:, None])).astype(np.float32)
test_x = (means[test_y] + rng.normal(size=(len(test_y), d)) * (0.5 + 0.4 * test_y[:, None])).astype(np.float32)
head_w = (means / np.linalg.norm(means, axis=1, keepdims=True)).astype(np.float32)  # K × d, like fc.weight
head_b = np.array([0.1, -0.2, 0.05], dtype=np.float32)
gamma = np.array([0.8, 1.0, 1.2])
arrays = {
    "train_features": train_x,
    "train_labels": train_y,
    "head_weight": head_w,
    "head_bias": head_b,
    "gamma": gamma,
    "test_features": test_x,
    "test_labels": test_y,
}
for name, a in arrays.items():
    np.save(os.path.join(root, "npy", name + ".npy"), a)
np.savez(os.path.join(root, "byom.npz"), **arrays)
save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()}, os.path.join(root, "byom.safetensors"))
with open(os.path.join(root, "npy", "class_names.txt"), "w") as f:
    f.write("alpha\nbeta\ngamma\n")

# Independent values: the bias folded in as a constant feature.
x = np.hstack([train_x.astype(np.float64), np.ones((len(train_y), 1))])
w = np.hstack([head_w.astype(np.float64), head_b.astype(np.float64)[:, None]])
lam = np.linalg.norm(w, axis=1).max()
alpha = np.array([(x[train_y == k] ** 2).sum(axis=1).mean() for k in range(K)])  # ‖μ̂‖² + ‖ŝ‖²
lemma2 = lam * np.sqrt(K / len(train_y)) * np.sqrt((alpha / gamma ** 2).sum())
pred = (np.hstack([test_x.astype(np.float64), np.ones((len(test_y), 1))]) @ w.T).argmax(axis=1)
err = [float((pred[test_y == k] != k).mean()) for k in range(K)]
with open(os.path.join(root, "expected.json"), "w") as f:
    json.dump({"lambda": lam, "lemma2_corrected": lemma2, "test_error_per_class": err,
               "test_error": float((pred != test_y).mean()), "n": len(train_y), "d": d + 1}, f, indent=1)
print("wrote", os.path.abspath(root))
