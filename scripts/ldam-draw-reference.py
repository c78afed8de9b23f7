#!/usr/bin/env python3
"""Reference values for tests/data.rs `ldam_draw_matches_numpy`: LDAM-DRW's long-tailed draw
(Cao et al. 2019, IMBALANCECIFAR10.gen_imbalanced_data) on CIFAR-10's 10 x 5000 images.
Shuffling a class's indices permutes positions the same whatever the values, so the draw is
shown on ranks 0..4999 of each class: its size, the first five ranks kept and their sum.
Needs numpy (pip install numpy; a venv outside the repository)."""
import numpy as np

np.random.seed(0)
for c in range(10):
    n = int(5000 * (0.01 ** (c / 9.0)))
    idx = np.arange(5000)
    np.random.shuffle(idx)
    print(c, n, idx[:5].tolist(), int(idx[:n].sum()))
