import Foundation
import XCTest
import NN
import Torch
@testable import SCPL

/// What every executor promises (`PipelineExecutor`), checked on the schedules the other test
/// files do not cover for that promise: stage errors under `off` and `nmp`, `onStep` throwing
/// under the batch-by-batch executors, `shutdown()` in the middle of an async epoch, and the
/// learning rates an epoch is given.
final class ExecutorContractTests: XCTestCase {
  func fakeBatches(_ n: Int, rows: Int = 2) throws -> [(inputs: Tensor, labels: Tensor)] {
    try (0..<n).map { _ in
      (inputs: try Tensor.zeros([rows, 1, 16, 16]), labels: try Tensor((0..<rows).map { Int64($0 % 2) }))
    }
  }

  func probeBatches(_ n: Int) throws -> [(inputs: Tensor, labels: Tensor)] {
    try Torch.manualSeed(3)
    return try (0..<n).map { _ in (inputs: try Tensor.randn([8, 4]), labels: try Tensor((0..<8).map { Int64($0 % 2) }))
    }
  }

  func make(_ method: any TrainingMethod, _ kind: PipelineKind, devices: Int, microBatches: Int = 2) throws
    -> any PipelineExecutor
  {
    var o = PipelineOptions(kind: kind, devices: try .cpuWorkers(devices))
    o.placement = try .balanced(costs: Array(repeating: 1, count: method.model.components.count), deviceCount: devices)
    o.microBatches = microBatches
    return try Pipelines.make(method, o)
  }

  /// `off` and `nmp`: a failing component stops the epoch with the place it failed in, the
  /// batches before it are delivered, and the executor trains again afterwards.
  func testAStageErrorUnderOffAndNMPSaysWhereAndTheExecutorRecovers() throws {
    // off, local method: the sequential step fails in component 3 at its fourth batch.
    let local = try CountingMethod(components: 4, seconds: 0)
    local.counters[2].failAtBatch = 3
    let off = try make(local, .off, devices: 1)
    defer { off.shutdown() }
    var delivered: [Int] = []
    XCTAssertThrowsError(try off.trainEpoch(fakeBatches(6)) { delivered.append($0.batch) }) {
      XCTAssertEqual("\($0)", "training step on device 0 (cpu:0), batch 3: stage 3 broke on purpose")
    }
    XCTAssertEqual(delivered, [0, 1, 2])
    XCTAssertEqual(
      local.counters.map(\.learned), [4, 4, 3, 3], "components 1 and 2 learned batch 3 before component 3 failed")
    local.counters[2].failAtBatch = nil
    XCTAssertEqual(try off.trainEpoch(fakeBatches(2)).steps, 2)

    // nmp, BP: the forward of component 2 (on device 1) fails.
    let model = try ProbeComponent.model(components: 2)
    let nmp = try make(try BackpropMethod(model: model, options: MethodOptions()), .nmp, devices: 2)
    defer { nmp.shutdown() }
    (model.components[1] as! ProbeComponent).fail = true
    delivered = []
    XCTAssertThrowsError(try nmp.trainEpoch(probeBatches(3)) { delivered.append($0.batch) }) {
      XCTAssertEqual("\($0)", "component 2 on device 1 (cpu:1), batch 0: probe component broke on purpose")
    }
    XCTAssertEqual(delivered, [])
    (model.components[1] as! ProbeComponent).fail = false
    XCTAssertEqual(try nmp.trainEpoch(probeBatches(3)).steps, 3)
  }

  /// `onStep` throwing under an executor that finishes each batch before the next: no further
  /// batch is fed, so the weights are exactly those of training on the batches delivered —
  /// compared bit for bit with a run that was only given those batches.
  func testOnStepThrowingStopsTheBatchByBatchExecutorsAfterThatBatch() throws {
    struct Stop: Error {}
    let data = try probeBatches(5)
    func run(_ method: MethodKind, _ kind: PipelineKind, _ batches: [(inputs: Tensor, labels: Tensor)], stopAt: Int?)
      throws -> [Data]
    {
      try Torch.manualSeed(5)
      let m = try Methods.make(method, model: ProbeComponent.model(components: 2))
      let e = try make(m, kind, devices: kind == .off ? 1 : 2)
      defer { e.shutdown() }
      var seen: [Int] = []
      do {
        try e.trainEpoch(batches) {
          seen.append($0.batch); if $0.batch == stopAt { throw Stop() }
        }
        XCTAssertNil(stopAt, "\(kind): the epoch should have stopped")
      } catch is Stop {
        XCTAssertEqual(seen, Array(0...stopAt!), "\(kind)")
      }
      return try m.stateDict().map { Data(try $0.1.bytes()) }
    }
    for (method, kind) in [
      (MethodKind.bp, PipelineKind.off), (.bp, .nmp), (.bp, .gpipe), (.scpl, .off), (.scpl, .overlap),
      (.scpl, .scplGPipe)
    ] {
      let stopped = try run(method, kind, data, stopAt: 1)
      XCTAssertEqual(
        stopped, try run(method, kind, Array(data.prefix(2)), stopAt: nil),
        "\(method) \(kind): weights of the 2 batches delivered")
      XCTAssertNotEqual(
        stopped, try run(method, kind, Array(data.prefix(3)), stopAt: nil),
        "\(method) \(kind): a third batch changes them")
    }
  }

  /// `shutdown()` from another thread while an async epoch runs: the epoch ends with an error
  /// that says the devices were shut down, every worker's thread has exited, the epoch stopped
  /// where it was shut down, and every component learned the same batches (none learned one its
  /// predecessor dropped). Component 1, in its forward of batch 5, asks for the shutdown from
  /// another thread and stays inside that forward until the shutdown has been asked, so the
  /// shutdown always lands mid-epoch, however fast or slow the machine. (Not from `onStep`: the
  /// caller's thread delivers steps only between feeding batches, and with device 0 held it is
  /// blocked feeding, so a step it would wait for may never be delivered.)
  func testShutdownDuringAnAsyncEpochEndsItWithAnError() throws {
    let method = try CountingMethod(components: 2, seconds: 0)
    let e = try make(method, .async, devices: 2)
    let group = (e as! AsyncPipelineExecutor).group
    var asked = false
    method.counters[0].hold = (
      5,
      {
        DispatchQueue.global().async { e.shutdown() }
        asked = group.workers[0].waitUntilShutDown(seconds: 60)
      }
    )
    let start = Date()
    XCTAssertThrowsError(try e.trainEpoch(fakeBatches(200))) { XCTAssertTrue("\($0)".contains("shut down"), "\($0)") }
    XCTAssertTrue(asked, "component 1 waited in batch 5 until the shutdown was asked")
    XCTAssertLessThan(Date().timeIntervalSince(start), 3, "the shutdown ends the epoch, not a time-out")
    e.shutdown()  // idempotent, and waits for the one from the other thread
    XCTAssertTrue(group.workers.allSatisfy(\.hasExited))
    let learned = method.counters.map(\.learned)
    XCTAssertEqual(learned[0], 6, "component 1 learned batches 0…5 and no more: \(learned)")
    XCTAssertGreaterThan(learned[1], 0)
    XCTAssertLessThanOrEqual(learned[1], learned[0], "component 2 never learns a batch component 1 did not: \(learned)")
    XCTAssertThrowsError(try e.trainEpoch(fakeBatches(1))) { XCTAssertTrue("\($0)".contains("shut down"), "\($0)") }
  }

  /// A rate per batch (a per-step cosine) gives every schedule the sequential loop's weights bit
  /// for bit, and is really applied: the last batch's rate is on every optimizer afterwards, and
  /// a constant rate trains other weights.
  func testPerBatchLearningRatesGiveEverySchedulesTheSequentialWeights() throws {
    try Torch.manualSeed(11)
    let data = try (0..<4).map { _ in
      let (x, y) = try tinyBatch(try tinyModel("vgg")); return (inputs: x, labels: y)
    }
    let schedule = try CosineSchedule(base: 1e-2, end: 1e-4, epochs: 1, stepsPerEpoch: 4, granularity: .perStep)
    let rates = try EpochLearningRates(schedule, epoch: 1, firstStep: 0, batches: 4)
    XCTAssertEqual(rates.perBatch.count, 4)
    XCTAssertEqual(rates.rate(batch: 0), 1e-2)
    XCTAssertLessThan(rates.rate(batch: 3), rates.rate(batch: 2))
    func run(_ method: MethodKind, _ kind: PipelineKind, devices: Int, rates: EpochLearningRates?) throws -> [Data] {
      try Torch.manualSeed(5)
      let m = try Methods.make(method, model: tinyModel("vgg"))
      var o = PipelineOptions(kind: kind, devices: try .cpuWorkers(devices))
      o.costEstimate = .parameters
      o.microBatches = 2
      let e = try Pipelines.make(m, o)
      defer { e.shutdown() }
      try e.trainEpoch(data, rates: rates)
      if let rates {
        XCTAssertTrue(m.optimizers.allSatisfy { $0.learningRate == rates.rate(batch: 3) }, "\(method) \(kind)")
      }
      return try m.stateDict().map { Data(try $0.1.bytes()) }
    }
    let scpl = try run(.scpl, .off, devices: 1, rates: rates)
    XCTAssertNotEqual(scpl, try run(.scpl, .off, devices: 1, rates: nil), "the rates change the training")
    for (kind, devices) in [(PipelineKind.async, 2), (.overlap, 2), (.async, 4)] {
      XCTAssertEqual(scpl, try run(.scpl, kind, devices: devices, rates: rates), "scpl \(kind) on \(devices) devices")
    }
    let bp = try run(.bp, .off, devices: 1, rates: rates)
    XCTAssertEqual(bp, try run(.bp, .nmp, devices: 2, rates: rates), "bp nmp")
    // Micro-batched schedules sum in another order (GPipeTests); here only that the rates land.
    _ = try run(.bp, .gpipe, devices: 2, rates: rates)
    _ = try run(.scpl, .scplGPipe, devices: 2, rates: rates)
  }

  func testLearningRatesAreChecked() throws {
    XCTAssertThrowsError(try EpochLearningRates(perBatch: [])) {
      XCTAssertTrue("\($0)".contains("at least one batch"), "\($0)")
    }
    XCTAssertThrowsError(try EpochLearningRates(perBatch: [1e-3, .nan])) {
      XCTAssertEqual("\($0)", "the learning rate of batch 1 is nan; rates must be finite numbers ≥ 0")
    }
    XCTAssertEqual(
      try EpochLearningRates(perBatch: [1, 2]).rate(batch: 7), 2, "batches past the end take the last rate")
  }
}
