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

/// A vision component: a stack of layers over feature maps; its features are the flattened map.
public final class VisionComponent: Module, Component, @unchecked Sendable {
  /// The component's layers, applied in order to the main tensor.
  public let layers: Sequential

  /// A component of `layers`, in order.
  public init(_ layers: [any UnaryLayer]) {
    self.layers = Sequential(layers)
    super.init()
  }

  /// The layers on the main tensor; everything else the activation carries passes on unchanged.
  public func callAsFunction(_ x: Activation) throws -> Activation {
    x.replacing(try layers(x.tensor))
  }

  /// The output feature map flattened to B×D.
  public func features(_ y: Activation) throws -> Tensor { try y.tensor.flattened(startAxis: 1) }
}
