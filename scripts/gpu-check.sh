#!/usr/bin/env bash
# The prepared GPU check: run on a GPU machine with a driver but no Rust and no internet,
# from the repository root, with the binary scripts/build-gpu.sh made carried next to it.
#
#   scripts/gpu-check.sh                          # --device cuda, target/gpu/bench-cuda.xz
#   scripts/gpu-check.sh --device cpu --bin target/release/bench --quick   # dry run here
#
# Options: --device cuda|cuda:N|wgpu|cpu, --bin PATH (a bench binary, .xz or not),
# --data DIR (CIFAR-10 in either format; default: data/cifar10-jpeg, else the shared JPEG
# archive ../shared/data/cifar10-jpeg.tar.gz unpacked to a temporary folder), --out DIR
# (default $OUT if set, else results/gpu-check), --python PY (with torch, for the twin),
# --quick (parity on the CNN only: the CPU dry run, where all models take ~15 minutes).
#
# Steps, each under its own time limit (the whole well under 8 minutes):
#   1. nvidia-smi                                                       (20 s)
#   2. parity: every model × objective, CPU kernels against the device    (240 s)
#   3. speed: ResNet-20/32 CE step at batch 128 and 512, mr2 against the
#      PyTorch twin on the same device, alternating rounds, fresh processes (150 s)
#   4. one training epoch of the cifar preset's run on the device          (90 s)
# Writes DIR/summary.json (each step: status, seconds, exit code, log file) and the logs.
set -uo pipefail
cd "$(dirname "$0")/.."

device=cuda
bin=target/gpu/bench-cuda.xz
data=
out=${OUT:-results/gpu-check}
python=python3
parity_models=()
while [ $# -gt 0 ]; do
	case "$1" in
	--device) device=$2; shift 2 ;;
	--bin) bin=$2; shift 2 ;;
	--data) data=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--python) python=$2; shift 2 ;;
	--quick) parity_models=(--model cnn); shift ;;
	*) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
	esac
done
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

case "$bin" in
*.xz) xz -dc "$bin" >"$work/bench" && chmod +x "$work/bench" && bench=$work/bench ;;
*) bench=$bin ;;
esac
[ -x "$bench" ] || { echo "no runnable bench binary at $bin" >&2; exit 1; }

if [ -z "$data" ]; then
	if [ -d data/cifar10-jpeg/train ]; then
		data=data/cifar10-jpeg
	elif [ -f ../shared/data/cifar10-jpeg.tar.gz ]; then
		tar -xzf ../shared/data/cifar10-jpeg.tar.gz -C "$work" && data=$(dirname "$(find "$work" -maxdepth 3 -type d -name train | head -1)")
	fi
fi

summary=$out/summary.json
echo "{" >"$summary"
echo "  \"device\": \"$device\", \"started\": \"$(date -u +%FT%TZ)\", \"host\": \"$(hostname)\"," >>"$summary"
echo "  \"steps\": [" >>"$summary"
first=1
# step NAME LIMIT_SECONDS COMMAND...: run with a time limit, log to OUT/NAME.log.
step() {
	local name=$1 limit=$2
	shift 2
	echo "== $name (limit $limit s): $*"
	local t0 rc status
	t0=$(date +%s.%N)
	timeout "$limit" "$@" >"$out/$name.log" 2>&1
	rc=$?
	local secs
	secs=$(echo "$(date +%s.%N) - $t0" | bc)
	case $rc in
	0) status=ok ;;
	124) status=timeout ;;
	*) status=failed ;;
	esac
	tail -n 25 "$out/$name.log"
	echo "-- $name: $status after ${secs} s"
	[ $first -eq 1 ] || echo "    ," >>"$summary"
	first=0
	printf '    {"step": "%s", "status": "%s", "exit_code": %d, "seconds": %.1f, "log": "%s.log"}\n' \
		"$name" "$status" "$rc" "$secs" "$name" >>"$summary"
}
skip() {
	echo "-- $1: skipped ($2)"
	[ $first -eq 1 ] || echo "    ," >>"$summary"
	first=0
	printf '    {"step": "%s", "status": "skipped", "reason": "%s"}\n' "$1" "$2" >>"$summary"
}

if [ "${device%%:*}" = cuda ]; then
	step nvidia-smi 20 nvidia-smi
else
	skip nvidia-smi "device $device"
fi
step parity 240 "$bench" --parity --device "$device" "${parity_models[@]}" --json "$out/parity.json"
if "$python" -c "import torch" 2>/dev/null; then
	for b in 128 512; do
		step "speed-batch$b" 75 "$bench" --compare-pytorch --device "$device" --batch "$b" \
			--model resnet32 --loss ce --rounds 3 --steps 9 --python "$python" \
			--json "$out/speed-batch$b.json"
	done
	step speed-resnet20 60 "$bench" --compare-pytorch --device "$device" --batch 128 \
		--model resnet20 --loss ce --rounds 3 --steps 9 --python "$python" \
		--json "$out/speed-resnet20.json"
else
	skip speed "no torch for $python"
	step speed-mr2-only 90 "$bench" --device "$device" --batch 128 --model resnet32 --loss ce \
		--rounds 1 --steps 6 --json "$out/speed-mr2-only.json"
fi
if [ -n "$data" ]; then
	step train-epoch 150 "$bench" --train-epoch "$data" --device "$device" --out "$work/run" \
		--json "$out/train-epoch.json"
else
	skip train-epoch "no CIFAR-10 files (give --data DIR)"
fi
echo "  ]," >>"$summary"
echo "  \"finished\": \"$(date -u +%FT%TZ)\"" >>"$summary"
echo "}" >>"$summary"
echo "summary: $summary"
grep -q '"status": "\(failed\|timeout\)"' "$summary" && exit 1
exit 0
