import Foundation

/// The process's host memory, as the kernel counts it.
public enum HostMemory {
  /// Resident set size in bytes: /proc/self/statm's second field × the page size. Throws where
  /// /proc is not readable, rather than answer 0 (a soak would then pass whatever leaked).
  public static func residentBytes() throws -> Int {
    let text = try String(contentsOfFile: "/proc/self/statm", encoding: .utf8)
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else {
      throw TorchError("/proc/self/statm does not read as 'size resident …': \(text)")
    }
    return pages * sysconf(Int32(_SC_PAGESIZE))
  }
}
