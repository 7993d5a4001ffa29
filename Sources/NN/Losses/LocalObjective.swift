import Torch

/// What one component learns from on its own (a local method's objective): a head over the
/// component's features and a loss of its output against the labels. The head's parameters train
/// with the component's; no gradient leaves the component.
///
/// Implementations: `LocalContrastiveLoss` (SCPL's supervised contrastive loss through a
/// projection head) and `LocalCrossEntropyLoss` (a greedy local classifier, the DGL/InfoPro
/// family's). A method takes any of them (`MethodOptions.objective`), and a program may pass its
/// own.
public protocol LocalObjective: Module {
  /// The loss (a scalar) of a component's features `B×…` with int64 labels `B`.
  func callAsFunction(_ features: Tensor, labels: Tensor) throws -> Tensor
}

extension LocalContrastiveLoss: LocalObjective {}

/// An objective made of a projection head over the features and the class count (the local
/// classifier, DeInfoReg's).
public protocol HeadAndClassesObjective: LocalObjective {
  /// The objective through `head` for `classes` classes, with any parameters of its own in `dtype`.
  init(head: ProjectionHead, classes: Int, dtype: DType) throws
}

extension HeadAndClassesObjective {
  /// The objective through a head of `kind` over features `inFeatures` wide.
  public init(
    _ kind: ProjectionKind, inFeatures: Int, dimensions: ProjectionDimensions = .vision, classes: Int,
    dtype: DType = .float32
  ) throws {
    try self.init(
      head: try ProjectionHead(kind, inFeatures: inFeatures, dimensions: dimensions, dtype: dtype), classes: classes,
      dtype: dtype)
  }
}

/// A local classifier: a projection head, then Linear(head's output → classes), trained with
/// cross-entropy on the component's features — each component greedily learns to classify
/// (Belilovsky et al.'s decoupled greedy learning, InfoPro's local classifiers). With the identity
/// head it is a linear classifier on the flattened features.
public final class LocalCrossEntropyLoss: Module, HeadAndClassesObjective, @unchecked Sendable {
  /// The projection head over the component's features.
  public let head: ProjectionHead
  /// Linear(head's output width → classes), producing the logits.
  public let classifier: Linear

  /// A classifier for `classes` classes on top of `head`; throws when `classes` < 2.
  public init(head: ProjectionHead, classes: Int, dtype: DType = .float32) throws {
    guard classes >= 2 else { throw TorchError("LocalCrossEntropyLoss needs at least 2 classes, got \(classes)") }
    self.head = head
    classifier = try Linear(head.outFeatures, classes, dtype: dtype)
    super.init()
  }

  /// Mean cross-entropy of the classifier's logits for features `B×…` against int64 labels `B`.
  public func callAsFunction(_ features: Tensor, labels: Tensor) throws -> Tensor {
    try crossEntropy(classifier(head(features)), labels)
  }
}
