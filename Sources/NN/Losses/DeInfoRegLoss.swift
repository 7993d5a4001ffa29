import Torch

/// DeInfoReg's local objective (Neurocomputing 2025, "Decoupled Supervised Learning with
/// Information Regularization"; the reference code's `DeInfoReg` loss), written here from its
/// definition. The component's features go through a projection head and are L2-normalised per
/// sample to z (B×D); the loss is the sum of three terms:
///
/// - **invariance**: the mean squared difference between the samples' similarity matrix and the
///   labels'. A similarity matrix S(v) centres each row of v (subtracts the row's mean), divides
///   it by its norm (plus 1e-8) and takes all the rows' dot products, clamped to [−1, 1]; the
///   labels' is S of their one-hot codes, so samples of a class are pulled to similarity 1.
/// - **variance**: mean over the D features of relu(1 − σⱼ), σⱼ = sqrt(var(z·ⱼ) + 1e-7) with the
///   unbiased variance over the batch, divided by B: it keeps every feature from collapsing.
/// - **covariance**: the sum of the squared off-diagonal entries of the features' covariance
///   (zᶜᵀzᶜ / B, zᶜ the batch-centred z), divided by D: it decorrelates the features.
public final class DeInfoRegLoss: Module, HeadAndClassesObjective, @unchecked Sendable {
  /// The projection head the features go through before normalisation.
  public let head: ProjectionHead
  /// Number of classes, the width of the labels' one-hot codes.
  public let classes: Int

  /// `dtype` is the head's (the loss has no parameters of its own).
  public init(head: ProjectionHead, classes: Int, dtype: DType = .float32) throws {
    guard classes >= 2 else { throw TorchError("DeInfoRegLoss needs at least 2 classes, got \(classes)") }
    self.head = head
    self.classes = classes
    super.init()
  }

  /// The loss (a scalar) of features `B×…` with int64 labels `B`: the sum of the three `terms`. Throws
  /// when B < 2.
  public func callAsFunction(_ features: Tensor, labels: Tensor) throws -> Tensor {
    let terms = try self.terms(features, labels: labels)
    return try terms.invariance + terms.variance + terms.covariance
  }

  /// The three terms, each a scalar.
  public func terms(_ features: Tensor, labels: Tensor) throws -> (
    invariance: Tensor, variance: Tensor, covariance: Tensor
  ) {
    let z = try Functional.normalize(head(features), p: 2, axis: 1, eps: 1e-12)
    let (b, d) = (z.shape[0], z.shape[1])
    guard b >= 2 else { throw TorchError("DeInfoRegLoss needs a batch of at least 2 samples, got \(b)") }
    let codes = try labels.oneHot(classes: classes).to(z.dtype)
    let invariance = try (Self.similarity(z) - Self.similarity(codes)).square().mean()
    let centred = try z - z.mean(axis: 0, keepDims: true)
    let sigma = try (centred.variance(axes: [0]) + 1e-7).sqrt()
    let variance = try (1 - sigma).relu().mean() / Double(b)
    let covarianceMatrix = try centred.transposed(0, 1).matmul(centred) / Double(b)
    let offDiagonal = try covarianceMatrix * (1 - Tensor.eye(d, dtype: z.dtype))
    let covariance = try offDiagonal.square().sum() / Double(d)
    return (invariance, variance, covariance)
  }

  /// Rows centred, scaled to unit norm (the norm plus 1e-8), and their dot products, clamped to
  /// [−1, 1].
  static func similarity(_ v: Tensor) throws -> Tensor {
    let centred = try v - v.mean(axis: 1, keepDims: true)
    let unit = try centred / (centred.square().sum(axis: 1, keepDims: true).sqrt() + 1e-8)
    return try unit.matmul(unit.transposed(0, 1)).clamp(min: -1, max: 1)
  }
}
