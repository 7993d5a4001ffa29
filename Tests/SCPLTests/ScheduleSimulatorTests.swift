import Foundation
import XCTest
@testable import SCPL
#if canImport(FoundationXML)
import FoundationXML
#endif

final class ScheduleSimulatorTests: XCTestCase {
  typealias Sim = ScheduleSimulator

  func figure13(_ schedule: Sim.Schedule, update: Sim.UpdatePolicy = .synchronous) throws -> Sim.Result {
    try Sim.run(schedule, Sim.Setup(.figure13, update: update), costsName: "figure13")
  }

  /// One device's work in spec 11.3's notation: letter, micro-batch, then the inclusive 1-based
  /// steps it covers (a span [s, e) covers steps s+1 … e), e.g. "F1:1 B3:17-20 U:29-31".
  func timeline(_ r: Sim.Result, _ device: Int) -> String {
    r.spans(device: device).filter { $0.kind != .idle }.map { s in
      let first = Int(s.start) + 1, last = Int(s.end)
      return "\(s.kind.letter)\(s.microBatch.map(String.init) ?? ""):"
        + (first == last ? "\(last)" : "\(first)-\(last)")
    }.joined(separator: " ")
  }

  func assertTimelines(_ r: Sim.Result, _ expected: [String], file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(r.devices, expected.count, file: file, line: line)
    for (d, want) in expected.enumerated() {
      XCTAssertEqual(timeline(r, d), want, "GPU\(d) of \(r.schedule.rawValue)", file: file, line: line)
    }
  }

  // MARK: Figure 13 (spec 11.3)

  func testFigure13Totals() throws {
    XCTAssertEqual(try figure13(.overlap).total, 24)
    XCTAssertEqual(try figure13(.gpipe).total, 31)
    XCTAssertEqual(try figure13(.scplGPipe).total, 22)
  }

  func testFigure13SCPLRowCellByCell() throws {
    assertTimelines(
      try figure13(.overlap),
      [
        "F:1-3 L:4-6 B:7-18 U:22-24",
        "F:4-6 L:7-9 B:10-21 U:22-24",
        "F:7-9 L:10-12 B:13-18 U:22-24",
        "F:10-12 L:13-15 B:16-18 U:22-24"
      ])
  }

  func testFigure13GPipeRowCellByCell() throws {
    assertTimelines(
      try figure13(.gpipe),
      [
        "F1:1 F2:2 F3:3 B3:17-20 B2:21-24 B1:25-28 U:29-31",
        "F1:2 F2:3 F3:4 B3:13-16 B2:17-20 B1:21-24 U:29-31",
        "F1:3 F2:4 F3:5 B3:11-12 B2:13-14 B1:15-16 U:29-31",
        "F1:4 F2:5 F3:6 L:7-9 B3:10 B2:11 B1:12 U:29-31"
      ])
  }

  func testFigure13SCPLGPipeRowCellByCell() throws {
    assertTimelines(
      try figure13(.scplGPipe),
      [
        "F1:1 F2:2 F3:3 L:4-6 B3:7-10 B2:11-14 B1:15-18 U:20-22",
        "F1:2 F2:3 F3:4 L:5-7 B3:8-11 B2:12-15 B1:16-19 U:20-22",
        "F1:3 F2:4 F3:5 L:6-8 B3:9-10 B2:11-12 B1:13-14 U:20-22",
        "F1:4 F2:5 F3:6 L:7-9 B3:10 B2:11 B1:12 U:20-22"
      ])
  }

  /// Spec 11.3: updating each GPU as soon as its own backward is done gives the same totals.
  func testFigure13PerStageUpdatesKeepTheTotals() throws {
    let overlap = try figure13(.overlap, update: .perStage)
    let gpipe = try figure13(.gpipe, update: .perStage)
    let both = try figure13(.scplGPipe, update: .perStage)
    XCTAssertEqual([overlap.total, gpipe.total, both.total], [24, 31, 22])
    XCTAssertEqual(timeline(overlap, 0), "F:1-3 L:4-6 B:7-18 U:19-21")
    XCTAssertEqual(timeline(overlap, 1), "F:4-6 L:7-9 B:10-21 U:22-24")
    XCTAssertEqual(timeline(gpipe, 3), "F1:4 F2:5 F3:6 L:7-9 B3:10 B2:11 B1:12 U:13-15")
    XCTAssertEqual(timeline(gpipe, 0), "F1:1 F2:2 F3:3 B3:17-20 B2:21-24 B1:25-28 U:29-31")
    XCTAssertEqual(timeline(both, 2), "F1:3 F2:4 F3:5 L:6-8 B3:9-10 B2:11-12 B1:13-14 U:15-17")
    XCTAssertEqual(timeline(both, 1), "F1:2 F2:3 F3:4 L:5-7 B3:8-11 B2:12-15 B1:16-19 U:20-22")
  }

  // MARK: bp and nmp against hand sums

  /// bp on one device, figure13 costs, whole mini-batch of 3 micro-batches:
  /// forwards 4 × (3 × 1) = 12, the last stage's loss 3, backwards 3 × (1 + 2 + 4 + 4) = 33,
  /// updates 4 × 3 = 12 → 60.
  func testBackpropIsTheSumOfItsWork() throws {
    let r = try figure13(.bp)
    XCTAssertEqual(r.devices, 1)
    XCTAssertEqual(r.total, 12 + 3 + 33 + 12)
    XCTAssertEqual(
      timeline(r, 0),
      "F:1-3 F:4-6 F:7-9 F:10-12 L:13-15 B:16-18 B:19-24 B:25-36 B:37-48 U:49-51 U:52-54 U:55-57 U:58-60")
    XCTAssertEqual(r.workSpans.filter { $0.kind == .backward }.map(\.stage), [3, 2, 1, 0])
  }

  /// nmp, figure13 costs, no transfer cost: forwards 4 × 3 = 12 in a chain, loss 3 on GPU3,
  /// backwards 3 + 6 + 12 + 12 = 33 back up the chain, then one synchronous update of 3 → 51.
  func testNaiveModelParallelHandSum() throws {
    let r = try figure13(.nmp)
    XCTAssertEqual(r.total, 12 + 3 + 33 + 3)
    assertTimelines(
      r,
      [
        "F:1-3 B:37-48 U:49-51",
        "F:4-6 B:25-36 U:49-51",
        "F:7-9 B:19-24 U:49-51",
        "F:10-12 L:13-15 B:16-18 U:49-51"
      ])
  }

  /// nmp on 2 stages with unit costs and transfer 1, M = 1: F0 1, T 1, F1 1, L 1, B1 2, the
  /// gradient's T 1 (sent by GPU1), B0 2, U 1 → 10.
  func testNaiveModelParallelPaysTransfersBothWays() throws {
    var costs = StageCosts.unit
    costs.transfer = 1
    let r = try Sim.run(.nmp, Sim.Setup(stages: [costs, costs]))
    XCTAssertEqual(r.total, 1 + 1 + 1 + 1 + 2 + 1 + 2 + 1)
    XCTAssertEqual(timeline(r, 0), "F:1 T:2 B:8-9 U:10")
    XCTAssertEqual(timeline(r, 1), "F:3 L:4 B:5-6 T:7 U:10")
  }

  // MARK: async steady state

  /// Three stages, M = 1, 4 batches; per-batch work W and the part before the next stage can
  /// start (forward + transfer) a:
  ///   stage 0: f1 t1 l1 b2 u1 → W 6, a 2
  ///   stage 1: f2 t0 l1 b4 u1 → W 8, a 2
  ///   stage 2: f1    l1 b1 u1 → W 4
  /// Device j starts batch t (0-based) at Σ_{i<j} a_i + t · max_{i≤j} W_i: device 0 at 6t,
  /// device 1 at 2 + 8t, device 2 at 4 + 8t. Batch 3 ends at 18+6 = 24, 26+8 = 34, 28+4 = 32, so
  /// the total is 34 and the steady state is the slowest stage's work, 8 per batch.
  func testAsyncSteadyStateIsTheSlowestStage() throws {
    let stages = [
      StageCosts(forward: 1, loss: 1, backward: 2, update: 1, transfer: 1),
      StageCosts(forward: 2, loss: 1, backward: 4, update: 1, transfer: 0),
      StageCosts(forward: 1, loss: 1, backward: 1, update: 1, transfer: 0)
    ]
    let r = try Sim.run(.async, Sim.Setup(stages: stages, batches: 4))
    XCTAssertEqual(r.total, 34)
    XCTAssertEqual(r.perBatch, 8)
    XCTAssertEqual(r.batches, 4)
    let lastOnDevice1 = r.workSpans.filter { $0.device == 1 && $0.batch == 4 }
    XCTAssertEqual(lastOnDevice1.first?.start, 26)
    XCTAssertEqual(lastOnDevice1.last?.end, 34)
    XCTAssertEqual(timeline(r, 2).split(separator: " ").prefix(4).joined(separator: " "), "F:5 L:6 B:7 U:8")
  }

  func testAsyncOnFigure13Costs() throws {
    // Per-batch work: 3 + 3 + 12 + 3 = 21 on GPUs 0 and 1, 15 and 12 on GPUs 2 and 3.
    let r = try figure13(.async)
    XCTAssertEqual(r.perBatch, 21)
    // GPU1 starts batch 8 at 3 + 7·21 = 150 and needs 21 more.
    XCTAssertEqual(r.total, 171)
  }

  // MARK: spans, charts

  func testSpansTileEveryDeviceFromZeroToTotal() throws {
    for schedule in Sim.Schedule.allCases {
      // interleaved-1f1b needs a micro-batch count that is a multiple of the 4 devices.
      let r = try Sim.run(schedule, Sim.Setup(.figure13, microBatches: schedule == .interleaved1F1B ? 4 : nil))
      for d in 0..<r.devices {
        let mine = r.spans(device: d)
        XCTAssertEqual(mine.first?.start, 0, "\(schedule)")
        XCTAssertEqual(mine.last?.end, r.total, "\(schedule)")
        for (a, b) in zip(mine, mine.dropFirst()) { XCTAssertEqual(a.end, b.start, "\(schedule) GPU\(d)") }
      }
    }
  }

  func testTextChartOfFigure13GPipe() throws {
    let chart = try figure13(.gpipe).textChart()
    XCTAssertTrue(chart.contains("\nGPU3 |...FFFLLLBBB................UUU|\n"), chart)
    XCTAssertTrue(chart.contains("\nGPU0 |FFF.............BBBBBBBBBBBBUUU|\n"), chart)
    XCTAssertTrue(chart.contains("\n      0         10        20        30\n"), chart)
    XCTAssertTrue(chart.hasSuffix("total 31\n"), chart)
  }

  func testTextChartScalesNonIntegerCosts() throws {
    let r = try Sim.run(.nmp, Sim.Setup(stages: [StageCosts(forward: 0.5, loss: 0.25, backward: 1.25, update: 0.5)]))
    XCTAssertEqual(r.total, 2.5)
    XCTAssertEqual(r.chartScale(maxWidth: 10).unit, 0.25)
    XCTAssertEqual(r.chartRow(device: 0, maxWidth: 10), "FFLBBBBBUU")
    XCTAssertTrue(r.textChart(maxWidth: 10).contains("one character = 0.25 time units"))
  }

  func testSVGIsWellFormedWithOneTrackPerDevice() throws {
    let r = try figure13(.gpipe)
    let svg = r.svg()
    XCTAssertTrue(svg.contains("total 31"))
    #if canImport(FoundationXML) || os(macOS)
    let doc = try XMLDocument(data: Data(svg.utf8))
    let tracks = try doc.nodes(forXPath: "//*[local-name()='g'][@class='track']")
    XCTAssertEqual(tracks.count, 4)
    let backwards = try doc.nodes(forXPath: "//*[local-name()='rect'][@class='backward']")
    XCTAssertEqual(backwards.count, 12)
    XCTAssertEqual(doc.rootElement()?.name, "svg")
    #else
    XCTAssertEqual(svg.components(separatedBy: "<g class=\"track\"").count - 1, 4)
    #endif
    let all = Sim.svg(try [.overlap, .gpipe, .scplGPipe].map { try figure13($0) })
    XCTAssertEqual(all.components(separatedBy: "<g class=\"track\"").count - 1, 12)
    XCTAssertTrue(all.contains("total 24") && all.contains("total 22"))
  }

  func testSummaryTable() throws {
    let results = try Sim.runAll(Sim.Setup(.figure13), costsName: "figure13")
    let table = Sim.summaryTable(results)
    XCTAssertTrue(table.contains("gpipe"), table)
    let nmpLine = table.split(separator: "\n").first { $0.hasPrefix("nmp ") }
    XCTAssertTrue(nmpLine?.hasSuffix("1.00x") ?? false, table)
    let overlapLine = table.split(separator: "\n").first { $0.hasPrefix("overlap ") }
    XCTAssertTrue(overlapLine?.hasSuffix("2.12x") ?? false, table)  // 51 / 24
  }

  // MARK: inputs and errors

  func testScheduleNames() throws {
    XCTAssertEqual(
      Sim.Schedule.allCases.map(\.rawValue),
      ["bp", "nmp", "overlap", "async", "gpipe", "scpl-gpipe", "1f1b", "interleaved-1f1b", "zb-h1"])
    XCTAssertEqual(try Sim.Schedule.parse("scpl-gpipe"), .scplGPipe)
    XCTAssertEqual(try Sim.Schedule.parseList("all").count, 9)
    XCTAssertEqual(try Sim.Schedule.parseList("overlap, gpipe,scpl-gpipe"), [.overlap, .gpipe, .scplGPipe])
    XCTAssertThrowsError(try Sim.Schedule.parseList("gpipe,"))
    XCTAssertThrowsError(try Sim.Schedule.parse("pipedream")) { error in
      XCTAssertEqual(
        "\(error)",
        "Unknown schedule 'pipedream'; choose one of bp, nmp, overlap, async, gpipe, scpl-gpipe, 1f1b, interleaved-1f1b, zb-h1 or all."
      )
    }
  }

  func testResolveChecksStagesMicroBatchesAndDefaults() throws {
    XCTAssertThrowsError(try Sim.Setup.resolve(costs: nil, stages: 0, microBatches: nil)) {
      XCTAssertEqual($0 as? SimulationError, .stagesOutOfRange(0))
    }
    XCTAssertThrowsError(try Sim.Setup.resolve(costs: "figure13", stages: 4, microBatches: 0)) {
      XCTAssertEqual("\($0)", "The number of micro-batches must be at least 1, got 0.")
    }
    XCTAssertThrowsError(try Sim.Setup.resolve(costs: "figure13", stages: 3, microBatches: nil)) {
      XCTAssertEqual("\($0)", "The costs in figure13 describe 4 stage(s) but --stages asks for 3.")
    }
    XCTAssertThrowsError(try Sim.Setup.resolve(costs: nil, stages: 2, microBatches: 1, update: "lazy"))
    let (model, setup) = try Sim.Setup.resolve(costs: nil, stages: nil, microBatches: nil)
    XCTAssertEqual(model.name, "uniform")
    XCTAssertEqual(setup.stages, Array(repeating: .unit, count: 4))
    XCTAssertEqual(setup.microBatches, 1)
    XCTAssertEqual(try Sim.Setup.resolve(costs: "figure13", stages: nil, microBatches: nil).1.microBatches, 3)
    XCTAssertEqual(try Sim.Setup.resolve(costs: "figure13", stages: 4, microBatches: 2).1.microBatches, 2)
    XCTAssertThrowsError(try Sim.run(.gpipe, Sim.Setup(stages: [])))
  }

  func withFile(_ text: String, _ body: (String) throws -> Void) throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("sim-\(UUID()).json")
    try Data(text.utf8).write(to: url)
    defer { try? FileManager.default.removeItem(at: url) }
    try body(url.path)
  }

  func testCostsFileRoundTripAndStageCount() throws {
    let model = try Sim.CostModel.parse(Sim.CostModel.figure13.json(), path: "x")
    XCTAssertEqual(model, Sim.CostModel.figure13)
    try withFile(
      #"{"stages": [{"forward": 2, "backward": 3}, {"forward": 1, "loss": 1, "transfer": 0.5}], "microBatches": 2}"#
    ) { path in
      let (m, setup) = try Sim.Setup.resolve(costs: path, stages: 2, microBatches: nil)
      XCTAssertEqual(m.stages[0], StageCosts(forward: 2, loss: 0, backward: 3, update: 0, transfer: 0))
      XCTAssertEqual(m.stages[1].transfer, 0.5)
      XCTAssertEqual(setup.microBatches, 2)
      XCTAssertThrowsError(try Sim.Setup.resolve(costs: path, stages: 4, microBatches: nil)) {
        XCTAssertEqual($0 as? SimulationError, .stageCountMismatch(path: path, inFile: 2, requested: 4))
      }
    }
  }

  func testCostsFileErrors() throws {
    let cases: [(String, String)] = [
      ("not json", "it is not valid JSON"),
      ("[1, 2]", "the top level must be an object with a \"stages\" array"),
      (#"{"stages": []}"#, "\"stages\" must be a non-empty array of objects"),
      (
        #"{"stages": [{"forward": 1}], "micro": 2}"#,
        "unknown key 'micro' at the top level (expected stages, microBatches, name)"
      ),
      (
        #"{"stages": [{"forwrd": 1}]}"#,
        "stage 0 has unknown key 'forwrd' (expected forward, loss, backward, update, transfer, allreduce)"
      ),
      (#"{"stages": [{"forward": 1}, {"loss": -1}]}"#, "stage 1 loss must be a non-negative number"),
      (#"{"stages": [{"forward": "1"}]}"#, "stage 0 forward must be a non-negative number"),
      (#"{"stages": [{"update": true}]}"#, "stage 0 update must be a non-negative number"),
      (#"{"stages": [{"forward": 1}], "microBatches": 0}"#, "\"microBatches\" must be a positive integer")
    ]
    for (text, reason) in cases {
      try withFile(text) { path in
        XCTAssertThrowsError(try Sim.CostModel.load(path)) {
          XCTAssertEqual("\($0)", "The costs file \(path) cannot be used: \(reason).")
        }
      }
    }
    XCTAssertThrowsError(try Sim.CostModel.load("/nonexistent/costs.json")) {
      XCTAssertTrue("\($0)".contains("neither a readable file nor a built-in cost set (figure13)"), "\($0)")
    }
  }

  // MARK: Chrome trace

  func testChromeTraceAveragesPerStagePerBatch() throws {
    // Two batches of two micro-batches. Device 0: forwards 4 × 1000 µs, losses 2 × 3000,
    // backwards 4 × 2000, updates 2 × 500, transfers 4 × 250. Device 1 (tid as a string):
    // forwards 4 × 1500, losses 2 × 1000, backwards 4 × 4000, updates 2 × 1000. Other events
    // are ignored.
    func x(_ name: String, _ tid: String, _ dur: Int, times: Int) -> [String] {
      Array(
        repeating: #"{"ph": "X", "name": "\#(name)", "pid": 1, "tid": \#(tid), "ts": 0, "dur": \#(dur)}"#, count: times)
    }
    let events =
      x("forward", "0", 1000, times: 4) + x("loss", "0", 3000, times: 2) + x("backward", "0", 2000, times: 4)
      + x("update", "0", 500, times: 2) + x("transfer", "0", 250, times: 4)
      + x("forward", "\"1\"", 1500, times: 4) + x("loss", "\"1\"", 1000, times: 2)
      + x("backward", "\"1\"", 4000, times: 4)
      + x("update", "\"1\"", 1000, times: 2) + x("wait", "0", 99999, times: 3)
      + [#"{"ph": "B", "name": "forward", "tid": 0, "ts": 5}"#]
    try withFile(#"{"traceEvents": [\#(events.joined(separator: ",\n"))]}"#) { path in
      let stages = try StageCosts.fromChromeTrace(URL(fileURLWithPath: path), microBatches: 2)
      XCTAssertEqual(
        stages,
        [
          StageCosts(forward: 1, loss: 3, backward: 2, update: 0.5, transfer: 0.25),
          StageCosts(forward: 1.5, loss: 1, backward: 4, update: 1, transfer: 0)
        ])
    }
    XCTAssertThrowsError(
      try StageCosts.fromChromeTrace(
        data: Data(#"{"traceEvents": [\#(x("loss", "2", 5, times: 1)[0])]}"#.utf8), path: "t")
    ) {
      XCTAssertEqual("\($0)", "The trace t cannot be read as stage costs: device 0 has no events.")
    }
    XCTAssertThrowsError(try StageCosts.fromChromeTrace(data: Data("{}".utf8), path: "t"))
  }
}
