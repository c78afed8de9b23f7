#!/usr/bin/env bash
# Build mr2's one GPU binary (`bench`, which holds the parity checks, the step timings and a
# training epoch) on a machine without a GPU and without internet access except the package
# registries, strip it and compress it for carrying to a GPU machine.
#
#   scripts/build-gpu.sh            # the CUDA backend (feature `cuda`)
#   scripts/build-gpu.sh wgpu       # the Vulkan backend (feature `wgpu`; no LLVM needed)
#
# Output: target/gpu/bench-FEATURE.xz (and its size); the GPU check, scripts/gpu-check.sh,
# takes it from there.
#
# Why the CUDA route is this way (docs/gpu.md): burn 0.22's `cuda` feature compiles
# cubecl-llvm, whose build dependency tracel-llvm-bundler downloads an LLVM 23 bundle and
# panics offline. The bundler skips the download when its marker file exists in its prefix
# ($XDG_DATA_HOME/tracel/tracel-llvm-23.1.0-4); cubecl-llvm then only runs that prefix's
# `bin/llvm-config --link-static`. Debian's LLVM 22 fills the prefix: bin, lib and include of
# /usr/lib/llvm-22, libpolly (the static link needs Polly), and `liblibz3.so` (the bundler
# turns llvm-config's .../libz3.so into `-llibz3`; the linker then drops it — the name is
# linked in /usr/lib/llvm-22/lib, where llvm-config says the libraries are). The prefix is
# project-local (target/gpu/xdg), never the user's own ~/.local/share.
#
# About 30 minutes on 2 cores; the binary is ~160 MB stripped, ~31 MB compressed.
set -euo pipefail
cd "$(dirname "$0")/.."

feature=${1:-cuda}
case "$feature" in
cuda | wgpu) ;;
*)
	echo "usage: scripts/build-gpu.sh [cuda|wgpu]" >&2
	exit 2
	;;
esac

out=target/gpu
mkdir -p "$out"
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

need_packages() {
	local missing=()
	for p in "$@"; do
		dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "installing ${missing[*]}"
		sudo_if_needed apt-get update -q
		sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
	fi
}

if [ "$feature" = cuda ]; then
	need_packages llvm-22-dev libpolly-22-dev zlib1g-dev libzstd-dev
	llvm=/usr/lib/llvm-22
	[ -x "$llvm/bin/llvm-config" ] || {
		echo "no $llvm/bin/llvm-config after installing llvm-22-dev" >&2
		exit 1
	}
	xdg=$PWD/$out/xdg
	prefix=$xdg/tracel/tracel-llvm-23.1.0-4
	mkdir -p "$prefix/lib"
	ln -sfn "$llvm/bin" "$prefix/bin"
	ln -sfn "$llvm/include" "$prefix/include"
	for f in "$llvm"/lib/*; do ln -sfn "$f" "$prefix/lib/$(basename "$f")"; done
	# llvm-config resolves its own path, so it reports /usr/lib/llvm-22/lib (not the prefix's) as
	# the library directory the link searches: the `liblibz3.so` name must exist there.
	z3=$(ls /usr/lib/x86_64-linux-gnu/libz3.so* 2>/dev/null | head -1 || true)
	if [ -n "$z3" ]; then
		ln -sfn "$z3" "$prefix/lib/liblibz3.so"
		[ -e "$llvm/lib/liblibz3.so" ] || sudo_if_needed ln -sfn "$z3" "$llvm/lib/liblibz3.so"
	fi
	# Created once: the bundler's build script watches it, and a newer one rebuilds everything.
	[ -e "$prefix/.tracel-llvm-installed" ] || touch "$prefix/.tracel-llvm-installed"
	export XDG_DATA_HOME=$xdg
else
	need_packages libvulkan-dev
fi

echo "building bench with --features $feature (long: ~30 min on 2 cores for cuda)"
t0=$(date +%s)
cargo build --release --features "$feature" --bin bench --target-dir "$out/build-$feature"
echo "built in $(($(date +%s) - t0)) s"

bin=$out/bench-$feature
cp "$out/build-$feature/release/bench" "$bin"
strip "$bin"
xz -6 -T0 -f -k "$bin"
echo "binary:     $bin ($(du -h "$bin" | cut -f1) stripped)"
echo "compressed: $bin.xz ($(du -h "$bin.xz" | cut -f1); a device carry holds 64 MiB in all)"
echo "shared libraries it needs:"
ldd "$bin" | sed 's/^/  /'
"$bin" --pipeline --steps 3 --rounds 1 >/dev/null && echo "its CPU path runs here (bench --pipeline)"
