import NN
import Torch

/// One component with its local objective and an optimizer of its own (Adam unless chosen): the stage every local method
/// (SCPL, Early Exit, AL) is made of. The method says what differs: the modules the stage
/// computes with besides its component (a projection head, a classifier head, AL's block), the
/// parameters its optimizer trains, and its forward and local loss. With `averaging`, the
/// optimizer averages the component's gradients with its replicas' before each update.
final class ComponentStage: LocalStage {
  let index: Int
  let modules: [Module]
  let optimizer: any Optimizer
  /// The method's active components (`GrowthSchedule`): until this stage's component joins, its
  /// forward hands its input on and it learns nothing (its loss is NaN: no value).
  let active: ActiveComponents?
  private let forwardBody: (Activation) throws -> Activation
  private let lossBody: (_ input: Activation, _ output: Activation, _ labels: Tensor) throws -> Tensor

  /// `modules`: the component first, then what it learns with; `parameters`, in the order its
  /// optimizer keeps their state (the checkpoint's `optimizer<k>.state.<i>`). `forward`: the
  /// component alone unless given.
  init(
    index: Int, component: any Component, with others: [Module], parameters: [Tensor], learningRate: Double,
    optimizer choice: OptimizerChoice = .adam, averaging: (any GradientAveraging)? = nil,
    active: ActiveComponents? = nil,
    forward: ((Activation) throws -> Activation)? = nil,
    loss: @escaping (_ input: Activation, _ output: Activation, _ labels: Tensor) throws -> Tensor
  ) throws {
    self.index = index
    modules = [component] + others
    let own = try choice.make(parameters, lr: learningRate)
    // Replicas (data parallelism): this component's gradients average with its replicas' as soon
    // as its own backward ends, whatever the other components are doing.
    optimizer = averaging.map { ReplicaAveragedOptimizer(own, averaging: $0, group: index) } ?? own
    self.active = active
    forwardBody = forward ?? { try component($0) }
    lossBody = loss
  }

  func forward(_ input: Activation) throws -> Activation {
    guard active?.contains(index) ?? true else { return input }
    return try forwardBody(input)
  }

  func learn(input: Activation, output: Activation, labels: Tensor) throws -> Double {
    guard active?.contains(index) ?? true else { return .nan }
    return try optimizer.minimize(loss(input: input, output: output, labels: labels))
  }

  func loss(input: Activation, output: Activation, labels: Tensor) throws -> Tensor {
    try lossBody(input, output, labels)
  }
}
