import Foundation
import SCPL
import XCTest

/// `scpl bench train --stage-costs` measures each component's forward and learning time on one
/// micro-batch and writes a costs file per method that `scpl simulate --costs` reads: one stage
/// per component, positive forward and backward times, the micro-batch count recorded.
final class StageCostsTests: XCTestCase {
  func testMeasuredCostsFeedTheSimulator() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stage-costs-\(UUID())")
    defer { try? FileManager.default.removeItem(at: dir) }
    let run = try runScpl([
      "bench", "train", "--model", "convnet", "--components", "2", "--runs", "bp:off,scpl:off", "--devices", "1",
      "--steps", "1", "--warmup", "0", "--batch-sizes", "32", "--micro-batches", "4",
      "--stage-costs", dir.appendingPathComponent("costs").path, "--out", dir.appendingPathComponent("bench").path
    ])
    XCTAssertEqual(run.status, 0, run.stderr)
    for method in ["bp", "scpl"] {
      let file = dir.appendingPathComponent("costs/convnet-\(method)-costs.json")
      let costs = try ScheduleSimulator.CostModel.load(file.path)
      XCTAssertEqual(costs.stages.count, 2, method)
      XCTAssertEqual(costs.microBatches, 4, method)
      for stage in costs.stages {
        XCTAssertGreaterThan(stage.forward, 0, method)
        XCTAssertGreaterThan(stage.backward, 0, method)
      }
      let result = try ScheduleSimulator.run(.oneFOneB, ScheduleSimulator.Setup(costs))
      XCTAssertGreaterThan(result.total, 0)
    }
  }

  /// `scpl simulate --replicas R --allreduce C`: the links' rows in the chart and the hand-computed
  /// total (docs/simulator.md); a count of costs that fits no stage count is refused, and replicas
  /// without an all-reduce cost are said to cost nothing.
  func testSimulateReplicasWithAnAllReduceCost() throws {
    let run = try ScplProcess(["simulate", "--schedule", "nmp", "--stages", "2", "--replicas", "2", "--allreduce", "1"])
      .finish(within: 60)
    XCTAssertEqual(run.status, 0, run.stderr)
    XCTAssertTrue(run.stdout.contains("link0 |.......A.|") && run.stdout.contains("link1 |.....A...|"), run.stdout)
    XCTAssertTrue(run.stdout.contains("total 9"), run.stdout)
    let wrong = try ScplProcess(["simulate", "--stages", "2", "--replicas", "2", "--allreduce", "1,2,3"]).finish(
      within: 60)
    XCTAssertNotEqual(wrong.status, 0)
    XCTAssertTrue(
      wrong.stderr.contains("--allreduce takes one non-negative number, or one per stage (2)"), wrong.stderr)
    let free = try ScplProcess(["simulate", "--schedule", "async", "--replicas", "4"]).finish(within: 60)
    XCTAssertTrue(free.stdout.contains("the 4 replicas' all-reduces cost nothing; set --allreduce"), free.stdout)
  }
}
