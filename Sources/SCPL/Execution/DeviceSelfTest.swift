import Foundation
import NN
import Torch

/// `scpl selftest`: does every schedule give the right weights on these devices? Each schedule
/// that can run on a device set (BP: off, nmp, gpipe; SCPL: off, overlap, async, scpl-gpipe)
/// trains a few steps of a small VGG and a small LSTM on fixed random batches, on the devices
/// under test and on as many CPU workers; the two must end with the same weights and losses
/// within `tolerance`. The CPU-workers run is the reference because the test suite proves it
/// equals the sequential loop wherever the schedule computes the same thing (every schedule but
/// the micro-batched ones, which equal themselves across placements).
///
/// On GPUs this catches what only shows there: a missing wait between streams (a stage reading
/// an activation not yet written, memory reused while another stream still reads it) gives
/// errors of the order of the weights themselves, far above rounding. With exact float32
/// (`Engine.useExactGPUMath`: no TF32, deterministic cuDNN) a GPU differs from the CPU only by
/// summation order, about 1e-6 relative per operation; three SGD steps keep that below 1e-4, so
/// the default tolerance, 1e-3 of each tensor's largest value, leaves a margin of ten and still
/// misses nothing that a race produces. On CPU workers the result is bit for bit.
public enum DeviceSelfTest {
  /// One case's result: a model, method and schedule on the devices under test against CPU workers.
  public struct Outcome: Codable, Sendable {
    /// The model trained: "vgg" or "lstm".
    public var model: String
    /// The training method's name.
    public var method: String
    /// The schedule's name.
    public var pipeline: String
    /// The devices under test, as `--devices` writes them.
    public var devices: String
    /// The largest difference of any parameter or buffer, relative to the largest magnitude of
    /// the reference tensor, and of any step's loss, relative to the loss.
    public var maxWeightDifference: Double
    /// The largest difference of any step's loss, relative to the reference loss.
    public var maxLossDifference: Double
    /// Whether weights and losses are bit for bit the reference's.
    public var identical: Bool
    /// Whether both differences are within the tolerance.
    public var passed: Bool
    /// Wall-clock seconds the case took, reference run included.
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
      case model, method, pipeline, devices, identical, passed, seconds
      case maxWeightDifference = "max_weight_difference", maxLossDifference = "max_loss_difference"
    }
  }

  /// The tolerance `run` uses unless told otherwise: 1e-3, relative.
  public static let defaultTolerance = 1e-3

  /// The (method, schedule) pairs that run on `deviceCount` devices: the sequential loops on one,
  /// every pipeline on several.
  static func cases(deviceCount: Int) -> [(MethodKind, PipelineKind)] {
    deviceCount == 1
      ? [(.bp, .off), (.scpl, .off)]
      : [(.bp, .nmp), (.bp, .gpipe), (.scpl, .overlap), (.scpl, .async), (.scpl, .scplGPipe)]
  }

  /// Runs every case on `devices` against the same case on CPU workers; `report` hears each
  /// outcome as it comes. On CPU workers every hand-off of the run under test is a real copy, as
  /// between GPUs (`PipelineOptions.copyEveryHandOff`), so the transfer paths are what is tested.
  public static func run(
    on devices: DeviceSpec, tolerance: Double = defaultTolerance, steps: Int = 3,
    report: (Outcome) -> Void = { _ in }
  ) throws -> [Outcome] {
    if devices.devices.contains(where: { $0.gpu != nil }) { try Engine.useExactGPUMath(true) }
    defer { if devices.devices.contains(where: { $0.gpu != nil }) { try? Engine.useExactGPUMath(false) } }
    var outcomes: [Outcome] = []
    for model in ["vgg", "lstm"] {
      let batches = try Self.batches(model, steps: steps)
      for (method, pipeline) in cases(deviceCount: devices.count) {
        let start = Stopwatch.now()
        let reference = try train(model, method, pipeline, on: try .cpuWorkers(devices.count), batches: batches)
        let tested = try inContext("\(model) \(method.rawValue) \(pipeline.rawValue) on \(devices)") {
          try train(
            model, method, pipeline, on: devices, batches: batches,
            copyEveryHandOff: !devices.devices.contains { $0.gpu != nil })
        }
        let (weights, losses, identical) = try compare(tested, reference)
        let outcome = Outcome(
          model: model, method: method.rawValue, pipeline: pipeline.rawValue, devices: devices.description,
          maxWeightDifference: weights, maxLossDifference: losses, identical: identical,
          passed: weights <= tolerance && losses <= tolerance, seconds: Stopwatch.now() - start)
        report(outcome)
        outcomes.append(outcome)
      }
    }
    return outcomes
  }

  /// What a run leaves: every parameter and buffer (on the CPU) and each step's losses.
  struct Trained {
    var state: [(String, Tensor)]
    var losses: [[Double]]
  }

  static func model(_ name: String) throws -> StagedModel {
    switch name {
    case "vgg": return try VGG.build(sampleShape: [3, 16, 16], classes: 4, width: 1.0 / 16)
    default: return try TextModels.build(.lstm, vectors: Tensor.randn([30, 8]), classes: 4, hidden: 12)
    }
  }

  /// `steps` batches of 16 samples (images, or token ids with some padding), the same for every run.
  static func batches(_ name: String, steps: Int) throws -> [(inputs: Tensor, labels: Tensor)] {
    try Torch.manualSeed(11)
    let m = try model(name)
    return try (0..<steps).map { _ in
      let labels = try Tensor((0..<16).map { Int64($0 % m.classCount) })
      let inputs =
        m.family == .vision
        ? try Tensor.randn([16] + m.sampleShape)
        : try Tensor.randint(1, 30, [16, 9]).maskedFill(Tensor.rand([16, 9]) .< 0.2, 0)
      return (inputs: inputs, labels: labels)
    }
  }

  static func train(
    _ name: String, _ method: MethodKind, _ kind: PipelineKind, on devices: DeviceSpec,
    batches: [(inputs: Tensor, labels: Tensor)], copyEveryHandOff: Bool = false
  ) throws -> Trained {
    try Torch.manualSeed(5)
    let m = try Methods.make(method, model: model(name))
    var options = PipelineOptions(kind: kind, devices: devices)
    options.costEstimate = .parameters  // the same placement everywhere, whatever the timings
    options.microBatches = 2
    options.copyEveryHandOff = copyEveryHandOff
    let executor = try Pipelines.make(m, options)
    defer { executor.shutdown() }
    var losses: [[Double]] = []
    try executor.trainEpoch(batches) { losses.append($0.losses) }
    return Trained(state: try m.stateDict().map { ($0.0, try $0.1.to(.cpu)) }, losses: losses)
  }

  /// (largest relative weight difference, largest relative loss difference, bit for bit?)
  static func compare(_ a: Trained, _ b: Trained) throws -> (Double, Double, Bool) {
    guard a.state.map(\.0) == b.state.map(\.0), a.losses.count == b.losses.count else {
      throw PipelineError(
        "the run and its reference trained different things (\(a.state.count) and \(b.state.count) tensors, \(a.losses.count) and \(b.losses.count) steps)"
      )
    }
    var weights = 0.0, identical = true
    for ((_, x), (_, y)) in zip(a.state, b.state) {
      if try x.bytes() != y.bytes() { identical = false }
      let (x, y) = (try x.to(.float64), try y.to(.float64))
      let scale = Swift.max(try y.abs().max().item(), 1e-6)
      weights = Swift.max(weights, try (x - y).abs().max().item() / scale)
    }
    var losses = 0.0
    for (p, q) in zip(a.losses.joined(), b.losses.joined()) {
      if p != q { identical = false }
      losses = Swift.max(losses, Swift.abs(p - q) / Swift.max(Swift.abs(q), 1e-6))
    }
    return (weights, losses, identical)
  }
}
