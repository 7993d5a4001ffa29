import NN
import Torch

/// One stage of a model: the unit that SCPL trains with its own local objective and that a
/// pipeline places on its own device.
public protocol Component: Module {
  func callAsFunction(_ x: Activation) throws -> Activation
  /// The B×D vector this component's local objective reads; for the last component, also the
  /// classifier's input (vision: the flattened feature map; text: a pooled sequence vector).
  func features(_ y: Activation) throws -> Tensor
}

/// A vision component: a stack of layers over feature maps (or any float tensors); its features
/// are the flattened output unless a features function is given.
public final class VisionComponent: Module, Component, @unchecked Sendable {
  /// The component's layers, applied in order to the main tensor.
  public let layers: Sequential
  /// The B×D vector the local objective reads, from the component's output tensor.
  let featuresOfOutput: (Tensor) throws -> Tensor

  /// A component of `layers`, in order. `features` makes the vector its local objective (and, for
  /// the last component, the classifier) reads from its output: nil flattens it to B×D;
  /// `VisionComponent.globalAveragePool` averages each channel over H×W (a smaller head on a
  /// wide feature map, as ResNets do before their classifier).
  public init(_ layers: [any UnaryLayer], features: ((Tensor) throws -> Tensor)? = nil) {
    self.layers = Sequential(layers)
    featuresOfOutput = features ?? { try $0.flattened(startAxis: 1) }
    super.init()
  }

  /// Each channel's mean over the spatial axes of a B×C×H×W output: B×C.
  public static let globalAveragePool: (Tensor) throws -> Tensor = { try $0.mean(axes: [2, 3]) }

  /// The layers on the main tensor; everything else the activation carries passes on unchanged.
  public func callAsFunction(_ x: Activation) throws -> Activation {
    x.replacing(try layers(x.tensor))
  }

  /// The output's features: flattened to B×D, or what the component's features function makes.
  public func features(_ y: Activation) throws -> Tensor { try featuresOfOutput(y.tensor) }
}
