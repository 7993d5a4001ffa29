import CTorch

/// Intra-op parallelism of libtorch (OpenMP in Debian's build).
///
/// The count is **per OS thread**: `setThreadCount` affects the calling thread's later ops only
/// (measured by `ThreadScopeTests`; docs/threads.md explains why). A pipeline worker calls it
/// once at start-up to own exactly N threads; the main thread keeps its own setting.
public enum Threads {
  /// Sets the calling thread's intra-op thread count for its later ops.
  public static func setThreadCount(_ n: Int) throws {
    try check(ct_set_num_threads(Int32(n)), "setThreadCount(\(n))")
  }
  /// The calling thread's intra-op thread count.
  public static var threadCount: Int { Int(ct_get_num_threads()) }
  /// The number of threads an OpenMP parallel region opened on this thread actually gets.
  public static func measuredParallelWidth() -> Int { Int(ct_measure_parallel_width()) }

  /// The kernel family OpenBLAS picked for this CPU ("" if the BLAS is not OpenBLAS).
  public static var blasCoreName: String { String(cString: ct_blas_core_name()) }
}
