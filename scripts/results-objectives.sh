#!/usr/bin/env bash
# SCPL's local objectives side by side on a user's network (Examples/CustomCNN, three conv
# components) and real Fashion-MNIST: the supervised contrastive loss (the paper's; also with
# smaller projection heads), a local cross-entropy classifier per component, DeInfoReg's objective
# (with Adam, and with LARS as its paper trains), and BP for reference. Same seed, data, schedule
# (async over two devices; BP: nmp) and epochs. Prints a Markdown table of the final test accuracy
# and the time per epoch; the run folders stay under $OUT (default results-objectives/).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=${OUT:-results-objectives}
EPOCHS=${EPOCHS:-5}
LIMIT=${LIMIT:-20000}
swift build -c release --product CustomCNN >&2
BIN=$(swift build -c release --show-bin-path)/CustomCNN
rm -rf "$OUT"
common=(--epochs "$EPOCHS" --limit-train "$LIMIT" --devices 2 --threads 2 --threads-per-device 1 --seed 1)
runs=(
  "scpl:--method scpl"
  "scpl-heads-64-128:--method scpl --head-hidden 64 --head-out 128"
  "local-cross-entropy:--method scpl --objective cross-entropy"
  "deinforeg:--method scpl --objective deinforeg"
  "deinforeg-lars:--method scpl --objective deinforeg --optimizer lars --lr 0.1"
  "bp:--method bp --pipeline nmp"
)
echo "| run | final test accuracy | best | seconds per epoch (median) |"
echo "|---|---|---|---|"
for r in "${runs[@]}"; do
  name=${r%%:*}
  # shellcheck disable=SC2086
  "$BIN" ${r#*:} "${common[@]}" --out "$OUT/$name" >"$OUT-$name.log" 2>&1 || { cat "$OUT-$name.log" >&2; exit 1; }
  python3 - "$OUT/$name" "$name" <<'PY'
import json, statistics, sys
folder, name = sys.argv[1], sys.argv[2]
records = [json.loads(l) for l in open(f"{folder}/metrics.jsonl")]
summary = json.load(open(f"{folder}/summary.json"))
print(f"| {name} | {100 * records[-1]['test_accuracy']:.2f} % | {100 * max(r['test_accuracy'] for r in records):.2f} % | "
      f"{statistics.median(r['epoch_seconds'] for r in records):.1f} |")
PY
done
