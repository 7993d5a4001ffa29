import Foundation
import XCTest
import Torch
@testable import SCPL

final class DeviceWorkerTests: XCTestCase {
  func testRunsJobsInOrderWithItsOwnThreadCount() throws {
    let w = try DeviceWorker(index: 0, device: .cpuWorker(0), threads: 2)
    defer { w.shutdown() }
    let order = try (0..<5).map { i in try w.submit { i } }.map { try $0.wait() }
    XCTAssertEqual(order, [0, 1, 2, 3, 4])
    XCTAssertEqual(try w.run { Threads.threadCount }, 2)
    XCTAssertFalse(try w.run { Thread.isMainThread })
  }

  func testAJobsErrorIsRethrownToTheCallerAndTheWorkerGoesOn() throws {
    let w = try DeviceWorker(index: 1, device: .cpuWorker(1))
    defer { w.shutdown() }
    XCTAssertThrowsError(try w.run { try Tensor.zeros([2, 3]).matmul(Tensor.zeros([2, 3])) }) {
      XCTAssertTrue($0 is TorchError, "\($0)")
    }
    XCTAssertEqual(try w.run { 7 }, 7)
  }

  /// Early stop: shutdown lets the running job finish, cancels the queued ones (their waiters
  /// get an error), wakes a producer blocked on the full inbox, and joins the thread.
  func testShutdownCancelsQueuedJobsWakesProducersAndJoins() throws {
    let w = try DeviceWorker(index: 0, device: .cpuWorker(0), queueDepth: 1)
    let release = DispatchSemaphore(value: 0)
    let running = try w.submit { () -> Int in
      release.wait(); return 1
    }
    let queued = try w.submit { 2 }
    // A third job finds the inbox full and blocks its producer.
    let producerDone = DispatchSemaphore(value: 0)
    final class Box: @unchecked Sendable { var error: Error? }
    let box = Box()
    Thread {
      do { _ = try w.submit { 3 } } catch { box.error = error }
      producerDone.signal()
    }.start()
    // Events, not sleeps: the producer is blocked on the full inbox before the shutdown, and the
    // running job ends only after the shutdown has cancelled the queued one.
    XCTAssertTrue(w.waitForProducers(1, seconds: 5), "the third submit waits on the full inbox")
    Thread {
      _ = queued.outcome(); release.signal()
    }.start()
    w.shutdown()
    XCTAssertEqual(try running.wait(), 1, "the running job finishes")
    XCTAssertThrowsError(try queued.wait()) {
      XCTAssertTrue("\($0)".contains("shut down before this job ran"), "\($0)")
    }
    XCTAssertEqual(producerDone.wait(timeout: .now() + 5), .success)
    XCTAssertTrue(
      "\(box.error.map { "\($0)" } ?? "")".contains("has been shut down"), "\(String(describing: box.error))")
    XCTAssertTrue(w.hasExited)
    XCTAssertThrowsError(try w.submit { 4 })
    w.shutdown()  // idempotent
  }

  func testDroppingTheLastReferenceJoinsTheThread() throws {
    weak var weakWorker: DeviceWorker?
    do {
      let w = try DeviceWorker(index: 0, device: .cpuWorker(0))
      _ = try w.run { 1 }
      weakWorker = w
    }
    XCTAssertNil(weakWorker, "the worker's thread must not keep it alive (deinit shuts it down and joins)")
  }

  func testBadThreadCountIsAnErrorBeforeAnyWork() {
    XCTAssertThrowsError(try DeviceWorker(index: 0, device: .cpuWorker(0), threads: 0)) {
      XCTAssertTrue("\($0)".contains("at least 1 intra-op thread"), "\($0)")
    }
  }

  func testBlockingQueueIsBoundedAndFirstInFirstOut() throws {
    let q = BlockingQueue<Int>(capacity: 2)
    let done = DispatchSemaphore(value: 0)
    Thread {
      for i in 0..<50 { try? q.put(i) }
      done.signal()
    }.start()
    var got: [Int] = []
    while got.count < 50 {
      XCTAssertLessThanOrEqual(q.count, 2)
      if let v = q.take() { got.append(v) }
    }
    XCTAssertEqual(got, Array(0..<50))
    done.wait()
    q.close()
    XCTAssertNil(q.take())
    XCTAssertThrowsError(try q.put(1))
  }
}
