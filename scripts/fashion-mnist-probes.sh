#!/usr/bin/env bash
# ℓ_s̄ as printed vs the scaled-mean form (formerly `reference`), MR² at the paper's λ = 0.5, Fashion-MNIST CNN,
# 10% of the training set, 2 epochs, seed 0 (about 10 s each).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f data/fashion-mnist/train-images-idx3-ubyte ] || scripts/fetch-data.sh fashion-mnist
cargo build --release --quiet --bin train
for s in paper scaled-mean; do
  rm -rf "results/probe-fmnist-mr2-$s"
  ./target/release/train --dataset fashion-mnist --model cnn --epochs 2 --subset 0.1 --loss mr2 \
    --rep-scaling "$s" --seed 0 --quiet --out "results/probe-fmnist-mr2-$s" | tail -2
done
