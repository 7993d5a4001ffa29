import Torch

/// PyTorch's default initialisers, so models start where the reference's start.
public enum Initialization {
  /// U(−1/√fanIn, +1/√fanIn): PyTorch's Kaiming-uniform with a = √5 for Linear/Conv weights, and
  /// the matching bias rule.
  public static func pytorchDefault(_ shape: [Int], fanIn: Int, dtype: DType) throws -> Tensor {
    let bound = fanIn > 0 ? 1 / Double(fanIn).squareRoot() : 0
    return try uniform(shape, bound: bound, dtype: dtype)
  }

  /// U(−bound, +bound).
  public static func uniform(_ shape: [Int], bound: Double, dtype: DType) throws -> Tensor {
    let t = try Tensor.zeros(shape, dtype: dtype)
    try t.uniform_(-bound, bound)
    return t
  }

  /// Xavier/Glorot uniform for a weight whose first axis is fan-out and second fan-in.
  public static func xavierUniform(_ shape: [Int], dtype: DType) throws -> Tensor {
    precondition(shape.count >= 2, "xavierUniform needs at least two axes")
    let receptive = shape.dropFirst(2).reduce(1, *)
    let fanIn = shape[1] * receptive, fanOut = shape[0] * receptive
    return try uniform(shape, bound: (6 / Double(fanIn + fanOut)).squareRoot(), dtype: dtype)
  }
}

extension Tensor {
  /// Marks a freshly created tensor as a trainable parameter.
  func asParameter() throws -> Tensor { try requiringGrad(true) }
}
