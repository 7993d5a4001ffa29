import Foundation
import XCTest
import Torch
@testable import SCPL

final class TraceCostsTests: XCTestCase {
  /// Device 0 runs component 1 and sends to device 1, which runs component 2. Batch 0 is slow
  /// (a warm-up), batches 1 and 2 steady. Times in seconds, as the executors record them.
  func knownTimeline() -> Timeline {
    let t = Timeline(deviceNames: ["device 0", "device 1"])
    var clock = 0.0
    func add(_ device: Int, _ kind: SpanKind, _ batch: Int, _ component: Int?, _ seconds: Double) {
      t.record(Span(device: device, kind: kind, batch: batch, component: component, start: clock, end: clock + seconds))
      clock += seconds
    }
    for batch in 0..<3 {
      let slow = batch == 0 ? 10.0 : 1.0
      add(0, .forward, batch, 0, 0.002 * slow)
      add(0, .transfer, batch, 0, 0.0005)
      add(0, .learn, batch, 0, 0.003)
      add(0, .wait, batch, nil, 0.100)  // blocked, not work
      add(1, .forward, batch, 1, 0.001)
      add(1, .learn, batch, 1, 0.004)
    }
    return t
  }

  func assertCosts(_ actual: [StageCosts], _ expected: [StageCosts], file: StaticString = #filePath, line: UInt = #line)
  {
    XCTAssertEqual(actual.count, expected.count, file: file, line: line)
    for (a, e) in zip(actual, expected) {
      for (x, y) in zip(a.values, e.values) {
        XCTAssertEqual(x, y, accuracy: 1e-6, "\(a) vs \(e)", file: file, line: line)
      }
    }
  }

  func testOurTraceGivesPerBatchForwardAndLearnAsBackwardInMilliseconds() throws {
    let data = try ChromeTrace.data(knownTimeline())
    let all = try TraceCosts.read(data: data)
    XCTAssertEqual(all.format, .executor)
    XCTAssertEqual(all.batches, 3)
    XCTAssertEqual(all.microBatches, 1)
    // Device 0's forward: (20 + 2 + 2) / 3 ms; learn 3 ms → backward; transfer 0.5 ms.
    assertCosts(
      all.stages,
      [
        StageCosts(forward: 8, loss: 0, backward: 3, update: 0, transfer: 0.5),
        StageCosts(forward: 1, loss: 0, backward: 4, update: 0, transfer: 0)
      ])

    let steady = try TraceCosts.read(data: data, skipBatches: 1)
    XCTAssertEqual(steady.batches, 2)
    assertCosts(
      steady.stages,
      [
        StageCosts(forward: 2, loss: 0, backward: 3, update: 0, transfer: 0.5),
        StageCosts(forward: 1, loss: 0, backward: 4, update: 0, transfer: 0)
      ])
    // The benchmark's own mapping gives the same costs from the spans (in seconds).
    let fromSpans = StageCosts.fromSpans(knownTimeline().spans.filter { $0.batch >= 1 }, devices: 2, batches: 2)
    assertCosts(
      fromSpans.map {
        StageCosts(
          forward: $0.forward * 1000, loss: 0, backward: $0.backward * 1000, update: 0, transfer: $0.transfer * 1000)
      },
      steady.stages)
  }

  /// A replica's trace: each component's all-reduce is a span inside its learn span; it becomes
  /// the stage's all-reduce cost, and the backward is the learn span without it.
  func testAnAllReduceInsideALearnSpanIsTheStagesAllReduceCost() throws {
    let t = Timeline(deviceNames: ["device 0"])
    for batch in 0..<2 {
      let at = Double(batch)
      t.record(Span(device: 0, kind: .forward, batch: batch, component: 0, start: at, end: at + 0.002))
      t.record(Span(device: 0, kind: .learn, batch: batch, component: 0, start: at + 0.002, end: at + 0.010))
      t.record(Span(device: 0, kind: .allreduce, batch: batch, component: 0, start: at + 0.005, end: at + 0.008))
    }
    assertCosts(
      try TraceCosts.read(data: try ChromeTrace.data(t)).stages,
      [StageCosts(forward: 2, loss: 0, backward: 5, update: 0, transfer: 0, allreduce: 3)])
  }

  func testMicroBatchesAreCountedFromTheTraceAndDivideForwardAndBackward() throws {
    let t = Timeline(deviceNames: ["device 0"])
    for m in 0..<2 {
      t.record(
        Span(device: 0, kind: .forward, batch: 0, component: 0, microBatch: m, start: Double(m), end: Double(m) + 0.003)
      )
      t.record(
        Span(
          device: 0, kind: .learn, batch: 0, component: 0, microBatch: m, start: Double(m) + 0.5, end: Double(m) + 0.505
        ))
    }
    t.record(Span(device: 0, kind: .step, batch: 0, component: nil, start: 3, end: 3.007))
    let costs = try TraceCosts.read(data: ChromeTrace.data(t))
    XCTAssertEqual(costs.microBatches, 2)
    assertCosts(costs.stages, [StageCosts(forward: 3, loss: 0, backward: 5, update: 7, transfer: 0)])
  }

  func testFromTraceResolvesStagesAndRejectsCostsTooAndBadSkips() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("trace-\(UUID()).json").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    try ChromeTrace.write(knownTimeline(), to: URL(fileURLWithPath: path))
    let (model, setup) = try ScheduleSimulator.Setup.resolve(
      costs: nil, trace: path, skipBatches: 1, stages: nil, microBatches: nil)
    XCTAssertEqual(model.stages.count, 2)
    XCTAssertEqual(setup.batches, 2, "async simulates as many batches as the trace counted")
    XCTAssertThrowsError(
      try ScheduleSimulator.Setup.resolve(costs: "figure13", trace: path, stages: nil, microBatches: nil)
    ) {
      XCTAssertEqual("\($0)", "Give the costs either as --costs (figure13) or as --from-trace (\(path)), not both.")
    }
    XCTAssertThrowsError(try ScheduleSimulator.Setup.resolve(costs: nil, trace: path, stages: 3, microBatches: nil)) {
      XCTAssertEqual("\($0)", "The costs in \(path) describe 2 stage(s) but --stages asks for 3.")
    }
    XCTAssertThrowsError(try TraceCosts.read(data: ChromeTrace.data(knownTimeline()), path: "t", skipBatches: 3)) {
      XCTAssertEqual(
        "\($0)", "The trace t cannot be read as stage costs: it has no spans after skipping the first 3 batch(es).")
    }
    let generic = Data(#"{"traceEvents": [{"ph": "X", "name": "forward", "tid": 0, "ts": 0, "dur": 5}]}"#.utf8)
    XCTAssertThrowsError(try TraceCosts.read(data: generic, skipBatches: 1))
    XCTAssertEqual(try TraceCosts.read(data: generic).format, .generic)
  }

  /// `scpl simulate --from-trace` predicts what a pipeline measured: an async run over two
  /// devices whose stages each hold their thread for 10 ms of work (`busyWork`) is written as a trace, read
  /// back as stage costs, simulated, and the predicted time per batch is compared with the
  /// measured interval between batches in the steady state.
  func testATracesPredictionMatchesTheMeasuredStep() throws {
    let method = try CountingMethod(components: 2, seconds: 0.01)
    var options = PipelineOptions(kind: .async, devices: try .cpuWorkers(2))
    options.placement = try Placement([0, 1], deviceCount: 2)
    let e = try Pipelines.make(method, options)
    defer { e.shutdown() }
    let batches = try (0..<10).map { _ in (inputs: try Tensor.zeros([2, 1, 16, 16]), labels: try Tensor([Int64(0), 1]))
    }
    var intervals: [Double] = []
    try e.trainEpoch(batches) { intervals.append($0.interval) }
    let measured = Array(intervals.dropFirst(2)).median  // the pipeline is full from the third batch on

    let path = FileManager.default.temporaryDirectory.appendingPathComponent("trace-\(UUID()).json").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    try ChromeTrace.write(e.timeline, to: URL(fileURLWithPath: path))
    let (_, setup) = try ScheduleSimulator.Setup.resolve(
      costs: nil, trace: path, skipBatches: 2, stages: nil,
      microBatches: nil, update: "per-stage")
    XCTAssertEqual(setup.stages.count, 2)
    let predicted = try ScheduleSimulator.run(.async, setup).perBatch / 1000
    // Each device works 10 ms forward + 10 ms learn per batch: 20 ms per batch, pipelined.
    XCTAssertEqual(measured, 0.020, accuracy: 0.006, "measured \(measured) s")
    XCTAssertEqual(predicted, measured, accuracy: 0.15 * measured, "predicted \(predicted) s, measured \(measured) s")
  }
}
