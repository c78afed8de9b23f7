#!/usr/bin/env bash
# What `experiments --jobs` gains on this machine: one slice of a grid (default: Table 14's
# per-class grid on the cifar preset, seeds 0 and 1 — 6 runs — each shortened to 2 epochs with
# `--epochs`) trained three ways, in alternating rounds, each round in fresh processes and a
# fresh directory:
#   jobs1   `--jobs 1`: one run at a time on all cores;
#   jobs2   `--jobs 2`: two runs at a time, each on its own pool of cores/2 threads;
#   shards  two processes side by side (`--shard 0/2`, `--shard 1/2`, RAYON_NUM_THREADS=cores/2
#           each): how the CIFAR-10 grids were paired by hand before --jobs split the cores.
# Prints every wall time, the median per arm and the ratios to jobs1 (runs per hour = 6 / time).
# Needs the CIFAR-10 JPEG copy in data/cifar10-jpeg and `cargo build --release`.
# Usage: scripts/jobs-gain.sh [ROUNDS (default 2)] [EPOCHS (default 2)]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
epochs=${2:-2}
bin=target/release/experiments
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
[ -d data/cifar10-jpeg ] || { echo "data/cifar10-jpeg missing: scripts/fetch-data.sh cifar10" >&2; exit 1; }
cores=$(nproc)
half=$(( cores / 2 > 0 ? cores / 2 : 1 ))
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
grid=(per-class --preset cifar --seeds 0,1 --epochs "$epochs" --quiet)
now() { date +%s.%N; }
declare -A times
for r in $(seq 1 "$rounds"); do
  for arm in jobs1 jobs2 shards; do
    out="$tmp/$arm-$r"
    t0=$(now)
    case $arm in
      jobs1) "$bin" "${grid[@]}" --jobs 1 --out "$out" >/dev/null ;;
      jobs2) "$bin" "${grid[@]}" --jobs 2 --out "$out" >/dev/null ;;
      shards)
        RAYON_NUM_THREADS=$half "$bin" "${grid[@]}" --shard 0/2 --out "$out" >/dev/null &
        p0=$!
        RAYON_NUM_THREADS=$half "$bin" "${grid[@]}" --shard 1/2 --out "$out" >/dev/null &
        p1=$!
        wait "$p0"
        wait "$p1"
        ;;
    esac
    t=$(awk -v a="$(now)" -v b="$t0" 'BEGIN { print a - b }')
    times[$arm]="${times[$arm]:-} $t"
    printf 'round %d %-6s %8.1f s\n' "$r" "$arm" "$t"
    rm -rf "$out"
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
base=$(echo "${times[jobs1]}" | median)
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $cores cores; 6 runs of $epochs epochs, $rounds rounds"
for arm in jobs1 jobs2 shards; do
  m=$(echo "${times[$arm]}" | median)
  printf '%-6s median %8.1f s   time / jobs1 %.3f   runs per hour %.1f\n' "$arm" "$m" \
    "$(awk -v m="$m" -v b="$base" 'BEGIN { print m / b }')" "$(awk -v m="$m" 'BEGIN { print 6 * 3600 / m }')"
done
