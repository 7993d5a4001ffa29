import CTorch

extension Tensor {
  private func reduce(
    _ axes: [Int], _ name: String,
    _ f: (UnsafePointer<Int64>?, Int32) -> ct_tensor?
  ) throws -> Tensor {
    try withShape(axes) { try wrap(f($0, $1), "\(name) over \(axes) of \(shape)") }
  }

  /// Sum over `axes` (all axes when empty).
  public func sum(axes: [Int] = [], keepDims: Bool = false) throws -> Tensor {
    try reduce(axes, "sum") { ct_sum(handle, $0, $1, keepDims ? 1 : 0) }
  }
  /// Sum over one axis.
  public func sum(axis: Int, keepDims: Bool = false) throws -> Tensor { try sum(axes: [axis], keepDims: keepDims) }

  /// Mean over `axes` (all axes when empty).
  public func mean(axes: [Int] = [], keepDims: Bool = false) throws -> Tensor {
    try reduce(axes, "mean") { ct_mean(handle, $0, $1, keepDims ? 1 : 0) }
  }
  /// Mean over one axis.
  public func mean(axis: Int, keepDims: Bool = false) throws -> Tensor { try mean(axes: [axis], keepDims: keepDims) }

  /// Variance; `unbiased` divides by N−1 (PyTorch's default), otherwise by N.
  public func variance(axes: [Int] = [], unbiased: Bool = true, keepDims: Bool = false) throws -> Tensor {
    try reduce(axes, "variance") { ct_var(handle, $0, $1, unbiased ? 1 : 0, keepDims ? 1 : 0) }
  }
  /// Standard deviation over `axes` (all axes when empty); `unbiased` divides by N−1, otherwise by N.
  public func std(axes: [Int] = [], unbiased: Bool = true, keepDims: Bool = false) throws -> Tensor {
    try reduce(axes, "std") { ct_std(handle, $0, $1, unbiased ? 1 : 0, keepDims ? 1 : 0) }
  }
  /// log Σ exp over `axes` (all axes when empty), computed without overflow.
  public func logSumExp(axes: [Int] = [], keepDims: Bool = false) throws -> Tensor {
    try reduce(axes, "logSumExp") { ct_logsumexp(handle, $0, $1, keepDims ? 1 : 0) }
  }
  /// The p-norm over `axes` (all when empty).
  public func norm(_ p: Double = 2, axes: [Int] = [], keepDims: Bool = false) throws -> Tensor {
    try reduce(axes, "norm") { ct_norm(handle, p, $0, $1, keepDims ? 1 : 0) }
  }

  /// The largest element, as a zero-dimensional tensor.
  public func max() throws -> Tensor { try wrap(ct_max_all(handle), "max of \(shape)") }
  /// The smallest element, as a zero-dimensional tensor.
  public func min() throws -> Tensor { try wrap(ct_min_all(handle), "min of \(shape)") }

  /// Maximum values and their indices along `axis`.
  public func max(axis: Int, keepDims: Bool = false) throws -> (values: Tensor, indices: Tensor) {
    var out: [ct_tensor?] = [nil, nil]
    try check(ct_max_dim(handle, Int64(axis), keepDims ? 1 : 0, &out), "max along \(axis) of \(shape)")
    return (Tensor(owning: out[0]!), Tensor(owning: out[1]!))
  }

  /// The int64 index of the largest value along `axis`.
  public func argmax(axis: Int, keepDims: Bool = false) throws -> Tensor {
    try wrap(ct_argmax(handle, Int64(axis), keepDims ? 1 : 0), "argmax along \(axis) of \(shape)")
  }
}
