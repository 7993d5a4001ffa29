import Foundation
import XCTest
import NN
import Torch
@testable import SCPL

/// Pipelining changes speed, not results (docs/design.md). With one intra-op
/// thread per device (deterministic kernels) and no dropout, every schedule trains bit-for-bit
/// the weights of the sequential reference (`off`) from the same initialisation and batches.
final class PipelineEquivalenceTests: XCTestCase {
  struct Run {
    var state: [(String, Data)]  // Data compares with memcmp, fast even in debug builds
    var losses: [[Double]]
  }

  /// The same 4 batches for every run (generated once, from a fixed seed): enough to fill a
  /// 4-device pipeline. (AL on the VGG updates 8.7 M parameters per step, the bulk of the time.)
  func batches(_ model: String) throws -> [(inputs: Tensor, labels: Tensor)] {
    try Torch.manualSeed(11)
    let m = try tinyModel(model)
    return try (0..<4).map { _ in
      let (x, y) = try tinyBatch(m); return (inputs: x, labels: y)
    }
  }

  /// Builds the model and method from seed 5, trains one epoch over `batches` with the schedule,
  /// and returns every parameter's and buffer's bytes and the per-step losses.
  func train(
    _ model: String, _ method: MethodKind, _ kind: PipelineKind, devices: Int, placement: [Int]? = nil,
    batches: [(inputs: Tensor, labels: Tensor)], copyEveryHandOff: Bool = false,
    check: (any PipelineExecutor) throws -> Void = { _ in }
  ) throws -> Run {
    try Torch.manualSeed(5)
    let m = try Methods.make(method, model: tinyModel(model))
    var options = PipelineOptions(kind: kind, devices: try .cpuWorkers(devices))
    options.placement = try placement.map { try Placement($0, deviceCount: devices) }
    options.costEstimate = .parameters
    options.copyEveryHandOff = copyEveryHandOff
    options.microBatches = 2
    let executor = try Pipelines.make(m, options)
    defer { executor.shutdown() }
    var losses: [[Double]] = []
    try executor.trainEpoch(batches) { step in
      XCTAssertEqual(step.batch, losses.count, "results come back in batch order")
      losses.append(step.losses)
    }
    XCTAssertEqual(losses.count, batches.count)
    try check(executor)
    return Run(state: try m.stateDict().map { ($0.0, Data(try $0.1.bytes())) }, losses: losses)
  }

  func assertIdentical(_ a: Run, _ b: Run, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.losses, b.losses, "\(label): losses differ", file: file, line: line)
    XCTAssertEqual(a.state.map(\.0), b.state.map(\.0), label, file: file, line: line)
    let differing = zip(a.state, b.state).filter { $0.1 != $1.1 }.map(\.0.0)
    XCTAssertTrue(
      differing.isEmpty, "\(label): \(differing.count) tensors differ, e.g. \(differing.prefix(3))", file: file,
      line: line)
  }

  /// A tensor beside the main one (`Activation.extras`, a skip connection across every component
  /// boundary) travels with it: detached between local components, handed to the next device (a
  /// real copy here), and under BP's nmp its gradient flows back across devices, so every schedule
  /// still trains the sequential loop's weights bit for bit. (GPipe's micro-batches: GPipeTests.)
  func testExtrasCrossEveryBoundaryInEverySchedule() throws {
    let data = try batches("skip")
    for method in [MethodKind.scpl, .bp] {
      let reference = try train("skip", method, .off, devices: 1, batches: data)
      let schedules: [(PipelineKind, Int)] =
        method == .bp ? [(.nmp, 2), (.nmp, 4)] : [(.async, 2), (.async, 4), (.overlap, 2)]
      for (kind, devices) in schedules {
        assertIdentical(
          reference, try train("skip", method, kind, devices: devices, batches: data, copyEveryHandOff: true),
          "skip \(method) \(kind) on \(devices) devices")
      }
    }
  }

  /// Micro-batches cut the extras with the rest and join them back.
  func testExtrasAreCutIntoMicroBatchesAndJoined() throws {
    let x = Activation(
      try Tensor.randn([5, 3]), extras: ["skip": try Tensor.randn([5, 2]), "mask": try Tensor.ones([5, 4])])
    let parts = try x.split(sizes: [2, 3])
    XCTAssertEqual(parts.map { $0.extras["skip"]?.shape }, [[2, 2], [3, 2]])
    let joined = try Activation.concatenated(parts)
    XCTAssertEqual(joined.extraNames, ["mask", "skip"])
    XCTAssertEqual(try joined.extras["skip"]!.bytes(), try x.extras["skip"]!.bytes())
    XCTAssertEqual(try x.detached().extras.count, 2)
    XCTAssertEqual(x.tensors.count, 3, "the hand-off moves and records the extras too")
  }

  func testLocalMethodsTrainTheSameWeightsInEverySchedule() throws {
    for model in ["vgg", "lstm"] {
      let data = try batches(model)
      for method in [MethodKind.scpl, .earlyExit, .al] {
        let reference = try train(model, method, .off, devices: 1, batches: data)
        // Sanity: training moved the weights, so equality below is not trivial.
        try Torch.manualSeed(5)
        let initial = try Methods.make(method, model: tinyModel(model)).stateDict().map { Data(try $0.1.bytes()) }
        XCTAssertNotEqual(reference.state.map(\.1), initial, "\(model) \(method): training changed nothing")

        assertIdentical(
          reference, try train(model, method, .async, devices: 2, placement: [0, 0, 1, 1], batches: data),
          "\(model) \(method) async on 2 devices")
        assertIdentical(
          reference, try train(model, method, .async, devices: 4, batches: data),
          "\(model) \(method) async on 4 devices")
        assertIdentical(
          reference, try train(model, method, .overlap, devices: 2, placement: [0, 1, 1, 1], batches: data),
          "\(model) \(method) overlap on 2 devices")
      }
    }
  }

  /// The negative control: the comparison does see a difference when there is one (the same
  /// batches in another order).
  func testComparisonDetectsADifferentTraining() throws {
    let data = try batches("vgg")
    let a = try train("vgg", .scpl, .off, devices: 1, batches: data)
    let b = try train("vgg", .scpl, .async, devices: 2, placement: [0, 0, 1, 1], batches: Array(data.reversed()))
    XCTAssertNotEqual(a.losses, b.losses)
    XCTAssertFalse(zip(a.state, b.state).allSatisfy { $0.1 == $1.1 })
  }

  /// NMP moves BP's forward across devices but computes the same ops in the same order; on CPU
  /// workers with one thread each the result is bitwise identical to the sequential step.
  func testNaiveModelParallelBPMatchesSequentialBitwise() throws {
    for model in ["vgg", "lstm"] {
      let data = try batches(model)
      let reference = try train(model, .bp, .off, devices: 1, batches: data)
      assertIdentical(
        reference, try train(model, .bp, .nmp, devices: 2, placement: [0, 0, 1, 1], batches: data), "\(model) nmp 2")
      assertIdentical(reference, try train(model, .bp, .nmp, devices: 4, batches: data), "\(model) nmp 4")
    }
  }

  /// The transfer path of every schedule, run on CPU workers by making each hand-off between
  /// devices a real copy (as between GPUs): the hand-offs happen (transfer spans on every device
  /// but the last, and for gpipe's gradients going back up, on every device but the first), and
  /// the weights are those of the same schedule without copies — for off-equivalent schedules,
  /// the sequential loop's — bit for bit.
  func testEveryScheduleTrainsTheSameWhenEveryHandOffIsARealCopy() throws {
    for model in ["vgg", "lstm"] {
      let data = try batches(model)
      for (method, kind) in [
        (MethodKind.scpl, PipelineKind.async), (.al, .overlap), (.bp, .nmp), (.bp, .gpipe), (.scpl, .scplGPipe)
      ] {
        let plain = try train(model, method, kind, devices: 2, placement: [0, 0, 1, 1], batches: data)
        let copied = try train(
          model, method, kind, devices: 2, placement: [0, 0, 1, 1], batches: data, copyEveryHandOff: true
        ) { e in
          let transfers = e.timeline.spans.filter { $0.kind == .transfer }
          XCTAssertFalse(transfers.filter { $0.device == 0 }.isEmpty, "\(model) \(method) \(kind): device 0 hands off")
          if kind == .gpipe {
            XCTAssertFalse(transfers.filter { $0.device == 1 }.isEmpty, "gpipe hands gradients back")
          }
          // Prediction through the placement, its hand-offs copied too, is the method's own.
          var placed: [Data] = []
          try e.predict(data.map(\.inputs)) { _, p in placed.append(Data(try p.final.bytes())) }
          // The reference on a worker with one intra-op thread, like the pipeline's (the test
          // thread's count may differ, and with it the rounding).
          let worker = try DeviceWorker(index: 0, device: .cpuWorker(0), threads: 1)
          defer { worker.shutdown() }
          let direct = try worker.run {
            try e.method.modules.map(\.1).inMode(training: false) {
              try withNoGrad { try data.map { Data(try e.method.predict(inputs: $0.inputs).final.bytes()) } }
            }
          }
          XCTAssertEqual(placed, direct, "\(model) \(method) \(kind): prediction with copies")
        }
        assertIdentical(plain, copied, "\(model) \(method) \(kind) with copies")
      }
      let reference = try train(model, .scpl, .off, devices: 1, batches: data)
      assertIdentical(
        reference,
        try train(model, .scpl, .async, devices: 2, placement: [0, 1, 1, 1], batches: data, copyEveryHandOff: true),
        "\(model) scpl async with copies against off")
    }
  }
}
