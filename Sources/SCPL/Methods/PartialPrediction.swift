import NN
import Torch

/// A prediction on its way through the components: what component k's share of a method's
/// prediction (`TrainingMethod.predict(component:_:)`) hands to component k+1's.
///
/// Prediction is written component by component so that a pipeline can run each share on the
/// device its component is placed on, moving only `activation` between devices; and
/// `predict(inputs:)` is the same shares run in order on one device, so each method's inference
/// has one definition.
public struct PartialPrediction: @unchecked Sendable {
  /// What the next component reads: the output of the components so far.
  public var activation: Activation
  /// Each component head's logits so far (Early Exit, Associated Learning; empty for BP and
  /// SCPL), left on the device that computed them.
  public var heads: [Tensor] = []
  /// The final predictor's logits, set by the last component's share.
  public var final: Tensor?
  /// An adaptive prediction's exits so far (nil: every sample runs every component).
  public var progress: ExitProgress?

  /// The start of a prediction: `activation`, with no head logits and no final ones yet.
  public init(_ activation: Activation) { self.activation = activation }

  /// The finished prediction, with every logit tensor moved to `device` (nil: left where it is).
  public func finished(on device: Device? = nil) throws -> Prediction {
    if let progress {
      let logits = try progress.finalLogits()
      return Prediction(final: try device.map { try logits.to($0) } ?? logits, heads: [], exits: progress.exits)
    }
    guard let final else { throw TorchError("the last component's share of the prediction set no final logits") }
    guard let device else { return Prediction(final: final, heads: heads) }
    return Prediction(final: try final.to(device), heads: try heads.map { try $0.to(device) })
  }
}

/// How a share of a prediction reaches a module of another component (`TrainingMethod.predict(
/// component:_:via:)`): it brings a tensor to the device that component is placed on. Under a
/// pipeline this is the executor's hand-off between devices (a transfer span, the streams
/// ordered, or a real copy between processes' stand-ins); on one device nothing moves.
public struct ComponentHandOff {
  private let move: (_ tensor: Tensor, _ component: Int) throws -> Tensor

  /// A hand-off that brings a tensor to the device of the given component by calling `move`.
  public init(_ move: @escaping (_ tensor: Tensor, _ component: Int) throws -> Tensor) { self.move = move }

  /// `tensor` on component k's device.
  public func callAsFunction(_ tensor: Tensor, toComponent k: Int) throws -> Tensor { try move(tensor, k) }

  /// Every component on the same device (no pipeline): the tensor as it is.
  public static let sameDevice = ComponentHandOff { tensor, _ in tensor }
}

extension TrainingMethod {
  /// Logits for a batch: every component's share of the prediction in order, on the calling
  /// thread and on the one device the modules are on. A pipeline runs the same shares on the
  /// components' devices (`PipelineExecutor.predict`). Call in eval mode under `withNoGrad`.
  public func predict(inputs: Tensor) throws -> Prediction {
    var x = PartialPrediction(try model.firstActivation(inputs))
    for k in model.components.indices { x = try predict(component: k, x, via: .sameDevice) }
    return try x.finished()
  }
}

extension StagedModel {
  /// Component k's share of the whole network's logits (BP and SCPL): its forward and, for the
  /// last component, the classifier on its features — `callAsFunction`, cut at the components.
  public func predict(component k: Int, _ x: PartialPrediction) throws -> PartialPrediction {
    var y = x
    y.activation = try components[k](x.activation)
    if k == components.count - 1 { y.final = try logits(lastOutput: y.activation) }
    return y
  }
}
