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

/// The libtorch CTorch is built against.
/// - Default: Debian's `libtorch-dev` 1.13 (installed by scripts/bootstrap.sh): headers under
///   /usr/include, libraries on the system path, libgomp as its OpenMP runtime.
/// - `LIBTORCH=/dir` (a directory with include/ and lib/, e.g. from scripts/get-libtorch.sh or an
///   unpacked libtorch zip), or `LIBTORCH_USE_PYTORCH=1` (the `torch` package of `python3`, found
///   without importing it): that libtorch, with an rpath so the programs run without
///   LD_LIBRARY_PATH, its own bundled OpenMP runtime, and CUDA linked in when it has it.
/// The same environment variables as tch-rs.
struct LibTorch {
  var cxxFlags: [String]
  var linkerFlags: [String]
  var libraries: [String]

  static func chosen() -> LibTorch {
    let env = ProcessInfo.processInfo.environment
    if let dir = env["LIBTORCH"], !dir.isEmpty { return unpacked(dir) }
    if env["LIBTORCH_USE_PYTORCH"] == "1" {
      guard let dir = pythonTorchDirectory() else {
        fatalError("LIBTORCH_USE_PYTORCH=1, but python3 has no torch package (pip install torch, or set LIBTORCH=/dir)")
      }
      return unpacked(dir)
    }
    return LibTorch(cxxFlags: ["-isystem", "/usr/include/torch/csrc/api/include"],
                    linkerFlags: [], libraries: ["torch", "torch_cpu", "c10", "gomp"])
  }

  static func unpacked(_ dir: String) -> LibTorch {
    let fm = FileManager.default
    let lib = "\(dir)/lib", include = "\(dir)/include"
    guard fm.fileExists(atPath: "\(lib)/libtorch_cpu.so"), fm.fileExists(atPath: "\(include)/torch") else {
      fatalError("LIBTORCH=\(dir) is not a libtorch: it needs lib/libtorch_cpu.so and include/torch")
    }
    let files = (try? fm.contentsOfDirectory(atPath: lib)) ?? []
    // PyTorch's wheels bundle their OpenMP runtime under a hashed name (libgomp-<hash>.so.1);
    // our omp_* calls must reach the same runtime as libtorch's kernels.
    let bundledOpenMP = files.filter { $0.hasPrefix("libgomp") && $0.contains(".so") }.sorted().first
    var linker = ["-L\(lib)", "-Xlinker", "-rpath", "-Xlinker", lib]
    linker += bundledOpenMP.map { ["\(lib)/\($0)"] } ?? ["-lgomp"]
    // libtorch_cuda registers CUDA from static initialisers and nothing calls it directly, so a
    // plain -l would be dropped by --as-needed; name it inside --no-as-needed. (SwiftPM moves -l
    // flags ahead of -Xlinker ones, hence full paths.)
    let cuda = ["libtorch_cuda.so", "libc10_cuda.so"].filter(files.contains)
    if !cuda.isEmpty {
      linker += ["-Xlinker", "--push-state", "-Xlinker", "--no-as-needed"]
        + cuda.flatMap { ["-Xlinker", "\(lib)/\($0)"] } + ["-Xlinker", "--pop-state"]
    }
    return LibTorch(cxxFlags: ["-isystem", include, "-isystem", "\(include)/torch/csrc/api/include"],
                    linkerFlags: linker, libraries: ["torch", "torch_cpu", "c10"])
  }

  /// The directory of python3's torch package, from its import spec (nothing is imported).
  static func pythonTorchDirectory() -> String? {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", "import importlib.util as u; s = u.find_spec('torch'); print(s.submodule_search_locations[0] if s else '')"]
    let out = Pipe()
    p.standardOutput = out
    guard (try? p.run()) != nil else { return nil }
    p.waitUntilExit()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    return text.isEmpty ? nil : text
  }
}

/// tcmalloc (gperftools' libtcmalloc-minimal4, installed by scripts/bootstrap.sh) serves every
/// malloc of the programs and tests: with glibc's malloc libtorch's large CPU buffers are unmapped
/// when freed and faulted in again, zeroed, at the next step (docs/performance.md, "Host memory").
/// Named by its full path: Debian ships no unversioned .so without the -dev package.
func tcmallocLinkerFlags() -> [String] {
  for triple in ["x86_64-linux-gnu", "aarch64-linux-gnu"] {
    let path = "/usr/lib/\(triple)/libtcmalloc_minimal.so.4"
    if FileManager.default.fileExists(atPath: path) {
      return ["-Xlinker", "--push-state", "-Xlinker", "--no-as-needed", "-Xlinker", path, "-Xlinker", "--pop-state"]
    }
  }
  return ["-l:libtcmalloc_minimal.so.4"]  // not installed: the link fails naming it (run scripts/bootstrap.sh)
}

let libtorch = LibTorch.chosen()
/// `make fuzz` sets SCPL_FUZZ=1: the libFuzzer targets under Fuzz/ are added, and tcmalloc is left
/// out (AddressSanitizer brings its own malloc).
let fuzzing = ProcessInfo.processInfo.environment["SCPL_FUZZ"] == "1"
let fuzzTargets = ["Idx", "Cifar", "Csv", "Tsv", "Glove", "Safetensors", "Yaml", "Jpeg", "Cmdline"].map { "Fuzz\($0)" }
let torchCxxFlags: [String] = libtorch.cxxFlags + ["-Wno-unused-parameter"]
  + (gccOpenMPIncludeDir().map { ["-idirafter", $0] } ?? [])

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
    .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
  ],
  targets: [
    .target(
      name: "CTorch",
      cxxSettings: [.unsafeFlags(torchCxxFlags)],
      linkerSettings: libtorch.libraries.map { .linkedLibrary($0) } + [.unsafeFlags(libtorch.linkerFlags + (fuzzing ? [] : tcmallocLinkerFlags()))]
    ),
    .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
    .systemLibrary(name: "CTurboJPEG", path: "Sources/CTurboJPEG"),
    .systemLibrary(name: "CISAL", path: "Sources/CISAL"),
    .target(name: "Torch", dependencies: ["CTorch", "CISAL"]),
    .target(name: "NN", dependencies: ["Torch"]),
    .target(name: "Data", dependencies: ["Torch", "CZlib", "CTurboJPEG"]),
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
    // Every parser of a user's file, as the fuzz targets and their regression test call it.
    .target(name: "FuzzEntries", dependencies: ["Data", "SCPL", "SCPLCLI", "Torch"]),
    // Helpers several test targets share (running python3 for the cross-checks).
    .target(name: "TestSupport", path: "Tests/TestSupport"),
    .testTarget(name: "TorchTests", dependencies: ["Torch", "TestSupport"]),
    .testTarget(name: "NNTests", dependencies: ["NN", "Torch"]),
    .testTarget(name: "DataTests", dependencies: ["Data", "Torch"]),
    .testTarget(name: "SCPLTests", dependencies: ["SCPL", "NN", "Data", "Torch", "TestSupport", "FuzzEntries"]),
    .testTarget(name: "CLITests", dependencies: ["SCPLCLI", "SCPL", "Torch", "TestSupport"]),
  ],
  swiftLanguageModes: [.v5],
  cxxLanguageStandard: .cxx17
)

if fuzzing {
  package.targets += fuzzTargets.map { .executableTarget(name: $0, dependencies: ["FuzzEntries"], path: "Fuzz/\($0)") }
}
