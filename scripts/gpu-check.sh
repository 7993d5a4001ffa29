#!/usr/bin/env bash
# Prepares the GPU check: builds here, on any x86-64 Debian machine without a GPU, an `scpl` for
# a GPU machine that has PyTorch but no Swift toolchain, and prints the one command to run there.
#   scripts/gpu-check.sh [TORCH_VERSION]    default 2.11.0 (the CUDA 13 build the GPU machine has)
# The build is against PyTorch's own wheel of that version (scripts/get-libtorch.sh), with the
# Swift runtime linked statically, so the binary needs only glibc, libstdc++, zlib, the libtorch
# of the machine it runs on (python3's torch package there) and the few libraries it is shipped
# with. Result, git-ignored: .gpu-check/scpl-gpu.tar.xz (the stripped binary and those
# libraries), well under the 64 MiB a device call can carry. scripts/gpu-run.sh runs it there.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=${1:-2.11.0}
DIR=.gpu-check
die() { echo "gpu-check: error: $*" >&2; exit 1; }
log() { echo "gpu-check: $*" >&2; }

LT=$(bash scripts/get-libtorch.sh "$VERSION")
[[ -f $LT/lib/libtorch_cuda.so ]] || die "torch==$VERSION (in $LT) is not a CUDA build; name a CUDA version such as 2.11.0"

# libtorch_cuda's own libraries (cuBLAS, cuDNN, NCCL, …) are not here, only on the GPU machine:
# the link leaves their symbols to be resolved there.
log "building scpl against libtorch $VERSION (release, static Swift runtime) in .build-gpucheck …"
bash scripts/with-libtorch.sh "$LT" swift build -c release --product scpl --static-swift-stdlib --scratch-path .build-gpucheck \
  -Xlinker --allow-shlib-undefined >&2
BIN=.build-gpucheck/release/scpl

STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/scpl-gpu/lib"
cp "$BIN" "$STAGE/scpl-gpu/scpl"
strip "$STAGE/scpl-gpu/scpl"
# Ship what the binary needs beyond glibc, the C++ runtime, zlib and libtorch (with its CUDA
# libraries and OpenMP runtime), all of which the GPU machine has.
system='^(libc|libm|libpthread|libdl|librt|libutil|ld-linux-x86-64|libstdc\+\+|libgcc_s|libz)\.so'
torchlibs=$(ls "$LT/lib")
LD_LIBRARY_PATH=$LT/lib ldd "$BIN" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}' | while read -r name path; do
  if [[ $name =~ $system ]] || grep -qxF "$name" <<<"$torchlibs"; then continue; fi
  cp -L "$path" "$STAGE/scpl-gpu/lib/$name"
done
# A GPU machine with an older C++ runtime than this one's (GLIBCXX) gets this one's, used only
# if the binary does not start without it (scripts/gpu-run.sh).
mkdir -p "$STAGE/scpl-gpu/fallback"
cp -L "$(LD_LIBRARY_PATH=$LT/lib ldd "$BIN" | awk '$1 == "libstdc++.so.6" {print $3}')" "$STAGE/scpl-gpu/fallback/libstdc++.so.6"
echo "$VERSION" > "$STAGE/scpl-gpu/torch-version"
mkdir -p "$DIR"
tar -C "$STAGE" -cJf "$DIR/scpl-gpu.tar.xz.tmp" scpl-gpu
mv "$DIR/scpl-gpu.tar.xz.tmp" "$DIR/scpl-gpu.tar.xz"
bytes=$(stat -c %s "$DIR/scpl-gpu.tar.xz")
(( bytes < 60 * 1024 * 1024 )) || die "$DIR/scpl-gpu.tar.xz is $bytes bytes, over the 60 MiB budget"
log "ready: $DIR/scpl-gpu.tar.xz ($((bytes / 1024 / 1024)) MiB; shipped libraries: $(ls "$STAGE/scpl-gpu/lib" | tr '\n' ' '))"
cat <<MSG
On the GPU machine (python3 with torch $VERSION and CUDA), from this repository's root with
$DIR/ beside it, run:

  OUT=\${OUT:-gpu-results} bash scripts/gpu-run.sh

(with the project's device tool: carry [".gpu-check"] and command "bash scripts/gpu-run.sh";
its results come back from \$OUT.)
MSG
