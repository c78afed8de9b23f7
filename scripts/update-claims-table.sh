#!/usr/bin/env bash
# Regenerate the claim table in docs/claims.md (between the claims:begin / claims:end markers)
# from `verify` at the quick budget (all searches are seeded, so the table is reproducible).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp)
cargo run --release --quiet --bin verify -- --markdown "$tmp" >/dev/null 2>&1
awk -v table="$tmp" '
  /<!-- claims:begin -->/ { print; while ((getline line < table) > 0) print line; skip = 1; next }
  /<!-- claims:end -->/ { skip = 0 }
  !skip { print }
' docs/claims.md > docs/claims.md.new
mv docs/claims.md.new docs/claims.md
rm -f "$tmp"
echo "docs/claims.md claim table updated"
