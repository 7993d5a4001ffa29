import Foundation
import XCTest
import Torch

/// The programs' malloc is tcmalloc (linked in by Package.swift): a large CPU buffer freed and
/// allocated again keeps its pages mapped, where glibc's malloc unmaps an 80 MB block at free and
/// faults every page in again, zeroed, at the next allocation (docs/performance.md).
final class HostMemoryTests: XCTestCase {
  let elements = 20_000_000  // 80 MB of float32: far above glibc's largest dynamic mmap threshold (32 MB)

  /// Minor page faults of this process so far.
  func minorFaults() -> Int {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return usage.ru_minflt
  }

  /// Makes, checks and frees one tensor (in a function of its own, so that the tensor is released
  /// before the next one is made).
  func allocateAndFree(_ count: Int, fill: Double = 0) throws {
    let t = try Tensor.full([count], fill)
    XCTAssertEqual(try t.sum().item(), fill * Double(count), accuracy: 1e-3 * Double(count))
  }

  func testTheProcessRunsOnTcmalloc() {
    XCTAssertEqual(Engine.mallocName, "tcmalloc (gperftools)")
  }

  /// Five 80 MB tensors one after another: with glibc each faults its 19 532 pages in (over 97 000
  /// in all); with tcmalloc the freed block is reused, its pages still mapped.
  func testALargeBufferFreedAndAllocatedAgainDoesNotFaultItsPagesIn() throws {
    try allocateAndFree(elements)  // the first one faults its pages in
    let before = minorFaults()
    for i in 0..<5 { try allocateAndFree(elements, fill: Double(i)) }
    let faults = minorFaults() - before
    XCTAssertLessThan(faults, 2_000, "\(faults) page faults for five reuses of an 80 MB block")
  }
}
