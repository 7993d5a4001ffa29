# Sourced (not run) by the scripts that reproduce the documents' runs: results.sh, adaptive.sh,
# growth.sh. Needs $BIN (the scpl binary) and $OUT (the folder of the runs).
#
# train_once NAME OPTIONS...: `scpl train OPTIONS --out $OUT/NAME`, unless that folder already
# holds a finished run, which is kept (so a script stopped half way goes on where it stopped);
# prints the lines of its output that match $SHOW (default: data, epoch and final lines) and the
# seconds it took.
train_once() {
  local name=$1; shift
  if grep -qs '"state" *: *"finished"' "$OUT/$name/summary.json"; then echo "== $name: already finished, kept"; return; fi
  rm -rf "${OUT:?}/$name"
  echo "== $name: scpl train $*"
  local start=$SECONDS
  "$BIN" train "$@" --out "$OUT/$name" 2>&1 | grep -E "${SHOW:-^(data|final|epoch)}" || true
  echo "   ($((SECONDS - start)) s)"
}
