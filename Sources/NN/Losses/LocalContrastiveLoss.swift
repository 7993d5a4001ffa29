import Torch

/// A component's local objective: its projection head followed by the supervised contrastive loss
/// (the reference's `LocalLoss`). The head is a child module, so it appears in the owning
/// component's parameters and state dict, and that component's optimizer updates it.
public final class LocalContrastiveLoss: Module, @unchecked Sendable {
  /// The projection head, trained with the owning component.
  public let head: ProjectionHead
  /// The supervised contrastive loss applied to the head's output.
  public let loss: SupervisedContrastiveLoss

  /// The objective `loss` applied through `head`.
  public init(head: ProjectionHead, loss: SupervisedContrastiveLoss) {
    self.head = head
    self.loss = loss
    super.init()
  }

  /// A head of `kind` over features `inFeatures` wide, followed by a supervised contrastive loss with
  /// `temperature` and `divisor`. Throws for invalid widths or a non-positive temperature.
  public convenience init(
    _ kind: ProjectionKind, inFeatures: Int, dimensions: ProjectionDimensions = .vision,
    temperature: Double = 0.1, divisor: SupervisedContrastiveLoss.Divisor = .perAnchor,
    dtype: DType = .float32
  ) throws {
    self.init(
      head: try ProjectionHead(kind, inFeatures: inFeatures, dimensions: dimensions, dtype: dtype),
      loss: try SupervisedContrastiveLoss(temperature: temperature, divisor: divisor))
  }

  /// The loss of a component's features `B×…` (flattened by the head) with int64 labels `B`.
  public func callAsFunction(_ features: Tensor, labels: Tensor) throws -> Tensor {
    try loss(head(features), labels: labels)
  }
}
