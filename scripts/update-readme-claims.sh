#!/usr/bin/env bash
# Regenerate the claim table in README.md (between the claims:begin / claims:end markers)
# from `verify` at the quick budget (all searches are seeded, so the table is reproducible).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp)
cargo run --release --quiet --bin verify -- --markdown "$tmp" >/dev/null 2>&1
awk -v table="$tmp" '
  /<!-- claims:begin -->/ { print; while ((getline line < table) > 0) print line; skip = 1; next }
  /<!-- claims:end -->/ { skip = 0 }
  !skip { print }
' README.md > README.md.new
mv README.md.new README.md
rm -f "$tmp"
echo "README.md claim table updated"
