#!/usr/bin/env bash
# ERM vs MR² on Fashion-MNIST (small CNN, 8 epochs) over several seeds, then a mean ± sd table.
# Same settings as scripts/fashion-mnist-erm-vs-mr2.sh; runs that already exist are kept.
# Usage: scripts/fashion-mnist-seeds.sh [SEED ...]   (default: 0 1 2)
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=("$@")
[ ${#seeds[@]} -eq 0 ] && seeds=(0 1 2)
[ -f data/fashion-mnist/train-images-idx3-ubyte ] || scripts/fetch-data.sh fashion-mnist
cargo build --release --quiet --bin train --bin compare
for s in "${seeds[@]}"; do
  sfx=""; [ "$s" != 0 ] && sfx="-s$s"
  common=(--dataset fashion-mnist --model cnn --epochs 8 --batch-size 128 --lr 0.05 --seed "$s" --quiet)
  [ -f "results/fmnist-cnn-erm$sfx/summary.json" ] || ./target/release/train "${common[@]}" --loss ce --out "results/fmnist-cnn-erm$sfx" >/dev/null
  [ -f "results/fmnist-cnn-mr2$sfx/summary.json" ] || ./target/release/train "${common[@]}" --loss mr2 --rep-scaling scaled-mean \
    --out "results/fmnist-cnn-mr2$sfx" --ranking-from "results/fmnist-cnn-erm$sfx/summary.json" >/dev/null
done
erm=(); mr2=()
for s in "${seeds[@]}"; do
  sfx=""; [ "$s" != 0 ] && sfx="-s$s"
  erm+=("results/fmnist-cnn-erm$sfx/summary.json"); mr2+=("results/fmnist-cnn-mr2$sfx/summary.json")
done
./target/release/compare --label ERM "${erm[@]}" --label MR2 "${mr2[@]}"
