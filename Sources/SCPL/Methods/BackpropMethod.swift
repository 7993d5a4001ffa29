import NN
import Torch

/// End-to-end backpropagation: cross-entropy at the end, one optimizer over every parameter.
public final class BackpropMethod: TrainingMethod {
  public let kind = MethodKind.bp
  public let model: StagedModel
  public let optimizer: any Optimizer
  public var optimizers: [any Optimizer] { [optimizer] }
  public let lossNames = ["cross-entropy"]
  public var modules: [(String, Module)] { [("model", model)] }

  public init(model: StagedModel, options: MethodOptions) throws {
    self.model = model
    optimizer = try options.optimizer.make(model.trainableParameters(), lr: options.learningRate)
  }

  public func trainStep(inputs: Tensor, labels: Tensor) throws -> [Double] {
    let loss = try crossEntropy(model(inputs), labels)
    return [try optimizer.minimize(loss)]
  }

  public func predict(component k: Int, _ x: PartialPrediction, via handOff: ComponentHandOff) throws
    -> PartialPrediction
  {
    try model.predict(component: k, x)
  }
}
