import Torch

public final class ReLU: Module, UnaryLayer, @unchecked Sendable {
  public override init() { super.init() }
  public func callAsFunction(_ x: Tensor) throws -> Tensor { try x.relu() }
}

/// LeakyReLU; the reference's ResNet uses slope 0.01.
public final class LeakyReLU: Module, UnaryLayer, @unchecked Sendable {
  public let slope: Double
  public init(slope: Double = 0.01) { self.slope = slope; super.init() }
  public func callAsFunction(_ x: Tensor) throws -> Tensor { try x.leakyRelu(slope: slope) }
}

public final class Sigmoid: Module, UnaryLayer, @unchecked Sendable {
  public override init() { super.init() }
  public func callAsFunction(_ x: Tensor) throws -> Tensor { try x.sigmoid() }
}

public final class Tanh: Module, UnaryLayer, @unchecked Sendable {
  public override init() { super.init() }
  public func callAsFunction(_ x: Tensor) throws -> Tensor { try x.tanh() }
}

/// Keeps the batch axis and flattens the rest in C order (channel, row, column).
public final class Flatten: Module, UnaryLayer, @unchecked Sendable {
  public override init() { super.init() }
  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    guard x.rank >= 1 else { throw TorchError("Flatten needs a batch axis, got a scalar") }
    return x.rank == 2 ? x : try x.flattened(startAxis: 1)
  }
}

/// The identity map (an "i" projection head, a no-op placeholder).
public final class Identity: Module, UnaryLayer, @unchecked Sendable {
  public override init() { super.init() }
  public func callAsFunction(_ x: Tensor) throws -> Tensor { x }
}
