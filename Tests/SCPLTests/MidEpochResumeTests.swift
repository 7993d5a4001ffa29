import Foundation
import Data
import Torch
import XCTest
@testable import SCPL

/// Checkpoints within an epoch (`--checkpoint-every-steps`, and the one a stop writes): the
/// pipeline drains at the step, the checkpoint keeps how far the epoch had come, and a resume from
/// it ends bit for bit where the uninterrupted run ends — losses, accuracies and every tensor.
final class MidEpochResumeTests: XCTestCase {
  var dir: URL!

  override func setUpWithError() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("scpl-midepoch-\(UUID().uuidString)")
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

  func trainer(_ config: TrainConfig, _ data: LoadedData, _ url: URL, resuming: Bool = false) throws -> Trainer {
    try quietTrainer(config, data, at: url, resume: resuming ? try Trainer.ResumePoint.load(url, warn: { _ in }) : nil)
  }

  /// Trains `p` straight, and again stopped after `stopAfter` steps and resumed; compares.
  func assertResumeChangesNothing(
    _ p: PartialTrainConfig, stopAfter steps: Int, resumedPlacement: String? = nil,
    file: StaticString = #filePath, line: UInt = #line
  ) throws {
    let data = try DatasetCatalog.load(try p.resolved())
    let config = try p.resolved(fitting: data)
    let name = "\(p.method?.rawValue ?? "")-\(p.pipeline?.rawValue ?? "")-\(steps)"
    let straight = dir.appendingPathComponent("straight-\(name)"),
      stopped = dir.appendingPathComponent("stopped-\(name)")
    _ = try trainer(config, data, straight).run()
    do {  // the first session ends (and lets go of its folder) before the resume opens it
      let first = try trainer(config, data, stopped)
      first.interruptAfterSteps = steps
      XCTAssertThrowsError(try first.run(), file: file, line: line) {
        XCTAssertTrue($0 is Trainer.Interrupted, "\($0)")
      }
    }
    let point = try Trainer.ResumePoint.load(stopped, warn: { _ in })
    let perEpoch = (config.limitTrain! + config.batchSize - 1) / config.batchSize
    XCTAssertEqual(point.epoch, steps / perEpoch, file: file, line: line)
    XCTAssertEqual(
      point.progress?.step ?? 0, steps % perEpoch, "the checkpoint is of the step the run stopped at", file: file,
      line: line)
    var resumedConfig = config
    if let resumedPlacement { resumedConfig.placement = try Placement(parsing: resumedPlacement) }
    _ = try trainer(resumedConfig, data, stopped, resuming: true).run()

    let a = try SafeTensors.load(from: Checkpoints(runFolder: straight).list().last!.url)
    let b = try SafeTensors.load(from: Checkpoints(runFolder: stopped).list().last!.url)
    XCTAssertEqual(a.tensors.map(\.name), b.tensors.map(\.name), file: file, line: line)
    for ((n, x), (_, y)) in zip(a.tensors, b.tensors) {
      XCTAssertTrue(try x.bytes() == y.bytes(), "\(n) differs", file: file, line: line)
    }
    func figures(_ url: URL) throws -> [String] {
      try EpochRecord.readLines(url.appendingPathComponent("metrics.jsonl")).map {
        "\($0.epoch) \($0.losses.sorted { $0.key < $1.key }) \($0.trainAccuracy) \($0.testAccuracy) \($0.componentTestAccuracy)"
      }
    }
    XCTAssertEqual(try figures(straight), try figures(stopped), file: file, line: line)
    XCTAssertEqual(try figures(stopped).count, config.epochs, file: file, line: line)
  }

  /// SCPL over two async devices with strong augmentation (4 steps an epoch), stopped in the
  /// middle of epoch 2.
  func testSCPLResumesFromAStepWithinAnEpoch() throws {
    var p = PartialTrainConfig()
    p.model = .vgg; p.method = .scpl; p.dataset = .fashionMNIST; p.width = 1.0 / 16; p.epochs = 2
    p.limitTrain = 256; p.limitTest = 64; p.batchSize = 64; p.aug = .strong; p.threads = 2;
    p.devices = try DeviceSpec(parsing: "2")
    p.pipeline = .async; p.threadsPerDevice = 1; p.lrSchedule = .cosineStep
    try assertResumeChangesNothing(p, stopAfter: 6)
  }

  /// The Transformer's dropout continues on each component's stream from the step, though the
  /// resumed session places the components differently.
  func testDropoutResumesFromAStepWithinAnEpoch() throws {
    var p = PartialTrainConfig()
    p.model = .transformer; p.method = .scpl; p.dataset = .bbcNews; p.epochs = 2; p.hidden = 16; p.maxLen = 20
    p.limitTrain = 96; p.limitTest = 32; p.batchSize = 16; p.threads = 2; p.devices = try DeviceSpec(parsing: "2");
    p.pipeline = .async
    p.threadsPerDevice = 1; p.placement = try Placement(parsing: "0,1,1,1")
    try assertResumeChangesNothing(p, stopAfter: 3, resumedPlacement: "0,0,0,1")
  }

  /// BP under GPipe (two devices, two micro-batches), stopped in the middle of epoch 1.
  func testBPUnderGPipeResumesFromAStepWithinAnEpoch() throws {
    var p = PartialTrainConfig()
    p.model = .vgg; p.method = .bp; p.dataset = .fashionMNIST; p.width = 1.0 / 16; p.epochs = 2
    p.limitTrain = 256; p.limitTest = 64; p.batchSize = 64; p.aug = .basic; p.threads = 2;
    p.devices = try DeviceSpec(parsing: "2")
    p.pipeline = .gpipe; p.microBatches = 2; p.threadsPerDevice = 1
    try assertResumeChangesNothing(p, stopAfter: 3)
  }

  /// BP and SCPL in the sequential loop (`off`), and BP under GPipe at an epoch boundary:
  /// together with the tests above, each of BP and SCPL under each executor that runs it
  /// (off, async, gpipe), at an epoch boundary and within an epoch.
  func testSequentialAndGPipeResumeAtBoundariesAndWithinEpochs() throws {
    for (method, pipeline, stops) in [
      (MethodKind.bp, PipelineKind.off, [4, 6]), (.scpl, .off, [4, 5]), (.bp, .gpipe, [4])
    ] {
      var p = PartialTrainConfig()
      p.model = .vgg; p.method = method; p.dataset = .fashionMNIST; p.width = 1.0 / 16; p.epochs = 2
      p.limitTrain = 256; p.limitTest = 64; p.batchSize = 64; p.aug = .basic; p.threads = pipeline == .off ? 1 : 2
      p.devices = try DeviceSpec(parsing: pipeline == .off ? "1" : "2"); p.pipeline = pipeline; p.threadsPerDevice = 1
      if pipeline == .gpipe { p.microBatches = 2 }
      for steps in stops { try assertResumeChangesNothing(p, stopAfter: steps) }
    }
  }

  /// --checkpoint-every-steps 3 over epochs of 4 steps: a checkpoint at step 3 of each epoch and
  /// one at each epoch's end, in that order; the oldest go as newer ones are written.
  func testCheckpointsEveryNSteps() throws {
    var p = PartialTrainConfig()
    p.model = .vgg; p.method = .scpl; p.dataset = .fashionMNIST; p.width = 1.0 / 16; p.epochs = 2
    p.limitTrain = 128; p.limitTest = 32; p.batchSize = 32; p.aug = Augmentation.none; p.threads = 1; p.pipeline = .off
    p.checkpointEverySteps = 3; p.keepCheckpoints = 3
    let data = try DatasetCatalog.load(try p.resolved())
    let url = dir.appendingPathComponent("every")
    _ = try trainer(try p.resolved(fitting: data), data, url).run()
    XCTAssertEqual(
      Checkpoints(runFolder: url).list().map { $0.url.lastPathComponent },
      ["run1-epoch0001.safetensors", "run1-epoch0002-step0003.safetensors", "run1-epoch0002.safetensors"])
    let middle = Checkpoints(runFolder: url).list()[1]
    XCTAssertEqual(middle.epoch, 1)
    XCTAssertEqual(middle.step, 3)
  }
}
