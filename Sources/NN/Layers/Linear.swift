import Torch

/// y = x Wᵀ + b, with W of shape out×in.
public final class Linear: Module, UnaryLayer, @unchecked Sendable {
  /// W, of shape outFeatures×inFeatures.
  public let weight: Tensor
  /// b, of shape outFeatures, or nil when the layer was made without bias.
  public let bias: Tensor?
  /// Size of the input's last axis.
  public let inFeatures: Int
  /// Size of the output's last axis.
  public let outFeatures: Int

  /// Weights and bias drawn from U(−1/√inFeatures, 1/√inFeatures), PyTorch's default; throws unless
  /// both sizes are positive.
  public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, dtype: DType = .float32) throws {
    guard inFeatures > 0, outFeatures > 0 else {
      throw TorchError("Linear(\(inFeatures), \(outFeatures)): sizes must be positive")
    }
    self.inFeatures = inFeatures
    self.outFeatures = outFeatures
    weight = try Initialization.pytorchDefault([outFeatures, inFeatures], fanIn: inFeatures, dtype: dtype).asParameter()
    self.bias =
      bias ? try Initialization.pytorchDefault([outFeatures], fanIn: inFeatures, dtype: dtype).asParameter() : nil
    super.init()
  }

  /// Maps …×inFeatures to …×outFeatures; throws when the last axis is not `inFeatures`.
  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    guard x.rank >= 1, x.shape.last == inFeatures else {
      throw TorchError(
        "Linear(\(inFeatures)→\(outFeatures)) expects inputs whose last axis is \(inFeatures), got shape \(x.shape)")
    }
    return try Functional.linear(x, weight: weight, bias: bias)
  }
}
