#!/usr/bin/env bash
# Host memory: our host cache (HostMemory, the default) against glibc's malloc (the cache off)
# and two well-kept allocators loaded in its place, jemalloc and tcmalloc (Debian's libjemalloc2
# and libtcmalloc-minimal4, through LD_PRELOAD with the cache off), on the BP training step of the
# VGG (width 0.25) and the LSTM, batch 128, one thread. ROUNDS rounds, every configuration once
# per round, interleaved so that drifting load hits all alike; the summary takes the median over
# rounds of each round's median step, page faults and kernel time per step.
# Usage: scripts/allocators.sh [OUT_DIR]   (default bench-results; ROUNDS=3 STEPS=12)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bench-results}
ROUNDS=${ROUNDS:-3}
STEPS=${STEPS:-12}
LIB=/usr/lib/$(uname -m)-linux-gnu
for lib in libjemalloc.so.2 libtcmalloc_minimal.so.4; do
  [[ -e "$LIB/$lib" ]] || { echo "allocators.sh: $LIB/$lib is missing; apt-get install libjemalloc2 libtcmalloc-minimal4" >&2; exit 1; }
done
swift build -c release --product scpl >/dev/null
BIN=$(swift build -c release --show-bin-path)/scpl
mkdir -p "$OUT"
rm -f "$OUT"/alloc-*-round*.*
uptime
for round in $(seq 1 "$ROUNDS"); do
  for model in vgg lstm; do
    args=(bench --model "$model" --batch-sizes 128 --devices 1 --threads-per-device 1 --steps "$STEPS" --runs bp:off --out "$OUT")
    [[ $model == vgg ]] && args+=(--width 0.25)
    "$BIN" "${args[@]}" --stem "alloc-$model-host-cache-round$round" >/dev/null
    SCPL_HOST_CACHE_MB=0 "$BIN" "${args[@]}" --stem "alloc-$model-glibc-round$round" >/dev/null
    SCPL_HOST_CACHE_MB=0 LD_PRELOAD="$LIB/libjemalloc.so.2" "$BIN" "${args[@]}" --stem "alloc-$model-jemalloc-round$round" >/dev/null
    SCPL_HOST_CACHE_MB=0 LD_PRELOAD="$LIB/libtcmalloc_minimal.so.4" "$BIN" "${args[@]}" --stem "alloc-$model-tcmalloc-round$round" >/dev/null
  done
done
uptime
python3 bench/compare_allocators.py "$OUT" | tee "$OUT/allocators.md"
