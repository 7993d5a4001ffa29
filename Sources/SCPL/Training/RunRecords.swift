import Foundation

/// One line of metrics.jsonl: one epoch of one run.
public struct EpochRecord: Codable, Sendable {
  /// The run's index, 0-based.
  public var run: Int
  /// The run's seed.
  public var seed: UInt64
  /// The epoch, 1-based.
  public var epoch: Int
  /// The learning rate the epoch started with.
  public var lr: Double
  /// Mean training loss per named loss (one per component for local methods).
  public var losses: [String: Double]
  /// Accuracy on up to 2 000 training samples without augmentation, a fraction in [0, 1].
  public var trainAccuracy: Double
  /// Accuracy on the test set, a fraction in [0, 1].
  public var testAccuracy: Double
  /// Accuracy of each component's own head (Early Exit, AL); empty for methods without them.
  public var componentTestAccuracy: [Double]
  /// Sum of the training steps' wall time (data loading and evaluation excluded, as the reference).
  public var epochSeconds: Double
  /// Training samples per second of step time.
  public var trainSamplesPerSecond: Double
  /// With `--on-nan skip-batch`: the updates refused in the epoch because a loss or gradient was
  /// not finite (one per optimizer per batch); nil under `stop`.
  public var skippedUpdates: Int?
  /// With `--grow-at`: how many components trained in the epoch (`GrowthSchedule`); nil without.
  public var activeComponents: Int? = nil

  enum CodingKeys: String, CodingKey {
    case run, seed, epoch, lr, losses
    case trainAccuracy = "train_accuracy", testAccuracy = "test_accuracy"
    case componentTestAccuracy = "component_test_accuracy", epochSeconds = "epoch_seconds"
    case trainSamplesPerSecond = "train_samples_per_second", skippedUpdates = "skipped_updates"
    case activeComponents = "active_components"
  }
}

/// summary.json: the runs of one configuration, ready for `scpl report`.
public struct RunSummary: Codable, Sendable {
  /// One run's results.
  public struct Run: Codable, Sendable {
    /// The run's seed.
    public var seed: UInt64
    /// Test accuracy after the last epoch, a fraction in [0, 1].
    public var testAccuracy: Double
    /// The highest test accuracy of any epoch.
    public var bestTestAccuracy: Double
    /// The epoch (1-based) of the highest test accuracy, the first one on ties.
    public var bestEpoch: Int
    /// Each component head's test accuracy after the last epoch; empty for methods without heads.
    public var componentTestAccuracy: [Double]
    /// Each epoch's training step time, in seconds.
    public var epochSeconds: [Double]
    /// Training samples per second, the mean over the epochs.
    public var trainSamplesPerSecond: Double
    /// Per device, the fraction of the last epoch's training time it was computing.
    public var deviceBusyFraction: [Double]? = nil
    /// With `--probe`: per component, the test accuracy of a linear probe on its features.
    public var componentProbeAccuracy: [Double]? = nil
    /// On GPUs: per device, its GPU's peak memory in bytes over the run (`GPUMemoryPeaks`).
    public var peakGPUMemoryBytes: [Int]? = nil

    enum CodingKeys: String, CodingKey {
      case deviceBusyFraction = "device_busy_fraction", componentProbeAccuracy = "component_probe_accuracy"
      case peakGPUMemoryBytes = "peak_gpu_memory_bytes"
      case seed, testAccuracy = "test_accuracy", bestTestAccuracy = "best_test_accuracy", bestEpoch = "best_epoch"
      case componentTestAccuracy = "component_test_accuracy", epochSeconds = "epoch_seconds"
      case trainSamplesPerSecond = "train_samples_per_second"
    }
  }

  /// The model's name, e.g. `vgg`.
  public var model: String
  /// The method's name, e.g. `scpl`.
  public var method: String
  /// The data set's name, e.g. `cifar10`.
  public var dataset: String
  /// Epochs per run.
  public var epochs: Int
  /// Components the model was cut into.
  public var components: Int
  /// The runs finished, in seed order.
  public var runs: [Run]
  /// Mean over the runs of the last epoch's test accuracy.
  public var testAccuracyMean: Double
  /// Population standard deviation over the runs of the last epoch's test accuracy.
  public var testAccuracyStd: Double
  /// Mean over the runs of the best test accuracy.
  public var bestTestAccuracyMean: Double
  /// Population standard deviation over the runs of the best test accuracy.
  public var bestTestAccuracyStd: Double
  /// Where the run stands (nil in summaries written before states were recorded).
  public var state: RunState?
  /// What stopped it, as a sentence, when it was interrupted or failed.
  public var stoppedBecause: String?
  /// Copies of the pipeline that trained together (`--replicas`; nil in older summaries: 1).
  public var replicas: Int?
  /// Samples per step over every replica: replicas × `--batch-size` (nil in older summaries).
  public var globalBatchSize: Int?

  enum CodingKeys: String, CodingKey {
    case model, method, dataset, epochs, components, runs, state, replicas
    case globalBatchSize = "global_batch_size"
    case stoppedBecause = "stopped_because"
    case testAccuracyMean = "test_accuracy_mean", testAccuracyStd = "test_accuracy_std"
    case bestTestAccuracyMean = "best_test_accuracy_mean", bestTestAccuracyStd = "best_test_accuracy_std"
  }

  /// A summary of `runs`, computing the means and standard deviations; `state` is left nil.
  public init(model: String, method: String, dataset: String, epochs: Int, components: Int, runs: [Run]) {
    self.model = model
    self.method = method
    self.dataset = dataset
    self.epochs = epochs
    self.components = components
    self.runs = runs
    (testAccuracyMean, testAccuracyStd) = Statistics.meanAndStd(runs.map(\.testAccuracy))
    (bestTestAccuracyMean, bestTestAccuracyStd) = Statistics.meanAndStd(runs.map(\.bestTestAccuracy))
  }
}

/// summary.json's `state`: written as running when training starts, then finished, interrupted
/// (a signal; the folder resumes with `scpl train --resume`) or failed (with the error's sentence).
public enum RunState: String, Codable, Sendable {
  case running, finished, interrupted, failed
}

/// Summary statistics over runs.
public enum Statistics {
  /// Mean and population standard deviation (ddof 0, as the reference reports over runs).
  public static func meanAndStd(_ xs: [Double]) -> (Double, Double) {
    guard !xs.isEmpty else { return (0, 0) }
    let mean = xs.reduce(0, +) / Double(xs.count)
    let variance = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(xs.count)
    return (mean, variance.squareRoot())
  }
}

extension EpochRecord {
  /// The records of a metrics.jsonl file, one per line. A file that does not exist is an error
  /// unless `missingIsEmpty`; a line that is not a record is an error that names it.
  public static func readLines(_ url: URL, missingIsEmpty: Bool = false) throws -> [EpochRecord] {
    guard let text = try? String(contentsOf: url, encoding: .utf8) else {
      if missingIsEmpty && !FileManager.default.fileExists(atPath: url.path) { return [] }
      throw RunFolderError("cannot read \(url.path)")
    }
    return try parseLines(text, source: url.path)
  }

  /// Records from JSON lines (metrics.jsonl, or a checkpoint's `metrics` metadata).
  public static func parseLines(_ text: String, source: String) throws -> [EpochRecord] {
    try text.split(separator: "\n").enumerated().map { i, line in
      do { return try JSONDecoder().decode(EpochRecord.self, from: Data(line.utf8)) } catch {
        throw RunFolderError("\(source) line \(i + 1) is not an epoch record: \(error)")
      }
    }
  }
}
