#!/usr/bin/env bash
# SCPL against BP's schedules on the same model, batch, data shape and devices (issue 23's
# comparison): scpl:async, and bp under off, gpipe, 1f1b, interleaved-1f1b (2 chunks per device)
# and zb-h1 with MICRO micro-batches, for
# VGG (width 0.25, synthetic 3x32x32) and the LSTM (synthetic 60-token sequences), on DEVICES CPU
# devices (one intra-op thread each), ROUNDS interleaved rounds of STEPS timed steps each.
# Writes $OUT/vgg.{json,md,svg} and $OUT/lstm.{json,md,svg}: step time, samples/s, busy fraction,
# and for the micro-batched BP schedules the peak micro-batches held and the peak bytes of their
# component outputs, per device.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=${OUT:-bench-results/bp-schedules}
DEVICES=${DEVICES:-2}
MICRO=${MICRO:-8}
ROUNDS=${ROUNDS:-3}
STEPS=${STEPS:-10}
swift build -c release --product scpl >&2
BIN=$(swift build -c release --show-bin-path)/scpl
runs=scpl:async,bp:off,bp:gpipe,bp:1f1b,bp:interleaved-1f1b,bp:zb-h1
for model in vgg lstm; do
  "$BIN" bench train --model "$model" --runs "$runs" --devices "$DEVICES" --micro-batches "$MICRO" \
    --batch-sizes 128 --steps "$STEPS" --rounds "$ROUNDS" --out "$OUT" --stem "$model"
done
