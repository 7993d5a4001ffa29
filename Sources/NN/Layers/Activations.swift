import Torch

/// Elementwise max(x, 0); the output has the input's shape.
public final class ReLU: Module, UnaryLayer, @unchecked Sendable {
  /// Creates the activation; it has no parameters.
  public override init() { super.init() }
  /// Applies ReLU elementwise.
  public func callAsFunction(_ x: Tensor) throws -> Tensor { try x.relu() }
}

/// LeakyReLU; the reference's ResNet uses slope 0.01.
public final class LeakyReLU: Module, UnaryLayer, @unchecked Sendable {
  /// The slope for negative inputs.
  public let slope: Double
  /// Creates a LeakyReLU with negative slope `slope`.
  public init(slope: Double = 0.01) { self.slope = slope; super.init() }
  /// Returns x where x ≥ 0 and `slope`·x elsewhere, elementwise.
  public func callAsFunction(_ x: Tensor) throws -> Tensor { try x.leakyRelu(slope: slope) }
}

/// Elementwise logistic function 1/(1 + e^−x); the output has the input's shape.
public final class Sigmoid: Module, UnaryLayer, @unchecked Sendable {
  /// Creates the activation; it has no parameters.
  public override init() { super.init() }
  /// Applies the sigmoid elementwise.
  public func callAsFunction(_ x: Tensor) throws -> Tensor { try x.sigmoid() }
}

/// Elementwise hyperbolic tangent; the output has the input's shape.
public final class Tanh: Module, UnaryLayer, @unchecked Sendable {
  /// Creates the activation; it has no parameters.
  public override init() { super.init() }
  /// Applies tanh elementwise.
  public func callAsFunction(_ x: Tensor) throws -> Tensor { try x.tanh() }
}

/// Keeps the batch axis and flattens the rest in C order (channel, row, column).
public final class Flatten: Module, UnaryLayer, @unchecked Sendable {
  /// Creates the layer; it has no parameters.
  public override init() { super.init() }
  /// Maps B×… to B×N, N the product of the other axes; rank-2 inputs pass through unchanged.
  /// Throws for a scalar.
  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    guard x.rank >= 1 else { throw TorchError("Flatten needs a batch axis, got a scalar") }
    return x.rank == 2 ? x : try x.flattened(startAxis: 1)
  }
}

/// The identity map (an "i" projection head, a no-op placeholder).
public final class Identity: Module, UnaryLayer, @unchecked Sendable {
  /// Creates the layer; it has no parameters.
  public override init() { super.init() }
  /// Returns `x` unchanged.
  public func callAsFunction(_ x: Tensor) throws -> Tensor { x }
}
