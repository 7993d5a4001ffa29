#!/usr/bin/env bash
# A program of a user's runs as fast as scpl: the same built-in model, data, schedule and options
# trained by `scpl train` and by Examples/CustomCNN (a separate binary built on the library, which
# trains the built-in network when --model names one), in interleaved rounds. Each run trains
# EPOCHS epochs; the last epoch's seconds (metrics.jsonl) are compared, median over ROUNDS rounds.
# Prints a Markdown table and the ratio program / scpl; run folders stay under $OUT.
#   MODEL=convnet WIDTH=0.5 LIMIT=8192 EPOCHS=2 ROUNDS=5 scripts/step-time-cli-vs-program.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=${OUT:-results-step-time}
MODEL=${MODEL:-convnet}
WIDTH=${WIDTH:-0.5}
LIMIT=${LIMIT:-8192}
EPOCHS=${EPOCHS:-2}
ROUNDS=${ROUNDS:-5}
swift build -c release --product scpl >&2
swift build -c release --product CustomCNN >&2
BIN=$(swift build -c release --show-bin-path)
rm -rf "$OUT"
mkdir -p "$OUT"
options=(--model "$MODEL" --width "$WIDTH" --method scpl --dataset fashion-mnist --aug none --epochs "$EPOCHS"
  --limit-train "$LIMIT" --limit-test 1000 --batch-size 128 --devices 2 --threads 2 --threads-per-device 1 --seed 1)
for round in $(seq 1 "$ROUNDS"); do
  # Alternate which one goes first, so a drift in the machine's speed falls on both.
  if ((round % 2)); then order=(scpl program); else order=(program scpl); fi
  for who in "${order[@]}"; do
    if [[ $who == scpl ]]; then cmd=("$BIN/scpl" train); else cmd=("$BIN/CustomCNN"); fi
    "${cmd[@]}" "${options[@]}" --out "$OUT/$who-$round" >"$OUT/$who-$round.log" 2>&1 ||
      { cat "$OUT/$who-$round.log" >&2; exit 1; }
  done
done
python3 - "$OUT" "$ROUNDS" "$MODEL" "$WIDTH" "$LIMIT" <<'PY'
import json, statistics, sys
out, rounds, model, width, limit = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
def last_epoch(folder):
    records = [json.loads(l) for l in open(f"{folder}/metrics.jsonl")]
    return records[-1]["epoch_seconds"]
def blas(folder):
    return json.load(open(f"{folder}/config.json"))["software"].get("blas", "?")
times = {who: [last_epoch(f"{out}/{who}-{r}") for r in range(1, rounds + 1)] for who in ("scpl", "program")}
ratios = [p / s for p, s in zip(times["program"], times["scpl"])]
print(f"{model} width {width}, SCPL async over 2 devices, {limit} Fashion-MNIST images; last epoch's seconds, {rounds} interleaved rounds")
print()
print("| binary | seconds per epoch (median) | all rounds | BLAS |")
print("|---|---|---|---|")
for who, name in (("scpl", "scpl train"), ("program", "Examples/CustomCNN --model " + model)):
    print(f"| {name} | {statistics.median(times[who]):.3f} | {', '.join(f'{t:.3f}' for t in times[who])} | {blas(f'{out}/{who}-1')} |")
print()
print(f"ratio program / scpl: median of per-round ratios {statistics.median(ratios):.3f} (range {min(ratios):.3f}–{max(ratios):.3f})")
PY
