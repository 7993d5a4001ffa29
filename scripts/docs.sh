#!/usr/bin/env bash
# make docs: DocC documentation of every library product (Torch, NN, Data, SCPL, SCPLCLI) into
# .build/docs/<module>.doccarchive, through swift-docc-plugin (SCPL_DOCS=1 adds it to the package;
# a program that depends on scpl-swift does not resolve it). Fails on any DocC warning: a doc
# comment whose parameters or links do not match the code.
#   scripts/docs.sh [MODULE ...]      default: every library product
set -euo pipefail
cd "$(dirname "$0")/.."
MODULES=("$@")
((${#MODULES[@]})) || MODULES=(Torch NN Data SCPL SCPLCLI)
export SCPL_DOCS=1
mkdir -p .build/docs
warned=()
for module in "${MODULES[@]}"; do
  log=$(mktemp)
  swift package --disable-sandbox generate-documentation --target "$module" \
    --output-path ".build/docs/$module.doccarchive" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
  if grep -q "warning:" "$log"; then
    grep -A6 "warning:" "$log" >&2
    warned+=("$module")
  fi
  echo "docs: $module → .build/docs/$module.doccarchive ($(grep -c 'warning:' "$log" || true) warnings)"
  rm -f "$log"
done
if ((${#warned[@]})); then
  echo "docs: DocC warnings in ${warned[*]} (above)" >&2
  exit 1
fi
