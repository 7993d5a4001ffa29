import Torch

/// One Transformer component of the reference (`model/transformer/encoder`): a
/// `TransformerEncoderLayer` followed by a final `ReferenceLayerNorm` (the reference's 1-layer
/// encoder stack). 543 600 parameters at d = 300, 6 heads, ff 300. The reference also registers an
/// unused deep copy of the layer (doubling its reported count to 1 086 600); that copy is
/// deliberately not reproduced.
public final class TransformerEncoderBlock: Module, UnaryLayer, @unchecked Sendable {
  /// The pre-LN encoder layer.
  public let layer: TransformerEncoderLayer
  /// The LayerNorm applied to the layer's output.
  public let finalNorm: ReferenceLayerNorm

  /// Creates the layer (model width `dim`, `heads` heads, feed-forward width `feedForwardDim`, one
  /// `dropout` probability) and the final norm. Throws for sizes the sublayers reject.
  public init(dim: Int, heads: Int, feedForwardDim: Int, dropout: Double = 0.1, dtype: DType = .float32) throws {
    layer = try TransformerEncoderLayer(
      dim: dim, heads: heads, feedForwardDim: feedForwardDim,
      dropout: dropout, dtype: dtype)
    finalNorm = try ReferenceLayerNorm(dim, dtype: dtype)
    super.init()
  }

  /// The block without a mask: B×T×dim to B×T×dim.
  public func callAsFunction(_ x: Tensor) throws -> Tensor { try self(x, keyPaddingMask: nil) }

  /// x: B×T×dim; keyPaddingMask: B×T, true where the token is real. Returns B×T×dim.
  public func callAsFunction(_ x: Tensor, keyPaddingMask: Tensor?) throws -> Tensor {
    try finalNorm(layer(x, keyPaddingMask: keyPaddingMask))
  }
}
