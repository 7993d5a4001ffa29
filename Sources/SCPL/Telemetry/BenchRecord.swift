import Foundation

/// One timed configuration of `scpl bench`: the one schema of its `--json` file, of the JSON and
/// Markdown report under `--out`, and of the epoch-time chart's bars.
public struct BenchRecord: Equatable, Sendable {
  public var model: String
  public var method: MethodKind
  public var pipeline: PipelineKind
  public var batchSize: Int
  /// How many devices the run used (1 for `off`, which gets their threads instead).
  public var devices: Int
  public var threadsPerDevice: Int
  public var stepSecondsMedian: Double
  public var stepSecondsMin: Double
  public var samplesPerSecond: Double
  /// Per device.
  public var busyFraction: [Double]
  /// The simulator's time per step for the run's schedule (nil where the schedule has no model).
  public var predictedStepSeconds: Double?
  public var placement: String
  public var steps: Int
  /// The samples an epoch is taken to have for `epochSeconds` (CIFAR-10's 50 000 by default).
  public var epochSamples: Int
  /// The whole process's minor page faults and system seconds per timed step (nil if not measured).
  public var pageFaultsPerStep: Double?
  public var systemSecondsPerStep: Double?

  public init(model: String, method: MethodKind, pipeline: PipelineKind, batchSize: Int, devices: Int, threadsPerDevice: Int,
              stepSecondsMedian: Double, stepSecondsMin: Double, samplesPerSecond: Double, busyFraction: [Double],
              predictedStepSeconds: Double?, placement: String = "–", steps: Int = 0, epochSamples: Int = BenchRecord.cifar10TrainingSamples) {
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
  public init(model: String, method: MethodKind, threadsPerDevice: Int, result: TrainingBenchmark.Result, epochSamples: Int) {
    self.init(model: model, method: method, pipeline: result.kind, batchSize: result.batchSize, devices: result.busyFractions.count,
              threadsPerDevice: threadsPerDevice, stepSecondsMedian: result.median, stepSecondsMin: result.min,
              samplesPerSecond: result.samplesPerSecond, busyFraction: result.busyFractions,
              predictedStepSeconds: result.predictedStepSeconds, placement: result.placement.description,
              steps: result.stepSeconds.count, epochSamples: epochSamples)
    pageFaultsPerStep = result.pageFaultsPerStep
    systemSecondsPerStep = result.systemSecondsPerStep
  }

  /// CIFAR-10's training set, the epoch of the paper's time-per-epoch figures.
  public static let cifar10TrainingSamples = 50_000

  /// Seconds per epoch: the median step times the steps an epoch of `epochSamples` takes (the
  /// last one partial, so rounded up).
  public static func epochSeconds(stepSeconds: Double, batchSize: Int, epochSamples: Int) -> Double {
    stepSeconds * Double((epochSamples + batchSize - 1) / Swift.max(batchSize, 1))
  }

  public var epochSeconds: Double {
    Self.epochSeconds(stepSeconds: stepSecondsMedian, batchSize: batchSize, epochSamples: epochSamples)
  }

  /// predicted / measured: 1 when the pipeline achieves what its measured stage costs allow.
  public var efficiency: Double? { predictedStepSeconds.map { stepSecondsMedian > 0 ? $0 / stepSecondsMedian : 0 } }

  /// The keys every record has, whatever else is added.
  public static let requiredKeys = [
    "model", "method", "pipeline", "batch_size", "devices", "threads_per_device", "step_seconds_median",
    "step_seconds_min", "samples_per_second", "busy_fraction", "predicted_step_seconds",
  ]

  /// The Markdown table's columns (the model is in the title).
  public static let columns = [
    "method", "pipeline", "batch_size", "devices", "threads_per_device", "placement", "steps", "step_seconds_median",
    "step_seconds_min", "samples_per_second", "busy_fraction", "predicted_step_seconds", "efficiency", "epoch_seconds",
    "page_faults_per_step", "system_seconds_per_step",
  ]

  /// The record as a report row: `requiredKeys` plus placement, steps, efficiency, epoch_samples,
  /// epoch_seconds, page_faults_per_step and system_seconds_per_step. Missing values are JSON null.
  public var row: [String: BenchReport.Value] {
    [
      "model": .text(model), "method": .text(method.rawValue), "pipeline": .text(pipeline.rawValue),
      "batch_size": .integer(batchSize), "devices": .integer(devices), "threads_per_device": .integer(threadsPerDevice),
      "step_seconds_median": .number(stepSecondsMedian), "step_seconds_min": .number(stepSecondsMin),
      "samples_per_second": .number(samplesPerSecond), "busy_fraction": .numbers(busyFraction),
      "predicted_step_seconds": predictedStepSeconds.map { .number($0) } ?? .null,
      "placement": .text(placement), "steps": .integer(steps),
      "efficiency": efficiency.map { .number($0) } ?? .null,
      "epoch_samples": .integer(epochSamples), "epoch_seconds": .number(epochSeconds),
      "page_faults_per_step": pageFaultsPerStep.map { .number($0) } ?? .null,
      "system_seconds_per_step": systemSecondsPerStep.map { .number($0) } ?? .null,
    ]
  }
}
