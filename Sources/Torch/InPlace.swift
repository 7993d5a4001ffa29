import CTorch

/// In-place updates. They bypass Swift's value semantics on purpose: optimizers and initialisers
/// change parameters where they live, so every module holding the tensor sees the new values.
/// Call them inside `withNoGrad` on tensors that require grad.
extension Tensor {
  /// self += other (`other` broadcast to this tensor's shape).
  public func add_(_ other: Tensor) throws {
    try check(ct_binary_(BinaryOp.add.rawValue, handle, other.handle), "add_")
  }
  /// self −= other (`other` broadcast to this tensor's shape).
  public func sub_(_ other: Tensor) throws {
    try check(ct_binary_(BinaryOp.sub.rawValue, handle, other.handle), "sub_")
  }
  /// self *= other (`other` broadcast to this tensor's shape).
  public func mul_(_ other: Tensor) throws {
    try check(ct_binary_(BinaryOp.mul.rawValue, handle, other.handle), "mul_")
  }
  /// self /= other (`other` broadcast to this tensor's shape).
  public func div_(_ other: Tensor) throws {
    try check(ct_binary_(BinaryOp.div.rawValue, handle, other.handle), "div_")
  }
  /// self += s
  public func add_(_ s: Double) throws { try check(ct_binary_scalar_(BinaryOp.add.rawValue, handle, s), "add_") }
  /// self *= s
  public func mul_(_ s: Double) throws { try check(ct_binary_scalar_(BinaryOp.mul.rawValue, handle, s), "mul_") }
  /// self += alpha · other
  public func add_(_ other: Tensor, alpha: Double) throws {
    try check(ct_add_scaled_(handle, other.handle, alpha), "add_(alpha:)")
  }
  /// self += value · a · b
  public func addcmul_(_ a: Tensor, _ b: Tensor, value: Double = 1) throws {
    try check(ct_addcmul_(handle, a.handle, b.handle, value), "addcmul_")
  }
  /// self += value · a / b
  public func addcdiv_(_ a: Tensor, _ b: Tensor, value: Double = 1) throws {
    try check(ct_addcdiv_(handle, a.handle, b.handle, value), "addcdiv_")
  }
  /// Copies `source`'s values into this tensor's storage (shapes must broadcast).
  public func copy_(_ source: Tensor) throws {
    try check(ct_copy_(handle, source.handle), "copy_ \(source.shape) into \(shape)")
  }
  /// Sets every element to `value`.
  public func fill_(_ value: Double) throws { try check(ct_fill_(handle, value), "fill_") }
  /// Sets every element to 0.
  public func zero_() throws { try fill_(0) }
  /// Fills with samples from U[`low`, `high`), drawn from libtorch's global generator.
  public func uniform_(_ low: Double, _ high: Double) throws { try check(ct_uniform_(handle, low, high), "uniform_") }
  /// Fills with samples from a normal distribution of mean `mean` and standard deviation `std`,
  /// drawn from libtorch's global generator.
  public func normal_(mean: Double = 0, std: Double = 1) throws { try check(ct_normal_(handle, mean, std), "normal_") }
}
