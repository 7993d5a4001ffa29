// swift-tools-version:6.0
import Foundation
import PackageDescription

/// The libtorch CTorch is built against, found through pkg-config (no unsafe flags, so SwiftPM
/// accepts this package as a versioned dependency):
/// - Default: Debian's `libtorch-dev` 1.13, whose module `scpl-libtorch` scripts/bootstrap.sh
///   writes to /usr/local/lib/pkgconfig (with tcmalloc's, `scpl-tcmalloc`).
/// - Another libtorch (2.x from PyTorch's wheels, CPU or CUDA): `scripts/with-libtorch.sh DIR
///   swift build …` writes a module for DIR and puts it first on PKG_CONFIG_PATH.
/// `make fuzz` sets SCPL_FUZZ=1: the libFuzzer targets under Fuzz/ are added, and tcmalloc is left
/// out (AddressSanitizer brings its own malloc). tcmalloc serves every malloc of the programs and
/// tests otherwise: with glibc's malloc libtorch's large CPU buffers are unmapped when freed and
/// faulted in again, zeroed, at the next step (docs/performance.md, "Host memory").
let fuzzing = ProcessInfo.processInfo.environment["SCPL_FUZZ"] == "1"
/// `make docs` sets SCPL_DOCS=1: the DocC plugin is added (a program that depends on this package
/// does not resolve it).
let documenting = ProcessInfo.processInfo.environment["SCPL_DOCS"] == "1"
let fuzzTargets = ["Idx", "Cifar", "Csv", "Tsv", "Glove", "Safetensors", "Yaml", "Jpeg", "Png", "Cmdline"].map { "Fuzz\($0)" }

let package = Package(
  name: "scpl-swift",
  products: [
    .executable(name: "scpl", targets: ["scpl"]),
    .library(name: "Torch", targets: ["Torch"]),
    .library(name: "NN", targets: ["NN"]),
    .library(name: "Data", targets: ["Data"]),
    .library(name: "SCPL", targets: ["SCPL"]),
    // `scpl train`'s options and run for a program's own network (TrainOptions).
    .library(name: "SCPLCLI", targets: ["SCPLCLI"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
  ] + (documenting ? [.package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0")] : []),
  targets: [
    .systemLibrary(name: "CLibTorch", path: "Sources/CLibTorch", pkgConfig: "scpl-libtorch",
                   providers: [.apt(["libtorch-dev"])]),
    .systemLibrary(name: "CTCMalloc", path: "Sources/CTCMalloc", pkgConfig: "scpl-tcmalloc",
                   providers: [.apt(["libtcmalloc-minimal4"])]),
    .target(name: "CTorch", dependencies: ["CLibTorch"] + (fuzzing ? [] : ["CTCMalloc"])),
    .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
    .systemLibrary(name: "CTurboJPEG", path: "Sources/CTurboJPEG"),
    .systemLibrary(name: "CPNG", path: "Sources/CPNG", providers: [.apt(["libpng-dev"])]),
    .systemLibrary(name: "CISAL", path: "Sources/CISAL"),
    .target(name: "Torch", dependencies: ["CTorch", "CISAL"]),
    .target(name: "NN", dependencies: ["Torch"]),
    .target(name: "Data", dependencies: ["Torch", "CZlib", "CTurboJPEG", "CPNG"]),
    .target(name: "SCPL", dependencies: ["Torch", "NN", "Data", .product(name: "Yams", package: "Yams"),
                                        .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
    .target(
      name: "SCPLCLI",
      dependencies: [
        "Torch", "NN", "Data", "SCPL",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .executableTarget(name: "scpl", dependencies: ["SCPLCLI"]),
    // The examples are standalone packages (Examples/*/Package.swift, which depend on this one by
    // path, as a user's would); they are also built here, from the same sources, so `make test`
    // builds the framework once for the tool, the tests and the examples.
    .executableTarget(
      name: "CustomCNN",
      dependencies: ["SCPL", "SCPLCLI", "NN", "Torch", .product(name: "ArgumentParser", package: "swift-argument-parser")],
      path: "Examples/CustomCNN/Sources/CustomCNN"),
    .executableTarget(
      name: "LayerCut",
      dependencies: ["SCPL", "SCPLCLI", "NN", "Torch", .product(name: "ArgumentParser", package: "swift-argument-parser")],
      path: "Examples/LayerCut/Sources/LayerCut"),
    .executableTarget(
      name: "TextCSV",
      dependencies: [
        "SCPL", "SCPLCLI", "NN", "Torch", "Data", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Examples/TextCSV/Sources/TextCSV"),
    // Every parser of a user's file, as the fuzz targets and their regression test call it.
    .target(name: "FuzzEntries", dependencies: ["Data", "SCPL", "SCPLCLI", "Torch"]),
    // Helpers several test targets share (running python3 for the cross-checks).
    .target(name: "TestSupport", path: "Tests/TestSupport"),
    .testTarget(name: "TorchTests", dependencies: ["Torch", "TestSupport"]),
    .testTarget(name: "NNTests", dependencies: ["NN", "Torch", "TestSupport"]),
    .testTarget(name: "DataTests", dependencies: ["Data", "Torch"]),
    .testTarget(name: "SCPLTests", dependencies: ["SCPL", "NN", "Data", "Torch", "TestSupport", "FuzzEntries"]),
    .testTarget(name: "CLITests", dependencies: ["SCPLCLI", "SCPL", "Data", "Torch", "TestSupport"]),
  ],
  swiftLanguageModes: [.v5],
  cxxLanguageStandard: .cxx17
)

if fuzzing {
  package.targets += fuzzTargets.map { .executableTarget(name: $0, dependencies: ["FuzzEntries"], path: "Fuzz/\($0)") }
}
