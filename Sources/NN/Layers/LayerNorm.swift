import Torch

/// PyTorch's LayerNorm over the last axis: y = γ·(x − mean)/√(var + eps) + β with the biased
/// variance. The reference Transformer does not use this one; see `ReferenceLayerNorm`.
public final class LayerNorm: Module, UnaryLayer, @unchecked Sendable {
  /// The scale γ, of shape `dim`, initialised to ones.
  public let weight: Tensor
  /// The shift β, of shape `dim`, initialised to zeros.
  public let bias: Tensor
  /// Size of the normalised last axis.
  public let dim: Int
  /// Added to the variance before the square root, for numerical stability.
  public let eps: Double

  /// A LayerNorm over a last axis of size `dim`; throws unless `dim` is positive.
  public init(_ dim: Int, eps: Double = 1e-5, dtype: DType = .float32) throws {
    guard dim > 0 else { throw TorchError("LayerNorm(\(dim)): the feature count must be positive") }
    self.dim = dim
    self.eps = eps
    weight = try Tensor.ones([dim], dtype: dtype).asParameter()
    bias = try Tensor.zeros([dim], dtype: dtype).asParameter()
    super.init()
  }

  /// Normalises over the last axis, which must be `dim`; the output has the input's shape.
  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    guard x.rank >= 1, x.shape.last == dim else {
      throw TorchError("LayerNorm(\(dim)) expects inputs whose last axis is \(dim) (…×\(dim)), got shape \(x.shape)")
    }
    return try Functional.layerNorm(x, normalizedShape: [dim], weight: weight, bias: bias, eps: eps)
  }
}
