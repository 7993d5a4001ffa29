import Foundation
import XCTest
import Torch

/// libtorch's intra-op thread count must be settable per OS thread, so that each pipeline worker
/// owns exactly N threads (docs/threads.md).
final class ThreadScopeTests: XCTestCase {
  func testEachThreadKeepsItsOwnIntraOpThreadCount() throws {
    let mainBefore = Threads.measuredParallelWidth()
    final class Results: @unchecked Sendable {
      let lock = NSLock()
      var byWanted: [Int: (width: Int, reported: Int)] = [:]
      func record(_ wanted: Int, _ width: Int, _ reported: Int) {
        lock.lock(); byWanted[wanted] = (width, reported); lock.unlock()
      }
    }
    let results = Results()
    let group = DispatchGroup()
    let ready = DispatchSemaphore(value: 0)
    let go = DispatchSemaphore(value: 0)
    for wanted in [1, 2, 3] {
      group.enter()
      let t = Thread {
        defer { group.leave() }
        try? Threads.setThreadCount(wanted)
        ready.signal()
        go.wait()  // all three have set their counts before anyone measures
        // Real work on this thread between the setting and the measurement.
        _ = try? Tensor.randn([64, 64]).matmul(Tensor.randn([64, 64])).sum().item()
        results.record(wanted, Threads.measuredParallelWidth(), Threads.threadCount)
      }
      t.start()
    }
    for _ in 0..<3 { ready.wait() }
    for _ in 0..<3 { go.signal() }
    group.wait()
    for wanted in [1, 2, 3] {
      XCTAssertEqual(results.byWanted[wanted]?.width, wanted, "thread that set \(wanted)")
      XCTAssertEqual(results.byWanted[wanted]?.reported, wanted)
    }
    XCTAssertEqual(Threads.measuredParallelWidth(), mainBefore, "other threads' settings leaked into the main thread")
  }

  func testInvalidThreadCountIsAnError() {
    XCTAssertThrowsError(try Threads.setThreadCount(0)) { XCTAssertTrue("\($0)".contains("at least 1"), "\($0)") }
  }
}
