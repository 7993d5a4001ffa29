#!/usr/bin/env bash
# Writes the pkg-config modules through which the package finds its C++ dependencies (the
# system-library targets CLibTorch and CTCMalloc in Package.swift):
#   scripts/libtorch-pkgconfig.sh DIR PC_DIR     scpl-libtorch.pc for the libtorch in DIR (include/,
#                                                lib/), or Debian's libtorch-dev for DIR=/usr
#   scripts/libtorch-pkgconfig.sh --tcmalloc PC_DIR   scpl-tcmalloc.pc (gperftools' tcmalloc)
# SwiftPM takes only -I from a module's Cflags and -L/-l from its Libs, so everything is said
# with those. libtorch's ATen/Parallel.h includes <omp.h>, which Swift's clang lacks: Debian's
# libgomp header sits in gcc's private include directory (whose name carries gcc's version), so a
# folder holding a link to that one header goes on the include path, not gcc's whole directory.
# Each file is written under a temporary name and renamed, so a reader never sees half of one.
set -euo pipefail
die() { echo "libtorch-pkgconfig: error: $*" >&2; exit 1; }

write() {  # write FILE CONTENT
  local tmp
  tmp=$(mktemp "$1.XXXXXX")
  printf '%s\n' "$2" > "$tmp"
  chmod 644 "$tmp"
  mv -f "$tmp" "$1"
}

if [[ ${1:-} == --tcmalloc ]]; then
  PC_DIR=${2:?usage: libtorch-pkgconfig.sh --tcmalloc PC_DIR}
  mkdir -p "$PC_DIR"
  # Named by its soname: Debian ships no unversioned .so without the -dev package.
  write "$PC_DIR/scpl-tcmalloc.pc" "Name: scpl-tcmalloc
Description: tcmalloc (gperftools), the malloc of scpl-swift's programs (docs/performance.md)
Version: 4
Libs: -l:libtcmalloc_minimal.so.4"
  exit 0
fi

DIR=${1:?usage: libtorch-pkgconfig.sh DIR PC_DIR}
PC_DIR=${2:?usage: libtorch-pkgconfig.sh DIR PC_DIR}
mkdir -p "$PC_DIR/omp-include"
rm -f "$PC_DIR/omp-include/omp.h"  # an older version linked gcc's header here

omp=""
for triple in x86_64-linux-gnu aarch64-linux-gnu; do
  for v in $(ls -1 "/usr/lib/gcc/$triple" 2>/dev/null | sort -rV); do
    [[ -f /usr/lib/gcc/$triple/$v/include/omp.h ]] && { omp=/usr/lib/gcc/$triple/$v/include/omp.h; break 2; }
  done
done
[[ -n $omp || -f $DIR/include/omp.h ]] || die "no omp.h: install libgomp's headers (Debian: gcc) or use a libtorch that has include/omp.h"
# A wrapper, not a link: clang warns on an attribute form of gcc's header it does not support.
[[ -n $omp ]] && write "$PC_DIR/omp-include/omp.h" "// gcc's OpenMP header for Swift's clang (written by scripts/libtorch-pkgconfig.sh).
#pragma clang diagnostic push
#pragma clang diagnostic ignored \"-Wignored-attributes\"
#include \"$omp\"
#pragma clang diagnostic pop"

if [[ $DIR == /usr ]]; then
  [[ -f /usr/include/torch/csrc/api/include/torch/torch.h ]] || die "Debian's libtorch-dev is not installed (scripts/bootstrap.sh installs it)"
  cflags="-I/usr/include/torch/csrc/api/include -I$PC_DIR/omp-include"
  libs="-ltorch -ltorch_cpu -lc10 -lgomp"
  version=$(dpkg-query -W -f='${Version}' libtorch-dev 2>/dev/null || echo 1)
else
  [[ -f $DIR/lib/libtorch_cpu.so && -d $DIR/include/torch ]] || die "$DIR is not a libtorch: it needs lib/libtorch_cpu.so and include/torch"
  # PyTorch's wheels bundle their OpenMP runtime under a hashed name (libgomp-<hash>.so.1); our
  # omp_* calls must reach the same runtime as libtorch's kernels.
  gomp=$(ls -1 "$DIR/lib" | grep -m1 '^libgomp.*\.so' || true)
  cflags="-I$DIR/include -I$DIR/include/torch/csrc/api/include -I$PC_DIR/omp-include"
  libs="-L$DIR/lib -ltorch -ltorch_cpu -lc10 ${gomp:+-l:$gomp}"
  [[ -n $gomp ]] || libs+=" -lgomp"
  version=$(cat "$DIR/build-version" 2>/dev/null || cat "$DIR/version.txt" 2>/dev/null || echo 2)
fi
write "$PC_DIR/scpl-libtorch.pc" "Name: scpl-libtorch
Description: libtorch for scpl-swift ($DIR)
Version: ${version%%+*}
Cflags: $cflags
Libs: $libs"
