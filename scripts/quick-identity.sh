#!/usr/bin/env bash
# Behaviour unchanged by a restructuring: every experiment of the `quick` preset (synthetic
# data, seconds) run by the binary of BASE and by this checkout's, and every summary.json,
# report (*.md, without its compute-time line) and metrics.csv (without its timing columns)
# compared byte for byte.
# BASE is built in a temporary worktree with its own target directory (target/identity-base)
# so that the two builds never share artifacts. Prints each difference; exits 1 if any.
# Usage: scripts/quick-identity.sh BASE_COMMIT
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?usage: scripts/quick-identity.sh BASE_COMMIT}
tmp=$(mktemp -d)
trap 'git worktree remove --force "$tmp/base" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
git worktree add --detach "$tmp/base" "$base" >/dev/null
root=$(pwd)
(cd "$tmp/base" && CARGO_TARGET_DIR="$root/target/identity-base" cargo build --release --quiet --bin experiments)
cargo build --release --quiet --bin experiments
experiments="baselines ablation fidelity sweep per-class imbalanced long-tail spread margins regularization-audit"
for side in base head; do
  bin=target/release/experiments
  [ "$side" = base ] && bin=target/identity-base/release/experiments
  for e in $experiments; do
    RAYON_NUM_THREADS=1 "$bin" "$e" --preset quick --out "$tmp/out-$side/$e" --quiet >/dev/null
  done
done
# Timings differ from run to run: metrics.csv is compared on its columns before `seconds`,
# the reports without their "Compute:" line (the runs' summed seconds).
strip() { awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "seconds") n = i - 1 } { s = $1; for (i = 2; i <= n; i++) s = s "," $i; print s }' "$1"; }
diffs=0 files=0
while IFS= read -r f; do
  files=$((files + 1))
  case $f in
    *metrics.csv) same=$(cmp -s <(strip "$tmp/out-base/$f") <(strip "$tmp/out-head/$f") && echo y || echo n) ;;
    *.md) same=$(cmp -s <(grep -v '^Compute: ' "$tmp/out-base/$f") <(grep -v '^Compute: ' "$tmp/out-head/$f") && echo y || echo n) ;;
    *) same=$(cmp -s "$tmp/out-base/$f" "$tmp/out-head/$f" && echo y || echo n) ;;
  esac
  [ "$same" = y ] || { echo "differs: $f"; diffs=$((diffs + 1)); }
done < <(cd "$tmp/out-base" && find . \( -name summary.json -o -name '*.md' -o -name metrics.csv \) | sort)
echo "$files files compared (quick preset, $base against $(git rev-parse --short HEAD)): $diffs differ"
[ "$diffs" -eq 0 ]
