import Data
import NN
import Torch

/// Counting right answers of a classifier's logits.
public enum Accuracy {
  /// Number of rows whose arg-max logit equals the label.
  public static func correct(logits: Tensor, labels: Tensor) throws -> Int {
    try (logits.argmax(axis: 1) .== labels).to(.int64).sum().itemInt()
  }
}
