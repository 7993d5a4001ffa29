import CTorch

/// Reverse-mode differentiation, as libtorch's autograd does it.
extension Tensor {
  /// Whether autograd records the operations on this tensor to compute gradients.
  public var requiresGrad: Bool { ct_requires_grad(handle) != 0 }

  /// Marks a leaf tensor as one whose gradient should be accumulated. Returns `self`.
  @discardableResult
  public func requiringGrad(_ flag: Bool = true) throws -> Tensor {
    try check(ct_set_requires_grad(handle, flag ? 1 : 0), "requiresGrad")
    return self
  }

  /// Whether no recorded operation produced this tensor (only leaves accumulate `grad`).
  public var isLeaf: Bool { ct_is_leaf(handle) != 0 }

  /// The accumulated gradient, or nil when none has been computed since the last `zeroGrad()`.
  public var grad: Tensor? {
    get throws {
      var out: ct_tensor? = nil
      try check(ct_grad(handle, &out), "grad")
      return out.map { Tensor(owning: $0) }
    }
  }

  /// Drops the accumulated gradient (PyTorch's `zero_grad(set_to_none=True)`).
  public func zeroGrad() throws { try check(ct_zero_grad(handle), "zeroGrad") }

  /// Back-propagates from this tensor. `gradient` may be omitted for a one-element tensor.
  public func backward(_ gradient: Tensor? = nil, retainGraph: Bool = false) throws {
    try check(ct_backward(handle, gradient?.handle, retainGraph ? 1 : 0), "backward from \(shape)")
  }

  /// One backward pass from several roots at once, each seeded with its gradient (PyTorch's
  /// `torch.autograd.backward(tensors, grads)`): shared parts of the graph are traversed once and
  /// every leaf gets the sum of all roots' contributions. The graph is freed.
  public static func backward(_ roots: [Tensor], gradients: [Tensor]) throws {
    guard roots.count == gradients.count else {
      throw TorchError("backward: \(roots.count) root(s) but \(gradients.count) gradient(s)")
    }
    guard !roots.isEmpty else { return }
    let rs: [ct_tensor?] = roots.map { $0.handle }
    let gs: [ct_tensor?] = gradients.map { $0.handle }
    try withExtendedLifetime((roots, gradients)) {
      try check(ct_backward_many(rs, gs, Int32(rs.count)), "backward from \(roots.map(\.shape))")
    }
  }

  /// One backward pass from `roots` (seeded with `gradients`) that accumulates gradients only
  /// into `inputs` (PyTorch's `torch.autograd.backward(…, inputs=…)`): the parts of the graph
  /// that lead to nothing in `inputs` are not computed. With `retainGraph` the graph stays for
  /// another pass — zero-bubble schedules run the input-gradient pass first, then, later, the
  /// weight-gradient pass from the same roots. Nothing to do when `roots` or `inputs` is empty.
  public static func backward(
    _ roots: [Tensor], gradients: [Tensor], inputs: [Tensor], retainGraph: Bool
  ) throws {
    guard roots.count == gradients.count else {
      throw TorchError("backward: \(roots.count) root(s) but \(gradients.count) gradient(s)")
    }
    guard !roots.isEmpty, !inputs.isEmpty else { return }
    let rs: [ct_tensor?] = roots.map { $0.handle }
    let gs: [ct_tensor?] = gradients.map { $0.handle }
    let xs: [ct_tensor?] = inputs.map { $0.handle }
    try withExtendedLifetime((roots, gradients, inputs)) {
      try check(
        ct_backward_to(rs, gs, Int32(rs.count), xs, Int32(xs.count), retainGraph ? 1 : 0),
        "backward from \(roots.map(\.shape)) to \(inputs.count) input(s)")
    }
  }

  /// The same values, cut off from the autograd graph (shares storage).
  public func detached() throws -> Tensor { try wrap(ct_detach(handle), "detach") }

  /// Makes this tensor use `source`'s storage (and so its device and dtype) while staying the same
  /// object: every module and optimizer holding it sees the change. PyTorch's `p.data = source`.
  public func setData(_ source: Tensor) throws { try check(ct_set_data(handle, source.handle), "setData") }
}

/// Runs `body` with gradient recording off on the calling thread (libtorch's grad mode is
/// thread-local), restoring the previous mode afterwards.
public func withNoGrad<T>(_ body: () throws -> T) rethrows -> T {
  let previous = ct_is_grad_enabled()
  ct_set_grad_enabled(0)
  defer { ct_set_grad_enabled(previous) }
  return try body()
}

/// Whether gradient recording is on for the calling thread (off inside `withNoGrad`).
public var isGradEnabled: Bool { ct_is_grad_enabled() != 0 }
