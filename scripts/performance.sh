#!/usr/bin/env bash
# Reproduces docs/performance.md: engine speed, training-step times of every schedule on two
# one-thread devices (VGG and LSTM), VGG's time per epoch by batch size (epoch-vgg.svg), and the
# same BP step in PyTorch 1.13 on the same libtorch.
# Usage: scripts/performance.sh [OUT_DIR]   (default bench-results). Run it on an idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bench-results}
swift build -c release --product scpl >/dev/null
BIN=$(swift build -c release --show-bin-path)/scpl
ROUNDS=${ROUNDS:-3}  # every training bench: ROUNDS interleaved rounds, medians over rounds
# Both frameworks get the same OpenBLAS kernels (see README: OpenBLAS kernels).
# The kernels scpl picks for this CPU, given to PyTorch too (never SkylakeX on a CPU without AVX-512).
core=${OPENBLAS_CORETYPE:-$(scripts/openblas-core.sh)}
if [[ -n "$core" ]]; then export OPENBLAS_CORETYPE=$core; fi
uptime

"$BIN" bench engine --out "$OUT"

# VGG at width 0.25, 128 rows of 3×32×32, two devices with one thread each.
"$BIN" bench --model vgg --width 0.25 --batch-sizes 128 --devices 2 --threads-per-device 1 --rounds "$ROUNDS" --steps 12 \
  --runs scpl:async,scpl:overlap,bp:nmp,scpl:scpl-gpipe,bp:gpipe,scpl:off,bp:off --out "$OUT" --stem train-vgg

# The other even split of the VGG, by hand, to show what the default (balanced) placement chose against.
"$BIN" bench --model vgg --width 0.25 --batch-sizes 128 --devices 2 --threads-per-device 1 --rounds "$ROUNDS" --steps 12 \
  --runs scpl:async,scpl:overlap,bp:nmp --placement 0,0,1,1 --out "$OUT" --stem train-vgg-0011

# LSTM (embedding + 3 bi-LSTMs of 300, random 300-d vectors), sequences of 60, batch 128.
"$BIN" bench --model lstm --batch-sizes 128 --devices 2 --threads-per-device 1 --rounds "$ROUNDS" --steps 8 \
  --runs scpl:async,scpl:overlap,bp:nmp,scpl:off,bp:off --out "$OUT" --stem train-lstm

# The other models: ResNet-18 (width 0.25) and the vanilla ConvNet (the paper's width) on
# 3×32×32, the Transformer (embedding + 3 encoders of 300) on sequences of 60; batch 128.
"$BIN" bench --model resnet18 --width 0.25 --batch-sizes 128 --devices 2 --threads-per-device 1 --rounds "$ROUNDS" --steps 8 \
  --methods bp,scpl --pipelines off,nmp,overlap,async --out "$OUT" --stem train-resnet18
"$BIN" bench --model convnet --width 1 --batch-sizes 128 --devices 2 --threads-per-device 1 --rounds "$ROUNDS" --steps 12 \
  --methods bp,scpl --pipelines off,nmp,overlap,async --out "$OUT" --stem train-convnet
"$BIN" bench --model transformer --seq-len 60 --batch-sizes 128 --devices 2 --threads-per-device 1 --rounds "$ROUNDS" --steps 8 \
  --methods bp,scpl --pipelines off,nmp,overlap,async --out "$OUT" --stem train-transformer

# Time per epoch by batch size (the paper's Figures 5–12): SCPL async against BP nmp and off.
"$BIN" bench --model vgg --width 0.25 --batch-sizes 32,64,128,256 --devices 2 --threads-per-device 1 --rounds "$ROUNDS" --steps 8 \
  --methods bp,scpl --pipelines off,nmp,async --out "$OUT" --stem epoch-vgg

# Framework overhead: the same BP step in Swift and in PyTorch (scripts/pytorch-parity.sh).
scripts/pytorch-parity.sh "$OUT"
uptime
