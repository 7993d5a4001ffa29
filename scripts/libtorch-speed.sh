#!/usr/bin/env bash
# CPU speed of the two libtorch lines: Debian's 1.13 (OpenBLAS) against PyTorch's 2.x wheel
# (MKL, oneDNN 3), on the VGG (width 0.25) and LSTM training steps, BP and SCPL (--pipeline off,
# one device, TPD intra-op threads), batch 128. ROUNDS rounds, the two builds interleaved within
# each round; the summary takes the median over rounds of each round's median step.
# Usage: scripts/libtorch-speed.sh [OUT_DIR]   (default bench-results; ROUNDS=3 STEPS=10 TPD=2
#        LIBTORCH2_VERSION=2.13.0). Run it on an idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bench-results}
ROUNDS=${ROUNDS:-3}
STEPS=${STEPS:-10}
TPD=${TPD:-2}
V=${LIBTORCH2_VERSION:-2.13.0}
LT2=$(bash scripts/get-libtorch.sh "$V+cpu" 2>/dev/null || bash scripts/get-libtorch.sh "$V")
swift build -c release --product scpl >/dev/null
bash scripts/with-libtorch.sh "$LT2" swift build -c release --product scpl --scratch-path .build-libtorch2 >/dev/null
BIN113=$(swift build -c release --show-bin-path)/scpl
BIN2=$(bash scripts/with-libtorch.sh "$LT2" swift build -c release --scratch-path .build-libtorch2 --show-bin-path)/scpl
mkdir -p "$OUT"
rm -f "$OUT"/libtorch-*-round*.*
"$BIN113" --version | tee "$OUT/libtorch-versions.txt"
"$BIN2" --version | tee -a "$OUT/libtorch-versions.txt"
uptime
for round in $(seq 1 "$ROUNDS"); do
  for model in vgg lstm; do
    args=(bench --model "$model" --batch-sizes 128 --devices 1 --threads-per-device "$TPD" --steps "$STEPS" --runs bp:off,scpl:off --out "$OUT")
    [[ $model == vgg ]] && args+=(--width 0.25)
    "$BIN113" "${args[@]}" --stem "libtorch-1.13-$model-round$round" >/dev/null
    "$BIN2" "${args[@]}" --stem "libtorch-2-$model-round$round" >/dev/null
  done
done
uptime
python3 bench/compare_libtorch.py "$OUT" | tee "$OUT/libtorch-speed.md"
