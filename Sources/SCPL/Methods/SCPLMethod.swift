import NN
import Torch

/// Supervised Contrastive Parallel Learning (the reference's `*_SCPL` and `*_SCPL_m` models): every
/// component's input is detached; each component learns from its own supervised contrastive loss
/// through its projection head; the last one also trains the classifier with cross-entropy on its
/// *detached* features, so the classifier's loss never reaches the backbone. One optimizer per
/// component. `MethodOptions.objective` swaps the contrastive loss for a local classifier.
public final class SCPLMethod: LocalMethod {
  /// Always `.scpl`.
  public let kind = MethodKind.scpl
  /// The staged model whose components SCPL trains.
  public let model: StagedModel
  /// Each component's local objective (projection head and loss), in component order.
  public let objectives: [any LocalObjective]
  /// One stage per component: the component and its objective (the last also the classifier), with their own optimizer.
  public private(set) var stages: [any LocalStage] = []
  /// The model and every objective ("objective1", …), for modes and checkpoints.
  public var modules: [(String, Module)] {
    [("model", model)] + objectives.enumerated().map { ("objective\($0.offset + 1)", $0.element as Module) }
  }

  /// Builds each component's local objective, as `options` chooses, and its stage with its own optimizer.
  public init(model: StagedModel, options: MethodOptions) throws {
    self.model = model
    let projection = options.projection ?? (model.family == .vision ? .mlp : .identity)
    let family: ProjectionDimensions = model.family == .vision ? .vision : .nlp
    let dims = ProjectionDimensions(
      hidden: options.projectionHidden ?? family.hidden, output: options.projectionOutput ?? family.output)
    objectives = try model.featureDims.enumerated().map { k, width -> any LocalObjective in
      if let custom = options.customObjective { return try custom.make(k, width, model.classCount) }
      switch options.objective {
      case .supervisedContrastive:
        return try LocalContrastiveLoss(
          projection, inFeatures: width, dimensions: dims, temperature: options.temperature, divisor: options.divisor)
      case .crossEntropy:
        return try LocalCrossEntropyLoss(projection, inFeatures: width, dimensions: dims, classes: model.classCount)
      case .deInfoReg:
        return try DeInfoRegLoss(projection, inFeatures: width, dimensions: dims, classes: model.classCount)
      }
    }
    stages = try model.components.indices.map { k in
      let (component, objective) = (model.components[k], objectives[k])
      // The last component also trains the classifier, on its detached features.
      let classifier = k == model.components.count - 1 ? model.classifier : nil
      return try ComponentStage(
        index: k, component: component, with: [objective as Module] + (classifier.map { [$0] } ?? []),
        parameters: model.parameters(ofComponent: k) + objective.trainableParameters(),
        learningRate: options.learningRate, optimizer: options.optimizer
      ) { _, output, labels in
        let features = try component.features(output)
        let contrastive = try objective(features, labels: labels)
        guard let classifier else { return contrastive }
        return try contrastive + crossEntropy(classifier(features.detached()), labels)
      }
    }
  }

  /// The backbone and the classifier; the projection heads only train.
  public func predict(component k: Int, _ x: PartialPrediction, via handOff: ComponentHandOff) throws
    -> PartialPrediction
  {
    try model.predict(component: k, x)
  }
}
