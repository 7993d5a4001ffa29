#!/usr/bin/env bash
# Prepares a libtorch 2.x from PyTorch's wheel on PyPI (or a local wheel folder pip knows), for
# building scpl-swift against it: scripts/with-libtorch.sh "$(scripts/get-libtorch.sh 2.13.0+cpu)" swift build.
#   scripts/get-libtorch.sh VERSION     e.g. 2.13.0+cpu (CPU only), 2.11.0 (CUDA 13 build)
# The wheel's torch/include and torch/lib are a complete libtorch (C++11 ABI, its own OpenMP
# runtime). A CUDA build's libtorch_cpu.so needs the CUDA runtime and CUPTI even on a CPU, so for
# a CUDA wheel the small nvidia-cuda-runtime and nvidia-cuda-cupti packages are unpacked beside
# it (their libraries copied into lib/). Everything lands in $SCPL_DATA/libtorch-VERSION
# (default ~/.cache/scpl), written under a temporary name and renamed when complete; a second
# call finds it and only prints the path. Prints the directory (with include/ and lib/) on stdout.
set -euo pipefail
VERSION=${1:?usage: scripts/get-libtorch.sh VERSION   (e.g. 2.13.0+cpu or 2.11.0)}
HOME_DIR=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
CACHE=${SCPL_DATA:-$HOME_DIR/.cache/scpl}
DEST=$CACHE/libtorch-$VERSION
log() { echo "get-libtorch: $*" >&2; }
die() { echo "get-libtorch: error: $*" >&2; exit 1; }

if [[ -f $DEST/lib/libtorch_cpu.so && -d $DEST/include/torch ]]; then echo "$DEST"; exit 0; fi
command -v python3 >/dev/null || die "python3 (with pip) is needed to fetch the torch wheel"
mkdir -p "$CACHE"
WORK=$(mktemp -d "$CACHE/.libtorch-$VERSION.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

PY_TAG=$(python3 -c 'import sys; print(f"{sys.version_info[0]}{sys.version_info[1]}")')
log "downloading torch==$VERSION (cp$PY_TAG, manylinux x86_64 or aarch64) …"
python3 -m pip download -q --no-deps --only-binary=:all: -d "$WORK/wheels" "torch==$VERSION" \
  || die "pip could not download torch==$VERSION; 'pip index versions torch' lists what it can"
WHEEL=$(ls "$WORK"/wheels/torch-*.whl | head -1)
log "unpacking $(basename "$WHEEL") …"
python3 - "$WHEEL" "$WORK/unpacked" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for n in z.namelist():
        if n.startswith(("torch/include/", "torch/lib/", "torch/version.py")):
            z.extract(n, sys.argv[2])
PY
mkdir -p "$WORK/libtorch"
mv "$WORK/unpacked/torch/include" "$WORK/unpacked/torch/lib" "$WORK/libtorch/"
cp "$WORK/unpacked/torch/version.py" "$WORK/libtorch/"

# A CUDA build names its runtime libraries in libtorch_cpu.so's needed list.
needed=$(readelf -d "$WORK/libtorch/lib/libtorch_cpu.so" 2>/dev/null | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
if grep -q '^libcudart' <<<"$needed"; then
  cuda_major=$(grep -o '^libcudart\.so\.[0-9]*' <<<"$needed" | head -1 | sed 's/.*\.//')
  log "a CUDA $cuda_major build: fetching its CUDA runtime and CUPTI"
  # From CUDA 13 on the packages are nvidia-cuda-runtime and nvidia-cuda-cupti, versioned like
  # CUDA (the -cu13 names on PyPI are empty placeholders); CUDA 12's are the -cu12 packages.
  for pkg in nvidia-cuda-runtime nvidia-cuda-cupti; do
    python3 -m pip download -q --no-deps --only-binary=:all: -d "$WORK/cuda" "$pkg==$cuda_major.*" 2>/dev/null \
      || python3 -m pip download -q --no-deps --only-binary=:all: -d "$WORK/cuda" "$pkg-cu$cuda_major" \
      || die "pip could not download $pkg for CUDA $cuda_major"
  done
  for w in "$WORK"/cuda/*.whl; do
    python3 - "$w" "$WORK/libtorch/lib" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for n in z.namelist():
        base = os.path.basename(n)
        if ".so" in base:
            with z.open(n) as src, open(os.path.join(sys.argv[2], base), "wb") as dst:
                dst.write(src.read())
PY
  done
  for lib in "libcudart.so.$cuda_major" "libcupti.so.$cuda_major"; do
    [[ -f $WORK/libtorch/lib/$lib ]] || die "the CUDA $cuda_major packages pip found hold no $lib"
  done
fi
rm -rf "$DEST"
mv "$WORK/libtorch" "$DEST"
log "libtorch $VERSION ready"
echo "$DEST"
