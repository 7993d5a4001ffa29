import Torch

/// What one training step produced, handed to `onStep` on the calling thread, in batch order.
public struct StepResult: Sendable {
  /// The batch's index within the epoch (0-based).
  public let batch: Int
  /// The method's losses for this batch (one per component for local methods, BP's one CE).
  public let losses: [Double]
  /// When the first device started this batch and when the last one finished it (seconds on
  /// the shared monotonic clock, `Stopwatch.now()`).
  public let start: Double
  /// When the last device finished this batch.
  public let end: Double
  /// The time since the previous batch finished (since the epoch began, for the first): the
  /// time per step as a pipeline delivers them, which is what pipelining shortens.
  public let interval: Double

  /// How long this batch took from entering the first device to leaving the last.
  public var latency: Double { end - start }
}

/// What an epoch took.
public struct EpochSummary: Sendable {
  /// How many steps the epoch trained.
  public let steps: Int
  /// The epoch's wall-clock seconds.
  public let seconds: Double
}

/// Runs a method's training over devices with some schedule (`PipelineKind`).
///
/// Every executor owns one `DeviceWorker` per device, created with it and joined by `shutdown()`,
/// and runs all device work through `DeviceShare` (one device's share of a batch: its
/// components, spans, error context and the hand-off to the next device).
/// Losses and timings come back through `onStep`, called on the caller's thread in batch order;
/// if `onStep` throws, no further batch is fed, the batches already in flight are finished (so
/// the weights are exactly those of training on the batches fed), and the error is rethrown.
/// An error in a stage stops the epoch the same way and is rethrown with the device, component
/// and batch it came from. Under `async` the batches already queued behind the failed one are
/// dropped, not trained: a component never learns from a batch its predecessors did not.
public protocol PipelineExecutor: AnyObject {
  var kind: PipelineKind { get }
  var method: any TrainingMethod { get }
  var devices: DeviceSpec { get }
  /// Which component runs where: on device d, or under interleaved-1f1b on stage s (device s mod
  /// K; `PipelineOptions.chunksPerDevice`).
  var placement: Placement { get }
  /// The spans every worker recorded during the last (or current) epoch.
  var timeline: Timeline { get }
  /// Each component's random generator (what its dropout draws from), in component order: their
  /// states go into checkpoints. Read or set them only between epochs.
  var generators: [Generator] { get }

  /// Trains one epoch on `batches`. With `rates`, batch t's update uses `rates.rate(batch: t)`
  /// (applied on the worker that runs each optimizer's update); without, the optimizers keep
  /// their rates.
  @discardableResult
  func trainEpoch<S: Sequence>(_ batches: S, rates: EpochLearningRates?, onStep: (StepResult) throws -> Void) throws
    -> EpochSummary
  where S.Element == (inputs: Tensor, labels: Tensor)

  /// Predicts each batch of `inputs` through the placement, on the executor's own workers: every
  /// component's share of the method's prediction runs on its device's worker (with that
  /// worker's intra-op threads), activations move device to device as in training, and batches
  /// are pipelined across devices. `onBatch` gets the batch's index and its prediction, every
  /// tensor on the CPU, on the caller's thread, in batch order. Eval mode and no gradients
  /// throughout; the modules' mode is restored afterwards. The result equals `method.predict`.
  /// An error in a stage or thrown by `onBatch` stops feeding; the batches in flight finish and
  /// the error is rethrown.
  ///
  /// Call it between epochs, from the thread that trains: `trainEpoch` returns only once every
  /// batch it fed has drained from every device, so no training work is left in flight.
  ///
  /// With `exiting` (adaptive inference), each sample leaves at the component the policy says,
  /// the rest going on as a smaller batch, so a pipelined model stops a sample on the device of
  /// the component it leaves at; `Prediction.exits` says where each left. One process only.
  func predict<S: Sequence>(
    _ inputs: S, exiting: ExitPolicy?, onBatch: (_ batch: Int, _ prediction: Prediction) throws -> Void
  ) throws
  where S.Element == Tensor

  /// Stops and joins every worker. Idempotent; the executor takes no more epochs afterwards.
  func shutdown()

  /// Across ranks (`--distributed`): brings every rank's components' parameters, buffers,
  /// optimizer state and random state into this process's method and generators (rank 0, before
  /// a checkpoint or the linear probe). Nothing to do in one process.
  func gatherState() throws
  /// Across ranks: sends this process's state of the other ranks' components to them (rank 0,
  /// after loading a checkpoint). Nothing to do in one process.
  func scatterState() throws
  /// Across ranks: adds the other ranks' spans of the last epoch to `timeline` (rank 0, after an
  /// epoch). Nothing to do in one process.
  func gatherTimeline() throws
}

extension PipelineExecutor {
  /// The default for an executor in one process: nothing to gather.
  public func gatherState() throws {}
  /// The default for an executor in one process: nothing to send.
  public func scatterState() throws {}
  /// The default for an executor in one process: its timeline already has every span.
  public func gatherTimeline() throws {}
}

extension PipelineExecutor {
  /// Predicts every sample through every component (`predict(_:exiting:onBatch:)` without exits).
  public func predict<S: Sequence>(_ inputs: S, onBatch: (_ batch: Int, _ prediction: Prediction) throws -> Void)
    throws
  where S.Element == Tensor {
    try predict(inputs, exiting: nil, onBatch: onBatch)
  }

  /// Trains one epoch on `batches` with the optimizers' own rates, calling `onStep` after each step.
  @discardableResult
  public func trainEpoch<S: Sequence>(_ batches: S, onStep: (StepResult) throws -> Void) throws -> EpochSummary
  where S.Element == (inputs: Tensor, labels: Tensor) {
    try trainEpoch(batches, rates: nil, onStep: onStep)
  }

  /// Trains one epoch on `batches`, with `rates` if given, ignoring the step results.
  @discardableResult
  public func trainEpoch<S: Sequence>(_ batches: S, rates: EpochLearningRates? = nil) throws -> EpochSummary
  where S.Element == (inputs: Tensor, labels: Tensor) {
    try trainEpoch(batches, rates: rates, onStep: { _ in })
  }
}

/// How to build an executor.
public struct PipelineOptions: Sendable {
  /// The schedule (`PipelineKind.defaultKind(for:deviceCount:)` is the CLI's default).
  public var kind: PipelineKind
  /// The devices to run on.
  public var devices: DeviceSpec
  /// nil: `Placement.balanced` over `costEstimate`.
  public var placement: Placement?
  /// How `Placement.balanced` weighs components when no placement is given (step time by default).
  public var costEstimate: CostEstimate = .stepTime
  /// libtorch intra-op threads of each device's worker.
  public var threadsPerDevice = 1
  /// Capacity of each worker's inbox (`--queue-depth`).
  public var queueDepth = 2
  /// gpipe and scpl-gpipe: micro-batches per mini-batch (`--micro-batches`); a batch of fewer
  /// rows gets one row per micro-batch.
  public var microBatches = 4
  /// gpipe: recompute each micro-batch's forward just before its backward instead of keeping its
  /// graph (`--recompute`).
  public var recompute = false
  /// interleaved-1f1b: the chunks (stages) of the network each device holds
  /// (`--chunks-per-device`); the placement, given or balanced, then places the components on
  /// devices × chunks stages, stage s on device s mod K.
  public var chunksPerDevice = 2
  /// Seeds the components' random generators (dropout): component k draws from a stream derived
  /// from (seed, k), whatever device runs it, so a run's draws depend on neither the placement
  /// nor how the worker threads interleave.
  public var seed: UInt64 = 0
  /// The ranks of a c10d job the devices belong to (`--distributed`: rank r has devices
  /// r·L … r·L + L − 1). Every schedule but `overlap` (and `off`, which has one device) runs
  /// across ranks, bit for bit as in one process.
  public var link: RankLink?
  /// The stages the placement places components on: one per device, or under
  /// interleaved-1f1b `chunksPerDevice` per device.
  public var stageCount: Int { devices.count * (kind == .interleaved1F1B ? chunksPerDevice : 1) }
  /// Tests only: make every hand-off between devices a real copy (a clone), as it is between
  /// GPUs, so that the transfer path of every schedule runs on CPU workers, which otherwise share
  /// their tensors and skip it.
  var copyEveryHandOff = false

  /// Options for `kind` on `devices`, with `placement` if given and every other setting at its default.
  public init(kind: PipelineKind, devices: DeviceSpec, placement: Placement? = nil) {
    self.kind = kind
    self.devices = devices
    self.placement = placement
  }
}

/// Builds pipeline executors.
public enum Pipelines {
  /// Checks the options against the method and starts the executor's workers. Every mistake
  /// (a schedule the method cannot run, a placement that does not fit) is reported here, before
  /// any training. On CUDA devices the method's modules are moved to their devices now; create
  /// the executor before the first optimizer step, so optimizer state is born on the right device.
  public static func make(_ method: any TrainingMethod, _ options: PipelineOptions, probe: Tensor? = nil) throws
    -> any PipelineExecutor
  {
    let deviceCount = options.devices.count
    let kind = options.kind
    try kind.check(method: method.kind, deviceCount: deviceCount)
    if let link = options.link {
      guard kind != .overlap else {
        throw PipelineError(
          "--pipeline overlap runs in one process; across ranks use async or scpl-gpipe (SCPL, Early Exit, AL)")
      }
      guard deviceCount % link.worldSize == 0 else {
        throw PipelineError(
          "a distributed pipeline has the same number of devices on every rank: \(link.worldSize) rank(s), \(deviceCount) device(s)"
        )
      }
    }
    try MicroBatches.check(options.microBatches)
    guard !options.recompute || kind.backPropagatesMicroBatches else {
      throw PipelineError(
        "--recompute re-materialises each micro-batch's forward for its backward and applies to --pipeline gpipe, 1f1b, interleaved-1f1b and zb-h1 only, not \(kind.rawValue)"
      )
    }
    let componentCount = method.model.components.count
    // The placement places components on stages: one per device, or interleaved-1f1b's chunks.
    let stageCount = options.stageCount, chunks = stageCount / deviceCount
    if kind == .interleaved1F1B {
      try Interleaving.check(
        chunksPerDevice: chunks, devices: deviceCount, microBatches: options.microBatches, components: componentCount)
    }
    let placement: Placement
    if let p = options.placement {
      if kind == .interleaved1F1B {
        try Interleaving.check(p, components: componentCount, devices: deviceCount, chunksPerDevice: chunks)
      } else {
        try p.check(componentCount: componentCount, deviceCount: deviceCount)
      }
      placement = p
    } else if stageCount == 1 {
      placement = try Placement(Array(repeating: 0, count: componentCount), deviceCount: 1)
    } else {
      guard stageCount <= componentCount else {
        throw PipelineError(
          "\(deviceCount) devices for \(method.model.name)'s \(componentCount) components: every device needs at least one component; use at most \(componentCount) devices"
        )
      }
      placement = try .balanced(costs: options.costEstimate.costs(of: method, probe: probe), deviceCount: stageCount)
    }
    let group = try DeviceGroup(
      devices: options.devices, placement: placement, threadsPerDevice: options.threadsPerDevice,
      queueDepth: options.queueDepth, seed: options.seed, chunksPerDevice: chunks,
      copyEveryHandOff: options.copyEveryHandOff)
    // Across ranks: the boundary that knows this rank's devices and carries what crosses.
    let boundary = options.link.map { ProcessBoundary(link: $0, deviceCount: group.count) }
    do {
      // `kind.check` has matched the method to the schedule: BP's schedules get a BackpropMethod,
      // the local ones a LocalMethod.
      func batchByBatch<S: BatchSchedule>(_ schedule: S) throws -> any PipelineExecutor {
        try BatchByBatchExecutor(schedule, boundary: boundary, seed: options.seed)
      }
      func gpipe(_ bp: BackpropMethod, _ order: GPipeSchedule.Order) throws -> any PipelineExecutor {
        try batchByBatch(
          GPipeSchedule(
            bp, group, microBatches: options.microBatches, recompute: options.recompute, order: order,
            boundary: boundary))
      }
      switch (kind, method) {
      case (.off, _): return try batchByBatch(SequentialSchedule(method, group))
      case (.nmp, let bp as BackpropMethod):
        return try batchByBatch(NaiveModelParallelSchedule(bp, group, boundary: boundary))
      case (.gpipe, let bp as BackpropMethod): return try gpipe(bp, .gpipe)
      case (.oneFOneB, let bp as BackpropMethod): return try gpipe(bp, .oneFOneB)
      case (.interleaved1F1B, let bp as BackpropMethod): return try gpipe(bp, .interleaved)
      case (.zbH1, let bp as BackpropMethod): return try gpipe(bp, .zeroBubble)
      case (.overlap, let local as any LocalMethod): return try batchByBatch(OverlapSchedule(local, group))
      case (.scplGPipe, let local as any LocalMethod):
        return try batchByBatch(
          SCPLGPipeSchedule(local, group, microBatches: options.microBatches, boundary: boundary))
      case (.async, let local as any LocalMethod):
        return try AsyncPipelineExecutor(local, group, boundary: boundary, seed: options.seed)
      default: throw PipelineError("--pipeline \(kind.rawValue) cannot train \(method.kind.rawValue)")
      }
    } catch {
      group.shutdown()
      throw error
    }
  }
}
