import Data
import Foundation
import NN
import Torch

/// Times training steps of one (model, method, schedule, devices, threads, batch) on synthetic
/// inputs or on a real data set's loader: the basis of `scpl bench`. One epoch feeds `warmup +
/// steps` batches; the warm-up steps (pipeline filling, first-call kernel set-up) are not timed.
///
/// A step's time is `StepResult.interval`, the time between two consecutive batches leaving the
/// executor: for a pipeline that is its throughput, not a batch's latency through all devices.
public enum TrainingBenchmark {
  /// What one benchmark run trains and how many steps it times.
  public struct Setup {
    /// The training method.
    public var method: MethodKind
    /// The pipeline schedule, devices and threads.
    public var pipeline: PipelineOptions
    /// Samples per batch.
    public var batchSize: Int
    /// Timed steps, after the warm-up.
    public var steps = 10
    /// Untimed steps first; nil: one per device, at least 2 (the pipeline is full afterwards).
    public var warmup: Int?
    /// Token ids per text sample (text models).
    public var textLength = 60
    /// Seed for the model's weights and the synthetic batch.
    public var seed: UInt64 = 1
    /// The method's options: learning rate, optimizer, local objective, heads.
    public var methodOptions = MethodOptions()
    /// Where the batches come from: synthetic copies by default.
    public var batches = Batches.synthetic

    /// A setup for `method` under `pipeline` at `batchSize`, other fields at their defaults.
    public init(method: MethodKind, pipeline: PipelineOptions, batchSize: Int) {
      self.method = method
      self.pipeline = pipeline
      self.batchSize = batchSize
    }
  }

  /// Where the batches come from.
  public enum Batches {
    /// Copies of one random batch of the model's sample shape: training alone, nothing loaded.
    case synthetic
    /// The first full batches of epoch 1 of a loader over a real data set (built with the
    /// setup's batch size and `dropLast`): training as `scpl train` feeds it, loading included.
    case loader(DataLoader)
  }

  /// What a benchmark run measured.
  public struct Result {
    /// The schedule the executor ran.
    public let kind: PipelineKind
    /// Which devices the components ran on.
    public let placement: Placement
    /// Seconds per timed step, in order.
    public let stepSeconds: [Double]
    /// Per device, its compute time on the timed batches over the timed steps' total time: in a
    /// steady pipeline, the fraction of the time the device is busy.
    public let busyFractions: [Double]
    /// The epoch's spans (warm-up included), for a Chrome trace.
    public let timeline: Timeline
    /// Samples per batch.
    public let batchSize: Int

    /// The schedule simulator's time per step for this run's schedule, fed with the per-device
    /// forward and learn times measured in this very run (nil where the schedule has no model).
    public let predictedStepSeconds: Double?
    /// The process's page faults and system time from the last warm-up step's end to the last
    /// timed step's (`ProcessUsage`).
    public let timedUsage: ProcessUsage
    /// Per device, its GPU's peak memory over the run (`GPUMemoryPeaks`; nil on CPU workers).
    public let peakGPUMemoryBytes: [Int]?
    /// gpipe, 1f1b, zb-h1: per device, the most micro-batches whose graphs it held at once, and
    /// the most bytes of their component outputs (`GPipeSchedule`); nil for the other schedules.
    public var peakHeldMicroBatches: [Int]? = nil
    /// See `peakHeldMicroBatches`.
    public var peakHeldActivationBytes: [Int]? = nil

    /// The median seconds per timed step.
    public var median: Double { stepSeconds.median }
    /// The fastest timed step, in seconds (0 if none).
    public var min: Double { stepSeconds.min() ?? 0 }
    /// Samples per second at the median step time.
    public var samplesPerSecond: Double { median > 0 ? Double(batchSize) / median : 0 }
    /// The process's minor page faults per timed step.
    public var pageFaultsPerStep: Double {
      Double(timedUsage.minorPageFaults) / Double(Swift.max(stepSeconds.count, 1))
    }
    /// The process's system seconds per timed step.
    public var systemSecondsPerStep: Double { timedUsage.systemSeconds / Double(Swift.max(stepSeconds.count, 1)) }
  }

  /// Builds the model with `makeModel` (after seeding), the method and the executor, and times it.
  public static func run(_ setup: Setup, makeModel: () throws -> StagedModel) throws -> Result {
    guard setup.batchSize >= 1 else { throw PipelineError("the batch size must be at least 1, got \(setup.batchSize)") }
    guard setup.steps >= 1 else { throw PipelineError("a benchmark needs at least 1 timed step, got \(setup.steps)") }
    let warmup = setup.warmup ?? Swift.max(2, setup.pipeline.devices.count)
    guard warmup >= 0 else { throw PipelineError("the warm-up step count cannot be negative, got \(warmup)") }
    let count = warmup + setup.steps
    try Torch.manualSeed(setup.seed)
    let model = try makeModel()
    let method = try Methods.make(setup.method, model: model, options: setup.methodOptions)
    let executor: any PipelineExecutor
    let batches: AnySequence<(inputs: Tensor, labels: Tensor)>
    var feed: BatchFeed?
    switch setup.batches {
    case .synthetic:
      let batch = try syntheticBatch(model, batchSize: setup.batchSize, textLength: setup.textLength)
      executor = try Pipelines.make(method, setup.pipeline, probe: batch.inputs)
      batches = AnySequence(repeatElement(batch, count: count))
    case .loader(let loader):
      guard loader.batchSize == setup.batchSize, loader.dropLast else {
        throw PipelineError(
          "the benchmark's loader must make full batches of \(setup.batchSize) (dropLast), not \(loader.batchSize)\(loader.dropLast ? "" : " with a partial last one")"
        )
      }
      guard loader.batchCount >= count else {
        throw PipelineError(
          "the data set has \(loader.batchCount) full batch(es) of \(setup.batchSize), fewer than the \(warmup) warm-up and \(setup.steps) timed steps"
        )
      }
      executor = try Pipelines.make(method, setup.pipeline, probe: try loader.batch(epoch: 1, index: 0).inputs)
      let loaded = BatchFeed(loader.epoch(1))
      feed = loaded
      batches = AnySequence(loaded.prefix(count))
    }
    defer { executor.shutdown() }
    var results: [StepResult] = []
    try GPUMemoryPeaks.reset(executor.devices.devices)
    var usageAtTimedStart = ProcessUsage.now()
    try executor.trainEpoch(batches) {
      results.append($0)
      if results.count == warmup { usageAtTimedStart = ProcessUsage.now() }
    }
    let timedUsage = ProcessUsage.now().since(usageAtTimedStart)
    try feed?.rethrow()
    let timed = Array(results.dropFirst(warmup))
    let stepSeconds = timed.map(\.interval)
    let timedBatches = warmup..<(warmup + setup.steps)
    var result = Result(
      kind: executor.kind, placement: executor.placement, stepSeconds: stepSeconds,
      busyFractions: busyFractions(executor.timeline, batches: timedBatches, seconds: stepSeconds.reduce(0, +)),
      timeline: executor.timeline, batchSize: setup.batchSize,
      predictedStepSeconds: try predictedStepSeconds(executor.kind, executor.timeline, batches: timedBatches),
      timedUsage: timedUsage, peakGPUMemoryBytes: try GPUMemoryPeaks.read(executor.devices.devices))
    if let micro = (executor as? BatchByBatchExecutor<GPipeSchedule>)?.schedule {
      result.peakHeldMicroBatches = micro.peakHeldMicroBatches
      result.peakHeldActivationBytes = micro.peakHeldActivationBytes
    }
    return result
  }

  /// Feeds the simulator with what each device spent per batch (`StageCosts.fromSpans`: its
  /// components' forwards, and their learn steps as the backward) and asks it the schedule's
  /// steady time per step, with each stage updating on its own as the workers do. Only the local
  /// methods' schedules record forward/learn spans per component, so only they get one.
  /// `scpl simulate --from-trace` on this run's trace, with the warm-up skipped, gives the same.
  static func predictedStepSeconds(_ kind: PipelineKind, _ timeline: Timeline, batches: Range<Int>) throws -> Double? {
    guard [.async, .overlap].contains(kind) else { return nil }
    let timed = timeline.spans.filter { batches.contains($0.batch) }
    let costs = StageCosts.fromSpans(timed, devices: timeline.deviceCount, batches: batches.count)
    guard costs.allSatisfy({ $0.forward > 0 || $0.backward > 0 }) else { return nil }
    let setup = ScheduleSimulator.Setup(stages: costs, microBatches: 1, batches: batches.count, update: .perStage)
    return try ScheduleSimulator.run(ScheduleSimulator.Schedule(simulating: kind), setup).perBatch
  }

  /// Counted by batch, not by clock window: an upstream device runs ahead of the last one by up
  /// to its queue, so at the end of an epoch it has finished while the timed steps still come out.
  static func busyFractions(_ timeline: Timeline, batches: Range<Int>, seconds: Double) -> [Double] {
    var busy = Array(repeating: 0.0, count: timeline.deviceCount)
    for s in timeline.spans where s.kind.isBusy && batches.contains(s.batch) && busy.indices.contains(s.device) {
      busy[s.device] += s.duration
    }
    return busy.map { seconds > 0 ? Swift.min(1, $0 / seconds) : 0 }
  }

  /// Random inputs of the model's sample shape (token ids for text) and balanced labels.
  public static func syntheticBatch(_ model: StagedModel, batchSize: Int, textLength: Int = 60) throws -> (
    inputs: Tensor, labels: Tensor
  ) {
    let labels = try Tensor((0..<batchSize).map { Int64($0 % model.classCount) })
    switch model.family {
    case .vision:
      return (try Tensor.randn([batchSize] + model.sampleShape), labels)
    case .text:
      let vocabulary = (model.components.first as? EmbeddingComponent)?.embedding.count ?? 2
      return (try Tensor.randint(1, Swift.max(2, vocabulary), [batchSize, textLength]), labels)
    }
  }
}
