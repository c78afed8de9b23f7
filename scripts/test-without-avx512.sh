#!/usr/bin/env bash
# Run the kernel tests on a CPU without AVX-512: valgrind's virtual CPU reports AVX2 + FMA but
# no AVX-512, so gemm and mr2's SIMD loops take their run-time AVX2 paths in the same binaries
# that use AVX-512 natively. (Minutes: valgrind runs the code instruction by instruction.)
#   scripts/test-without-avx512.sh            # kernel crate unit tests + tests/kernels.rs
# Needs valgrind (Debian package `valgrind`).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind not found (apt-get install valgrind)" >&2; exit 1; }
exe() { cargo test "$@" --no-run --message-format=json 2>/dev/null | grep -o '"executable":"[^"]*/deps/[^"]*"' | cut -d'"' -f4; }
bins="$(exe -p mr2-kernels --lib) $(exe -p mr2 --test kernels)"
[ -n "$bins" ] || { echo "no test binaries were built" >&2; exit 1; }
for b in $bins; do
  echo "== $b (under valgrind)"
  valgrind --tool=none -q "$b" --test-threads 2
done
