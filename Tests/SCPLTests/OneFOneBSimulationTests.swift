import Foundation
import XCTest

@testable import SCPL

/// BP's stronger schedules in the simulator against the textbook: with uniform costs (forward 1,
/// backward 2 — B and W 1 each under zb-h1 — no loss, update or transfer), p stages and m
/// micro-batches, GPipe and 1F1B both leave (p−1)/(m+p−1) of each device idle; 1F1B holds at most
/// p − k micro-batches on stage k where GPipe holds m; v chunks per device divide the bubble by v;
/// ZB-H1's bubble is a third of 1F1B's, holding no more than 1F1B's peak. And each schedule's plan is complete: every stage runs
/// each micro-batch's forward before its backward, once each.
final class OneFOneBSimulationTests: XCTestCase {
  typealias Sim = ScheduleSimulator

  func uniform(stages p: Int, microBatches m: Int) -> Sim.Setup {
    Sim.Setup(
      stages: Array(repeating: StageCosts(forward: 1, loss: 0, backward: 2, update: 0), count: p), microBatches: m)
  }

  /// Each device's idle share of the total.
  func idleFractions(_ r: Sim.Result) -> [Double] {
    (0..<r.devices).map { d in r.spans(device: d).filter { $0.kind == .idle }.map(\.duration).reduce(0, +) / r.total }
  }

  func testGPipeAnd1F1BIdleTheTextbookFraction() throws {
    for (p, m) in [(4, 8), (2, 4), (4, 4), (3, 7)] {
      let expected = Double(p - 1) / Double(m + p - 1)
      for schedule in [Sim.Schedule.gpipe, .oneFOneB] {
        let r = try Sim.run(schedule, uniform(stages: p, microBatches: m))
        XCTAssertEqual(r.total, Double((m + p - 1) * 3), "\(schedule) p=\(p) m=\(m)")
        for (d, idle) in idleFractions(r).enumerated() {
          XCTAssertEqual(idle, expected, accuracy: 1e-12, "\(schedule) p=\(p) m=\(m) device \(d)")
        }
      }
    }
  }

  func test1F1BHoldsAtMostTheStagesLeftWhereGPipeHoldsEveryMicroBatch() throws {
    let setup = uniform(stages: 4, microBatches: 8)
    XCTAssertEqual(try Sim.run(.gpipe, setup).peakInFlightPerStage, [8, 8, 8, 8])
    XCTAssertEqual(try Sim.run(.oneFOneB, setup).peakInFlightPerStage, [4, 3, 2, 1])
    // Fewer micro-batches than stages: nobody holds more than there are.
    XCTAssertEqual(try Sim.run(.oneFOneB, uniform(stages: 4, microBatches: 2)).peakInFlight, 2)
  }

  /// The bubble — total minus one device's work, m·(F+B) — of interleaved 1F1B with v chunks per
  /// device is 1F1B's (p−1)(F+B) divided by v.
  func testInterleavingDividesTheBubbleByTheChunks() throws {
    let (p, m) = (4, 8)
    let work = Double(m * 3)
    let plain = try Sim.run(.oneFOneB, uniform(stages: p, microBatches: m)).total - work
    XCTAssertEqual(plain, Double((p - 1) * 3))
    for v in [2, 4] {
      var setup = uniform(stages: p, microBatches: m)
      setup.chunksPerDevice = v
      let r = try Sim.run(.interleaved1F1B, setup)
      XCTAssertEqual(r.total - work, plain / Double(v), accuracy: 1e-9, "v=\(v)")
      XCTAssertEqual(r.peakInFlightPerStage.count, p * v)
    }
    var odd = uniform(stages: 4, microBatches: 6)
    odd.chunksPerDevice = 2
    XCTAssertThrowsError(try Sim.run(.interleaved1F1B, odd)) {
      XCTAssertTrue("\($0)".contains("must be a multiple of 4, got 6"), "\($0)")
    }
  }

  /// With F = B = W, 1F1B's bubble is (p−1)(F+B+W) = 3(p−1) and ZB-H1's (p−1)(F+B−W) = p−1.
  func testZeroBubbleH1LeavesAThirdOf1F1BsBubble() throws {
    for (p, m) in [(4, 8), (4, 12), (3, 6)] {
      let work = Double(m * 3)
      let oneF = try Sim.run(.oneFOneB, uniform(stages: p, microBatches: m))
      let zb = try Sim.run(.zbH1, uniform(stages: p, microBatches: m))
      XCTAssertEqual(oneF.total - work, Double(3 * (p - 1)), "p=\(p) m=\(m)")
      XCTAssertEqual(zb.total - work, Double(p - 1), accuracy: 1e-9, "p=\(p) m=\(m)")
      XCTAssertEqual(zb.peakInFlightPerStage, Array(repeating: p, count: p), "1F1B's peak, on every stage")
      XCTAssertEqual(oneF.peakInFlight, p)
    }
  }

  /// Every stage of every micro-batched schedule runs each micro-batch's forward, then its
  /// backward (and W), exactly once.
  func testEveryPlanRunsEachMicroBatchOnceOnEveryStage() throws {
    var setup = uniform(stages: 4, microBatches: 8)
    setup.chunksPerDevice = 2
    for schedule in [Sim.Schedule.gpipe, .oneFOneB, .interleaved1F1B, .zbH1] {
      let r = try Sim.run(schedule, setup)
      let stages = schedule == .interleaved1F1B ? 8 : 4
      for s in 0..<stages {
        let mine = r.workSpans.filter { $0.stage == s }
        let forwards = mine.filter { $0.kind == .forward }.compactMap(\.microBatch)
        let backwards = mine.filter { $0.kind == .backward }.compactMap(\.microBatch)
        XCTAssertEqual(forwards.sorted(), Array(1...8), "\(schedule) stage \(s)")
        XCTAssertEqual(backwards.sorted(), Array(1...8), "\(schedule) stage \(s)")
        for m in 1...8 {
          let f = mine.first { $0.kind == .forward && $0.microBatch == m }!
          let b = mine.first { $0.kind == .backward && $0.microBatch == m }!
          XCTAssertLessThanOrEqual(f.end, b.start, "\(schedule) stage \(s) micro-batch \(m)")
        }
        if schedule == .zbH1 {
          XCTAssertEqual(mine.filter { $0.kind == .weight }.compactMap(\.microBatch).sorted(), Array(1...8))
        }
      }
    }
  }

  /// `scpl simulate`'s default costs (forward 1, loss 1 per mini-batch, backward 2, update 1),
  /// 4 stages, 8 micro-batches: zb-h1 and interleaved-1f1b beat 1f1b, 1f1b is within 5 % of
  /// gpipe (its loss is costed per micro-batch, 1/8 of the mini-batch's each), and 1f1b holds at
  /// most 4 micro-batches to gpipe's 8.
  func testTheDefaultComparison() throws {
    let setup = Sim.Setup(stages: Array(repeating: .unit, count: 4), microBatches: 8)
    let results = try Sim.runAll(setup, schedules: [.gpipe, .oneFOneB, .interleaved1F1B, .zbH1])
    let total = Dictionary(uniqueKeysWithValues: results.map { ($0.schedule, $0.total) })
    XCTAssertLessThan(total[.zbH1]!, total[.oneFOneB]!)
    XCTAssertLessThan(total[.interleaved1F1B]!, total[.oneFOneB]!)
    XCTAssertLessThanOrEqual(abs(total[.oneFOneB]! - total[.gpipe]!) / total[.gpipe]!, 0.05)
    XCTAssertLessThanOrEqual(results[1].peakInFlight, 4)
    XCTAssertEqual(results[0].peakInFlight, 8)
  }

  /// A time that rounds to a whole number at three decimals prints without a trailing point (SVG's
  /// number syntax has none: "511." put a rectangle of the interleaved chart at x = 0).
  func testTimesThatRoundToWholeNumbersHaveNoTrailingPoint() {
    XCTAssertEqual(Sim.format(510.9996), "511")
    XCTAssertEqual(Sim.format(-2.0004), "-2")
    XCTAssertEqual(Sim.format(1.25), "1.25")
    XCTAssertEqual(Sim.format(3), "3")
  }
}
