import CTorch

/// A caching allocator for CPU tensors, the host-memory counterpart of PyTorch's CUDA caching
/// allocator.
///
/// A training step allocates and frees the same few dozen large buffers every step
/// (activations, im2col and gradient buffers, up to tens of MB). libtorch's default CPU allocator
/// hands each to glibc, which serves many of them with `mmap` and returns them with `munmap` when
/// freed (a worker thread's arena cannot grow past 64 MB, so even mid-sized buffers can take that
/// path), and the next step page-faults the same memory in again, the kernel zeroing every page.
/// `docs/performance.md` ("Host memory") has the page faults, kernel time and step times with and
/// without the cache.
///
/// With the cache on, a freed block of 128 KiB or more (glibc's default mmap threshold; rounded
/// up to whole 64 KiB below 1 MiB, to whole MiB above) is kept and handed to the next request of
/// the same rounded size, its pages already mapped. Smaller blocks go to glibc as before. At
/// most `limitBytes` of freed blocks are kept; a block that would exceed it is freed. A tensor in
/// use holds at most its rounded size (under 1 MiB, or 50%, more than it asked for).
/// Raising glibc's own thresholds instead (`mallopt`) is not a fix: glibc 2.36 then fails to
/// reuse freed `posix_memalign` blocks and grows the heap every step.
public enum HostMemory {
  /// The default bound on cached bytes.
  public static let defaultLimitBytes = 2 << 30

  /// What the cache holds and has done since the process started.
  public struct Statistics: Equatable, Sendable {
    /// Bytes of freed blocks held for reuse, and how many blocks.
    public var cachedBytes: Int, cachedBlocks: Int
    /// Bytes of cacheable blocks (128 KiB and more, rounded) in use by tensors.
    public var liveBytes: Int
    /// Cacheable requests served from the cache, and those that had to allocate.
    public var hits: Int, misses: Int
  }

  /// Makes the cache libtorch's CPU allocator from now on, keeping at most `limitBytes` of freed
  /// blocks. Tensors allocated before keep their allocator. Calling it again changes the limit.
  public static func enableCache(limitBytes: Int = defaultLimitBytes) throws {
    try check(ct_host_cache_enable(Int64(limitBytes)), "HostMemory.enableCache(limitBytes: \(limitBytes))")
  }

  /// Restores libtorch's default CPU allocator and frees the cached blocks.
  public static func disableCache() { ct_host_cache_disable() }

  public static var isCacheEnabled: Bool { ct_host_cache_is_enabled() == 1 }

  /// The bound on cached bytes set by the last `enableCache`.
  public static var cacheLimitBytes: Int { Int(ct_host_cache_get_stats().limit_bytes) }

  /// Frees every cached block (for example after the last step, before a long evaluation).
  public static func emptyCache() { ct_host_cache_empty() }

  public static var statistics: Statistics {
    let s = ct_host_cache_get_stats()
    return Statistics(cachedBytes: Int(s.cached_bytes), cachedBlocks: Int(s.cached_blocks), liveBytes: Int(s.live_bytes),
                      hits: Int(s.hits), misses: Int(s.misses))
  }
}
