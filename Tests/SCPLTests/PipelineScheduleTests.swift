import Foundation
import XCTest
import NN
import TestSupport
import Torch
@testable import SCPL

/// A local method whose stages only count (and, given `seconds`, hold their thread for work of a
/// known length, `busyWork`): it shows the schedule without numerics. Its `meeting` proves which
/// of its shares run at the same time: "forward k", "learn k" and "predict k" join it; a stage's
/// `hold` makes one of its forwards wait for an event the test names.
final class CountingMethod: LocalMethod {
  let kind = MethodKind.scpl
  let model: StagedModel
  var stages: [any LocalStage] = []
  var modules: [(String, Module)] { [] }
  let seconds: Double

  /// Where and how one prediction share ran.
  struct PredictionCall {
    let component: Int
    let thread: pthread_t
    let gradEnabled: Bool
  }
  private let lock = NSLock()
  private var calls: [PredictionCall] = []
  var predictionCalls: [PredictionCall] { lock.lock(); defer { lock.unlock() }; return calls }
  /// Prediction throws in this component's share of this batch when set.
  var failPrediction: (component: Int, batch: Int)?
  var meeting: Meeting? { didSet { for s in counters { s.meeting = meeting } } }

  /// Each share works like a forward and notes where it ran; the last gives zero logits.
  func predict(component k: Int, _ x: PartialPrediction, via handOff: ComponentHandOff) throws -> PartialPrediction {
    if seconds > 0 { busyWork(seconds: seconds) }
    meeting?.inside("predict \(k)")
    lock.lock()
    let batch = calls.filter { $0.component == k }.count  // one worker per component: batch order
    calls.append(PredictionCall(component: k, thread: pthread_self(), gradEnabled: isGradEnabled))
    lock.unlock()
    if let f = failPrediction, f.component == k, f.batch == batch {
      throw TorchError("component \(k + 1)'s prediction broke on purpose")
    }
    var y = x
    if k == model.components.count - 1 { y.final = try Tensor.zeros([x.activation.batchSize, 2]) }
    return y
  }

  final class Stage: LocalStage {
    let index: Int
    let seconds: Double
    let optimizer: any Optimizer
    var modules: [Module] { [] }
    /// Throws in `learn` of this batch when set.
    var failAtBatch: Int?
    var meeting: Meeting?
    /// At its forward of batch `call` (0-based), the stage runs `wait` first: it stays inside
    /// that forward until the event `wait` waits for.
    var hold: (call: Int, wait: () -> Void)?
    private let lock = NSLock()
    private var _learned = 0
    private var forwards = 0
    var learned: Int { lock.lock(); defer { lock.unlock() }; return _learned }

    init(index: Int, seconds: Double) throws {
      self.index = index
      self.seconds = seconds
      optimizer = try SGD([Tensor.zeros([1]).requiringGrad()], lr: 0.1)
    }

    func forward(_ input: Activation) throws -> Activation {
      lock.lock()
      let call = forwards
      forwards += 1
      lock.unlock()
      if let hold, hold.call == call { hold.wait() }
      if seconds > 0 { busyWork(seconds: seconds) }
      meeting?.inside("forward \(index)")
      return input
    }

    func loss(input: Activation, output: Activation, labels: Tensor) throws -> Tensor { try Tensor.zeros([]) }

    func learn(input: Activation, output: Activation, labels: Tensor) throws -> Double {
      if seconds > 0 { busyWork(seconds: seconds) }
      meeting?.inside("learn \(index)")
      lock.lock(); defer { lock.unlock() }
      if let failAtBatch, _learned == failAtBatch { throw TorchError("stage \(index + 1) broke on purpose") }
      _learned += 1
      return Double(index)
    }
  }

  init(components: Int, seconds: Double) throws {
    self.seconds = seconds
    model = try VGG.build(sampleShape: [1, 16, 16], classes: 2, components: components, width: 1.0 / 64)
    stages = try (0..<components).map { try Stage(index: $0, seconds: seconds) }
  }

  var counters: [Stage] { stages.map { $0 as! Stage } }
}

final class PipelineScheduleTests: XCTestCase {
  func fakeBatches(_ n: Int) throws -> [(inputs: Tensor, labels: Tensor)] {
    try (0..<n).map { _ in (inputs: try Tensor.zeros([2, 1, 16, 16]), labels: try Tensor([Int64(0), 1])) }
  }

  /// Components split evenly over the devices (4 over 2: 0,0,1,1).
  func executor(_ method: any TrainingMethod, _ kind: PipelineKind, devices: Int, queueDepth: Int = 2) throws
    -> any PipelineExecutor
  {
    var options = PipelineOptions(kind: kind, devices: try .cpuWorkers(devices))
    let k = method.model.components.count
    options.placement = try .balanced(costs: Array(repeating: 1, count: k), deviceCount: devices)
    options.queueDepth = queueDepth
    return try Pipelines.make(method, options)
  }

  /// Two devices, one stage each: async runs batch 0 on device 1 while device 0 runs batch 1.
  /// The stages meet there (each waits inside its forward for the other), which a schedule that
  /// ran them one after the other could not do; how much faster that makes an epoch is `scpl
  /// bench`'s to measure, not a unit test's.
  func testAsyncOverlapsBatchesAcrossDevices() throws {
    let data = try fakeBatches(8)
    let method = try CountingMethod(components: 2, seconds: 0)
    method.meeting = Meeting(["forward 0": 1, "forward 1": 0])
    let pipelined = try executor(method, .async, devices: 2)
    defer { pipelined.shutdown() }
    var losses: [[Double]] = []
    try pipelined.trainEpoch(data) { losses.append($0.losses) }
    XCTAssertEqual(losses, Array(repeating: [0, 1], count: 8))
    XCTAssertEqual(method.counters.map(\.learned), [8, 8])
    XCTAssertTrue(method.meeting!.met, "device 1's batch 0 and device 0's batch 1 never ran at once")
    // So the spans of the two devices overlap in time.
    let spans = pipelined.timeline.spans
    let d0 = spans.filter { $0.device == 0 }, d1 = spans.filter { $0.device == 1 }
    XCTAssertTrue(d1.contains { a in d0.contains { b in a.start < b.end && b.start < a.end } }, "no concurrent spans")
  }

  /// An error in a stage stops the epoch without hanging, says where it happened, and leaves
  /// the executor usable.
  func testErrorInAStageIsRethrownWithItsPlace() throws {
    for kind in [PipelineKind.async, .overlap] {
      let method = try CountingMethod(components: 4, seconds: 0)
      method.counters[2].failAtBatch = 3
      let e = try executor(method, kind, devices: 2)
      defer { e.shutdown() }
      var delivered: [Int] = []
      XCTAssertThrowsError(try e.trainEpoch(fakeBatches(12)) { delivered.append($0.batch) }) { error in
        let text = "\(error)"
        XCTAssertTrue(
          text.contains("component 3 on device 1 (cpu:1), batch 3") && text.contains("broke on purpose"),
          "\(kind): \(text)")
      }
      XCTAssertEqual(delivered, Array(0..<delivered.count), "\(kind)")
      XCTAssertLessThanOrEqual(delivered.count, 3, "\(kind)")
      // async: no component learns a batch its predecessor failed on. overlap: the failing step's
      // other learns were already queued (component 4's input, from component 3's forward, is
      // sound), and they finish before the error is rethrown.
      XCTAssertEqual(method.counters[3].learned, kind == .async ? 3 : 4, "\(kind)")
      method.counters[2].failAtBatch = nil
      XCTAssertEqual(try e.trainEpoch(fakeBatches(2)).steps, 2, "\(kind): the executor still works")
    }
  }

  /// `onStep` throwing stops feeding; batches in flight finish, so every component has learned
  /// the same batches (the weights are those of training on exactly the batches fed).
  func testEarlyStopFromOnStepFinishesTheBatchesInFlight() throws {
    struct Stop: Error {}
    let method = try CountingMethod(components: 4, seconds: 0)
    let e = try executor(method, .async, devices: 4, queueDepth: 1)
    defer { e.shutdown() }
    XCTAssertThrowsError(try e.trainEpoch(fakeBatches(40)) { if $0.batch == 2 { throw Stop() } }) {
      XCTAssertTrue($0 is Stop)
    }
    let learned = method.counters.map(\.learned)
    XCTAssertEqual(Set(learned).count, 1, "every component learned the same batches: \(learned)")
    XCTAssertLessThan(learned[0], 40)
    XCTAssertGreaterThanOrEqual(learned[0], 3)
  }

  func testTraceParsesAndCoversEveryDevice() throws {
    try Torch.manualSeed(1)
    let model = try tinyModel("vgg")
    let method = try Methods.make(.scpl, model: model)
    let e = try executor(method, .async, devices: 2)
    defer { e.shutdown() }
    let data = try (0..<3).map { _ in
      let (x, y) = try tinyBatch(model); return (inputs: x, labels: y)
    }
    try e.trainEpoch(data)

    let url = FileManager.default.temporaryDirectory.appendingPathComponent("trace-\(UUID()).json")
    defer { try? FileManager.default.removeItem(at: url) }
    try ChromeTrace.write(e.timeline, to: url)
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    let events = json["traceEvents"] as! [[String: Any]]
    let complete = events.filter { $0["ph"] as? String == "X" }
    for d in 0..<2 {
      let mine = complete.filter { $0["tid"] as? Int == d }
      XCTAssertEqual(
        mine.filter { $0["cat"] as? String == "forward" }.count, 3 * 2, "device \(d): 2 components × 3 batches")
      XCTAssertEqual(mine.filter { $0["cat"] as? String == "learn" }.count, 3 * 2)
      // Each event is its span: microseconds from the epoch's start, and the span's length.
      let spans = e.timeline.spans.filter { $0.device == d }, origin = e.timeline.window.start
      XCTAssertEqual(mine.map { $0["ts"] as? Double }, spans.map { (($0.start - origin) * 1e6).rounded() })
      XCTAssertEqual(mine.map { $0["dur"] as? Double }, spans.map { ($0.duration * 1e6).rounded() })
      XCTAssertTrue(mine.allSatisfy { ($0["args"] as? [String: Any])?["batch"] is Int })
      let names = events.filter {
        $0["ph"] as? String == "M" && $0["name"] as? String == "thread_name" && $0["tid"] as? Int == d
      }
      XCTAssertEqual((names.first?["args"] as? [String: Any])?["name"] as? String, "device \(d) (cpu:\(d))")
    }
    // Busy and waiting fractions: each device's span time of those kinds over the window.
    let (start, end) = e.timeline.window
    for (d, (busy, waiting)) in zip(e.timeline.busyFractions(), e.timeline.waitFractions()).enumerated() {
      let spans = e.timeline.spans.filter { $0.device == d }
      XCTAssertEqual(
        busy, spans.filter { $0.kind != .wait }.map(\.duration).reduce(0, +) / (end - start), accuracy: 1e-9)
      XCTAssertEqual(
        waiting, spans.filter { $0.kind == .wait }.map(\.duration).reduce(0, +) / (end - start), accuracy: 1e-9)
      XCTAssertGreaterThan(busy, 0)
    }
  }
}
