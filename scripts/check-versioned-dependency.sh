#!/usr/bin/env bash
# Proves that SwiftPM accepts scpl-swift as a versioned dependency (no unsafe flags): clones this
# repository's HEAD into a temporary folder, tags it 0.2.0, and builds and runs a small package
# that depends on it with `.package(url: …, from: "0.2.0")`, as a user's program would.
# Only committed work is in the clone. A fresh build of the framework (no tests): about 1.5
# minutes on two cores; `make test` runs it last, `make check-dependency` alone.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
log() { echo "check-versioned-dependency: $*" >&2; }

git clone -q --no-local "$ROOT" "$WORK/scpl-swift"
git -C "$WORK/scpl-swift" -c user.name=check -c user.email=check@localhost tag -a 0.2.0 -m "0.2.0 (a local tag for this check)"
mkdir -p "$WORK/user/Sources/User"
cat > "$WORK/user/Package.swift" <<SWIFT
// swift-tools-version:6.0
import PackageDescription
let package = Package(
  name: "User",
  dependencies: [.package(url: "file://$WORK/scpl-swift", from: "0.2.0")],
  targets: [
    .executableTarget(name: "User", dependencies: [
      .product(name: "SCPL", package: "scpl-swift"), .product(name: "Torch", package: "scpl-swift"),
    ])
  ],
  swiftLanguageModes: [.v5]
)
SWIFT
cat > "$WORK/user/Sources/User/main.swift" <<'SWIFT'
import SCPL
import Torch

Engine.prepareProcess()
let model = try ConvNet.build(sampleShape: [1, 28, 28], classes: 10, width: 0.25)
print("a ConvNet of \(model.parameterCount) parameters on libtorch \(Engine.libtorchVersion)")
SWIFT
log "resolving and building a package that depends on scpl-swift from: 0.2.0 (a fresh build) …"
swift package --package-path "$WORK/user" resolve
grep -o '"version" *: *"[^"]*"' "$WORK/user/Package.resolved" | head -1 >&2
swift build --package-path "$WORK/user" -j "${JOBS:-2}" >&2
"$WORK/user/.build/debug/User"
log "ok"
