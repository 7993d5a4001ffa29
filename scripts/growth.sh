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
for variant in all grow; do
  extra=()
  [[ $variant == grow ]] && extra=(--grow-at 1,2,3)
  if grep -qs '"state" *: *"finished"' "$OUT/$variant/summary.json"; then echo "== $variant: already finished, kept"; continue; fi
  rm -rf "${OUT:?}/$variant"
  echo "== $variant: scpl train ${COMMON[*]} ${extra[*]}"
  "$BIN" train "${COMMON[@]}" "${extra[@]}" --out "$OUT/$variant" 2>&1 | grep -E "^final" || true
done
python3 - "$OUT" <<'PY'
import json, statistics, sys
out = sys.argv[1]
print("| variant | seed | test accuracy per epoch (%) | active components | training s per epoch | total s |")
print("|---|---|---|---|---|---|")
totals = {}
for variant in ["all", "grow"]:
    rows = [json.loads(l) for l in open(f"{out}/{variant}/metrics.jsonl")]
    for run in sorted({r["run"] for r in rows}):
        rs = [r for r in rows if r["run"] == run]
        total = sum(r["epoch_seconds"] for r in rs)
        totals.setdefault(variant, []).append((rs[-1]["test_accuracy"], total))
        print(f"| {variant} | {rs[0]['seed']} | {' / '.join(f'{100 * r['test_accuracy']:.2f}' for r in rs)} | "
              f"{' / '.join(str(r.get('active_components', 4)) for r in rs)} | "
              f"{' / '.join(f'{r['epoch_seconds']:.0f}' for r in rs)} | {total:.0f} |")
print()
for variant, xs in totals.items():
    acc = [a for a, _ in xs]; secs = [s for _, s in xs]
    print(f"{variant}: final test accuracy {100 * statistics.mean(acc):.2f} ± {100 * statistics.pstdev(acc):.2f} %, "
          f"training time {statistics.mean(secs):.0f} ± {statistics.pstdev(secs):.0f} s (n={len(xs)})")
PY
