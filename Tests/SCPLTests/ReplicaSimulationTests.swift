import Foundation
import XCTest
@testable import SCPL

/// The simulator's replicas (`Setup.replicas`): each stage's gradients all-reduced among R
/// pipelines on its device's link, 2(R−1)/R × its `allreduce` cost, after its last backward and
/// before its update; hand-computed timelines.
final class ReplicaSimulationTests: XCTestCase {
  typealias Sim = ScheduleSimulator

  /// Uniform costs (forward 1, loss 1, backward 2, update 1, transfer 0) with an all-reduce cost.
  func setup(stages: Int = 2, allreduce: Double = 1, replicas: Int, batches: Int = 8) -> Sim.Setup {
    var s = Sim.Setup(
      stages: Array(
        repeating: StageCosts(forward: 1, loss: 1, backward: 2, update: 1, allreduce: allreduce), count: stages),
      batches: batches)
    s.replicas = replicas
    return s
  }

  /// A row's work as "A:6" (letter, then the inclusive 1-based steps it covers), as in
  /// ScheduleSimulatorTests.
  func row(_ r: Sim.Result, _ device: Int) -> String {
    r.spans(device: device).filter { $0.kind != .idle }.map { s in
      let (first, last, f) = (s.start + 1, s.end, Sim.format)
      return "\(s.kind.letter)\(s.microBatch.map(String.init) ?? ""):"
        + (first == last ? f(last) : "\(f(first))-\(f(last))")
    }.joined(separator: " ")
  }

  func testNaiveModelParallelWaitsForTheFirstStagesAllReduceAndHidesTheLastStages() throws {
    // F0 0-1, F1 1-2, L 2-3, B1 3-5, B0 5-7; the last stage's all-reduce (5-6) runs while stage 0
    // goes backward, stage 0's (7-8) after it; the synchronous updates then wait for both: 9, one
    // more than without replicas.
    let r = try Sim.run(.nmp, setup(replicas: 2))
    XCTAssertEqual(r.replicas, 2)
    XCTAssertEqual(r.rows, 4)
    XCTAssertEqual(row(r, 0), "F:1 B:6-7 U:9")
    XCTAssertEqual(row(r, 1), "F:2 L:3 B:4-5 U:9")
    XCTAssertEqual(row(r, 2), "A:8")
    XCTAssertEqual(row(r, 3), "A:6")
    XCTAssertEqual(r.total, 9)
    XCTAssertEqual(try Sim.run(.nmp, setup(replicas: 1)).total, 8)
    // Four replicas send 2·3/4 of the gradients: 1.5 each.
    XCTAssertEqual(try Sim.run(.nmp, setup(replicas: 4)).total, 9.5)
  }

  func testAsyncPaysEachStagesAllReduceOnItsOwnDevice() throws {
    // Each device: forward, loss, backward, then its update waits for its all-reduce: 1+1+2+1+1.
    let r = try Sim.run(.async, setup(replicas: 2))
    XCTAssertEqual(r.perBatch, 6)
    XCTAssertEqual(try Sim.run(.async, setup(replicas: 1)).perBatch, 5)
    XCTAssertEqual(r.spans.filter { $0.kind == .allreduce }.count, 2 * 8)
    XCTAssertTrue(r.spans.filter { $0.kind == .allreduce }.allSatisfy { $0.device >= 2 }, "all-reduces on the links")
  }

  func testBackpropOnOneDeviceSerialisesItsAllReducesOnOneLink() throws {
    // F 0-1, F 1-2, L 2-3, B1 3-5, B0 5-7; link: 5-6 and 7-8; updates 8-9, 9-10.
    let r = try Sim.run(.bp, setup(replicas: 2))
    XCTAssertEqual(r.devices, 1)
    XCTAssertEqual(row(r, 0), "F:1 F:2 L:3 B:4-5 B:6-7 U:9 U:10")
    XCTAssertEqual(row(r, 1), "A:6 A:8")
    XCTAssertEqual(r.total, 10)
  }

  func testOneReplicaOrNoAllReduceCostChangesNothing() throws {
    for schedule in Sim.Schedule.allCases {
      var plain = setup(stages: 4, allreduce: 0, replicas: 1)
      plain.microBatches = 4
      var one = setup(stages: 4, allreduce: 3, replicas: 1)
      one.microBatches = 4
      var free = setup(stages: 4, allreduce: 0, replicas: 4)
      free.microBatches = 4
      let base = try Sim.run(schedule, plain)
      XCTAssertEqual(try Sim.run(schedule, one).spans, base.spans, schedule.rawValue)
      XCTAssertEqual(try Sim.run(schedule, free).total, base.total, schedule.rawValue)
    }
  }

  func testEveryScheduleAllReducesEveryStageOnceABatch() throws {
    for schedule in Sim.Schedule.allCases {
      var s = setup(stages: 4, replicas: 2)
      s.microBatches = 4
      let r = try Sim.run(schedule, s)
      let reduces = r.spans.filter { $0.kind == .allreduce }
      XCTAssertEqual(reduces.count, 4 * r.batches, schedule.rawValue)
      XCTAssertTrue(reduces.allSatisfy { $0.duration == 1 }, schedule.rawValue)
      // Each stage's update starts after its all-reduce ends.
      for k in 0..<4 {
        let reduced = reduces.filter { $0.stage == k || schedule == .interleaved1F1B }.map(\.end).min() ?? 0
        let update = r.spans.filter { $0.kind == .update && $0.stage == k }.map(\.start).min() ?? 0
        XCTAssertGreaterThanOrEqual(update, reduced, "\(schedule.rawValue) stage \(k)")
      }
    }
  }

  func testChartsShowTheLinksAndCostsFilesCarryTheAllReduceCost() throws {
    let r = try Sim.run(.nmp, setup(replicas: 2))
    let chart = r.textChart()
    XCTAssertTrue(chart.contains("link0 |") && chart.contains("link1 |"), chart)
    XCTAssertTrue(chart.contains("A all-reduce"), chart)
    XCTAssertTrue(r.title.contains("2 replicas"), r.title)
    let svg = r.svg()
    XCTAssertTrue(svg.contains(">link1</text>") && svg.contains("class=\"allreduce\""), svg)

    let model = try Sim.CostModel.parse(
      Data(#"{"stages": [{"forward": 1, "allreduce": 2.5}, {"forward": 1}]}"#.utf8), path: "costs.json")
    XCTAssertEqual(model.stages.map(\.allreduce), [2.5, 0])
    XCTAssertEqual(try Sim.CostModel.parse(try model.json(), path: "again.json").stages, model.stages)
    var bad = setup(replicas: 0)
    bad.replicas = 0
    XCTAssertThrowsError(try Sim.run(.nmp, bad)) {
      XCTAssertEqual("\($0)", "The number of replicas must be at least 1, got 0.")
    }
  }
}
