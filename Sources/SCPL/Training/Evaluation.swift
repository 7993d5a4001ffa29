import Data
import NN
import Torch

/// Test-time accuracy of a method: the final predictor's and each component head's.
public enum Evaluation {
  public struct Result: Sendable {
    public var accuracy: Double
    public var headAccuracies: [Double]
  }

  /// Runs `dataset` through the method in eval mode without gradients; restores training mode.
  public static func run(_ method: any TrainingMethod, on dataset: TensorDataset, batchSize: Int) throws -> Result {
    method.train(false)
    defer { method.train(true) }
    var right = 0
    var headRight: [Int] = []
    try withNoGrad {
      for batch in try Batches(dataset, batchSize: batchSize, shuffleSeed: nil) {
        let p = try method.predict(inputs: batch.inputs)
        right += try Accuracy.correct(logits: p.final, labels: batch.labels)
        if headRight.isEmpty { headRight = Array(repeating: 0, count: p.heads.count) }
        for (k, h) in p.heads.enumerated() { headRight[k] += try Accuracy.correct(logits: h, labels: batch.labels) }
      }
    }
    let n = Double(dataset.count)
    return Result(accuracy: Double(right) / n, headAccuracies: headRight.map { Double($0) / n })
  }
}
