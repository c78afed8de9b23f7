#!/usr/bin/env bash
# What Winograd buys in the whole training step: `bench --model M --loss ce` (one JSON line,
# ms per step on N(0, 1) batches of 128) with MR2_CONV=unfold and MR2_CONV=winograd, in
# alternating rounds, each measurement in a fresh process. Prints every figure, the median per
# algorithm and the ratio winograd / unfold. Needs `cargo build --release`.
# Usage: scripts/conv-ab.sh [ROUNDS (default 5)] [MODELS (default "resnet20 resnet32")] [STEPS (default 15)]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
models=${2:-resnet20 resnet32}
steps=${3:-15}
bin=target/release/bench
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores, $(grep -o -m1 -w 'avx512f\|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')"
for m in $models; do
  declare -A t=()
  for r in $(seq 1 "$rounds"); do
    for alg in unfold winograd; do
      ms=$(MR2_CONV=$alg "$bin" --model "$m" --loss ce --rounds 1 --steps "$steps" \
        | sed -n 's/.*"ms_per_step":\([0-9.]*\).*/\1/p')
      t[$alg]="${t[$alg]:-} $ms"
      printf '%s round %d %-8s %8.1f ms/step\n' "$m" "$r" "$alg" "$ms"
    done
  done
  u=$(echo "${t[unfold]}" | median)
  w=$(echo "${t[winograd]}" | median)
  printf '%s: median unfold %.1f ms, winograd %.1f ms, winograd / unfold %.3f (%d rounds)\n' \
    "$m" "$u" "$w" "$(awk -v a="$w" -v b="$u" 'BEGIN { print a / b }')" "$rounds"
  unset t
done
