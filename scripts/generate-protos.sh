#!/usr/bin/env bash
# Regenerates the committed Swift code for Protos/*.proto (only needed when a .proto changes).
# Needs protoc (Debian's protobuf-compiler) and protoc-gen-swift of the swift-protobuf version in
# Package.swift, built here once from the package checkout SwiftPM already has:
#   scripts/generate-protos.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v protoc >/dev/null || { echo "protoc is missing: apt-get install protobuf-compiler" >&2; exit 1; }
swift package resolve >/dev/null
checkout=.build/checkouts/swift-protobuf
[[ -d $checkout ]] || { echo "no swift-protobuf checkout under .build/checkouts" >&2; exit 1; }
# Built in its own scratch folder: the plugin's build is long (minutes) and kept for next time.
swift build -c release --package-path "$checkout" --scratch-path .build/protoc-gen-swift --product protoc-gen-swift >/dev/null
plugin=$(swift build -c release --package-path "$checkout" --scratch-path .build/protoc-gen-swift --show-bin-path)/protoc-gen-swift
protoc --plugin=protoc-gen-swift="$plugin" --swift_out=Sources/SCPL/Telemetry --proto_path=Protos Protos/tensorboard_event.proto
echo "wrote Sources/SCPL/Telemetry/tensorboard_event.pb.swift"
