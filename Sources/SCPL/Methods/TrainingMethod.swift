import NN
import Torch

/// The learning methods of the paper.
public enum MethodKind: String, CaseIterable, Sendable {
  /// End-to-end backpropagation (`BackpropMethod`).
  case bp
  /// Supervised Contrastive Parallel Learning (`SCPLMethod`).
  case scpl
  /// Early Exit: each component learns from its own classifier head (`EarlyExitMethod`).
  case earlyExit = "early-exit"
  /// Associated Learning (`AssociatedLearningMethod`).
  case al

  /// Local methods train each component on its own objective with detached inputs.
  public var isLocal: Bool { self != .bp }
}

/// What a method predicts for a batch: the final predictor's logits and, for methods that have
/// one per component, each component's head.
public struct Prediction {
  /// The final predictor's logits, B×classes.
  public var final: Tensor
  /// Each component head's logits, in component order (empty for methods without heads, and for
  /// an adaptive prediction).
  public var heads: [Tensor]
  /// An adaptive prediction's component (1-based) each sample left at, whose logits `final`
  /// holds (`ExitPolicy`); nil when every sample ran every component.
  public var exits: [Int]? = nil
}

/// A way of training a staged model: which losses drive which parameters.
public protocol TrainingMethod: AnyObject {
  var kind: MethodKind { get }
  var model: StagedModel { get }
  var optimizers: [any Optimizer] { get }
  /// Names of the losses `trainStep` returns, in order (one per component for local methods).
  var lossNames: [String] { get }
  /// One optimisation step on a mini-batch; returns each loss's value.
  func trainStep(inputs: Tensor, labels: Tensor) throws -> [Double]
  /// Component k's share of the prediction (`PartialPrediction.swift`): it reads what the shares
  /// of components 0..<k produced, its activation already on component k's device, and adds its
  /// own; the last component sets `final`. It applies only modules of the stage placed with
  /// component k, except those `readByLaterPredictions(component:)` names (Associated Learning's
  /// decoder chain walks back through earlier components' blocks); a tensor goes to such a
  /// module's component through `handOff`, as the executor hands work between devices.
  /// `predict(inputs:)` runs every share in order on one device. Call in eval mode under
  /// `withNoGrad`.
  func predict(component k: Int, _ x: PartialPrediction, via handOff: ComponentHandOff) throws -> PartialPrediction
  /// The modules of component k's stage that the prediction shares of later components apply
  /// (nil: none, as for every method but Associated Learning). A pipeline across processes sends
  /// their state down the ranks before each prediction, so a later rank applies the trained ones.
  func readByLaterPredictions(component k: Int) -> [Module]
  /// Every module the method trains (model and any heads), for train/eval mode and checkpoints.
  var modules: [(String, Module)] { get }
}

extension TrainingMethod {
  /// The default: later components' predictions read none of component k's modules.
  public func readByLaterPredictions(component k: Int) -> [Module] { [] }

  /// Puts every module of the method in training mode (`on`) or eval mode.
  public func train(_ on: Bool = true) {
    for (_, m) in modules { m.train(on) }
  }

  /// Where each module the method trains is saved: its name in `stateDict()` followed by "."
  /// ("model.components.2.", "objective3."), by the module's identity. A checkpoint and the ranks'
  /// exchange of state name a module's tensors the same way, through this.
  public func statePrefixes() -> [ObjectIdentifier: String] {
    var out: [ObjectIdentifier: String] = [:]
    for (root, module) in modules {
      for (path, m) in module.namedModules(prefix: root) where out[ObjectIdentifier(m)] == nil {
        out[ObjectIdentifier(m)] = path + "."
      }
    }
    return out
  }

  /// Runs `body` with every module of the method in `training` mode, then puts each module's own
  /// mode back: the one way prediction and evaluation change modes (`Module.inMode`).
  public func inMode<T>(training: Bool, _ body: () throws -> T) rethrows -> T {
    try modules.map(\.1).inMode(training: training, body)
  }

  /// All parameters and buffers of the method's modules under unique dotted names.
  public func stateDict() -> [(String, Tensor)] {
    modules.flatMap { prefix, m in m.stateDict().map { ("\(prefix).\($0.0)", $0.1) } }
  }

  /// Loads parameters and buffers named as `stateDict()` names them.
  public func loadStateDict(_ state: [String: Tensor]) throws {
    for (prefix, m) in modules { try m.loadStateDict(state.entries(under: prefix + ".")) }
  }
}

/// One component with its local objective and optimizer: the unit a pipeline worker runs.
/// `forward` and `learn` are separate so schedules can overlap one stage's learning with the next
/// stage's forward; the sequential loop calls them back to back.
public protocol LocalStage: AnyObject {
  var index: Int { get }
  /// The component's forward on its (already detached) input, recording the graph for `learn`.
  func forward(_ input: Activation) throws -> Activation
  /// The component's local objective on the forward's output (its graph reaches back to the
  /// component's parameters and local heads only: the input is detached).
  func loss(input: Activation, output: Activation, labels: Tensor) throws -> Tensor
  /// Local loss on the forward's output, backward, optimizer step; returns the loss value
  /// (default: `optimizer.minimize(loss(…))`).
  func learn(input: Activation, output: Activation, labels: Tensor) throws -> Double
  var optimizer: any Optimizer { get }
  /// Every module this stage computes with (component, local head or objective, the classifier
  /// for the last): what a pipeline moves to the stage's device.
  var modules: [Module] { get }
}

/// Shared driver of the local methods: stages run one after another, each on the previous
/// stage's detached output (the sequential reference every pipeline must match).
public protocol LocalMethod: TrainingMethod {
  var stages: [any LocalStage] { get }
  /// The first stage's input for a batch (Associated Learning adds the label path).
  func firstActivation(inputs: Tensor, labels: Tensor) throws -> Activation
}

extension LocalStage {
  /// The default learning: `optimizer.minimize` of the local loss, which returns the loss's value.
  public func learn(input: Activation, output: Activation, labels: Tensor) throws -> Double {
    try optimizer.minimize(loss(input: input, output: output, labels: labels))
  }
}

extension LocalMethod {
  /// Each stage's optimizer, in stage order.
  public var optimizers: [any Optimizer] { stages.map(\.optimizer) }
  /// "component1", "component2", …: one loss per stage.
  public var lossNames: [String] { stages.map { "component\($0.index + 1)" } }

  /// The default: the model's first activation of `inputs`, without labels.
  public func firstActivation(inputs: Tensor, labels: Tensor) throws -> Activation {
    try model.firstActivation(inputs)
  }

  /// One step of the stage loop: each stage's forward and learning in turn, on the previous one's detached output.
  public func trainStep(inputs: Tensor, labels: Tensor) throws -> [Double] {
    try trainStep(inputs: inputs, labels: labels) { _, work in try work() }
  }

  /// The stage loop, stage k's forward and learning run inside `around(k, work)` (the
  /// sequential executor draws each component's dropout from its own generator there).
  public func trainStep(
    inputs: Tensor, labels: Tensor,
    around: (_ k: Int, _ work: () throws -> Activation) throws -> Activation
  ) throws -> [Double] {
    var x = try firstActivation(inputs: inputs, labels: labels)
    var losses: [Double] = []
    for (k, stage) in stages.enumerated() {
      let input = x
      let y = try around(k) {
        let y = try stage.forward(input)
        losses.append(try stage.learn(input: input, output: y, labels: labels))
        return y
      }
      x = try y.detached()
    }
    return losses
  }
}

/// Builds the method for a model.
public struct MethodOptions: Sendable {
  /// Every optimizer's learning rate.
  public var learningRate = 1e-3
  /// Each component's optimizer (BP's one); Adam unless set.
  public var optimizer: OptimizerChoice = .adam
  /// SCPL's local objective: the supervised contrastive loss (the paper's) unless set.
  public var objective: LocalObjectiveKind = .supervisedContrastive
  /// A program's own local objective for SCPL's components (any `LocalObjective`, e.g. with a
  /// head module of its own); when set it replaces `objective`.
  public var customObjective: ObjectiveFactory?
  /// The supervised contrastive loss's temperature τ.
  public var temperature = 0.1
  /// nil: the family's default (vision mlp, text identity).
  public var projection: ProjectionKind?
  /// The projection heads' hidden and output widths, each nil for the model family's (vision 512
  /// and 1024, the reference's; text 300 and 300).
  public var projectionHidden: Int?
  /// The projection heads' output width (nil: the model family's).
  public var projectionOutput: Int?
  /// What the supervised contrastive loss divides each anchor's sum by (per anchor, as the reference).
  public var divisor: SupervisedContrastiveLoss.Divisor = .perAnchor
  /// A predictor per component (`PredictorKind`): SCPL's with its local objective, Early Exit's
  /// heads; nil: none for SCPL, the reference's heads for Early Exit.
  public var predictors: PredictorKind?
  /// How much of each predictor's cross-entropy gradient reaches its component under SCPL
  /// (`Tensor.scalingGradient(by:)`): DecoupleFlow's 0.001 by default; 0 trains the predictors on
  /// detached features.
  public var predictorWeight = 0.001
  /// AL's block sizes; nil: the family's (vision 500 and 2500, text 128 and 256).
  public var associatedLearning: AssociatedLearningMethod.Sizes?
  /// Data parallelism: each optimizer averages its gradients with the other replicas' before
  /// its update (`ReplicaAveragedOptimizer`), a local method's per component, BP's all at once.
  /// nil: no replicas.
  public var gradientAveraging: (any GradientAveraging)?
  /// The defaults: Adam at 1e-3, the supervised contrastive loss at τ = 0.1, the family's heads.
  public init() {}
}

/// Makes a program's own local objective for each component of a model.
public struct ObjectiveFactory: Sendable {
  /// What the objective is, for messages.
  public let name: String
  let make: @Sendable (_ component: Int, _ featureWidth: Int, _ classCount: Int) throws -> any LocalObjective

  /// `make(k, width, classes)`: the objective of component k, whose features are `width` wide.
  public init(
    name: String,
    _ make: @escaping @Sendable (_ component: Int, _ featureWidth: Int, _ classCount: Int) throws -> any LocalObjective
  ) {
    self.name = name
    self.make = make
  }
}

/// Makes a program's own optimizer over a component's parameters at a learning rate.
public struct OptimizerFactory: Sendable, Equatable {
  /// What the optimizer is, for messages (and what makes two factories equal).
  public let name: String
  let make: @Sendable (_ parameters: [Tensor], _ learningRate: Double) throws -> any Optimizer

  /// A factory called `name` that makes the optimizer with `make(parameters, learningRate)`.
  public init(
    name: String, _ make: @escaping @Sendable (_ parameters: [Tensor], _ learningRate: Double) throws -> any Optimizer
  ) {
    self.name = name
    self.make = make
  }

  /// Two factories are equal when their names are.
  public static func == (a: OptimizerFactory, b: OptimizerFactory) -> Bool { a.name == b.name }
}

/// The optimizer each component trains with.
public enum OptimizerChoice: Sendable, Equatable {
  /// Adam (β = 0.9, 0.999, ε = 1e-8), as the reference trains every method.
  case adam
  /// SGD with momentum and L2 weight decay, as PyTorch's (`NN.SGD`).
  case sgd(momentum: Double, weightDecay: Double)
  /// LARS (`NN.LARS`): SGD with momentum whose step each parameter tensor scales by
  /// η‖θ‖/‖∇θ + λθ‖ (biases and normalisation weights exempt), as DeInfoReg trains.
  case lars(momentum: Double, weightDecay: Double, eta: Double)
  /// A program's own.
  case custom(OptimizerFactory)

  /// The optimizer over `parameters` at learning rate `lr`.
  public func make(_ parameters: [Tensor], lr: Double) throws -> any Optimizer {
    switch self {
    case .adam: return try Adam(parameters, lr: lr)
    case .sgd(let momentum, let weightDecay):
      return try SGD(parameters, lr: lr, momentum: momentum, weightDecay: weightDecay)
    case .lars(let momentum, let weightDecay, let eta):
      return try LARS(parameters, lr: lr, momentum: momentum, weightDecay: weightDecay, eta: eta)
    case .custom(let factory): return try factory.make(parameters, lr)
    }
  }
}

/// The objective each SCPL component learns from (`LocalObjective`).
public enum LocalObjectiveKind: String, Sendable, CaseIterable {
  /// The supervised contrastive loss through a projection head (SCPL's).
  case supervisedContrastive = "contrastive"
  /// A local classifier through a projection head, trained with cross-entropy (`LocalCrossEntropyLoss`).
  case crossEntropy = "cross-entropy"
  /// DeInfoReg's invariance, variance and covariance terms through a projection head
  /// (`DeInfoRegLoss`).
  case deInfoReg = "deinforeg"
}

/// Builds training methods.
public enum Methods {
  /// The method of `kind` for `model`, configured by `options`.
  public static func make(_ kind: MethodKind, model: StagedModel, options: MethodOptions = MethodOptions()) throws
    -> any TrainingMethod
  {
    switch kind {
    case .bp: return try BackpropMethod(model: model, options: options)
    case .scpl: return try SCPLMethod(model: model, options: options)
    case .earlyExit: return try EarlyExitMethod(model: model, options: options)
    case .al: return try AssociatedLearningMethod(model: model, options: options)
    }
  }
}
