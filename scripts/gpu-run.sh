#!/usr/bin/env bash
# The GPU check, on a machine with a GPU and python3's torch (the CUDA build scripts/gpu-check.sh
# built against): unpacks .gpu-check/scpl-gpu.tar.xz, runs `scpl selftest --cuda`, then
# `scpl bench train` of BP off, BP nmp, SCPL async and SCPL scpl-gpipe for the VGG at the paper's
# width and timing batch sizes (32 … 512) and for the LSTM, each component on a lane (stream) of
# GPU 0, then trains two replicas of a two-lane pipeline (`--replicas 2`) and BP's 1f1b as two
# processes sharing GPU 0 (`scpl launch --nproc 2`). Everything lands in
# $OUT (default gpu-results): logs, selftest.json, the bench JSON and Markdown, status.txt with
# each step's exit status. Each step is bounded in time, and a failing step does not stop the next.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-gpu-results}
mkdir -p "$OUT"
: > "$OUT/status.txt"
TORCH_LIB=$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))' 2>/dev/null) \
  || { echo "gpu-run: python3 has no torch package" | tee -a "$OUT/status.txt"; exit 1; }
have=$(python3 -c 'import torch; print(torch.__version__.split("+")[0])' 2>/dev/null)
want=$(tar -xJOf .gpu-check/scpl-gpu.tar.xz scpl-gpu/torch-version) || { echo "gpu-run: no .gpu-check/scpl-gpu.tar.xz; run scripts/gpu-check.sh first" >&2; exit 1; }
[[ $have == "$want" ]] || echo "gpu-run: warning: scpl was built against torch $want, this machine has $have" | tee -a "$OUT/status.txt"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
tar -C "$WORK" -xJf .gpu-check/scpl-gpu.tar.xz
export LD_LIBRARY_PATH="$WORK/scpl-gpu/lib:$TORCH_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
SCPL=$WORK/scpl-gpu/scpl
if ! "$SCPL" --version > /dev/null 2> "$WORK/probe.txt" && grep -q "GLIBCXX\|CXXABI" "$WORK/probe.txt"; then
  echo "gpu-run: this machine's C++ runtime is older than the build machine's; using the one shipped with scpl" | tee -a "$OUT/status.txt"
  export LD_LIBRARY_PATH="$WORK/scpl-gpu/fallback:$LD_LIBRARY_PATH"
fi

step() {  # step NAME SECONDS COMMAND…: runs it bounded, logs it, records its status
  local name=$1 limit=$2; shift 2
  echo "== $name: $*"
  local start=$SECONDS
  timeout "$limit" "$@" > "$OUT/$name.log" 2>&1
  local rc=$?
  echo "$name rc=$rc $((SECONDS - start)) s" | tee -a "$OUT/status.txt"
  tail -n 25 "$OUT/$name.log"
}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$OUT/nvidia-smi.txt" 2>&1
step version 60 "$SCPL" --version
step selftest 150 "$SCPL" selftest --cuda --json "$OUT/selftest.json"
step bench-vgg 240 "$SCPL" bench train --model vgg --width 1 --runs bp:off,bp:nmp,scpl:async,scpl:scpl-gpipe \
  --devices cuda:0x4 --batch-sizes 32,64,128,256,512 --steps 10 --out "$OUT" --stem gpu-vgg
step bench-lstm 150 "$SCPL" bench train --model lstm --runs bp:off,bp:nmp,scpl:async,scpl:scpl-gpipe \
  --devices cuda:0x4 --batch-sizes 128,512,1024 --steps 10 --out "$OUT" --stem gpu-lstm
# Two replicas of a two-lane pipeline on GPU 0, each replica with lanes (streams) of its own, their
# gradients averaged on the host (ThreadReplicas); the run folder is kept for its summary.
step replicas-2lanes 120 "$SCPL" train --model vgg --width 0.25 --devices cuda:0x2 --replicas 2 --epochs 1 \
  --limit-train 4096 --limit-test 1000 --batch-size 128 --out "$OUT/replicas-2lanes"
# BP's 1f1b as two processes sharing GPU 0, a stage each: activations down and gradients up go
# through the host for Gloo, the processes path on CUDA tensors that no CPU run covers.
step bp-1f1b-2ranks 90 "$SCPL" launch --nproc 2 -- train --model vgg --width 0.25 --method bp --pipeline 1f1b \
  --devices cuda:0 --epochs 1 --limit-train 2048 --limit-test 500 --batch-size 128 --timeout 60 \
  --out "$OUT/bp-1f1b-2ranks"
