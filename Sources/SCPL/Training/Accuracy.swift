import Data
import NN
import Torch

public enum Accuracy {
  /// Number of rows whose arg-max logit equals the label.
  public static func correct(logits: Tensor, labels: Tensor) throws -> Int {
    try (logits.argmax(axis: 1) .== labels).to(.int64).sum().itemInt()
  }

  /// Top-1 accuracy (a fraction in [0, 1]) of `model` on `dataset`, in eval mode without gradients.
  /// The model's previous mode is restored afterwards.
  public static func evaluate(_ model: some UnaryLayer, on dataset: TensorDataset, batchSize: Int = 1000) throws -> Double {
    let wasTraining = model.isTraining
    model.eval()
    defer { model.train(wasTraining) }
    var right = 0
    try withNoGrad {
      for batch in try Batches(dataset, batchSize: batchSize, shuffleSeed: nil) {
        right += try correct(logits: model(batch.inputs), labels: batch.labels)
      }
    }
    return Double(right) / Double(dataset.count)
  }
}
