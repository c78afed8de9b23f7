#!/usr/bin/env python3
"""PyTorch twin of `bench`: the same models (MLP 784-256-256-10, the small CNN, CIFAR ResNet-20
with option-A shortcuts), batch, optimiser (SGD momentum 0.9, dampening 0) and objectives (CE,
and MR² with γ from per-class EMA statistics and ℓ_s̄ with the reference exponent scaling), timing
forward + loss + backward + step. Prints one JSON line {"model", "loss", "ms_per_step"}.

    python3 scripts/bench_torch.py --model cnn --loss mr2 --steps 15 --warmup 2 --threads 2

--input FILE steps on the batch in FILE (the format of src/bench/input.rs, which `bench
--compare-pytorch` writes so that both engines read the same bytes); without it, on
normal_batch's N(0, 1) draws. Needs torch only (`pip install torch` in a venv outside the repo); mr2's tests never run it.
`cargo run --release --bin bench -- --compare-pytorch` runs it in alternating rounds.
"""
import argparse
import json
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Mlp(nn.Module):
    def __init__(self, width=256, classes=10):
        super().__init__()
        self.l1, self.l2, self.fc = nn.Linear(784, width), nn.Linear(width, width), nn.Linear(width, classes)

    def forward(self, x):
        f = F.relu(self.l2(F.relu(self.l1(x.flatten(1)))))
        return self.fc(f), f


class SmallCnn(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(1, 16, 3, padding=1), nn.Conv2d(16, 32, 3, padding=1)
        self.fc1, self.fc2 = nn.Linear(32 * 7 * 7, 128), nn.Linear(128, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        f = F.relu(self.fc1(x.flatten(1)))
        return self.fc2(f), f


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.stride, self.pad = stride, (cout - cin) // 2

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        sc = x
        if self.stride != 1 or self.pad:
            sc = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad))
        return F.relu(out + sc)


class ResNet20(nn.Module):
    """CIFAR ResNet-(6n+2): n = 3 is ResNet-20, n = 5 ResNet-32."""

    def __init__(self, classes=10, n=3):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16)
        blocks, cin = [], 16
        for cout, stride in [(16, 1), (32, 2), (64, 2)]:
            for i in range(n):
                blocks.append(Block(cin, cout, stride if i == 0 else 1))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = self.blocks(F.relu(self.bn1(self.conv1(x))))
        f = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(f), f


class Mr2Loss:
    """ℓ_γ,ce + λ ℓ_s̄ (reference scaling), γ from per-class EMAs of ‖μ̂‖² + ‖ŝ‖², c̄ = 2, λ = 0.5."""

    def __init__(self, k, c_bar=2.0, lam=0.5, decay=0.9):
        self.k, self.c_bar, self.lam, self.decay = k, c_bar, lam, decay
        self.alpha = torch.full((k,), float("nan"))
        self.msd = torch.full((k,), float("nan"))

    def __call__(self, logits, feats, y):
        with torch.no_grad():
            f = feats.detach().double()
            for c in range(self.k):
                m = y == c
                if m.any():
                    fc = f[m]
                    mu = fc.mean(0)
                    msd = float(((fc - mu) ** 2).sum(1).mean())
                    a = float((mu ** 2).sum()) + msd
                    for buf, v in ((self.alpha, a), (self.msd, msd)):
                        buf[c] = v if torch.isnan(buf[c]) else self.decay * buf[c] + (1 - self.decay) * v
            if torch.isnan(self.alpha).any():
                gamma = torch.full((self.k,), self.c_bar)
            else:
                cube = self.alpha.clamp_min(1e-12) ** (1 / 3)
                gamma = self.c_bar * self.k * cube / cube.sum()
            s_bar = float(torch.nan_to_num(self.msd).sum() / (~torch.isnan(self.msd)).sum().clamp_min(1))
        g = gamma.to(logits.device, logits.dtype)[y].unsqueeze(1)
        ce = F.cross_entropy(logits / g, y)
        b, d = feats.shape
        sq = (feats * feats).sum(1, keepdim=True)
        dist = (sq + sq.t() - 2 * feats @ feats.t()).clamp_min(0)
        z = (dist - 2 * s_bar) / (10 * d)
        pos = (y[:, None] == y[None, :]) & ~torch.eye(b, dtype=torch.bool, device=feats.device)
        z = z.masked_fill(~pos, -1e30)
        m = z.max(1, keepdim=True).values.clamp_min(0).detach()
        s = (z - m).exp().sum(1, keepdim=True)
        rep = (m + torch.log1p(torch.exp(-m) - 1 + s)).squeeze(1) * (d / (10 * self.k))
        return ce + self.lam * rep.mean()


def normal_batch(batch, shape, k=10):
    """BATCH draws of SHAPE from N(0, 1) (torch's generator as seeded), labels (7 i) mod K."""
    return torch.randn(batch, *shape), torch.tensor([(i * 7) % k for i in range(batch)])


def read_batch(path):
    """The batch file of src/bench/input.rs: b"MR2BATCH", n c h w classes (u32 LE), n·c·h·w f32
    LE, n labels u32 LE. Exits with a message naming the file when it is malformed."""
    try:
        with open(path, "rb") as f:
            b = bytearray(f.read())
    except OSError as e:
        sys.exit(f"{path}: {e.strerror}")
    if len(b) < 28 or b[:8] != b"MR2BATCH":
        sys.exit(f"{path}: not a bench batch file (must begin with MR2BATCH and a 20-byte header)")
    n, c, h, w, k = struct.unpack("<5I", b[8:28])
    values = n * c * h * w
    if 0 in (n, c, h, w, k) or len(b) != 28 + 4 * (values + n):
        sys.exit(f"{path}: {len(b)} bytes for a header of n = {n}, shape {c}x{h}x{w}, {k} classes")
    if sys.byteorder != "little":
        sys.exit(f"{path}: batch files are little-endian; this machine is not")
    x = torch.frombuffer(b, dtype=torch.float32, count=values, offset=28).reshape(n, c, h, w).clone()
    y = torch.frombuffer(b, dtype=torch.int32, count=n, offset=28 + 4 * values).long()
    if bool((y < 0).any()) or bool((y >= k).any()):
        sys.exit(f"{path}: a label outside 0..{k}")
    return x, y


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=["mlp", "cnn", "resnet20", "resnet32"], default="cnn")
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (wgpu is mr2-only: its twin runs on cuda)")
    p.add_argument("--loss", choices=["ce", "mr2"], default="ce")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=15)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--input", help="step on the batch in this file (written by bench --compare-pytorch)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dev = torch.device("cuda" + a.device[4:] if a.device.startswith("wgpu") else a.device)
    model, shape = {"mlp": (Mlp(), (1, 28, 28)), "cnn": (SmallCnn(), (1, 28, 28)),
                    "resnet20": (ResNet20(), (3, 32, 32)), "resnet32": (ResNet20(n=5), (3, 32, 32))}[a.model]
    model = model.to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, dampening=0)
    if a.input:
        x, y = read_batch(a.input)
        if tuple(x.shape) != (a.batch, *shape):
            sys.exit(f"{a.input}: a batch of {tuple(x.shape)}; --model {a.model} at --batch {a.batch} needs {(a.batch, *shape)}")
    else:
        x, y = normal_batch(a.batch, shape)
    x, y = x.to(dev), y.to(dev)
    loss_fn = Mr2Loss(10) if a.loss == "mr2" else (lambda z, f, yy: F.cross_entropy(z, yy))
    model.train()

    def step():
        opt.zero_grad(set_to_none=True)
        z, f = model(x)
        loss_fn(z, f, y).backward()
        opt.step()

    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    for _ in range(a.warmup):
        step()
    sync()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    sync()
    ms = (time.perf_counter() - t0) * 1e3 / a.steps
    print(json.dumps({"model": a.model, "loss": a.loss, "ms_per_step": ms, "engine": "pytorch",
                      "torch": torch.__version__, "threads": a.threads, "device": str(dev)}))


if __name__ == "__main__":
    main()
