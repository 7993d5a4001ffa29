#!/usr/bin/env bash
# Prints the OpenBLAS kernel family for this CPU, by the rule `scpl` applies to itself
# (Sources/SCPLCLI/OpenBLASKernels.swift): SkylakeX with AVX-512, Haswell with AVX2 and FMA,
# nothing otherwise (OpenBLAS's own choice then stands). Scripts use it to give a Python process
# the kernels scpl picks: export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-$(scripts/openblas-core.sh)}
set -euo pipefail
flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
has() { for f in "$@"; do [[ "$flags" == *" $f "* ]] || return 1; done; }
if has avx512f avx512bw avx512vl avx512dq avx512cd; then echo SkylakeX
elif has avx2 fma; then echo Haswell
fi
