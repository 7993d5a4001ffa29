import CTorch

/// One CUDA stream of a GPU, taken from libtorch's stream pool. A pipeline's GPU worker makes its
/// own stream current on its thread, so its kernels queue apart from other workers' (two workers
/// on one GPU overlap), and waits for it where a host-side order matters.
///
/// Every operation throws on a libtorch without CUDA, with libtorch's sentence.
public final class CUDAStream: @unchecked Sendable {
  private let handle: ct_stream
  /// The GPU the stream belongs to.
  public let gpu: Int

  /// A stream of GPU `gpu` from libtorch's pool (low priority; the pool hands them out in turn).
  public init(gpu: Int) throws {
    var out: ct_stream?
    try check(ct_stream_from_pool(Int32(gpu), &out), "taking a CUDA stream of cuda:\(gpu)")
    guard let out else { throw TorchError("libtorch returned no CUDA stream for cuda:\(gpu)") }
    handle = out
    self.gpu = gpu
  }

  deinit { ct_stream_free(handle) }

  /// libtorch's id of the stream (distinct for distinct streams of one GPU).
  public var id: Int64 { ct_stream_id(handle) }

  /// Makes this the calling thread's current stream on its GPU: the kernels the thread launches
  /// there from now on queue on it.
  public func makeCurrent() throws {
    try check(ct_stream_make_current(handle), "making a stream of cuda:\(gpu) current")
  }

  /// Waits until every kernel queued on the stream so far has run.
  public func synchronize() throws { try check(ct_stream_synchronize(handle), "waiting for a stream of cuda:\(gpu)") }

  /// Marks `tensor`'s memory as used by this stream (torch's `record_stream`): when the tensor is
  /// freed, its block is not handed out again before the work this stream queued by then is
  /// done. Needed when a tensor made on one stream is read on another.
  public func recordUse(of tensor: Tensor) throws {
    try check(ct_stream_record_tensor(handle, tensor.handle), "recording a tensor's use on a stream of cuda:\(gpu)")
  }
}

/// libtorch's CUDA memory statistics (its caching allocator's).
public enum GPUMemory {
  /// Whether this libtorch exposes them (2.x does; 1.13 does not without the CUDA headers).
  public static var statisticsAvailable: Bool { ct_gpu_memory_stats_available() != 0 }

  /// The most bytes allocated at once on GPU `gpu` since the last `resetPeak`.
  public static func peakAllocatedBytes(gpu: Int) throws -> Int {
    var out: Int64 = 0
    try check(ct_gpu_peak_allocated_bytes(Int32(gpu), &out), "reading cuda:\(gpu)'s peak memory")
    return Int(out)
  }

  /// Resets GPU `gpu`'s peak so that `peakAllocatedBytes` counts from what is allocated now.
  public static func resetPeak(gpu: Int) throws {
    try check(ct_gpu_reset_peak(Int32(gpu)), "resetting cuda:\(gpu)'s peak memory")
  }
}
