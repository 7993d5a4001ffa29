import Data
import NN
import Torch

/// Test-time accuracy of a method: the final predictor's and each component head's.
public enum Evaluation {
  public struct Result: Sendable {
    public var accuracy: Double
    public var headAccuracies: [Double]
  }

  /// Runs `source` through the method in eval mode without gradients; restores training mode.
  public static func run(_ method: any TrainingMethod, on source: any BatchSource, batchSize: Int) throws -> Result {
    method.train(false)
    defer { method.train(true) }
    var right = 0, seen = 0
    var headRight: [Int] = []
    let batches = try DataLoader(source, batchSize: batchSize, seed: 0, shuffle: false, workerThreads: 0).epoch(1)
    try withNoGrad {
      while let batch = try batches.next() {
        let p = try method.predict(inputs: batch.inputs)
        right += try Accuracy.correct(logits: p.final, labels: batch.labels)
        if headRight.isEmpty { headRight = Array(repeating: 0, count: p.heads.count) }
        for (k, h) in p.heads.enumerated() { headRight[k] += try Accuracy.correct(logits: h, labels: batch.labels) }
        seen += batch.labels.shape[0]
      }
    }
    let n = Double(Swift.max(seen, 1))
    return Result(accuracy: Double(right) / n, headAccuracies: headRight.map { Double($0) / n })
  }
}
