import NN
import Torch

/// Early Exit (greedy, gradient-isolated): like SCPL, but each component learns from the
/// cross-entropy of its own small classifier head. The last component's head is the model's
/// classifier; earlier heads are Flatten → Linear(→500) → Sigmoid → Linear(→classes) for vision
/// (the reference's `vision_Tail`) and Linear → Tanh → Linear for text (`NLP_Tail`), or the
/// predictors `MethodOptions.predictors` names (Early Exit's heads are its components'
/// predictors: SCPL's `--predictors` builds the same ones). The test accuracy is the last head's;
/// every head's accuracy is reported.
public final class EarlyExitMethod: GrowingMethod {
  /// Always `.earlyExit`.
  public let kind = MethodKind.earlyExit
  /// The staged model whose components train on their heads.
  public let model: StagedModel
  /// One head per component; the last is `model.classifier`.
  public let heads: [Sequential]
  /// One stage per component: the component and its head, with their own optimizer.
  public private(set) var stages: [any LocalStage] = []
  /// The components that train and predict now (all, unless a `GrowthSchedule` says otherwise).
  public let active: ActiveComponents
  /// The model and the heads before the last ("head1", …), for modes and checkpoints.
  public var modules: [(String, Module)] {
    [("model", model)] + heads.dropLast().enumerated().map { ("head\($0.offset + 1)", $0.element as Module) }
  }

  /// Builds a classifier head for each component but the last (which uses the model's classifier) and
  /// a stage per component that trains it on its head's cross-entropy.
  public init(model: StagedModel, options: MethodOptions) throws {
    self.model = model
    active = ActiveComponents(model.components.count)
    let c = model.classCount
    let hidden = options.projectionHidden ?? (model.family == .vision ? ProjectionDimensions.vision : .nlp).hidden
    var heads: [Sequential] = try model.featureDims.dropLast().map { dim in
      if let kind = options.predictors { return try kind.make(width: dim, hidden: hidden, classes: c) }
      return model.family == .vision
        ? try Sequential {
          Flatten(); try Linear(dim, 500); Sigmoid(); try Linear(500, c)
        }
        : try Sequential {
          try Linear(dim, dim); Tanh(); try Linear(dim, c)
        }
    }
    heads.append(model.classifier)
    self.heads = heads
    stages = try model.components.indices.map { k in
      let (component, head) = (model.components[k], heads[k])
      // The last head is the classifier, already among the last component's parameters.
      let isLast = k == model.components.count - 1
      return try ComponentStage(
        index: k, component: component, with: [head],
        parameters: model.parameters(ofComponent: k) + (isLast ? [] : head.trainableParameters()),
        learningRate: options.learningRate, optimizer: options.optimizer, averaging: options.gradientAveraging,
        active: active
      ) { _, output, labels in
        try crossEntropy(head(component.features(output)), labels)
      }
    }
  }

  /// The component and its head; the last head's logits are also the final ones.
  public func predict(component k: Int, _ x: PartialPrediction, via handOff: ComponentHandOff) throws
    -> PartialPrediction
  {
    guard active.contains(k) else { return x }  // not joined yet: the last one that has predicts
    var y = x
    let c = model.components[k]
    y.activation = try c(x.activation)
    let logits = try heads[k](c.features(y.activation))
    y.heads.append(logits)
    if k == active.count - 1 { y.final = logits }
    return y
  }
}
