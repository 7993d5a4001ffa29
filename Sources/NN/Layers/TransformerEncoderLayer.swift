import Torch

/// One pre-LN encoder layer of the reference Transformer (`model/transformer/encoder`), without
/// positional encoding:
///
///     x ← x + Dropout(MHA(LN₁(x), mask))
///     x ← x + Dropout(FFN(LN₂(x))),   FFN = Linear(d→ff) → ReLU → Dropout → Linear(ff→d)
///
/// The LayerNorms are `ReferenceLayerNorm`s. Every parameter with ≥ 2 axes is re-initialised
/// Xavier-uniform after construction, as the reference does for its whole encoder; biases keep
/// PyTorch's default. The reference's component adds a final LayerNorm: `TransformerEncoderBlock`.
public final class TransformerEncoderLayer: Module, UnaryLayer, @unchecked Sendable {
  /// LN₁, applied before attention.
  public let norm1: ReferenceLayerNorm
  /// The self-attention sublayer.
  public let attention: MultiHeadAttention
  /// Dropout on the attention sublayer's output, before the residual addition.
  public let dropout1: Dropout
  /// LN₂, applied before the feed-forward network.
  public let norm2: ReferenceLayerNorm
  /// Linear(d→ff), ReLU, Dropout, Linear(ff→d): `feedForward.layers.0` and `.3` hold weights.
  public let feedForward: Sequential
  /// Dropout on the feed-forward output, before the residual addition.
  public let dropout2: Dropout
  /// Model width d: the size of each token's vector.
  public let dim: Int

  /// A layer of width `dim` with `heads` attention heads (dividing `dim`) and a feed-forward
  /// hidden width of `feedForwardDim`, its weights in `dtype`. `dropout` is one probability for
  /// the attention probabilities, the FFN hidden activation and both sublayer outputs (the
  /// reference uses 0.1 everywhere).
  public init(dim: Int, heads: Int, feedForwardDim: Int, dropout: Double = 0.1, dtype: DType = .float32) throws {
    self.dim = dim
    norm1 = try ReferenceLayerNorm(dim, dtype: dtype)
    attention = try MultiHeadAttention(dim: dim, heads: heads, dropout: dropout, dtype: dtype)
    dropout1 = try Dropout(dropout)
    norm2 = try ReferenceLayerNorm(dim, dtype: dtype)
    feedForward = Sequential([
      try Linear(dim, feedForwardDim, dtype: dtype), ReLU(), try Dropout(dropout),
      try Linear(feedForwardDim, dim, dtype: dtype)
    ])
    dropout2 = try Dropout(dropout)
    super.init()
    try TransformerEncoderLayer.xavierReinitialise(self)
  }

  /// Re-draws every parameter of `module` with ≥ 2 axes from Xavier-uniform, in place.
  static func xavierReinitialise(_ module: Module) throws {
    try withNoGrad {
      for p in module.parameters() where p.rank >= 2 {
        try p.copy_(Initialization.xavierUniform(p.shape, dtype: p.dtype).to(p.device))
      }
    }
  }

  /// The layer without a mask: B×T×dim to B×T×dim.
  public func callAsFunction(_ x: Tensor) throws -> Tensor { try self(x, keyPaddingMask: nil) }

  /// - Parameters:
  ///   - x: B×T×dim.
  ///   - keyPaddingMask: B×T, true where the token is real (see `MultiHeadAttention`).
  public func callAsFunction(_ x: Tensor, keyPaddingMask: Tensor?) throws -> Tensor {
    guard x.rank == 3, x.shape[2] == dim else {
      throw TorchError("TransformerEncoderLayer(dim \(dim)) expects B×T×\(dim) inputs, got shape \(x.shape)")
    }
    let h = try x + dropout1(attention(norm1(x), keyPaddingMask: keyPaddingMask))
    return try h + dropout2(feedForward(norm2(h)))
  }
}
