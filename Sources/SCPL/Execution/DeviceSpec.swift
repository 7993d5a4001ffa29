import Foundation
import Torch

/// A device a pipeline places components on.
///
/// On a CPU-only machine a device is a worker OS thread with its own intra-op thread count
/// (`cpu:N` names the N-th such worker; every one of them computes on the CPU). On a CUDA build
/// a device is a GPU, with a worker thread that issues its work.
public enum ComputeDevice: Hashable, Sendable, CustomStringConvertible {
  case cpuWorker(Int)
  case cuda(Int)

  /// Where this device's tensors live.
  public var tensorDevice: Device {
    switch self {
    case .cpuWorker: return .cpu
    case .cuda(let i): return .cuda(i)
    }
  }

  public var description: String {
    switch self {
    case .cpuWorker(let i): return "cpu:\(i)"
    case .cuda(let i): return "cuda:\(i)"
    }
  }
}

/// The devices of a run, parsed from `--devices`:
/// - `cpu:0,cpu:1,…`: that many CPU workers;
/// - `cuda:0,cuda:1,…`: those GPUs (the linked libtorch must see them);
/// - a count `N`: N GPUs `cuda:0…` when libtorch sees at least one GPU, else N CPU workers
///   `cpu:0…` (Debian's libtorch-dev is a CPU build, so here `2` means two CPU workers);
/// - `cpu` alone means `cpu:0`.
public struct DeviceSpec: Equatable, Sendable, CustomStringConvertible {
  public let devices: [ComputeDevice]

  public init(_ devices: [ComputeDevice]) throws {
    guard !devices.isEmpty else { throw PipelineError("--devices names no device") }
    if Set(devices).count != devices.count {
      throw PipelineError("--devices lists a device twice (\(devices.map(\.description).joined(separator: ","))); each device runs one worker")
    }
    let kinds = Set(devices.map { if case .cuda = $0 { return "cuda" } else { return "cpu" } })
    guard kinds.count == 1 else {
      throw PipelineError("--devices mixes CPU workers and GPUs (\(devices.map(\.description).joined(separator: ","))); use one kind")
    }
    let gpus = try Device.cudaDeviceCount
    for case .cuda(let i) in devices where i >= gpus {
      throw PipelineError(gpus == 0
        ? "--devices asks for cuda:\(i), but the linked libtorch sees no GPU (Debian's libtorch-dev is a CPU build); use cpu:0,cpu:1,… or a count"
        : "--devices asks for cuda:\(i), but libtorch sees only \(gpus) GPU(s): cuda:0…cuda:\(gpus - 1)")
    }
    self.devices = devices
  }

  /// `count` CPU workers cpu:0…cpu:(count−1).
  public static func cpuWorkers(_ count: Int) throws -> DeviceSpec {
    guard count >= 1 else { throw PipelineError("a pipeline needs at least 1 device, got \(count)") }
    return try DeviceSpec((0..<count).map(ComputeDevice.cpuWorker))
  }

  public init(parsing text: String) throws {
    let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
    if let count = Int(trimmed) {
      guard count >= 1 else { throw PipelineError("--devices \(text): the device count must be at least 1") }
      let gpus = try Device.cudaDeviceCount
      if gpus == 0 { self = try .cpuWorkers(count); return }
      guard count <= gpus else {
        throw PipelineError("--devices \(count): libtorch sees only \(gpus) GPU(s); name CPU workers explicitly (cpu:0,cpu:1,…) to run on the CPU")
      }
      try self.init((0..<count).map(ComputeDevice.cuda))
      return
    }
    let items = trimmed.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    try self.init(try items.map { item -> ComputeDevice in
      if item == "cpu" { return .cpuWorker(0) }
      if item == "cuda" { return .cuda(0) }
      let parts = item.split(separator: ":", omittingEmptySubsequences: false)
      if parts.count == 2, let i = Int(parts[1]), i >= 0 {
        if parts[0] == "cpu" { return .cpuWorker(i) }
        if parts[0] == "cuda" { return .cuda(i) }
      }
      throw PipelineError("--devices \(text): cannot read '\(item)'; expected cpu:N, cuda:N or a device count such as 2")
    })
  }

  public var count: Int { devices.count }
  public var isCUDA: Bool { if case .cuda = devices[0] { return true } else { return false } }
  public var description: String { devices.map(\.description).joined(separator: ",") }
}
