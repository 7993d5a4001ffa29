import Torch

/// Mean cross-entropy of logits `B×C` against int64 class indices `B` (the classifier's loss).
///
/// A thin front to `Functional.crossEntropy` that checks the shapes first, so a mistake reads as a
/// sentence about this call rather than as libtorch's internal message.
public func crossEntropy(_ logits: Tensor, _ labels: Tensor) throws -> Tensor {
  guard logits.rank == 2 else {
    throw TorchError("crossEntropy expects logits of shape B×C, got \(logits.shape)")
  }
  guard labels.rank == 1, labels.shape[0] == logits.shape[0] else {
    throw TorchError(
      "crossEntropy expects \(logits.shape[0]) labels (one per row of the \(logits.shape) logits), got labels of shape \(labels.shape)"
    )
  }
  guard labels.dtype == .int64 else {
    throw TorchError("crossEntropy expects int64 class indices, got \(labels.dtype) labels")
  }
  return try Functional.crossEntropy(logits, labels, reduction: .mean)
}
