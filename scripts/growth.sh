#!/usr/bin/env bash
# Reproduces the growth comparison of docs/results.md: SCPL with a predictor per component on the
# demo's setting (VGG width 0.125, Fashion-MNIST, batch 64, two devices), 4 epochs, 3 seeds,
# every component from the start against DASCPL's growth (component 2 joins after epoch 1, 3
# after 2, 4 after 3). About 30 minutes on two cores; run it on an otherwise idle machine, as it
# compares training time.
# Usage: scripts/growth.sh [OUT_DIR]   (default runs/growth)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/growth}
swift build -c release --product scpl >/dev/null
BIN=$(swift build -c release --show-bin-path)/scpl
mkdir -p "$OUT"
COMMON=(--model vgg --dataset fashion-mnist --width 0.125 --aug basic --batch-size 64 --devices 2 --method scpl
  --predictors mlp --epochs 4 --times 3)
source scripts/train-once.sh
SHOW='^final'
train_once all "${COMMON[@]}"
train_once grow "${COMMON[@]}" --grow-at 1,2,3
python3 - "$OUT" <<'PY'
import json, statistics, sys
out = sys.argv[1]
print("| variant | seed | test accuracy per epoch (%) | active components | training s per epoch | total s |")
print("|---|---|---|---|---|---|")
totals = {}
for variant in ["all", "grow"]:
    rows = [json.loads(l) for l in open(out + "/" + variant + "/metrics.jsonl")]
    for run in sorted({r["run"] for r in rows}):
        rs = [r for r in rows if r["run"] == run]
        total = sum(r["epoch_seconds"] for r in rs)
        totals.setdefault(variant, []).append((rs[-1]["test_accuracy"], total))
        accuracy = " / ".join("%.2f" % (100 * r["test_accuracy"]) for r in rs)
        active = " / ".join(str(r.get("active_components", 4)) for r in rs)
        seconds = " / ".join("%.0f" % r["epoch_seconds"] for r in rs)
        print("| %s | %d | %s | %s | %s | %.0f |" % (variant, rs[0]["seed"], accuracy, active, seconds, total))
print()
for variant, xs in totals.items():
    acc = [a for a, _ in xs]
    secs = [s for _, s in xs]
    print("%s: final test accuracy %.2f ± %.2f %%, training time %.0f ± %.0f s (n=%d)" % (
        variant, 100 * statistics.mean(acc), 100 * statistics.pstdev(acc), statistics.mean(secs),
        statistics.pstdev(secs), len(xs)))
PY
