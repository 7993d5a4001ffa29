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
  public let layers: Sequential

  public init(_ layers: [any UnaryLayer]) {
    self.layers = Sequential(layers)
    super.init()
  }

  public func callAsFunction(_ x: Activation) throws -> Activation {
    x.replacing(try layers(x.tensor))
  }

  public func features(_ y: Activation) throws -> Tensor { try y.tensor.flattened(startAxis: 1) }
}
