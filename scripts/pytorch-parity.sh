#!/usr/bin/env bash
# Framework overhead: the same BP training step of the VGG (width 0.25, 128 × 3×32×32) in
# scpl-swift and in PyTorch 1.13 (Debian's python3-torch, the same libtorch), at 1 and 2 threads.
# ROUNDS rounds, interleaved so that drifting machine load hits both alike; PyTorch both on its
# main thread and on a new thread (scpl-swift computes on a device worker thread). scpl-swift runs
# on tcmalloc (linked in), PyTorch on glibc's malloc as a user runs it. Summary:
# OUT_DIR/pytorch-comparison.md (bench/compare_pytorch.py). Run it on an idle machine.
# Usage: scripts/pytorch-parity.sh [OUT_DIR]   (default bench-results; ROUNDS=5 STEPS=20 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bench-results}
ROUNDS=${ROUNDS:-5}
STEPS=${STEPS:-20}
swift build -c release --product scpl >/dev/null
BIN=$(swift build -c release --show-bin-path)/scpl
# The kernels scpl picks for this CPU, given to PyTorch too (never SkylakeX on a CPU without AVX-512).
core=${OPENBLAS_CORETYPE:-$(scripts/openblas-core.sh)}
if [[ -n "$core" ]]; then export OPENBLAS_CORETYPE=$core; fi
mkdir -p "$OUT"
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "python3-torch is not installed (apt-get install python3-torch): PyTorch comparison skipped" | tee "$OUT/pytorch-comparison.md"
  exit 0
fi
rm -f "$OUT"/bp-step-*threads*-round*.* "$OUT"/pytorch-*threads*-round*.json
for round in $(seq 1 "$ROUNDS"); do
  for t in 1 2; do
    "$BIN" bench --model vgg --width 0.25 --batch-sizes 128 --devices 1 --threads-per-device "$t" --steps "$STEPS" \
      --runs bp:off --out "$OUT" --stem "bp-step-threads$t-round$round" >/dev/null
    /usr/bin/python3 bench/pytorch_vgg_step.py --width 0.25 --batch-size 128 --threads "$t" --steps "$STEPS" \
      > "$OUT/pytorch-threads$t-round$round.json"
    /usr/bin/python3 bench/pytorch_vgg_step.py --width 0.25 --batch-size 128 --threads "$t" --steps "$STEPS" --in-thread \
      > "$OUT/pytorch-in-thread-threads$t-round$round.json"
  done
done
/usr/bin/python3 bench/compare_pytorch.py "$OUT" | tee "$OUT/pytorch-comparison.md"
