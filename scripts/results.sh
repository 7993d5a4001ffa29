#!/usr/bin/env bash
# Reproduces docs/results.md: every run below, then `scpl report` over their folders.
# Settings are chosen to finish in about half an hour on two cores (see docs/results.md).
# Usage: scripts/results.sh [OUT_DIR]   (default runs/results; an existing folder is refused)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/results}
swift build -c release --product scpl >/dev/null
BIN=$(swift build -c release --show-bin-path)/scpl
mkdir -p "$OUT"

run() {  # name, then scpl train options
  local name=$1; shift
  echo "== $name: scpl train $*"
  "$BIN" train "$@" --out "$OUT/$name" 2>&1 | grep -v "^note:" | tr '\r' '\n' | grep -v "ETA" || true
}

# Fashion-MNIST, VGG at width 0.125 (16–64 channels), 3 epochs, cosine 1e-3 → 1e-5, one weak
# view (basic augmentation) for every method so they see the same data.
for m in bp scpl early-exit al; do
  run "fashion-mnist-vgg-$m" --model vgg --method "$m" --dataset fashion-mnist --width 0.125 --epochs 3 --aug basic
done

# BBC News (stand-in for AG's News): GloVe 6B 50-d, first 100 tokens, hidden 128, 8 epochs.
for model in lstm transformer; do
  for m in bp scpl; do
    run "bbc-news-$model-$m" --model "$model" --method "$m" --dataset bbc-news --max-len 100 --hidden 128 --epochs 8
  done
done

# Rotten Tomatoes (stand-in for SST-2 / IMDB): LSTM, hidden 128, 4 epochs.
for m in bp scpl; do
  run "rotten-tomatoes-lstm-$m" --model lstm --method "$m" --dataset rotten-tomatoes --hidden 128 --epochs 4
done

"$BIN" report "$OUT"/*/ | tee "$OUT/report.md"
