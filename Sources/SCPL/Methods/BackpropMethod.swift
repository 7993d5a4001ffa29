import NN
import Torch

/// End-to-end backpropagation: cross-entropy at the end, one optimizer over every parameter.
public final class BackpropMethod: TrainingMethod {
  /// Always `.bp`.
  public let kind = MethodKind.bp
  /// The model trained end to end.
  public let model: StagedModel
  /// The one optimizer over every trainable parameter of the model.
  public let optimizer: any Optimizer
  /// The one optimizer.
  public var optimizers: [any Optimizer] { [optimizer] }
  /// The one loss: the model's cross-entropy.
  public let lossNames = ["cross-entropy"]
  /// The model, for modes and checkpoints.
  public var modules: [(String, Module)] { [("model", model)] }

  /// Makes the optimizer over every trainable parameter of `model`, as `options` chooses.
  public init(model: StagedModel, options: MethodOptions) throws {
    self.model = model
    let own = try options.optimizer.make(model.trainableParameters(), lr: options.learningRate)
    // Replicas: the whole network's gradients average after the backward, as DDP's do (unbucketed).
    optimizer = options.gradientAveraging.map { ReplicaAveragedOptimizer(own, averaging: $0, group: 0) } ?? own
  }

  /// Cross-entropy of the whole model's output, backward through every component, and one update.
  public func trainStep(inputs: Tensor, labels: Tensor) throws -> [Double] {
    let loss = try crossEntropy(model(inputs), labels)
    return [try optimizer.minimize(loss)]
  }

  /// Component k of the model's forward; the last one also applies the classifier and sets `final`.
  public func predict(component k: Int, _ x: PartialPrediction, via handOff: ComponentHandOff) throws
    -> PartialPrediction
  {
    try model.predict(component: k, x)
  }
}
