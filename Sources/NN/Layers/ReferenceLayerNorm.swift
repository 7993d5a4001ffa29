import Torch

/// The reference Transformer's own LayerNorm (`model/transformer/encoder`), kept distinct from
/// `LayerNorm` because it normalises differently: over the last axis,
///
///     y = weight · (x − mean) / (std + eps) + bias
///
/// where std is the *unbiased* (N−1) standard deviation and eps (1e-6) is added to the std, not
/// to the variance. `weight`/`bias` are the reference's `a_2`/`b_2` (start at 1 and 0).
public final class ReferenceLayerNorm: Module, UnaryLayer, @unchecked Sendable {
  /// The scale (the reference's `a_2`), of shape `dim`, initialised to ones.
  public let weight: Tensor
  /// The shift (the reference's `b_2`), of shape `dim`, initialised to zeros.
  public let bias: Tensor
  /// Size of the normalised last axis.
  public let dim: Int
  /// Added to the standard deviation (not the variance) before dividing.
  public let eps: Double

  /// A LayerNorm over a last axis of size `dim`; throws when `dim` < 2, whose unbiased std is undefined.
  public init(_ dim: Int, eps: Double = 1e-6, dtype: DType = .float32) throws {
    // The unbiased std of a single value is 0/0.
    guard dim >= 2 else {
      throw TorchError("ReferenceLayerNorm(\(dim)): needs at least 2 features (the unbiased std divides by N−1)")
    }
    self.dim = dim
    self.eps = eps
    weight = try Tensor.ones([dim], dtype: dtype).asParameter()
    bias = try Tensor.zeros([dim], dtype: dtype).asParameter()
    super.init()
  }

  /// Normalises over the last axis, which must be `dim`; the output has the input's shape.
  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    guard x.rank >= 1, x.shape.last == dim else {
      throw TorchError(
        "ReferenceLayerNorm(\(dim)) expects inputs whose last axis is \(dim) (…×\(dim)), got shape \(x.shape)")
    }
    let mean = try x.mean(axis: -1, keepDims: true)
    let std = try x.std(axes: [-1], unbiased: true, keepDims: true)
    return try weight * (x - mean) / (std + eps) + bias
  }
}
