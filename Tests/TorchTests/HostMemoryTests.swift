import Foundation
import XCTest
import Torch

/// The caching host allocator (HostMemory): freed large blocks come back to the next request of
/// the same size without faulting their pages in again, within the limit, with correct values.
final class HostMemoryTests: XCTestCase {
  let elements = 20_000_000  // 80 MB of float32: far above glibc's largest dynamic mmap threshold (32 MB)

  override func setUp() { HostMemory.disableCache() }
  override func tearDown() { HostMemory.disableCache() }

  /// Minor page faults of this process so far.
  func minorFaults() -> Int {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return usage.ru_minflt
  }

  /// Makes, checks and frees one zero tensor (in a function of its own, so that the tensor is
  /// released before the next one is made).
  func allocateAndFree(_ count: Int, fill: Double = 0) throws {
    let t = try Tensor.full([count], fill)
    XCTAssertEqual(try t.sum().item(), fill * Double(count), accuracy: 1e-3 * Double(count))
  }

  func faultsOfFiveAllocations() throws -> Int {
    try allocateAndFree(elements)  // the first one may fault its pages in
    let before = minorFaults()
    for i in 0..<5 { try allocateAndFree(elements, fill: Double(i)) }
    return minorFaults() - before
  }

  func testWithoutTheCacheEveryLargeAllocationFaultsItsPagesInAgain() throws {
    // The behaviour the cache exists for (glibc maps and unmaps each 80 MB block).
    XCTAssertFalse(HostMemory.isCacheEnabled)
    XCTAssertGreaterThan(try faultsOfFiveAllocations(), 5 * 19_000)
  }

  func testCachedLargeBlocksAreReusedWithoutFaultingAndHoldTheRightValues() throws {
    try HostMemory.enableCache()
    XCTAssertTrue(HostMemory.isCacheEnabled)
    let start = HostMemory.statistics
    let faults = try faultsOfFiveAllocations()
    XCTAssertLessThan(faults, 2_000, "5 allocations of 80 MB faulted \(faults) pages in (19 532 each when mapped afresh)")
    let after = HostMemory.statistics
    XCTAssertEqual(after.hits - start.hits, 5, "the 5 later allocations are served from the cache")
    XCTAssertEqual(after.cachedBlocks, 1)
    XCTAssertEqual(after.cachedBytes, 77 << 20, "80 000 000 bytes rounded up to whole MiB")
  }

  func testTheLimitBoundsCachedBytesAndBlocksUnder128KiBAreNotCached() throws {
    try HostMemory.enableCache(limitBytes: 10 << 20)
    XCTAssertEqual(HostMemory.cacheLimitBytes, 10 << 20)
    try allocateAndFree(elements)  // 77 MiB: more than the limit, so freed, not kept
    XCTAssertEqual(HostMemory.statistics.cachedBytes, 0)
    try allocateAndFree(1_000_000)  // 4 MB → 4 MiB: kept
    try allocateAndFree(50_000)  // 200 000 bytes → 256 KiB (whole 64 KiB below 1 MiB): kept
    try allocateAndFree(30_000)  // 120 000 bytes, under 128 KiB: glibc's business
    XCTAssertEqual(HostMemory.statistics.cachedBytes, (4 << 20) + (256 << 10))
    XCTAssertEqual(HostMemory.statistics.cachedBlocks, 2)
    try HostMemory.enableCache(limitBytes: 1 << 20)  // lowering the limit frees what no longer fits, largest first
    XCTAssertEqual(HostMemory.statistics.cachedBytes, 256 << 10)
  }

  func testEmptyingAndDisablingFreeTheCacheButNotTensorsInUse() throws {
    try HostMemory.enableCache()
    let kept = try Tensor.full([1_000_000], 3.0)
    try allocateAndFree(2_000_000)
    XCTAssertEqual(HostMemory.statistics.cachedBytes, 8 << 20)
    HostMemory.emptyCache()
    XCTAssertEqual(HostMemory.statistics.cachedBytes, 0)
    XCTAssertEqual(HostMemory.statistics.liveBytes, 4 << 20, "the tensor still in use")
    HostMemory.disableCache()
    XCTAssertFalse(HostMemory.isCacheEnabled)
    XCTAssertEqual(try kept.sum().item(), 3_000_000, "a tensor from the cache stays valid after it is turned off")
  }

  func testABlockFreedOnAnotherThreadReturnsToTheCache() throws {
    try HostMemory.enableCache()
    var handoff: Tensor? = try Tensor.full([1_000_000], 1.0)
    let done = DispatchSemaphore(value: 0)
    let worker = Thread {
      handoff = nil  // the last reference dies on this thread
      done.signal()
    }
    worker.start()
    done.wait()
    XCTAssertNil(handoff)
    XCTAssertEqual(HostMemory.statistics.cachedBytes, 4 << 20)
  }

  func testGradientsAreBitForBitTheSameWithAndWithoutTheCache() throws {
    func gradient() throws -> [Float] {
      try Torch.manualSeed(7)
      let w = try Tensor.randn([512, 1024]).requiringGrad()  // 2 MiB blocks: cacheable
      let x = try Tensor.randn([256, 512])
      for _ in 0..<3 {  // several steps, so later ones reuse cached blocks
        try w.zeroGrad()
        try (try x.matmul(w)).relu().sum().backward()
      }
      return try w.grad!.toArray(Float.self)
    }
    let plain = try gradient()
    try HostMemory.enableCache()
    let cached = try gradient()
    XCTAssertGreaterThan(HostMemory.statistics.hits, 0)
    XCTAssertEqual(plain, cached)
  }

  func testANegativeLimitIsAClearError() {
    XCTAssertThrowsError(try HostMemory.enableCache(limitBytes: -1)) { XCTAssertTrue("\($0)".contains("at least 0 bytes"), "\($0)") }
    XCTAssertFalse(HostMemory.isCacheEnabled)
  }
}
