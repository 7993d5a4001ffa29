import Foundation
import Torch

/// A device a pipeline places components on.
///
/// On a CPU-only machine a device is a worker OS thread with its own intra-op thread count
/// (`cpu:N` names the N-th such worker; every one of them computes on the CPU). On a CUDA build
/// a device is a GPU and a lane of it: a worker thread that issues its work on a CUDA stream of
/// its own. One lane per GPU is the usual layout; several lanes of one GPU (`cuda:0x2`) let
/// components on one GPU overlap, and make a pipeline on one GPU possible.
public enum ComputeDevice: Hashable, Sendable, CustomStringConvertible {
  /// CPU worker n: a worker thread of its own that computes on the CPU.
  case cpuWorker(Int)
  /// GPU `gpu`, lane `lane` (0-based; its own stream).
  case cuda(Int, lane: Int = 0)

  /// Where this device's tensors live.
  public var tensorDevice: Device {
    switch self {
    case .cpuWorker: return .cpu
    case .cuda(let i, _): return .cuda(i)
    }
  }

  /// The GPU, for a CUDA device.
  public var gpu: Int? { if case .cuda(let i, _) = self { return i } else { return nil } }

  /// "cpu:1", "cuda:0", or "cuda:0/1" for lane 1 of GPU 0.
  public var description: String {
    switch self {
    case .cpuWorker(let i): return "cpu:\(i)"
    case .cuda(let i, let lane): return lane == 0 ? "cuda:\(i)" : "cuda:\(i)/\(lane)"
    }
  }
}

/// The devices of a run, parsed from `--devices`:
/// - `cpu:0,cpu:1,…`: that many CPU workers;
/// - `cuda:0,cuda:1,…`: those GPUs (the linked libtorch must see them);
/// - `cuda:0x2`: two lanes of GPU 0 (`cuda:0` and `cuda:0/1`), each a worker with its own stream;
///   `cuda:0x2,cuda:1x2` four, and so on; `cuda:0/1` names one lane;
/// - a count `N`: N GPUs `cuda:0…` when libtorch sees at least one GPU, else N CPU workers
///   `cpu:0…` (Debian's libtorch-dev is a CPU build, so here `2` means two CPU workers);
/// - `cpu` alone means `cpu:0`.
public struct DeviceSpec: Equatable, Sendable, CustomStringConvertible {
  /// The devices, in pipeline order.
  public let devices: [ComputeDevice]

  /// Devices taken as they are: for `acrossRanks`, whose stand-ins are not the user's choice.
  init(unchecked devices: [ComputeDevice]) { self.devices = devices }

  /// The pipeline's devices in a c10d job of `worldSize` ranks, as rank `rank` sees them: every
  /// rank has `perRank` devices (its own `--devices`, the same option on every rank), numbered in
  /// rank order. CPU workers are numbered through (rank r has cpu:r·L … cpu:r·L+L−1). GPUs are
  /// each host's own: this rank's are `perRank`'s, and a device of another rank appears here as
  /// a CPU stand-in, whose components train in that rank's process and whose modules stay on this
  /// one's CPU, never run.
  static func acrossRanks(_ perRank: DeviceSpec, rank: Int, of worldSize: Int) throws -> DeviceSpec {
    let l = perRank.count
    guard perRank.isCUDA else { return try .cpuWorkers(worldSize * l) }
    return DeviceSpec(unchecked: (0..<worldSize * l).map { $0 / l == rank ? perRank.devices[$0 % l] : .cpuWorker($0) })
  }

  /// The most devices a pipeline has: every device runs at least one component, and no model
  /// is cut into more than `TrainConfig.Limits.components`.
  public static let maxCount = 64

  /// Checks a device list: at least one device and at most `maxCount`, none twice, all CPU workers or all GPUs,
  /// and only GPUs libtorch sees.
  public init(_ devices: [ComputeDevice]) throws {
    guard !devices.isEmpty else { throw PipelineError("--devices names no device") }
    guard devices.count <= Self.maxCount else {
      throw PipelineError(
        "--devices names \(devices.count) devices; a pipeline has at most \(Self.maxCount) (each device runs at least one component)"
      )
    }
    if Set(devices).count != devices.count {
      throw PipelineError(
        "--devices lists a device twice (\(devices.map(\.description).joined(separator: ","))); each device runs one worker"
      )
    }
    let kinds = Set(devices.map { if case .cuda = $0 { return "cuda" } else { return "cpu" } })
    guard kinds.count == 1 else {
      throw PipelineError(
        "--devices mixes CPU workers and GPUs (\(devices.map(\.description).joined(separator: ","))); use one kind")
    }
    let gpus = try Device.cudaDeviceCount
    for case .cuda(let i, _) in devices where i >= gpus {
      throw PipelineError(
        gpus == 0
          ? "--devices asks for cuda:\(i), but the linked libtorch sees no GPU (\(Engine.cudaCompiled ? "CUDA is compiled in, but no GPU or driver is visible" : "it is a CPU build, as Debian's libtorch-dev is")); use cpu:0,cpu:1,… or a count"
          : "--devices asks for cuda:\(i), but libtorch sees only \(gpus) GPU(s): cuda:0…cuda:\(gpus - 1)")
    }
    self.devices = devices
  }

  /// `count` CPU workers cpu:0…cpu:(count−1).
  public static func cpuWorkers(_ count: Int) throws -> DeviceSpec {
    guard count >= 1 else { throw PipelineError("a pipeline needs at least 1 device, got \(count)") }
    return try DeviceSpec((0..<count).map(ComputeDevice.cpuWorker))
  }

  /// Parses `--devices`: a device list or a count, as described above, and checks it.
  public init(parsing text: String) throws {
    let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
    if let count = Int(trimmed) {
      guard count >= 1 else { throw PipelineError("--devices \(text): the device count must be at least 1") }
      guard count <= Self.maxCount else {
        throw PipelineError(
          "--devices \(text): a pipeline has at most \(Self.maxCount) devices (each device runs at least one component)"
        )
      }
      let gpus = try Device.cudaDeviceCount
      if gpus == 0 { self = try .cpuWorkers(count); return }
      guard count <= gpus else {
        throw PipelineError(
          "--devices \(count): libtorch sees only \(gpus) GPU(s); name CPU workers explicitly (cpu:0,cpu:1,…) to run on the CPU"
        )
      }
      try self.init((0..<count).map { ComputeDevice.cuda($0) })
      return
    }
    try self.init(try Self.list(parsing: text))
  }

  /// The devices a list names ("cpu:0,cpu:1", "cuda:0x2,cuda:1"), in order, without checking them
  /// against each other or the GPUs present (`init` does).
  static func list(parsing text: String) throws -> [ComputeDevice] {
    let items = text.trimmingCharacters(in: .whitespaces).lowercased().split(
      separator: ",", omittingEmptySubsequences: false
    ).map { $0.trimmingCharacters(in: .whitespaces) }
    return try items.flatMap { item -> [ComputeDevice] in
      if item == "cpu" { return [.cpuWorker(0)] }
      if item == "cuda" { return [.cuda(0)] }
      let parts = item.split(separator: ":", omittingEmptySubsequences: false)
      if parts.count == 2, parts[0] == "cpu", let i = Int(parts[1]), i >= 0 { return [.cpuWorker(i)] }
      if parts.count == 2, parts[0] == "cuda" {
        let gpuAndLanes = parts[1].split(separator: "x", omittingEmptySubsequences: false)
        let gpuAndLane = parts[1].split(separator: "/", omittingEmptySubsequences: false)
        if let i = Int(parts[1]), i >= 0 { return [.cuda(i)] }
        if gpuAndLanes.count == 2, let i = Int(gpuAndLanes[0]), let n = Int(gpuAndLanes[1]), i >= 0 {
          guard (1...Self.maxCount).contains(n) else {
            throw PipelineError("--devices \(text): '\(item)' asks for \(n) lanes; a GPU has 1…\(Self.maxCount)")
          }
          return (0..<n).map { .cuda(i, lane: $0) }
        }
        if gpuAndLane.count == 2, let i = Int(gpuAndLane[0]), let lane = Int(gpuAndLane[1]), i >= 0, lane >= 0 {
          return [.cuda(i, lane: lane)]
        }
      }
      throw PipelineError(
        "--devices \(text): cannot read '\(item)'; expected cpu:N, cuda:N, cuda:NxL (L lanes of GPU N) or a device count such as 2"
      )
    }
  }

  /// How many devices there are.
  public var count: Int { devices.count }
  /// Whether the devices are GPUs (they are all one kind).
  public var isCUDA: Bool { if case .cuda = devices[0] { return true } else { return false } }
  /// The list as `--devices` writes it, e.g. "cpu:0,cpu:1".
  public var description: String { devices.map(\.description).joined(separator: ",") }
}

/// A device list is written as its text ("cpu:0,cpu:1", "cuda:0,cuda:0/1") and read back through
/// `init(parsing:)`.
extension DeviceSpec: CodableAsText {}

/// A value a config file holds as a user would type it on the command line: encoded as its
/// `description`, decoded through `init(parsing:)` with every check that parsing makes.
public protocol CodableAsText: Codable, CustomStringConvertible {
  init(parsing text: String) throws
}

extension CodableAsText {
  public init(from decoder: Decoder) throws {
    try self.init(parsing: try decoder.singleValueContainer().decode(String.self))
  }

  public func encode(to encoder: Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(description)
  }
}
