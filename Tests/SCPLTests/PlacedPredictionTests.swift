import Data
import Foundation
import XCTest
import NN
import TestSupport
import Torch
@testable import SCPL

/// Evaluation runs through the placement training uses (`PipelineExecutor.predict`): each
/// component's share of the prediction on its device's worker. It must give `method.predict`'s
/// logits bit for bit (one intra-op thread per device), keep batch order, restore training
/// mode, pipeline batches across devices, and rethrow a stage's error.
final class PlacedPredictionTests: XCTestCase {
  /// Every logit tensor of a prediction as bytes, the final one first.
  func bytes(_ p: Prediction) throws -> [Data] { try ([p.final] + p.heads).map { Data(try $0.bytes()) } }

  /// An executor over one device, or two with the placement 0,0,1,1 (no timing involved); under
  /// interleaved-1f1b, one component per stage, stage s on device s mod 2.
  func executor(_ method: any TrainingMethod, _ kind: PipelineKind, devices: Int) throws -> any PipelineExecutor {
    var options = PipelineOptions(kind: kind, devices: try .cpuWorkers(devices))
    options.placement =
      try kind == .interleaved1F1B
      ? Placement([0, 1, 2, 3], deviceCount: 4)
      : Placement(devices == 1 ? [0, 0, 0, 0] : [0, 0, 1, 1], deviceCount: devices)
    return try Pipelines.make(method, options)
  }

  /// Runs `body` on a worker with one intra-op thread, like the pipeline's (the test thread's
  /// count may differ, and with it the rounding).
  func onOneThread<T>(_ body: @escaping () throws -> T) throws -> T {
    let worker = try DeviceWorker(index: 0, device: .cpuWorker(0), threads: 1)
    defer { worker.shutdown() }
    return try worker.run(body)
  }

  /// `method.predict` of each batch, in eval mode without gradients, on one thread.
  func reference(_ method: any TrainingMethod, _ inputs: [Tensor], training: Bool = false) throws -> [[Data]] {
    method.train(training)
    defer { method.train(true) }
    return try onOneThread { try withNoGrad { try inputs.map { try self.bytes(method.predict(inputs: $0)) } } }
  }

  /// Trains the method one epoch of 2 batches through the executor (so weights and BatchNorm
  /// statistics have moved), then predicts 3 batches through it.
  func trainThenPredict(_ method: any TrainingMethod, _ executor: any PipelineExecutor, _ data: [(Tensor, Tensor)])
    throws -> [[Data]]
  {
    try executor.trainEpoch(data.prefix(2).map { (inputs: $0.0, labels: $0.1) })
    var got: [[Data]] = []
    try executor.predict(data.map(\.0)) { t, p in
      XCTAssertEqual(t, got.count, "predictions come back in batch order")
      XCTAssertEqual(p.final.device, .cpu)
      got.append(try bytes(p))
    }
    return got
  }

  func testPredictionThroughThePlacementIsMethodPredictBitForBit() throws {
    for model in ["vgg", "lstm"] {
      for method in MethodKind.allCases {
        let kinds: [(PipelineKind, Int)] =
          method == .bp
          ? [(.off, 1), (.nmp, 2), (.gpipe, 2), (.interleaved1F1B, 2)]
          : [(.off, 1), (.async, 2), (.overlap, 2), (.scplGPipe, 2)]
        for (kind, devices) in kinds {
          let label = "\(model) \(method.rawValue) \(kind.rawValue) on \(devices) device(s)"
          try Torch.manualSeed(5)
          let m = try Methods.make(method, model: tinyModel(model))
          let executor = try executor(m, kind, devices: devices)
          defer { executor.shutdown() }
          try Torch.manualSeed(11)
          let data = try (0..<3).map { _ in try tinyBatch(m.model) }
          let got = try trainThenPredict(m, executor, data)
          XCTAssertTrue(m.modules.allSatisfy { $0.1.isTraining }, "\(label): training mode is restored")
          XCTAssertEqual(got.count, 3, label)
          XCTAssertEqual(
            got.first?.count, [.earlyExit, .al].contains(method) ? 5 : 1, "\(label): final plus one head per component")
          XCTAssertEqual(got, try reference(m, data.map(\.0)), "\(label): logits differ from method.predict")
        }
      }
    }
  }

  /// The negative control: the comparison sees a difference when there is one — the VGG's
  /// BatchNorm in training mode (batch statistics) instead of eval mode.
  func testComparisonDetectsTheWrongMode() throws {
    try Torch.manualSeed(5)
    let m = try Methods.make(.scpl, model: tinyModel("vgg"))
    let executor = try executor(m, .async, devices: 2)
    defer { executor.shutdown() }
    try Torch.manualSeed(11)
    let data = try (0..<3).map { _ in try tinyBatch(m.model) }
    let got = try trainThenPredict(m, executor, data)
    XCTAssertNotEqual(got, try reference(m, data.map(\.0), training: true))
  }

  /// Evaluation.run through an executor gives exactly the accuracies of the sequential
  /// Evaluation.run (an uneven last batch included).
  func testEvaluationThroughTheExecutorGivesTheSequentialAccuracy() throws {
    for model in ["vgg", "lstm"] {
      for method in MethodKind.allCases {
        let label = "\(model) \(method.rawValue)"
        try Torch.manualSeed(5)
        let m = try Methods.make(method, model: tinyModel(model))
        let executor = try executor(m, method == .bp ? .nmp : .async, devices: 2)
        defer { executor.shutdown() }
        try Torch.manualSeed(12)
        let (x, y) = try tinyBatch(m.model, n: 10)
        let set = try TensorDataset(name: "tiny", inputs: x, labels: y, classCount: 3)
        let placed = try Evaluation.run(executor, on: set, batchSize: 4)
        XCTAssertTrue(m.modules.allSatisfy { $0.1.isTraining }, "\(label): training mode is restored")
        let sequential = try onOneThread { try Evaluation.run(m, on: set, batchSize: 4) }
        XCTAssertEqual(placed.accuracy, sequential.accuracy, label)
        XCTAssertEqual(placed.headAccuracies, sequential.headAccuracies, label)
        XCTAssertEqual(placed.headAccuracies.count, method.isLocal && method != .scpl ? 4 : 0, label)
        XCTAssertTrue((0...1).contains(placed.accuracy), label)
      }
    }
  }

  /// Each share runs on its component's device worker, without gradients, and device 0 works on
  /// batch t+1 while device 1 works on batch t: device 1's share of batch 0 and device 0's of
  /// batch 1 meet (each waits inside its share for the other), which one device after the other
  /// could not do. How much faster that makes an evaluation is `scpl bench`'s to measure.
  func testPredictionRunsOnThePlacedWorkersAndPipelinesBatches() throws {
    let inputs = try (0..<8).map { _ in try Tensor.zeros([2, 1, 16, 16]) }
    let method = try CountingMethod(components: 2, seconds: 0)
    method.meeting = Meeting(["predict 0": 1, "predict 1": 0])
    var options = PipelineOptions(kind: .async, devices: try .cpuWorkers(2))
    options.placement = try Placement([0, 1], deviceCount: 2)
    let executor = try Pipelines.make(method, options)
    defer { executor.shutdown() }
    // Each worker's OS thread (thread names are not reliable: Foundation may not apply one).
    let workerThreads = try (executor as! any DeviceGroupExecutor).group.workers.map { w in try w.run { pthread_self() }
    }
    var batches: [Int] = []
    try executor.predict(inputs) { t, p in
      batches.append(t)
      XCTAssertEqual(p.final.shape, [2, 2])
    }
    XCTAssertEqual(batches, Array(0..<8))
    XCTAssertTrue(method.meeting!.met, "device 0 never predicted batch 1 while device 1 predicted batch 0")
    let calls = method.predictionCalls
    XCTAssertEqual(calls.count, 16)
    for c in calls {
      XCTAssertNotEqual(
        pthread_equal(c.thread, workerThreads[c.component]), 0,
        "component \(c.component + 1) runs on its device's worker")
      XCTAssertFalse(c.gradEnabled, "no gradients on the worker")
    }
  }

  /// An error in one component's share stops the evaluation with the place it happened; the
  /// batches before it were delivered, nothing hangs, and the executor still works afterwards.
  func testAnErrorDuringPredictionIsRethrownAndTheExecutorStillWorks() throws {
    let method = try CountingMethod(components: 4, seconds: 0)
    let executor = try executor(method, .async, devices: 2)
    defer { executor.shutdown() }
    let inputs = try (0..<8).map { _ in try Tensor.zeros([2, 1, 16, 16]) }
    method.failPrediction = (component: 2, batch: 3)
    var delivered: [Int] = []
    XCTAssertThrowsError(try executor.predict(inputs) { t, _ in delivered.append(t) }) { error in
      XCTAssertTrue("\(error)".contains("component 3 on device 1 (cpu:1), batch 3"), "\(error)")
      XCTAssertTrue("\(error)".contains("broke on purpose"), "\(error)")
    }
    XCTAssertEqual(delivered, [0, 1, 2])

    // An error thrown by the caller's onBatch stops it the same way.
    method.failPrediction = nil
    struct Stop: Error {}
    delivered = []
    XCTAssertThrowsError(
      try executor.predict(inputs) { t, _ in
        delivered.append(t)
        if t == 1 { throw Stop() }
      }
    ) { XCTAssertTrue($0 is Stop, "\($0)") }
    XCTAssertEqual(delivered, [0, 1])

    delivered = []
    try executor.predict(inputs) { t, _ in delivered.append(t) }
    XCTAssertEqual(delivered, Array(0..<8))
    let trained = try executor.trainEpoch(inputs.map { (inputs: $0, labels: try Tensor([Int64(0), 1])) })
    XCTAssertEqual(trained.steps, 8)
  }
}
