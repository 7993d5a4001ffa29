#!/usr/bin/env bash
# Host memory: tcmalloc (linked into every scpl-swift program, the default) against jemalloc
# (Debian's libjemalloc2, loaded first through LD_PRELOAD, as it comes and told to keep freed
# pages), on the BP training step of the VGG (width 0.25) and the LSTM, batch 128, one thread.
# ROUNDS rounds, every configuration once per round, interleaved so that drifting load hits all
# alike; the summary takes the median over rounds of each round's median step, page faults and
# kernel time per step. The decision to use tcmalloc came from this script as it was at commit
# c4a1d30, which also measured glibc's malloc and the former host cache (docs/performance.md).
# Usage: scripts/allocators.sh [OUT_DIR]   (default bench-results; ROUNDS=3 STEPS=12; MODELS="vgg lstm")
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bench-results}
ROUNDS=${ROUNDS:-3}
STEPS=${STEPS:-12}
LIB=/usr/lib/$(uname -m)-linux-gnu
[[ -e "$LIB/libjemalloc.so.2" ]] || { echo "allocators.sh: $LIB/libjemalloc.so.2 is missing; apt-get install libjemalloc2" >&2; exit 1; }
swift build -c release --product scpl >/dev/null
BIN=$(swift build -c release --show-bin-path)/scpl
mkdir -p "$OUT"
rm -f "$OUT"/alloc-*-round*.*
uptime
for round in $(seq 1 "$ROUNDS"); do
  for model in ${MODELS:-vgg lstm}; do
    args=(bench --model "$model" --batch-sizes 128 --devices 1 --threads-per-device 1 --steps "$STEPS" --runs bp:off --out "$OUT")
    [[ $model == vgg ]] && args+=(--width 0.25)
    "$BIN" "${args[@]}" --stem "alloc-$model-tcmalloc-round$round" >/dev/null
    LD_PRELOAD="$LIB/libjemalloc.so.2" "$BIN" "${args[@]}" --stem "alloc-$model-jemalloc-round$round" >/dev/null
    # jemalloc returns freed pages to the system after a delay by default; this keeps them.
    LD_PRELOAD="$LIB/libjemalloc.so.2" MALLOC_CONF="dirty_decay_ms:-1,muzzy_decay_ms:-1" \
      "$BIN" "${args[@]}" --stem "alloc-$model-jemalloc-retain-round$round" >/dev/null
  done
done
uptime
python3 bench/compare_allocators.py "$OUT" | tee "$OUT/allocators.md"
