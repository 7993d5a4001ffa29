#!/usr/bin/env bash
# Installs what scpl-swift needs on Debian, and nothing that is already there.
# Idempotent and non-interactive; run as root (CI and fresh machines are). `make` calls it first.
set -euo pipefail

APT_PACKAGES=(
  libtorch-dev          # the engine: tensors, kernels, autograd (CPU build, oneDNN, OpenMP)
  libopenblas0-openmp   # BLAS for libtorch's matrix products (reference BLAS is ~18x slower)
  zlib1g-dev            # gzip'd IDX files
  libturbojpeg0-dev     # tiny-ImageNet's JPEG files (TurboJPEG API of libjpeg-turbo)
  libpng-dev            # PNG files in an ImageFolder (libpng's simplified read API)
  dataset-fashion-mnist # the default data set: /usr/share/datasets/fashion-mnist
  libtcmalloc-minimal4  # tcmalloc, linked as the programs' malloc (docs/performance.md, "Host memory")
  libisal-dev           # Intel ISA-L: CRC-32C for TensorBoard's event files
  libgloo-dev           # gloo's headers, which torch's c10d ProcessGroupGloo.hpp includes (processes: docs/distributed.md)
  iproute2              # ip netns / veth / tc: scripts/two-hosts.sh's two hosts on this machine
  iptables              # random packet loss on that link where the kernel has no tc netem
  pkgconf               # SwiftPM asks it where the pkg-config modules are (scpl-libtorch, scpl-tcmalloc)
)
PIP_PACKAGES=(
  safetensors           # tests check that our checkpoints load in Python's reader
  tensorboard           # `tensorboard --logdir runs`; tests read our event files with its reader
)
# scripts/load_in_pytorch.py (and its test) needs PyTorch for python3. PyTorch's CPU-only build
# when pip finds one (a local wheel folder), else PyPI's default build, which also runs on a CPU.
TORCH_PIP=torch

log() { echo "bootstrap: $*"; }
die() { echo "bootstrap: error: $*" >&2; exit 1; }

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  [[ $(id -u) -eq 0 ]] || die "missing Debian packages (${missing[*]}); run this script as root to install them"
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# libtorch calls the system BLAS through libblas.so.3; Debian may point it at the reference BLAS.
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || readlink -f /usr/lib/aarch64-linux-gnu/libblas.so.3 2>/dev/null || true)
if [[ "$blas" != *openblas* ]]; then
  die "the system BLAS (libblas.so.3 -> ${blas:-nothing}) is not OpenBLAS; matrix products would run ~18x slower. Fix: update-alternatives --config libblas.so.3-$(uname -m)-linux-gnu and choose openblas-openmp"
fi

if command -v python3 >/dev/null; then
  for p in "${PIP_PACKAGES[@]}"; do
    python3 -c "import ${p//-/_}" 2>/dev/null || { log "pip installing $p"; python3 -m pip install -q "$p" >/dev/null 2>&1 || log "warning: pip could not install $p"; }
  done
  if ! python3 -c "import torch" 2>/dev/null; then
    cpu=$(python3 -m pip index versions torch 2>/dev/null | tr ' ,' '\n\n' | grep -m1 '+cpu$' || true)
    [[ -n $cpu ]] && TORCH_PIP="torch==$cpu"
    log "pip installing $TORCH_PIP (for scripts/load_in_pytorch.py)"
    python3 -m pip install -q "$TORCH_PIP" >/dev/null 2>&1 || log "warning: pip could not install $TORCH_PIP"
  fi
fi

# Text data sets and word vectors (BBC News, Rotten Tomatoes, GloVe 6B 50-d) into the data cache.
bash "$(dirname "${BASH_SOURCE[0]}")/prepare_text_data.sh"

# The package finds libtorch and tcmalloc through pkg-config modules (no unsafe build flags, so
# SwiftPM accepts it as a versioned dependency): Debian's libtorch-dev as scpl-libtorch, in the
# system's search path. scripts/with-libtorch.sh writes its own for another libtorch.
PC_DIR=${SCPL_PKGCONFIG_DIR:-/usr/local/lib/pkgconfig}
if [[ -w $(dirname "$PC_DIR") || -w $PC_DIR ]]; then
  bash "$(dirname "${BASH_SOURCE[0]}")/libtorch-pkgconfig.sh" /usr "$PC_DIR"
  bash "$(dirname "${BASH_SOURCE[0]}")/libtorch-pkgconfig.sh" --tcmalloc "$PC_DIR"
elif [[ ! -f $PC_DIR/scpl-libtorch.pc || ! -f $PC_DIR/scpl-tcmalloc.pc ]]; then
  die "cannot write the pkg-config modules scpl-libtorch and scpl-tcmalloc to $PC_DIR; run this script as root, or set SCPL_PKGCONFIG_DIR to a folder on PKG_CONFIG_PATH"
fi

command -v swift >/dev/null || die "swift is not on PATH; install the Swift 6 toolchain (https://www.swift.org/install/linux/)"
log "ok (libtorch $(dpkg-query -W -f='${Version}' libtorch-dev), BLAS $(basename "$(dirname "$blas")"))"
