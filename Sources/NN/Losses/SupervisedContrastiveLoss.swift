import Torch

/// The supervised contrastive loss of SCPL's local objectives (the reference's `loss_fn.py`,
/// `LocalLoss` / `ContrastiveLoss`), on features that have already been through the projection
/// head.
///
/// For features z (B×D) and labels y (B):
///  1. z_i ← z_i / max(‖z_i‖₂, 1e-12);
///  2. s_ij = z_i·z_j / τ, then s_ij ← s_ij − max_k s_ik (max over the whole row, diagonal
///     included, detached: it only keeps exp() in range and cancels out of the value);
///  3. log p_ij = s_ij − log Σ_{k≠i} exp(s_ik);
///  4. ℓ_i = −Σ_{j∈P_i} log p_ij / divisor_i, with P_i = { j ≠ i : y_j = y_i };
///  5. L = mean over all B anchors. An anchor without positives contributes 0.
///
/// Because the row maximum includes the diagonal (1/τ), an anchor whose every other sample sits
/// more than ~745 below it (only reachable with τ well under 0.01) underflows D_i to 0 and the
/// loss to NaN, exactly as in the reference; τ = 0.1 keeps every shifted entry in [−20, 0].
public struct SupervisedContrastiveLoss: Sendable {
  /// What each anchor's sum of positive log-probabilities is divided by.
  public enum Divisor: String, Sendable, CaseIterable {
    /// |P_i| + 1: the row sum of the label-equality matrix, which counts the anchor itself. This is
    /// what the reference code computes and what produced the published results.
    case perAnchor = "per-anchor"
    /// Σ_i (|P_i| + 1): the total number of label matches in the batch, diagonal included, the
    /// same for every anchor (`mask.sum()` in Algorithm 1 of the paper's appendix A.6).
    case batchTotal = "batch-total"
  }

  /// The temperature τ dividing the similarities.
  public let temperature: Double
  /// What each anchor's sum of positive log-probabilities is divided by.
  public let divisor: Divisor
  /// The floor of the norm in the L2 normalisation (torch.nn.functional.normalize's default).
  public static let normEpsilon = 1e-12

  /// A loss with temperature `temperature`; throws unless it is positive and finite.
  public init(temperature: Double = 0.1, divisor: Divisor = .perAnchor) throws {
    guard temperature > 0, temperature.isFinite else {
      throw TorchError("SupervisedContrastiveLoss: the temperature must be a positive number, got \(temperature)")
    }
    self.temperature = temperature
    self.divisor = divisor
  }

  /// The loss of features `B×D` (B ≥ 2) with int64 labels `B`, as a 0-dimensional tensor.
  public func callAsFunction(_ features: Tensor, labels: Tensor) throws -> Tensor {
    guard features.rank == 2 else {
      throw TorchError(
        "SupervisedContrastiveLoss expects projected features of shape B×D, got \(features.shape); flatten or project them first"
      )
    }
    guard features.dtype.isFloatingPoint else {
      throw TorchError("SupervisedContrastiveLoss expects floating-point features, got \(features.dtype)")
    }
    guard labels.rank == 1, labels.dtype == .int64 else {
      throw TorchError(
        "SupervisedContrastiveLoss expects int64 labels of shape B, got \(labels.dtype) labels of shape \(labels.shape)"
      )
    }
    let b = features.shape[0]
    guard labels.shape[0] == b else {
      throw TorchError("SupervisedContrastiveLoss: \(b) feature rows but \(labels.shape[0]) labels")
    }
    guard b >= 2 else {
      throw TorchError(
        "SupervisedContrastiveLoss needs a batch of at least 2 samples (the denominator runs over the other samples), got \(b)"
      )
    }

    let z = try Functional.normalize(features, p: 2, axis: 1, eps: Self.normEpsilon)
    let raw = try z.matmul(z.transposed(0, 1)) / temperature
    // The shift changes no value and, being a per-row constant, no gradient either; detaching it
    // keeps autograd from routing gradient through the argmax, as the reference does.
    let rowMax = try raw.max(axis: 1, keepDims: true).values.detached()
    let s = try raw - rowMax

    let eye = try Tensor.eye(b, dtype: s.dtype, device: s.device)
    let others = try 1.0 - eye
    let denominator = try (s.exp() * others).sum(axis: 1, keepDims: true)
    let logProb = try s - denominator.log()

    let sameLabel = try (labels.view([b, 1]) .== labels.view([1, b])).to(s.dtype)
    let positives = try sameLabel * others
    let positiveSum = try (positives * logProb).sum(axis: 1)

    let perAnchorDivisor: Tensor
    switch divisor {
    case .perAnchor: perAnchorDivisor = try sameLabel.sum(axis: 1)  // |P_i| + 1, never 0
    case .batchTotal: perAnchorDivisor = try sameLabel.sum()  // Σ_i (|P_i| + 1) ≥ B
    }
    return try (-(positiveSum / perAnchorDivisor)).mean()
  }
}
