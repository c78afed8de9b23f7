#!/usr/bin/env python3
"""PyTorch twin of one `train` run on CIFAR-10: the reference recipe as LDAM-DRW's
`cifar_train.py` writes it (Cao et al. 2019), trained in PyTorch on the same image folder, so that
a gap between mr2's accuracy and a published number can be split into "the trainer" and "the
setting" (schedule, data copy). Prints one JSON line with the test accuracy, the per-class
accuracies and the training error of the final model, and writes it to --out if given.

    python3 scripts/twin_train_torch.py --data-dir data/cifar10-jpeg --subset 0.1 \
        --epochs 30 --seed 0 --out results/twin/torch-erm-e30-s0.json

The recipe (each a flag where mr2 differs):
  * data: a seeded random `--subset` of each class of DIR/train (or LDAM's long-tailed profile with
    `--imbalance 100`: n_i = 5000·ρ^(−i/9), as IMBALANCECIFAR10), tested on all of DIR/test;
  * transforms: RandomCrop(32, padding=4) on the raw image (zero = black), horizontal flip,
    ToTensor, Normalize with LDAM's constants (`--normalize fixed`; `fit` = the training
    subset's per-channel mean/std after padding, mr2's order);
  * ResNet-32, option-A shortcuts (scripts/bench_torch.py), `--init ldam` = kaiming_normal_ on
    every Conv2d and Linear weight as LDAM's resnet_cifar.py (`torch` = PyTorch's default);
  * SGD momentum 0.9, weight decay `--wd` on every parameter, batch 128, lr 0.1;
    `--schedule cosine` = mr2's cosine with a linear warm-up per step over `--warmup` epochs
    (the `cifar` preset), `step` = LDAM's per-epoch warm-up and ×0.01 at the two milestones.

Needs torch, numpy and Pillow (a venv outside the repo); mr2's tests never run it.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_torch import ResNet20  # noqa: E402  (the same ResNet-(6n+2) as the speed twin)

LDAM_MEAN, LDAM_STD = (0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010)


def load_split(root, split):
    classes = sorted(d for d in os.listdir(os.path.join(root, split)) if not d.startswith("."))
    xs, ys = [], []
    for k, c in enumerate(classes):
        folder = os.path.join(root, split, c)
        for f in sorted(os.listdir(folder)):
            with Image.open(os.path.join(folder, f)) as im:
                xs.append(np.asarray(im.convert("RGB"), dtype=np.uint8))
            ys.append(k)
    return np.stack(xs), np.array(ys), classes


def choose(y, k, subset, imbalance, rng):
    keep = []
    for c in range(k):
        idx = np.where(y == c)[0]
        rng.shuffle(idx)
        if imbalance:
            n = int(len(idx) * imbalance ** (-c / (k - 1)))
        else:
            n = int(round(len(idx) * subset))
        keep.extend(idx[:n])
    return np.array(sorted(keep))


def ldam_init(m):
    if isinstance(m, (nn.Linear, nn.Conv2d)):
        nn.init.kaiming_normal_(m.weight)


def augment(xb, gen):
    """RandomCrop(32, padding=4) on zero-padded raw images and a horizontal flip, per sample."""
    b = xb.shape[0]
    padded = F.pad(xb, (4, 4, 4, 4))
    off = torch.randint(0, 9, (b, 2), generator=gen)
    flip = torch.rand(b, generator=gen) < 0.5
    out = torch.empty_like(xb)
    for i in range(b):
        dy, dx = int(off[i, 0]), int(off[i, 1])
        img = padded[i, :, dy:dy + 32, dx:dx + 32]
        out[i] = img.flip(2) if flip[i] else img
    return out


def lr_at(a, epoch, it, per_epoch):
    if a.schedule == "cosine":
        t, warm, total = epoch * per_epoch + it, a.warmup * per_epoch, a.epochs * per_epoch
        if t < warm:
            return a.lr * (t + 1) / warm
        return 0.5 * a.lr * (1 + math.cos(math.pi * (t - warm) / max(total - warm, 1)))
    warm = (epoch + 1) / a.warmup if epoch < a.warmup else 1.0
    return warm * a.lr * 0.01 ** sum(epoch >= m for m in a.milestones)


def accuracy(model, x, y, mean, std, k, batch=500):
    model.eval()
    pred = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            pred.append(model((x[i:i + batch] - mean) / std)[0].argmax(1))
    pred = torch.cat(pred)
    per = [float((pred[y == c] == c).float().mean()) for c in range(k)]
    return float((pred == y).float().mean()), per


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", required=True, help="DIR/{train,test}/<class>/*.jpg")
    p.add_argument("--subset", type=float, default=0.1, help="fraction of each class (ignored with --imbalance)")
    p.add_argument("--imbalance", type=float, default=0.0, help="ρ of LDAM's exponential profile (0: none)")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--wd", type=float, default=5e-4)
    p.add_argument("--schedule", choices=["cosine", "step"], default="cosine")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--milestones", type=int, nargs=2, default=[160, 180])
    p.add_argument("--init", choices=["ldam", "torch"], default="ldam")
    p.add_argument("--normalize", choices=["fixed", "fit"], default="fixed")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", help="write the JSON line here too")
    a = p.parse_args()
    if not 0 < a.subset <= 1 or a.epochs < 1 or a.warmup < 0 or a.lr <= 0 or a.wd < 0:
        p.error("need 0 < --subset <= 1, --epochs >= 1, --warmup >= 0, --lr > 0, --wd >= 0")
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    t0 = time.perf_counter()
    xtr, ytr, classes = load_split(a.data_dir, "train")
    xte, yte, test_classes = load_split(a.data_dir, "test")
    if classes != test_classes:
        sys.exit(f"train classes {classes} differ from test classes {test_classes}")
    k = len(classes)
    keep = choose(ytr, k, a.subset, a.imbalance, np.random.default_rng(a.seed))
    to_t = lambda x: torch.from_numpy(x).permute(0, 3, 1, 2).float() / 255.0  # noqa: E731
    xtr, ytr = to_t(xtr[keep]), torch.from_numpy(ytr[keep])
    xte, yte = to_t(xte), torch.from_numpy(yte)
    counts = torch.bincount(ytr, minlength=k).tolist()
    if a.normalize == "fixed":
        mean, std = torch.tensor(LDAM_MEAN).view(1, 3, 1, 1), torch.tensor(LDAM_STD).view(1, 3, 1, 1)
    else:
        mean = xtr.mean((0, 2, 3)).view(1, 3, 1, 1)
        std = xtr.std((0, 2, 3)).view(1, 3, 1, 1)
    decode_s = time.perf_counter() - t0
    print(f"decoded in {decode_s:.1f} s; training images per class {counts}", file=sys.stderr)

    model = ResNet20(classes=k, n=5)
    if a.init == "ldam":
        model.apply(ldam_init)
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9, weight_decay=a.wd)
    gen = torch.Generator().manual_seed(a.seed)
    per_epoch = math.ceil(len(ytr) / a.batch)
    t1 = time.perf_counter()
    for epoch in range(a.epochs):
        model.train()
        order = torch.randperm(len(ytr), generator=gen)
        total, correct, seen = 0.0, 0, 0
        for it in range(per_epoch):
            idx = order[it * a.batch:(it + 1) * a.batch]
            for g in opt.param_groups:
                g["lr"] = lr_at(a, epoch, it, per_epoch)
            xb = (augment(xtr[idx], gen) - mean) / std
            logits, _ = model(xb)
            loss = F.cross_entropy(logits, ytr[idx])
            if not torch.isfinite(loss):
                sys.exit(f"non-finite loss at epoch {epoch + 1}, step {it}")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
            correct += int((logits.argmax(1) == ytr[idx]).sum())
            seen += len(idx)
        print(f"epoch {epoch + 1}/{a.epochs} loss {total / seen:.4f} train acc (augmented) {correct / seen:.4f} "
              f"{time.perf_counter() - t1:.0f} s", file=sys.stderr)
    train_s = time.perf_counter() - t1
    test_acc, per_class = accuracy(model, xte, yte, mean, std, k)
    train_acc, _ = accuracy(model, xtr, ytr, mean, std, k)
    rec = {"engine": "pytorch", "torch": torch.__version__, "data_dir": a.data_dir, "counts": counts,
           "epochs": a.epochs, "schedule": a.schedule, "warmup": a.warmup, "lr": a.lr, "wd": a.wd,
           "init": a.init, "normalize": a.normalize, "seed": a.seed, "test_acc": test_acc,
           "per_class": dict(zip(classes, per_class)), "train_error": 1 - train_acc,
           "train_seconds": train_s, "decode_seconds": decode_s}
    line = json.dumps(rec)
    print(line)
    if a.out:
        os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
        with open(a.out, "w") as f:
            f.write(line + "\n")


if __name__ == "__main__":
    main()
