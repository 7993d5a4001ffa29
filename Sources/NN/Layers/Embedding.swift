import Torch

/// A lookup table of `count` vectors of size `dim`: int64 ids of any shape map to
/// ids.shape + [dim]. No padding index: the reference's pad row 0 is an ordinary row.
public final class Embedding: Module, UnaryLayer, @unchecked Sendable {
  /// count×dim. Frozen tables do not require grad, so `trainableParameters()` leaves them out.
  public let weight: Tensor
  /// Number of rows (the vocabulary size); valid ids are 0..<count.
  public let count: Int
  /// Size of each embedding vector.
  public let dim: Int

  /// Starts from a copy of `pretrained` (count×dim, floating point), so training never writes
  /// into the caller's matrix (e.g. a GloVe table kept for another model).
  public init(pretrained: Tensor, trainable: Bool = true) throws {
    guard pretrained.rank == 2, pretrained.dtype.isFloatingPoint else {
      throw TorchError(
        "Embedding(pretrained:) expects a floating-point count×dim matrix, got \(pretrained.dtype) of shape \(pretrained.shape)"
      )
    }
    count = pretrained.shape[0]
    dim = pretrained.shape[1]
    weight = try pretrained.detached().clone().requiringGrad(trainable)
    super.init()
  }

  /// Random rows from N(0, 1), PyTorch's default for `nn.Embedding`.
  public init(count: Int, dim: Int, dtype: DType = .float32) throws {
    guard count > 0, dim > 0 else {
      throw TorchError("Embedding(count: \(count), dim: \(dim)): sizes must be positive")
    }
    self.count = count
    self.dim = dim
    weight = try Tensor.randn([count, dim], dtype: dtype).asParameter()
    super.init()
  }

  /// Looks up `ids` (int64, any shape) and returns ids.shape + [dim]. Throws for another dtype or an id
  /// outside 0..<count.
  public func callAsFunction(_ ids: Tensor) throws -> Tensor {
    guard ids.dtype == .int64 else {
      throw TorchError("Embedding(\(count)×\(dim)) expects int64 ids, got \(ids.dtype) of shape \(ids.shape)")
    }
    // libtorch reports an out-of-range id with a bare "index out of range in self" on the CPU and
    // with a device-side assert on CUDA, which poisons the CUDA context; check first instead.
    if ids.count > 0 {
      let low = try ids.min().item(), high = try ids.max().item()
      guard low >= 0, high < Double(count) else {
        throw TorchError(
          "Embedding(\(count)×\(dim)) got ids in \(Int(low))...\(Int(high)), but they must lie in 0..<\(count)")
      }
    }
    return try Functional.embedding(ids, weight: weight)
  }
}
