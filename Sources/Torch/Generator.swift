import CTorch

/// A CPU random generator of its own, for the draws a worker thread makes during training
/// (dropout). Each pipeline device owns one, seeded from the run's seed and its index, so what a
/// device draws depends only on the work it ran, never on how threads interleave; its `state`
/// goes into checkpoints so a resumed run continues the same stream.
public final class Generator: @unchecked Sendable {
  let handle: ct_generator

  /// A generator seeded with `seed`.
  public init(seed: UInt64) throws {
    guard let h = ct_generator_new(seed) else { throw TorchError.last("Generator(seed: \(seed))") }
    handle = h
  }

  deinit { ct_generator_free(handle) }

  /// The generator's state (a uint8 tensor, libtorch's format).
  public func state() throws -> Tensor { try wrap(ct_generator_get_state(handle), "Generator.state") }

  /// Restores a state that `state()` returned; throws when the tensor is not one.
  public func setState(_ state: Tensor) throws {
    try check(
      ct_generator_set_state(handle, state.handle),
      "Generator.setState (a state of shape \(state.shape), \(state.dtype))")
  }

  /// Dropout on the calling thread draws from `generator` from now on (nil: libtorch's global
  /// generator). The caller keeps the generator alive for as long as the thread uses it.
  public static func useOnThisThread(_ generator: Generator?) { ct_use_generator_on_this_thread(generator?.handle) }
}
