import Torch

/// The peak GPU memory of a run's devices: the most bytes libtorch's CUDA caching allocator had
/// handed out at once on each device's GPU (tensors, not the cache it reserved around them). The
/// paper's memory argument for SCPL is about this figure: a device holds only its components'
/// activations. Lanes of one GPU share their GPU's figure.
public enum GPUMemoryPeaks {
  /// Starts counting afresh on every GPU among `devices` (nothing to do without one).
  public static func reset(_ devices: [ComputeDevice]) throws {
    guard GPUMemory.statisticsAvailable else { return }
    for gpu in Set(devices.compactMap(\.gpu)) { try GPUMemory.resetPeak(gpu: gpu) }
  }

  /// Per device, its GPU's peak since `reset` (0 for a CPU device: in a distributed run, another
  /// rank's stand-in); nil when no device is a GPU, or this libtorch keeps no statistics (1.x).
  public static func read(_ devices: [ComputeDevice]) throws -> [Int]? {
    guard GPUMemory.statisticsAvailable, devices.contains(where: { $0.gpu != nil }) else { return nil }
    return try devices.map { try $0.gpu.map { try GPUMemory.peakAllocatedBytes(gpu: $0) } ?? 0 }
  }

  /// "cuda:0 1.21 GiB, cuda:0/1 1.21 GiB": for a log line (GPU devices only).
  public static func describe(_ peaks: [Int], devices: [ComputeDevice]) -> String {
    zip(devices, peaks).filter { $0.0.gpu != nil }.map {
      "\($0) \(String(format: "%.2f GiB", Double($1) / Double(1 << 30)))"
    }.joined(separator: ", ")
  }
}
