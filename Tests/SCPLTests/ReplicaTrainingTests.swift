import Data
import Foundation
import NN
import Torch
import XCTest

@testable import SCPL

/// `--replicas R` in one process (`ReplicatedExecutor`): every replica holds the same weights,
/// bit for bit, after every step, under every kind of executor; the run machinery (summary,
/// checkpoints, resume, with another R at an epoch's end) works with replicas.
final class ReplicaTrainingTests: XCTestCase {
  var dir: URL!

  override func setUpWithError() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("scpl-replicas-\(UUID().uuidString)")
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

  func vgg(_ method: MethodKind, _ pipeline: PipelineKind, devices: Int) throws -> PartialTrainConfig {
    var p = PartialTrainConfig()
    p.model = .vgg; p.method = method; p.dataset = .fashionMNIST; p.width = 1.0 / 16; p.epochs = 2
    p.limitTrain = 256; p.limitTest = 64; p.batchSize = 32; p.aug = .basic; p.threads = 2
    p.devices = try DeviceSpec(parsing: "\(devices)"); p.pipeline = pipeline; p.threadsPerDevice = 1
    p.replicas = 2
    return p
  }

  /// Every parameter of a replica's method and every tensor of its optimizers, by name (not the
  /// buffers: BatchNorm's running statistics are each replica's own, as under DDP).
  func state(of method: any TrainingMethod) throws -> [(String, [UInt8])] {
    var named = method.modules.flatMap { prefix, m in m.namedParameters().map { ("\(prefix).\($0.0)", $0.1) } }
    for (i, o) in method.optimizers.enumerated() {
      named += try o.stateDict().map { ("optimizer\(i + 1).\($0.0)", $0.1) }
    }
    return try named.map { ($0.0, try $0.1.bytes()) }
  }

  /// Trains 3 steps one at a time (each `trainEpoch` drains) and compares the replicas after each.
  func assertReplicasStayEqual(_ p: PartialTrainConfig, file: StaticString = #filePath, line: UInt = #line) throws {
    let data = try DatasetCatalog.load(try p.resolved())
    let config = try p.resolved(fitting: data)
    let setup = try RunSetup(config, data: data, seed: 5, loaderThreads: 0)
    defer { setup.executor.shutdown() }
    let executor = try XCTUnwrap(setup.executor as? ReplicatedExecutor, file: file, line: line)
    XCTAssertEqual(executor.replicas.count, 2, file: file, line: line)
    let before = try state(of: executor.methods[0])
    XCTAssertEqual(before.map(\.1), try state(of: executor.methods[1]).map(\.1), "replicas start equal")
    let batches = setup.loader.epoch(1)
    for t in 0..<3 {
      let batch = try XCTUnwrap(try batches.next())
      XCTAssertEqual(batch.labels.shape[0], 2 * config.batchSize, "a global batch", file: file, line: line)
      var losses: [[Double]] = []
      try executor.trainEpoch([batch]) { losses.append($0.losses) }
      XCTAssertEqual(losses.count, 1, file: file, line: line)
      XCTAssertTrue(losses[0].allSatisfy(\.isFinite), "\(losses)", file: file, line: line)
      let (a, b) = (try state(of: executor.methods[0]), try state(of: executor.methods[1]))
      XCTAssertEqual(a.map(\.0), b.map(\.0), file: file, line: line)
      for ((name, x), (_, y)) in zip(a, b) where x != y {
        XCTFail("after step \(t + 1) the replicas differ in \(name)", file: file, line: line)
        break
      }
    }
    let after = try state(of: executor.methods[0])
    XCTAssertTrue(zip(before, after).contains { $0.1 != $1.1 }, "nothing trained", file: file, line: line)
  }

  func testReplicasOfTheAsyncPipelineStayEqual() throws {
    try assertReplicasStayEqual(try vgg(.scpl, .async, devices: 2))
  }

  func testReplicasOfBPUnderGPipeAndOfTheSequentialLoopStayEqual() throws {
    var gpipe = try vgg(.bp, .gpipe, devices: 2)
    gpipe.microBatches = 2
    try assertReplicasStayEqual(gpipe)
    try assertReplicasStayEqual(try vgg(.scpl, .off, devices: 1))
  }

  /// Text batches pad to their own longest document: each replica gets its own width back, and
  /// the Transformer's dropout draws alike on both.
  func testReplicasOfTheTransformerStayEqual() throws {
    var p = PartialTrainConfig()
    p.model = .transformer; p.method = .scpl; p.dataset = .bbcNews; p.epochs = 1; p.hidden = 16; p.maxLen = 20
    p.limitTrain = 96; p.limitTest = 32; p.batchSize = 16; p.threads = 2; p.devices = try DeviceSpec(parsing: "2")
    p.pipeline = .async; p.threadsPerDevice = 1; p.replicas = 2
    try assertReplicasStayEqual(p)
  }

  /// A run of two replicas: the summary states them and the global batch; a stop within epoch 2
  /// resumes bit for bit; resuming that step with another number of replicas is refused with a
  /// sentence, and from epoch 1's end one replica continues.
  func testARunOfReplicasResumesAndAnotherCountContinuesFromAnEpochsEnd() throws {
    let p = try vgg(.scpl, .async, devices: 2)
    let data = try DatasetCatalog.load(try p.resolved())
    let config = try p.resolved(fitting: data)
    let straight = dir.appendingPathComponent("straight"), stopped = dir.appendingPathComponent("stopped")
    let summary = try quietTrainer(config, data, at: straight).run()
    XCTAssertEqual(summary.replicas, 2)
    XCTAssertEqual(summary.globalBatchSize, 64)
    do {
      let first = try quietTrainer(config, data, at: stopped)
      first.interruptAfterSteps = 6  // 4 steps an epoch: 128 samples per replica, 32 a batch
      XCTAssertThrowsError(try first.run()) { XCTAssertTrue($0 is Trainer.Interrupted, "\($0)") }
    }
    var one = config
    one.replicas = 1
    let point = try Trainer.ResumePoint.load(stopped, warn: { _ in })
    XCTAssertEqual(point.progress?.step, 2)
    XCTAssertThrowsError(try quietTrainer(one, data, at: stopped, resume: point).run()) {
      XCTAssertTrue("\($0)".contains("resume it with --replicas 2"), "\($0)")
    }
    _ = try quietTrainer(config, data, at: stopped, resume: try Trainer.ResumePoint.load(stopped, warn: { _ in })).run()
    let a = try SafeTensors.load(from: Checkpoints(runFolder: straight).list().last!.url)
    let b = try SafeTensors.load(from: Checkpoints(runFolder: stopped).list().last!.url)
    XCTAssertEqual(a.tensors.map(\.name), b.tensors.map(\.name))
    for ((n, x), (_, y)) in zip(a.tensors, b.tensors) { XCTAssertTrue(try x.bytes() == y.bytes(), "\(n) differs") }

    // From the end of epoch 1 (the straight run keeps its two newest checkpoints), on one replica.
    let epochOne = dir.appendingPathComponent("epoch-one")
    try FileManager.default.copyItem(at: straight, to: epochOne)
    try FileManager.default.removeItem(at: Checkpoints(runFolder: epochOne).list().last!.url)
    let resumed = try quietTrainer(
      one, data, at: epochOne, resume: try Trainer.ResumePoint.load(epochOne, warn: { _ in }))
    let oneSummary = try resumed.run()
    XCTAssertEqual(oneSummary.replicas, 1)
    XCTAssertEqual(oneSummary.globalBatchSize, 32)
    XCTAssertEqual(try EpochRecord.readLines(epochOne.appendingPathComponent("metrics.jsonl")).count, 2)
  }
}
