import Data
import NN
import Torch

/// Test-time accuracy of a method: the final predictor's and each component head's.
public enum Evaluation {
  /// The accuracies of one evaluation, each a fraction in [0, 1].
  public struct Result: Sendable {
    /// The final predictor's accuracy.
    public var accuracy: Double
    /// Each component head's accuracy (Early Exit, AL); empty for methods without heads.
    public var headAccuracies: [Double]
  }

  /// Runs `source` through the executor's placement (`PipelineExecutor.predict`): each
  /// component's share of the prediction on its own device's worker, batches pipelined across
  /// devices. What training uses, so a model split over GPUs is evaluated where it lives. Call it
  /// between epochs: `trainEpoch` returns only after draining the pipeline.
  public static func run(_ executor: any PipelineExecutor, on source: any BatchSource, batchSize: Int) throws -> Result
  {
    let feed = BatchFeed(try batches(source, batchSize))
    var labels: [Int: Tensor] = [:]  // of the batches in flight, by index
    var fed = 0
    let inputs = feed.lazy.map { batch -> Tensor in
      labels[fed] = batch.labels
      fed += 1
      return batch.inputs
    }
    var tally = Tally()
    try executor.predict(inputs) { t, prediction in
      try tally.add(prediction, labels: labels.removeValue(forKey: t)!)
    }
    try feed.rethrow()
    return tally.result
  }

  /// Runs `source` through the method on the calling thread, every module where it is (one
  /// device), in eval mode without gradients; each module's mode is put back afterwards.
  public static func run(_ method: any TrainingMethod, on source: any BatchSource, batchSize: Int) throws -> Result {
    var tally = Tally()
    let batches = try batches(source, batchSize)
    try method.inMode(training: false) {
      try withNoGrad {
        while let batch = try batches.next() {
          try tally.add(method.predict(inputs: batch.inputs), labels: batch.labels)
        }
      }
    }
    return tally.result
  }

  private static func batches(_ source: any BatchSource, _ batchSize: Int) throws -> EpochBatches {
    try DataLoader(source, batchSize: batchSize, seed: 0, shuffle: false, workerThreads: 0).epoch(1)
  }

  /// Right answers so far, of the final predictor and of each head.
  private struct Tally {
    var right = 0, seen = 0
    var headRight: [Int] = []

    mutating func add(_ p: Prediction, labels: Tensor) throws {
      right += try Accuracy.correct(logits: p.final, labels: labels)
      if headRight.isEmpty { headRight = Array(repeating: 0, count: p.heads.count) }
      for (k, h) in p.heads.enumerated() { headRight[k] += try Accuracy.correct(logits: h, labels: labels) }
      seen += labels.shape[0]
    }

    var result: Result {
      let n = Double(Swift.max(seen, 1))
      return Result(accuracy: Double(right) / n, headAccuracies: headRight.map { Double($0) / n })
    }
  }
}
