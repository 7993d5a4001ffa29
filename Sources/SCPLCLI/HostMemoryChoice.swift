import Foundation
import Torch

/// The tool serves CPU tensors from the caching allocator (`HostMemory`): with libtorch's
/// default allocator a training step page-faults its large buffers in again every step.
/// `SCPL_HOST_CACHE_MB` sets the bound on cached memory (default 2048); 0 turns the cache off.
enum HostMemoryChoice {
  static func apply() {
    var limit = HostMemory.defaultLimitBytes
    if let text = ProcessInfo.processInfo.environment["SCPL_HOST_CACHE_MB"] {
      guard let mib = Int(text), mib >= 0 else {
        FileHandle.standardError.write(Data("error: SCPL_HOST_CACHE_MB must be a whole number of MiB (0 turns the host cache off), got '\(text)'\n".utf8))
        exit(2)
      }
      limit = mib << 20
    }
    guard limit > 0 else { return }
    do { try HostMemory.enableCache(limitBytes: limit) } catch {
      FileHandle.standardError.write(Data("warning: the host cache could not be enabled (\(error)); using libtorch's default allocator\n".utf8))
    }
  }
}
