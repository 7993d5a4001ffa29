import XCTest
import Torch
@testable import SCPL

/// `scpl selftest`'s comparison: it sees a difference where there is one, scales it by the
/// reference's magnitude, and the CPU run of every schedule passes bit for bit.
final class DeviceSelfTestTests: XCTestCase {
  func testTheComparisonMeasuresRelativeDifferences() throws {
    let reference = DeviceSelfTest.Trained(
      state: [("w", try Tensor([2.0, -4.0])), ("n", try Tensor([Int64(3)]))], losses: [[1.0, 2.0]])
    var same = reference
    XCTAssertTrue(try DeviceSelfTest.compare(same, reference) == (0, 0, true))
    same.state[0].1 = try Tensor([2.0, -4.002])  // 0.002 off, of a largest magnitude of 4
    same.losses = [[1.0, 2.01]]
    let (weights, losses, identical) = try DeviceSelfTest.compare(same, reference)
    XCTAssertEqual(weights, 0.0005, accuracy: 1e-9)
    XCTAssertEqual(losses, 0.005, accuracy: 1e-9)
    XCTAssertFalse(identical)
    var other = reference
    other.state.removeLast()
    XCTAssertThrowsError(try DeviceSelfTest.compare(other, reference)) {
      XCTAssertTrue("\($0)".contains("trained different things"), "\($0)")
    }
  }

  /// Every schedule on two CPU workers, each hand-off a real copy, equals the same schedule
  /// without copies: bit for bit, so well inside any tolerance.
  func testEveryScheduleOnCPUWorkersPasses() throws {
    var seen: [String] = []
    let outcomes = try DeviceSelfTest.run(on: try .cpuWorkers(2), steps: 2) {
      seen.append("\($0.model) \($0.method) \($0.pipeline)")
    }
    XCTAssertEqual(seen.count, 10)
    XCTAssertEqual(Set(outcomes.map(\.pipeline)), ["nmp", "gpipe", "overlap", "async", "scpl-gpipe"])
    for o in outcomes {
      XCTAssertTrue(o.passed && o.identical, "\(o)")
      XCTAssertEqual(o.maxWeightDifference, 0)
    }
  }
}
