#!/usr/bin/env bash
# The simulator's prediction for more devices than this machine has, fed with measured costs:
# `scpl bench train --stage-costs` measures every component's forward and learning time on one
# micro-batch (16 rows: batch 128 / 8 micro-batches) for BP and for SCPL, one stage per component;
# `scpl simulate` then times BP's schedules (nmp, gpipe, 1f1b, interleaved-1f1b, zb-h1) and SCPL's
# async on K devices, one component each: VGG (width 0.25) on 4 (it has at most 6 components, and
# interleaved-1f1b needs M = 8 to be a multiple of K), the LSTM on 4 and 8. Prints a Markdown
# table of each schedule's time per 128-sample mini-batch and its speed relative to gpipe, and
# writes docs/figures/predicted-bp-schedules-<model>-<K>.svg (nmp left out of the chart).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=${OUT:-bench-results/predicted}
swift build -c release --product scpl >&2
BIN=$(swift build -c release --show-bin-path)/scpl
mkdir -p "$OUT" docs/figures
for case in vgg:4 lstm:4 lstm:8; do
  model=${case%%:*} k=${case#*:}
  "$BIN" bench train --model "$model" --components "$k" --runs bp:off,scpl:off --devices 1 --steps 1 --warmup 0 \
    --micro-batches 8 --batch-sizes 128 --stage-costs "$OUT/$model-$k" --out "$OUT/$model-$k" >&2
  "$BIN" simulate --costs "$OUT/$model-$k/$model-bp-costs.json" --micro-batches 8 \
    --schedule nmp,gpipe,1f1b,interleaved-1f1b,zb-h1 --json "$OUT/$model-$k-bp.json" >&2
  # The chart leaves nmp out: its relay is several times longer and would squeeze the others.
  "$BIN" simulate --costs "$OUT/$model-$k/$model-bp-costs.json" --micro-batches 8 \
    --schedule gpipe,1f1b,interleaved-1f1b,zb-h1 --svg "docs/figures/predicted-bp-schedules-$model-$k.svg" >&2
  "$BIN" simulate --costs "$OUT/$model-$k/$model-scpl-costs.json" --micro-batches 8 --batches 16 \
    --schedule async --json "$OUT/$model-$k-scpl.json" >&2
done
python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
print("| model | devices | " + " | ".join(["nmp", "gpipe", "1f1b", "interleaved-1f1b", "zb-h1", "scpl async"]) + " |")
print("|---|---|" + "---|" * 6)
for case in ["vgg-4", "lstm-4", "lstm-8"]:
    bp = {s["schedule"]: s["per_batch"] for s in json.load(open(f"{out}/{case}-bp.json"))["schedules"]}
    scpl = json.load(open(f"{out}/{case}-scpl.json"))["schedules"][0]["per_batch"]
    times = [bp["nmp"], bp["gpipe"], bp["1f1b"], bp["interleaved-1f1b"], bp["zb-h1"], scpl]
    cells = [f"{t:.0f} ms ({bp['gpipe'] / t:.2f}×)" for t in times]
    model, k = case.split("-")
    print(f"| {model} | {k} | " + " | ".join(cells) + " |")
PY
