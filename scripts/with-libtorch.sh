#!/usr/bin/env bash
# Runs a command (swift build, swift test, …) against the libtorch in a directory instead of
# Debian's:
#   scripts/with-libtorch.sh DIR swift build …        DIR holds include/ and lib/ (an unpacked
#                                                    libtorch zip, or scripts/get-libtorch.sh's output)
#   scripts/with-libtorch.sh --pytorch swift build …  the torch package of python3
#
# The package finds libtorch through pkg-config (the scpl-libtorch module, a system-library
# target), never through unsafe flags, so SwiftPM accepts it as a versioned dependency. Debian's
# libtorch has its module written by scripts/bootstrap.sh; this script writes one for DIR into a
# folder of the data cache and puts that folder first on PKG_CONFIG_PATH. What pkg-config may not
# say (SwiftPM refuses -Wl flags from it) is added to `swift build`/`swift test` as command-line
# flags: the rpath, so the programs run without LD_LIBRARY_PATH, and for a CUDA build libtorch_cuda
# linked without --as-needed (nothing calls it directly: it registers CUDA from static initialisers).
# LIBTORCH is exported too, for the test that checks which libtorch the binary loaded.
set -euo pipefail
die() { echo "with-libtorch: error: $*" >&2; exit 1; }

[[ $# -ge 2 ]] || die "usage: scripts/with-libtorch.sh DIR|--pytorch COMMAND [ARGS…]"
if [[ $1 == --pytorch ]]; then
  DIR=$(python3 -c 'import importlib.util as u; s = u.find_spec("torch"); print(s.submodule_search_locations[0] if s else "")')
  [[ -n $DIR ]] || die "python3 has no torch package (pip install torch, or name a libtorch directory)"
else
  DIR=$1
fi
shift
DIR=$(cd "$DIR" && pwd) || die "no directory $DIR"
[[ -f $DIR/lib/libtorch_cpu.so && -d $DIR/include/torch ]] \
  || die "$DIR is not a libtorch: it needs lib/libtorch_cpu.so and include/torch"

HOME_DIR=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
PC_DIR=${SCPL_DATA:-$HOME_DIR/.cache/scpl}/pkgconfig/$(echo -n "$DIR" | sha256sum | cut -c1-16)
bash "$(dirname "${BASH_SOURCE[0]}")/libtorch-pkgconfig.sh" "$DIR" "$PC_DIR"

link=(-Xlinker -rpath -Xlinker "$DIR/lib")
cuda=()
for lib in libtorch_cuda.so libc10_cuda.so; do [[ -f $DIR/lib/$lib ]] && cuda+=(-Xlinker "$DIR/lib/$lib"); done
((${#cuda[@]})) && link+=(-Xlinker --push-state -Xlinker --no-as-needed "${cuda[@]}" -Xlinker --pop-state)

export PKG_CONFIG_PATH=$PC_DIR${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
export LIBTORCH=$DIR
# The linker flags go after the subcommand (swift build|test …), where SwiftPM reads them.
if [[ $(basename "$1") == swift && ${2:-} =~ ^(build|test|run)$ ]]; then
  exec "$1" "$2" "${link[@]}" "${@:3}"
fi
exec "$@"
