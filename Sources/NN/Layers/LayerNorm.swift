import Torch

/// PyTorch's LayerNorm over the last axis: y = γ·(x − mean)/√(var + eps) + β with the biased
/// variance. The reference Transformer does not use this one; see `ReferenceLayerNorm`.
public final class LayerNorm: Module, UnaryLayer, @unchecked Sendable {
  public let weight: Tensor
  public let bias: Tensor
  public let dim: Int
  public let eps: Double

  public init(_ dim: Int, eps: Double = 1e-5, dtype: DType = .float32) throws {
    guard dim > 0 else { throw TorchError("LayerNorm(\(dim)): the feature count must be positive") }
    self.dim = dim
    self.eps = eps
    weight = try Tensor.ones([dim], dtype: dtype).asParameter()
    bias = try Tensor.zeros([dim], dtype: dtype).asParameter()
    super.init()
  }

  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    guard x.rank >= 1, x.shape.last == dim else {
      throw TorchError("LayerNorm(\(dim)) expects inputs whose last axis is \(dim) (…×\(dim)), got shape \(x.shape)")
    }
    return try Functional.layerNorm(x, normalizedShape: [dim], weight: weight, bias: bias, eps: eps)
  }
}
