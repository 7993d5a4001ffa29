#!/usr/bin/env bash
# make fuzz: every parser of a user's file under libFuzzer with AddressSanitizer (Fuzz/README.md).
#   scripts/fuzz.sh [NAME ...]     default: every target; FUZZ_SECONDS per target (default 60)
# Builds into .build-fuzz (SCPL_FUZZ=1 adds the targets to the package and leaves tcmalloc out).
# Exits non-zero if any target crashed; its input is in Fuzz/crashes/<name>/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${FUZZ_SECONDS:-60}
NAMES=("$@")
((${#NAMES[@]})) || NAMES=(idx cifar csv tsv glove safetensors yaml jpeg png cmdline)
export SCPL_FUZZ=1
build=(swift build --scratch-path .build-fuzz --sanitize=fuzzer --sanitize=address)
target() { python3 -c "import sys; print('Fuzz' + sys.argv[1].capitalize())" "$1"; }
for name in "${NAMES[@]}"; do "${build[@]}" --product "$(target "$name")" >/dev/null; done
BIN=$("${build[@]}" --show-bin-path)
# libtorch itself is not instrumented; its one-time allocations at start-up are not ours to report.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:detect_odr_violation=0:alloc_dealloc_mismatch=0}
crashed=()
echo "| parser | seconds | runs | coverage (edges) | crashes |"
echo "|---|---|---|---|---|"
for name in "${NAMES[@]}"; do
  work=$(mktemp -d)
  cp Fuzz/corpus/"$name"/* "$work"/
  mkdir -p "Fuzz/crashes/$name"
  log=$(mktemp)
  status=0
  "$BIN/$(target "$name")" -max_total_time="$SECONDS_EACH" -print_final_stats=1 -timeout=10 -rss_limit_mb=4096 \
    -artifact_prefix="Fuzz/crashes/$name/" "$work" >"$log" 2>&1 || status=$?
  runs=$(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  edges=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
  found=$(ls "Fuzz/crashes/$name" | wc -l)
  echo "| $name | $SECONDS_EACH | $runs | $edges | $found |"
  if ((status != 0 || found > 0)); then crashed+=("$name"); tail -30 "$log" >&2; fi
  rm -rf "$work" "$log"
done
if ((${#crashed[@]})); then
  echo "fuzz: ${crashed[*]} crashed; inputs in Fuzz/crashes/<name>/ (fix, then move them to Fuzz/regressions/<name>/)" >&2
  exit 1
fi
