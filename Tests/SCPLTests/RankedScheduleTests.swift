import Foundation
import NN
import TestSupport
import Torch
import XCTest

@testable import SCPL

/// A batch-by-batch schedule over two ranks of a c10d group (two threads of this process, on
/// loopback), where rank 1's step fails with an error of its own rather than a lost connection.
final class RankedScheduleTests: XCTestCase {
  /// Component 2 fails on rank 1, which runs it. Rank 1 reports the failure and leaves; rank 0,
  /// whose stage waits for rank 1's gradients, ends its epoch at once with rank 1's sentence
  /// (not at its timeout, and not with a lost connection's).
  func testAStepThatFailsOnRankOneEndsRankZerosEpochWithItsSentence() throws {
    for kind in [PipelineKind.nmp, .gpipe] {
      let port = try freeLoopbackPort()
      let rankZero = LockedValue<(error: String, seconds: Double)?>(nil)
      let errors = onThreads(2, seconds: 60) { r in
        let group = try ProcessGroup(
          rank: r, worldSize: 2, masterAddress: "127.0.0.1", masterPort: port, timeout: 20)
        let link = RankLink(group)
        let model = try ProbeComponent.model(components: 2)
        let method = try BackpropMethod(model: model, options: MethodOptions())
        var options = PipelineOptions(
          kind: kind, devices: try .cpuWorkers(2), placement: try Placement([0, 1], deviceCount: 2))
        options.microBatches = 2
        options.link = link
        let executor = try XCTUnwrap(try Pipelines.make(method, options) as? any RankedExecutor)
        defer { executor.shutdown() }
        guard r == 0 else {
          (model.components[1] as! ProbeComponent).fail = true  // rank 1's copy, which rank 1 runs
          // What `RankServer` does: the run begins, then this rank serves it.
          guard case .beginRun = try link.receiveFromAbove() else { throw PipelineError("no run began") }
          return try executor.serve()
        }
        defer { link.endJob() }
        let batches = try (0..<3).map { _ in
          (inputs: try Tensor.randn([8, 4]), labels: try Tensor((0..<8).map { Int64($0 % 2) }))
        }
        let start = Date()
        do {
          try executor.trainEpoch(batches)
        } catch {
          rankZero.withLock { $0 = ("\(error)", Date().timeIntervalSince(start)) }
        }
      }
      let outcome = try XCTUnwrap(rankZero.withLock { $0 }, "\(kind): rank 0's epoch did not fail")
      XCTAssertEqual(
        outcome.error,
        "rank 1: component 2 on device 1 (cpu:1), batch 0\(kind == .gpipe ? ", micro-batch 1 of 2" : ""): probe component broke on purpose",
        "\(kind)")
      XCTAssertLessThan(outcome.seconds, 10, "\(kind): rank 0 waited for its timeout")
      XCTAssertNil(errors?[0] ?? nil, "\(kind): rank 0's thread")
      XCTAssertTrue(
        "\(String(describing: errors?[1] ?? nil))".contains("probe component broke on purpose"),
        "\(kind): rank 1 leaves with its error")
    }
  }
}
