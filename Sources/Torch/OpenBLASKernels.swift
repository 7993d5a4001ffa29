import Foundation

/// Debian 12's OpenBLAS (0.3.21) does not recognise recent Intel server CPUs and falls back to
/// its generic "Prescott" (SSE3) kernels: a 1024³ sgemm then runs at ~21 GFLOP/s instead of
/// ~125 with the AVX-512 "SkylakeX" kernels (measured here; `scpl bench engine` shows it).
/// OpenBLAS reads OPENBLAS_CORETYPE only when it loads, which happens before `main`, so when
/// the variable is unset and a generic core was chosen on a CPU that has better instructions,
/// the program restarts itself once with the variable set (`Engine.prepareProcess`). A value the
/// user set is never changed.
public enum OpenBLASKernels {
  /// The kernel families OpenBLAS falls back to when it does not recognise a CPU.
  public static let genericCores: Set<String> = [
    "Prescott", "Katmai", "Coppermine", "Northwood", "Banias", "Core2", "Penryn", "Dunnington", "Atom"
  ]

  /// OPENBLAS_CORETYPE to restart with, when OpenBLAS chose a generic core on a better CPU.
  static func environmentChange() -> [String: String] {
    let env = ProcessInfo.processInfo.environment
    guard env["OPENBLAS_CORETYPE"] == nil, env["SCPL_KEEP_BLAS_CORE"] == nil else { return [:] }
    let chosen = Threads.blasCoreName
    guard genericCores.contains(chosen), let better = bestCore() else { return [:] }
    FileHandle.standardError.write(
      Data(
        "note: OpenBLAS chose its generic \(chosen) kernels for this CPU; restarting with OPENBLAS_CORETYPE=\(better) (set OPENBLAS_CORETYPE yourself to choose)\n"
          .utf8))
    return ["OPENBLAS_CORETYPE": better]
  }

  /// The best OpenBLAS kernel family for this CPU's instruction set, from /proc/cpuinfo.
  public static func bestCore() -> String? {
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
      let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
    else { return nil }
    let flags = Set(line.split(separator: " ").map(String.init))
    if ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"].allSatisfy(flags.contains) { return "SkylakeX" }
    if ["avx2", "fma"].allSatisfy(flags.contains) { return "Haswell" }
    return nil
  }
}
