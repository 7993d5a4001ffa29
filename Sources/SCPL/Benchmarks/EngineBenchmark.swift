import Foundation
import NN
import Torch

/// The engine's raw speed through our Swift → C → libtorch path: matrix product, convolution
/// forward+backward and the fused LSTM op at a given intra-op thread count, plus the per-call
/// cost of the boundary itself. `scpl bench engine` runs it.
public enum EngineBenchmark {
  /// What the engine benchmark measures.
  public struct Options {
    /// The intra-op thread counts to time each operation at.
    public var threadCounts = [1, 2]
    /// Timed repeats per operation and thread count (after one warm-up).
    public var repeats = 5
    /// One-element adds timed per round of the boundary measurement.
    public var boundaryIterations = 200_000
    /// The defaults: 1 and 2 threads, 5 repeats, 200 000 boundary iterations.
    public init() {}
  }

  /// Times matrix product, convolution and LSTM at each thread count and the Swift → C boundary cost,
  /// logging each result through `log`, and returns the table.
  public static func run(_ options: Options = Options(), log: (String) -> Void = { print($0) }) throws -> BenchReport {
    var report = BenchReport(
      title: "Engine speed (libtorch \(EngineInfo.libtorchVersion), \(EngineInfo.blas), \(EngineInfo.hostMemory))",
      columns: ["op", "shape", "threads", "gflop", "seconds_median", "gflops_median"])
    for threads in options.threadCounts {
      try Threads.setThreadCount(threads)
      for workload in try workloads() {
        let times = try Stopwatch.measure(repeats: options.repeats, warmup: 1) { try workload.run() }
        let gflops = workload.flops / times.median / 1e9
        log(
          String(
            format: "%-22@ %-28@ threads %d  %7.1f GFLOP/s  (median of %d: %.4f s)",
            workload.name as NSString, workload.shape as NSString, threads, gflops, times.count, times.median))
        report.add([
          "op": .text(workload.name), "shape": .text(workload.shape), "threads": .integer(threads),
          "gflop": .number(workload.flops / 1e9), "seconds_median": .number(times.median),
          "gflops_median": .number(gflops)
        ])
      }
    }
    try Threads.setThreadCount(1)
    let overhead = try boundaryOverhead(iterations: options.boundaryIterations)
    log(
      String(
        format: "boundary overhead per op: %.3f µs (Swift %.3f µs vs C++ %.3f µs for a 1-element add)",
        overhead.overhead * 1e6, overhead.swift * 1e6, overhead.native * 1e6))
    report.add([
      "op": .text("boundary overhead (1-element add)"), "shape": .text("[1]"), "threads": .integer(1),
      "seconds_median": .number(overhead.overhead)
    ])
    report.notes = [
      "gflops = floating-point operations of the op (multiply-add = 2) / median seconds; conv and LSTM rows count forward + input and weight gradients (3× the forward).",
      String(
        format:
          "Boundary: a one-element add costs %.3f µs through the Swift Tensor API and %.3f µs in a C++ loop over the same shim wrapper; the difference, %.3f µs, is the Swift→C crossing plus the Swift object.",
        overhead.swift * 1e6, overhead.native * 1e6, overhead.overhead * 1e6)
    ]
    return report
  }

  struct Workload {
    let name: String
    let shape: String
    let flops: Double
    let run: () throws -> Void
  }

  static func workloads() throws -> [Workload] {
    let n = 1024
    let a = try Tensor.randn([n, n]), b = try Tensor.randn([n, n])
    let matmul = Workload(name: "matmul", shape: "1024x1024 @ 1024x1024", flops: 2 * pow(Double(n), 3)) {
      _ = try a.matmul(b)
    }

    // A VGG-like layer: 32×128×16×16 → 128 channels, 3×3.
    let x = try Tensor.randn([32, 128, 16, 16]).requiringGrad()
    let conv = try Conv2d(128, 128, kernelSize: 3, padding: 1, bias: false)
    let convFlops = 2.0 * 32 * 128 * 16 * 16 * 128 * 9
    let convStep = Workload(name: "conv2d fwd+bwd", shape: "32x128x16x16 -> 128, 3x3", flops: 3 * convFlops) {
      try x.zeroGrad()
      try conv.zeroGrad()
      try conv(x).sum().backward()
    }

    // The reference LSTM component: bidirectional, 300 per direction, sequences of 60.
    let (batch, steps, hidden) = (64, 60, 300)
    let seq = try Tensor.randn([batch, steps, hidden]).requiringGrad()
    let h0 = try Tensor.zeros([2, batch, hidden]), c0 = try Tensor.zeros([2, batch, hidden])
    var params: [Tensor] = []
    for _ in 0..<2 {
      params += [
        try Initialization.uniform([4 * hidden, hidden], bound: 0.05, dtype: .float32).requiringGrad(),
        try Initialization.uniform([4 * hidden, hidden], bound: 0.05, dtype: .float32).requiringGrad(),
        try Tensor.zeros([4 * hidden]).requiringGrad(), try Tensor.zeros([4 * hidden]).requiringGrad()
      ]
    }
    let lstmFlops = 2.0 * Double(batch * steps) * 2 * Double(4 * hidden * (hidden + hidden))
    let lstm = Workload(name: "bi-LSTM fwd+bwd", shape: "64x60x300, hidden 300", flops: 3 * lstmFlops) {
      for p in params { try p.zeroGrad() }
      let out = try Functional.lstm(
        seq, h0: h0, c0: c0, parameters: params, training: true,
        bidirectional: true, batchFirst: true)
      try out.output.sum().backward()
    }
    return [matmul, convStep, lstm]
  }

  /// Seconds per one-element add via Swift, via C++ only, and their difference.
  public static func boundaryOverhead(iterations: Int) throws -> (swift: Double, native: Double, overhead: Double) {
    let a = try Tensor.ones([1]), b = try Tensor.ones([1])
    var swiftRuns: [Double] = [], nativeRuns: [Double] = []
    for _ in 0..<5 {
      let start = Stopwatch.now()
      for _ in 0..<iterations { _ = try a + b }
      swiftRuns.append((Stopwatch.now() - start) / Double(iterations))
      nativeRuns.append(try NativeBaseline.addSeconds(iterations: iterations) / Double(iterations))
    }
    let s = swiftRuns.median, n = nativeRuns.median
    return (s, n, s - n)
  }
}

/// Facts about the engine this binary runs on, for reports.
public enum EngineInfo {
  /// The libtorch linked (the headers CTorch was built with), and Debian's package version when
  /// it is Debian's.
  public static var libtorchVersion: String {
    let built = Engine.libtorchVersion
    let debian = debianVersion("libtorch-dev")
    return built.hasPrefix("1.13") && debian != "unknown" ? debian : built
  }

  /// Whether CUDA is compiled into the linked libtorch.
  public static var cudaCompiled: Bool { Engine.cudaCompiled }

  /// The BLAS the linked libtorch uses: MKL, or the system's library (OpenBLAS with its kernel name).
  public static var blas: String {
    if Engine.hasMKL { return "MKL (libtorch's own)" }
    let path =
      (try? FileManager.default.destinationOfSymbolicLink(atPath: "/etc/alternatives/libblas.so.3-x86_64-linux-gnu"))
      ?? "unknown BLAS"
    guard path.contains("openblas") else { return path }
    return
      "OpenBLAS \(URL(fileURLWithPath: path).deletingLastPathComponent().lastPathComponent), \(Threads.blasCoreName) kernels"
  }

  /// Which malloc CPU tensors come from: tcmalloc, which the build links in (Package.swift), or
  /// glibc's in a program that does not link it.
  public static var hostMemory: String { Engine.mallocName }

  static func debianVersion(_ package: String) -> String {
    guard let status = try? String(contentsOfFile: "/var/lib/dpkg/status", encoding: .utf8) else { return "unknown" }
    guard let range = status.range(of: "Package: \(package)\n") else { return "unknown" }
    let block = String(status[range.upperBound...]).components(separatedBy: "\n\n").first ?? ""
    for line in block.split(separator: "\n") where line.hasPrefix("Version: ") { return String(line.dropFirst(9)) }
    return "unknown"
  }
}
