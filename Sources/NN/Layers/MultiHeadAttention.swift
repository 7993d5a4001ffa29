import Torch

/// Multi-head self-attention as the reference Transformer computes it
/// (`model/transformer/encoder`): Q, K, V and the output are Linear(dim→dim) with bias; per head,
/// scores = Q·Kᵀ/√(dim/heads), masked keys set to −1e9, softmax over keys, dropout on the
/// probabilities, weighted sum of V; heads are concatenated and projected.
public final class MultiHeadAttention: Module, UnaryLayer, @unchecked Sendable {
  /// The query projection, dim→dim.
  public let query: Linear
  /// The key projection, dim→dim.
  public let key: Linear
  /// The value projection, dim→dim.
  public let value: Linear
  /// The projection of the concatenated heads, dim→dim.
  public let output: Linear
  /// On the attention probabilities; a child module so `train()`/`eval()` reach it.
  public let attentionDropout: Dropout
  /// Model width: the size of each token's input and output vector.
  public let dim: Int
  /// Number of attention heads; each works on dim/heads features.
  public let heads: Int

  /// Creates the four projections and the attention dropout with probability `dropout`; throws unless
  /// `dim` is a positive multiple of `heads`.
  public init(dim: Int, heads: Int, dropout: Double = 0.1, dtype: DType = .float32) throws {
    guard dim > 0, heads > 0, dim % heads == 0 else {
      throw TorchError("MultiHeadAttention(dim \(dim), heads \(heads)): dim must be a positive multiple of heads")
    }
    self.dim = dim
    self.heads = heads
    query = try Linear(dim, dim, dtype: dtype)
    key = try Linear(dim, dim, dtype: dtype)
    value = try Linear(dim, dim, dtype: dtype)
    output = try Linear(dim, dim, dtype: dtype)
    attentionDropout = try Dropout(dropout)
    super.init()
  }

  /// Self-attention without a mask.
  public func callAsFunction(_ x: Tensor) throws -> Tensor { try self(x, keyPaddingMask: nil) }

  /// - Parameters:
  ///   - x: B×T×dim.
  ///   - keyPaddingMask: B×T, true (or non-zero) where the key is a real token (id ≠ 0). Masked
  ///     keys get no attention from any query or head. A query row whose keys are all masked
  ///     attends uniformly, as the reference's −1e9 fill does.
  /// - Returns: B×T×dim.
  public func callAsFunction(_ x: Tensor, keyPaddingMask: Tensor?) throws -> Tensor {
    guard x.rank == 3, x.shape[2] == dim else {
      throw TorchError("MultiHeadAttention(dim \(dim)) expects B×T×\(dim) inputs, got shape \(x.shape)")
    }
    let (b, t) = (x.shape[0], x.shape[1])
    let headDim = dim / heads
    // B×T×dim → B×heads×T×headDim
    func split(_ y: Tensor) throws -> Tensor { try y.reshaped([b, t, heads, headDim]).transposed(1, 2) }
    let q = try split(query(x)), k = try split(key(x)), v = try split(value(x))
    var scores = try q.matmul(k.transposed(-2, -1)) / Double(headDim).squareRoot()
    if let mask = keyPaddingMask {
      guard mask.shape == [b, t] else {
        throw TorchError("MultiHeadAttention expects a key-padding mask of shape \([b, t]) (B×T), got \(mask.shape)")
      }
      let keep = try mask.dtype == .bool ? mask : mask .!= 0
      // B×T → B×1×1×T: the same keys are hidden from every head and query.
      let hidden = try keep.logicalNot().reshaped([b, 1, 1, t])
      scores = try scores.maskedFill(hidden, -1e9)
    }
    let probabilities = try attentionDropout(Functional.softmax(scores, axis: -1))
    let context = try probabilities.matmul(v).transposed(1, 2).reshaped([b, t, dim])
    return try output(context)
  }
}
