#!/usr/bin/env python3
"""Does PyTorch's CPU training step depend on what the batch holds? Times the same ResNet step of
the PyTorch twin (scripts/bench_torch.py) on the N(0, 1) batch that `bench --compare-pytorch`
feeds both engines and on a batch of real CIFAR-10 images (LDAM's normalisation), in alternating
rounds within one process; prints each measurement and the medians.

    python3 scripts/bench_torch_inputs.py --data-dir data/cifar10-jpeg --model resnet32

Each round builds a fresh model and SGD optimiser (lr 0.01, momentum 0.9, as bench_torch.py),
runs --warmup steps, then times --steps steps. Needs torch, numpy and Pillow (a venv outside the
repo); mr2's tests never run it.
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_torch import ResNet20, normal_batch  # noqa: E402
from twin_train_torch import LDAM_MEAN, LDAM_STD  # noqa: E402


def real_batch(root, batch):
    """The first images of each class folder of ROOT/train, in turn, normalised."""
    train = os.path.join(root, "train")
    if not os.path.isdir(train):
        sys.exit(f"{train}: not a folder (need DIR/train/<class>/*.jpg)")
    classes = sorted(d for d in os.listdir(train) if not d.startswith("."))
    files = [sorted(os.listdir(os.path.join(train, c))) for c in classes]
    xs, ys = [], []
    for i in range(batch):
        k = i % len(classes)
        with Image.open(os.path.join(train, classes[k], files[k][i // len(classes)])) as im:
            xs.append(np.asarray(im.convert("RGB"), dtype=np.uint8))
        ys.append(k)
    x = torch.from_numpy(np.stack(xs)).permute(0, 3, 1, 2).float() / 255.0
    mean, std = torch.tensor(LDAM_MEAN).view(1, 3, 1, 1), torch.tensor(LDAM_STD).view(1, 3, 1, 1)
    return (x - mean) / std, torch.tensor(ys)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", required=True, help="DIR/train/<class>/*.jpg (e.g. data/cifar10-jpeg)")
    p.add_argument("--model", choices=["resnet20", "resnet32"], default="resnet32")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    if a.batch < 1 or a.steps < 1 or a.warmup < 0 or a.rounds < 1:
        p.error("need --batch, --steps, --rounds >= 1 and --warmup >= 0")
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    inputs = {"normal": normal_batch(a.batch, (3, 32, 32)),
              "cifar": real_batch(a.data_dir, a.batch)}
    times = {k: [] for k in inputs}
    names = list(inputs)
    for r in range(a.rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            x, y = inputs[name]
            model = ResNet20(n=3 if a.model == "resnet20" else 5)
            model.train()
            opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

            def step():
                opt.zero_grad(set_to_none=True)
                logits, _ = model(x)
                F.cross_entropy(logits, y).backward()
                opt.step()

            for _ in range(a.warmup):
                step()
            t0 = time.perf_counter()
            for _ in range(a.steps):
                step()
            ms = (time.perf_counter() - t0) * 1e3 / a.steps
            times[name].append(ms)
            print(f"round {r + 1}/{a.rounds}: {a.model} {name:6s} {ms:8.2f} ms/step", file=sys.stderr, flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(json.dumps({"model": a.model, "torch": torch.__version__, "threads": a.threads, "batch": a.batch,
                      "median_ms_per_step": med, "normal_over_cifar": med["normal"] / med["cifar"]}))


if __name__ == "__main__":
    main()
