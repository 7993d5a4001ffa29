// swift-tools-version:6.0
import Foundation
import PackageDescription

// libtorch's ATen/Parallel.h includes <omp.h>. Swift's clang has none; Debian's libgomp header sits
// in gcc's private include directory, whose name carries the gcc version.
func gccOpenMPIncludeDir() -> String? {
  let fm = FileManager.default
  for triple in ["x86_64-linux-gnu", "aarch64-linux-gnu"] {
    let base = "/usr/lib/gcc/\(triple)"
    let versions = ((try? fm.contentsOfDirectory(atPath: base)) ?? []).sorted {
      $0.compare($1, options: .numeric) == .orderedDescending
    }
    for v in versions where fm.fileExists(atPath: "\(base)/\(v)/include/omp.h") {
      return "\(base)/\(v)/include"
    }
  }
  return nil
}

// libtorch comes from Debian's libtorch-dev (installed by scripts/bootstrap.sh). Its C++ API
// headers live under /usr/include/torch/csrc/api/include; ATen and c10 are in /usr/include.
let torchCxxFlags: [String] = [
  "-isystem", "/usr/include/torch/csrc/api/include",
  "-Wno-unused-parameter",
] + (gccOpenMPIncludeDir().map { ["-idirafter", $0] } ?? [])

let package = Package(
  name: "scpl-swift",
  products: [
    .executable(name: "scpl", targets: ["scpl"]),
    .library(name: "Torch", targets: ["Torch"]),
    .library(name: "NN", targets: ["NN"]),
    .library(name: "Data", targets: ["Data"]),
    .library(name: "SCPL", targets: ["SCPL"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
  ],
  targets: [
    .target(
      name: "CTorch",
      cxxSettings: [.unsafeFlags(torchCxxFlags)],
      linkerSettings: [
        .linkedLibrary("torch"), .linkedLibrary("torch_cpu"), .linkedLibrary("c10"),
        .linkedLibrary("gomp"),
      ]
    ),
    .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
    .systemLibrary(name: "CTurboJPEG", path: "Sources/CTurboJPEG"),
    .target(name: "Torch", dependencies: ["CTorch"]),
    .target(name: "NN", dependencies: ["Torch"]),
    .target(name: "Data", dependencies: ["Torch", "CZlib", "CTurboJPEG"]),
    .target(name: "SCPL", dependencies: ["Torch", "NN", "Data", .product(name: "Yams", package: "Yams")]),
    .target(
      name: "SCPLCLI",
      dependencies: [
        "Torch", "NN", "Data", "SCPL",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .executableTarget(name: "scpl", dependencies: ["SCPLCLI"]),
    .testTarget(name: "TorchTests", dependencies: ["Torch"]),
    .testTarget(name: "NNTests", dependencies: ["NN", "Torch"]),
    .testTarget(name: "DataTests", dependencies: ["Data", "Torch"]),
    .testTarget(name: "SCPLTests", dependencies: ["SCPL", "NN", "Data", "Torch"]),
    .testTarget(name: "CLITests", dependencies: ["SCPLCLI", "SCPL", "Torch"]),
  ],
  swiftLanguageModes: [.v5],
  cxxLanguageStandard: .cxx17
)
