#!/usr/bin/env bash
# Reproduces docs/adaptive.md: SCPL with a predictor per component on the demo's setting (VGG,
# Fashion-MNIST, 3 epochs, two devices) and on the LSTM on BBC News (8 epochs), then
# `scpl eval --adaptive` sweeps of each rule, per sample and per batch (DecoupleFlow's way),
# and the LSTM trained with four predictor weights. About 25 minutes on two cores.
# Usage: scripts/adaptive.sh [OUT_DIR]   (default runs/adaptive)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/adaptive}
swift build -c release --product scpl >/dev/null
BIN=$(swift build -c release --show-bin-path)/scpl
mkdir -p "$OUT"

source scripts/train-once.sh
SHOW='^(run|final)'
run() { train_once "$@"; }  # name, then scpl train options

sweeps() {  # run folder: each rule swept per sample, confidence also per batch
  local name=$1
  for rule in confidence:0.9 patience:2 agreement:0.9; do
    "$BIN" eval --checkpoint "$OUT/$name" --adaptive "$rule" --sweep --json "$OUT/$name/adaptive-${rule%%:*}.json" \
      --plot "$OUT/$name/adaptive-${rule%%:*}.svg" | sed -n '1,3p'
  done
  "$BIN" eval --checkpoint "$OUT/$name" --adaptive agreement:0.9 --sweep --per-batch \
    --json "$OUT/$name/adaptive-agreement-per-batch.json" --plot "$OUT/$name/adaptive-agreement-per-batch.svg" | sed -n '3p'
}

VGG=(--model vgg --dataset fashion-mnist --width 0.125 --aug basic --epochs 3 --batch-size 64 --devices 2)
LSTM=(--model lstm --dataset bbc-news --max-len 100 --hidden 128 --epochs 8)
run fashion-mnist-vgg-scpl-mlp "${VGG[@]}" --method scpl --predictors mlp
sweeps fashion-mnist-vgg-scpl-mlp
for w in 0 0.001 0.01 0.1; do
  run "bbc-news-lstm-scpl-mlp-w$w" "${LSTM[@]}" --method scpl --predictors mlp --predictor-weight "$w"
done
sweeps bbc-news-lstm-scpl-mlp-w0.001
python3 scripts/adaptive-table.py "$OUT"
