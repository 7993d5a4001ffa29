import Foundation

/// One timed configuration of `scpl bench`: the one schema of its `--json` file, of the JSON and
/// Markdown report under `--out`, and of the epoch-time chart's bars.
public struct BenchRecord: Equatable, Sendable {
  /// The model's name.
  public var model: String
  /// The training method.
  public var method: MethodKind
  /// The pipeline schedule.
  public var pipeline: PipelineKind
  /// Samples per batch.
  public var batchSize: Int
  /// How many devices the run used (1 for `off`, which gets their threads instead).
  public var devices: Int
  /// Intra-op threads each device's worker uses.
  public var threadsPerDevice: Int
  /// The median seconds per timed step.
  public var stepSecondsMedian: Double
  /// The fastest timed step, in seconds.
  public var stepSecondsMin: Double
  /// Samples per second at the median step time.
  public var samplesPerSecond: Double
  /// Per device.
  public var busyFraction: [Double]
  /// The simulator's time per step for the run's schedule (nil where the schedule has no model).
  public var predictedStepSeconds: Double?
  /// The placement of components on devices, as text ("–" if not given).
  public var placement: String
  /// How many timed steps the figures come from.
  public var steps: Int
  /// The samples an epoch is taken to have for `epochSeconds` (CIFAR-10's 50 000 by default).
  public var epochSamples: Int
  /// The whole process's minor page faults and system seconds per timed step (nil if not measured).
  public var pageFaultsPerStep: Double?
  /// The whole process's system seconds per timed step (nil if not measured).
  public var systemSecondsPerStep: Double?
  /// Per device, its GPU's peak memory in bytes (nil on CPU workers).
  public var peakGPUMemoryBytes: [Int]?
  /// gpipe, 1f1b, zb-h1: per device, the most micro-batches it held the graphs of at once.
  public var peakHeldMicroBatches: [Int]?
  /// gpipe, 1f1b, zb-h1: per device, the most bytes of held micro-batches' component outputs.
  public var peakHeldActivationBytes: [Int]?
  /// How many timed rounds the figures summarise (`medianOverRounds`).
  public var rounds = 1

  /// A record of the given figures; the page faults, system time and GPU memory are left nil.
  public init(
    model: String, method: MethodKind, pipeline: PipelineKind, batchSize: Int, devices: Int, threadsPerDevice: Int,
    stepSecondsMedian: Double, stepSecondsMin: Double, samplesPerSecond: Double, busyFraction: [Double],
    predictedStepSeconds: Double?, placement: String = "–", steps: Int = 0,
    epochSamples: Int = BenchRecord.cifar10TrainingSamples
  ) {
    self.model = model
    self.method = method
    self.pipeline = pipeline
    self.batchSize = batchSize
    self.devices = devices
    self.threadsPerDevice = threadsPerDevice
    self.stepSecondsMedian = stepSecondsMedian
    self.stepSecondsMin = stepSecondsMin
    self.samplesPerSecond = samplesPerSecond
    self.busyFraction = busyFraction
    self.predictedStepSeconds = predictedStepSeconds
    self.placement = placement
    self.steps = steps
    self.epochSamples = epochSamples
  }

  /// A benchmark's result as a record.
  public init(
    model: String, method: MethodKind, threadsPerDevice: Int, result: TrainingBenchmark.Result, epochSamples: Int
  ) {
    self.init(
      model: model, method: method, pipeline: result.kind, batchSize: result.batchSize,
      devices: result.busyFractions.count,
      threadsPerDevice: threadsPerDevice, stepSecondsMedian: result.median, stepSecondsMin: result.min,
      samplesPerSecond: result.samplesPerSecond, busyFraction: result.busyFractions,
      predictedStepSeconds: result.predictedStepSeconds, placement: result.placement.description,
      steps: result.stepSeconds.count, epochSamples: epochSamples)
    pageFaultsPerStep = result.pageFaultsPerStep
    systemSecondsPerStep = result.systemSecondsPerStep
    peakGPUMemoryBytes = result.peakGPUMemoryBytes
    peakHeldMicroBatches = result.peakHeldMicroBatches
    peakHeldActivationBytes = result.peakHeldActivationBytes
  }

  /// One record for several rounds of the same configuration: each figure is the median over
  /// the rounds (per device for busy fractions), except `stepSecondsMin`, the fastest step of
  /// all, and the peak GPU memory, the highest. The prediction is kept only if every round has one.
  public static func medianOverRounds(_ rounds: [BenchRecord]) throws -> BenchRecord {
    guard var merged = rounds.first else { throw PipelineError("no rounds to summarise") }
    let first = merged
    func sameConfiguration(_ r: BenchRecord) -> Bool {
      r.model == first.model && r.method == first.method && r.pipeline == first.pipeline
        && r.batchSize == first.batchSize
        && r.devices == first.devices && r.threadsPerDevice == first.threadsPerDevice && r.placement == first.placement
        && r.steps == first.steps && r.busyFraction.count == first.busyFraction.count
    }
    if let odd = rounds.first(where: { !sameConfiguration($0) }) {
      throw PipelineError(
        "rounds of different configurations cannot be summarised together: \(first.method.rawValue):\(first.pipeline.rawValue) batch \(first.batchSize) on \(first.placement) and \(odd.method.rawValue):\(odd.pipeline.rawValue) batch \(odd.batchSize) on \(odd.placement)"
      )
    }
    merged.stepSecondsMedian = rounds.map(\.stepSecondsMedian).median
    merged.stepSecondsMin = rounds.map(\.stepSecondsMin).min() ?? merged.stepSecondsMin
    merged.samplesPerSecond = merged.stepSecondsMedian > 0 ? Double(merged.batchSize) / merged.stepSecondsMedian : 0
    merged.busyFraction = merged.busyFraction.indices.map { d in rounds.map { $0.busyFraction[d] }.median }
    let predictions = rounds.compactMap(\.predictedStepSeconds)
    merged.predictedStepSeconds = predictions.count == rounds.count ? predictions.median : nil
    let faults = rounds.compactMap(\.pageFaultsPerStep), system = rounds.compactMap(\.systemSecondsPerStep)
    merged.pageFaultsPerStep = faults.isEmpty ? nil : faults.median
    merged.systemSecondsPerStep = system.isEmpty ? nil : system.median
    let peaks = rounds.compactMap(\.peakGPUMemoryBytes)  // the highest of the rounds, per device
    merged.peakGPUMemoryBytes =
      peaks.isEmpty ? nil : peaks[0].indices.map { d in peaks.map { $0.indices.contains(d) ? $0[d] : 0 }.max() ?? 0 }
    // Held counts and bytes are the schedule's, the same every round: the highest, per device.
    for path in [\BenchRecord.peakHeldMicroBatches, \BenchRecord.peakHeldActivationBytes] {
      let all = rounds.compactMap { $0[keyPath: path] }
      merged[keyPath: path] = all.first.map { first in first.indices.map { d in all.map { $0[d] }.max() ?? 0 } }
    }
    merged.rounds = rounds.count
    return merged
  }

  /// CIFAR-10's training set, the epoch of the paper's time-per-epoch figures.
  public static let cifar10TrainingSamples = 50_000

  /// Seconds per epoch: the median step times the steps an epoch of `epochSamples` takes (the
  /// last one partial, so rounded up).
  public static func epochSeconds(stepSeconds: Double, batchSize: Int, epochSamples: Int) -> Double {
    stepSeconds * Double((epochSamples + batchSize - 1) / Swift.max(batchSize, 1))
  }

  /// Seconds per epoch of `epochSamples` at the median step time.
  public var epochSeconds: Double {
    Self.epochSeconds(stepSeconds: stepSecondsMedian, batchSize: batchSize, epochSamples: epochSamples)
  }

  /// predicted / measured: 1 when the pipeline achieves what its measured stage costs allow.
  public var efficiency: Double? { predictedStepSeconds.map { stepSecondsMedian > 0 ? $0 / stepSecondsMedian : 0 } }

  /// The keys every record has, whatever else is added.
  public static let requiredKeys = [
    "model", "method", "pipeline", "batch_size", "devices", "threads_per_device", "step_seconds_median",
    "step_seconds_min", "samples_per_second", "busy_fraction", "predicted_step_seconds"
  ]

  /// The Markdown table's columns (the model is in the title).
  public static let columns = [
    "method", "pipeline", "batch_size", "devices", "threads_per_device", "placement", "steps", "rounds",
    "step_seconds_median",
    "step_seconds_min", "samples_per_second", "busy_fraction", "predicted_step_seconds", "efficiency", "epoch_seconds",
    "page_faults_per_step", "system_seconds_per_step", "peak_gpu_memory_bytes", "peak_held_micro_batches",
    "peak_held_activation_bytes"
  ]

  /// The record as a report row: `requiredKeys` plus placement, steps, rounds, efficiency, epoch_samples,
  /// epoch_seconds, page_faults_per_step and system_seconds_per_step. Missing values are JSON null.
  public var row: [String: BenchReport.Value] {
    [
      "model": .text(model), "method": .text(method.rawValue), "pipeline": .text(pipeline.rawValue),
      "batch_size": .integer(batchSize), "devices": .integer(devices), "threads_per_device": .integer(threadsPerDevice),
      "step_seconds_median": .number(stepSecondsMedian), "step_seconds_min": .number(stepSecondsMin),
      "samples_per_second": .number(samplesPerSecond), "busy_fraction": .numbers(busyFraction),
      "predicted_step_seconds": predictedStepSeconds.map { .number($0) } ?? .null,
      "placement": .text(placement), "steps": .integer(steps), "rounds": .integer(rounds),
      "efficiency": efficiency.map { .number($0) } ?? .null,
      "epoch_samples": .integer(epochSamples), "epoch_seconds": .number(epochSeconds),
      "page_faults_per_step": pageFaultsPerStep.map { .number($0) } ?? .null,
      "system_seconds_per_step": systemSecondsPerStep.map { .number($0) } ?? .null,
      "peak_gpu_memory_bytes": peakGPUMemoryBytes.map { .numbers($0.map(Double.init)) } ?? .null,
      "peak_held_micro_batches": peakHeldMicroBatches.map { .numbers($0.map(Double.init)) } ?? .null,
      "peak_held_activation_bytes": peakHeldActivationBytes.map { .numbers($0.map(Double.init)) } ?? .null
    ]
  }
}
