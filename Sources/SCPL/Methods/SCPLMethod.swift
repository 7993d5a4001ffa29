import NN
import Torch

/// Supervised Contrastive Parallel Learning (the reference's `*_SCPL` and `*_SCPL_m` models): every
/// component's input is detached; each component learns from its own supervised contrastive loss
/// through its projection head; the last one also trains the classifier with cross-entropy on its
/// *detached* features, so the classifier's loss never reaches the backbone. One optimizer per
/// component. `MethodOptions.objective` swaps the contrastive loss for a local classifier.
///
/// With `MethodOptions.predictors` every component also carries a predictor (`PredictorKind`): a
/// classifier on its features, trained with cross-entropy beside the local objective, whose
/// gradient reaches the component scaled by `MethodOptions.predictorWeight` (0: not at all). The
/// last component's predictor is the model's classifier, which then follows the same weight.
/// Each prediction then carries every component's logits (`Prediction.heads`), which evaluation
/// reports per component and adaptive inference exits at (`AdaptiveInference`).
public final class SCPLMethod: GrowingMethod {
  /// Always `.scpl`.
  public let kind = MethodKind.scpl
  /// The staged model whose components SCPL trains.
  public let model: StagedModel
  /// Each component's local objective (projection head and loss), in component order.
  public let objectives: [any LocalObjective]
  /// Each component's predictor but the last's (the model's classifier), with `--predictors`;
  /// empty without.
  public let predictors: [Sequential]
  /// One stage per component: the component and its objective (the last also the classifier), with their own optimizer.
  public private(set) var stages: [any LocalStage] = []
  /// The components that train and predict now (all, unless a `GrowthSchedule` says otherwise).
  public let active: ActiveComponents
  /// The model, every objective ("objective1", …) and every predictor ("predictor1", …), for
  /// modes and checkpoints.
  public var modules: [(String, Module)] {
    [("model", model)] + objectives.enumerated().map { ("objective\($0.offset + 1)", $0.element as Module) }
      + predictors.enumerated().map { ("predictor\($0.offset + 1)", $0.element as Module) }
  }

  /// Builds each component's local objective, as `options` chooses, and its stage with its own optimizer.
  public init(model: StagedModel, options: MethodOptions) throws {
    self.model = model
    active = ActiveComponents(model.components.count)
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
    let hidden = options.projectionHidden ?? family.hidden
    predictors =
      try options.predictors.map { kind in
        try model.featureDims.dropLast().map { try kind.make(width: $0, hidden: hidden, classes: model.classCount) }
      } ?? []
    // Without predictors the classifier reads detached features (weight 0), as the reference's.
    let weight = options.predictors == nil ? 0 : options.predictorWeight
    stages = try model.components.indices.map { k in
      let (component, objective) = (model.components[k], objectives[k])
      // The last component also trains the classifier; with predictors every earlier one trains its predictor.
      let predictor: Sequential? =
        k == model.components.count - 1 ? model.classifier : predictors.indices.contains(k) ? predictors[k] : nil
      let own = predictor.map { k == model.components.count - 1 ? [] : $0.trainableParameters() } ?? []
      return try ComponentStage(
        index: k, component: component, with: [objective as Module] + (predictor.map { [$0] } ?? []),
        parameters: model.parameters(ofComponent: k) + objective.trainableParameters() + own,
        learningRate: options.learningRate, optimizer: options.optimizer, averaging: options.gradientAveraging,
        active: active
      ) { _, output, labels in
        let features = try component.features(output)
        let local = try objective(features, labels: labels)
        guard let predictor else { return local }
        return try local + crossEntropy(predictor(features.scalingGradient(by: weight)), labels)
      }
    }
  }

  /// The backbone and the classifier (the projection heads only train); with predictors, each
  /// component's predictor's logits too, the last component's being the classifier's.
  public func predict(component k: Int, _ x: PartialPrediction, via handOff: ComponentHandOff) throws
    -> PartialPrediction
  {
    guard active.contains(k) else { return x }  // not joined yet: the last one that has predicts
    var y = try model.predict(component: k, x)
    guard !predictors.isEmpty else { return y }
    y.heads.append(
      try predictors.indices.contains(k) ? predictors[k](model.components[k].features(y.activation)) : y.final!)
    if k == active.count - 1 { y.final = y.heads.last }
    return y
  }
}
