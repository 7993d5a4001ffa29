import Data
import Foundation
import XCTest
import NN
import Torch
@testable import SCPL

/// DASCPL's growing network (`--grow-at`): components join one by one, the epochs record how
/// many trained, a component that has not joined neither changes nor predicts, and a run resumed
/// after a growth step is the uninterrupted run bit for bit.
final class GrowthTests: XCTestCase {
  var dir: URL!

  override func setUpWithError() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("growth-\(UUID())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

  func testTheScheduleSaysWhoTrainsAndIsChecked() throws {
    let g = try GrowthSchedule(parsing: "1, 2,3")
    XCTAssertEqual((1...5).map(g.activeComponents(inEpoch:)), [1, 2, 3, 4, 4])
    XCTAssertEqual(g.description, "1,2,3")
    XCTAssertNoThrow(try g.check(components: 4, totalEpochs: 4))
    for (text, says) in [("2,1", "must increase"), ("0", "'0' is not an epoch"), ("a", "'a' is not an epoch")] {
      XCTAssertThrowsError(try GrowthSchedule(parsing: text)) { XCTAssertTrue("\($0)".contains(says), "\($0)") }
    }
    XCTAssertThrowsError(try g.check(components: 3, totalEpochs: 4)) {
      XCTAssertTrue("\($0)".contains("adds 3 component(s) to the first, but the network has 3"), "\($0)")
    }
    XCTAssertThrowsError(try g.check(components: 4, totalEpochs: 3)) {
      XCTAssertTrue("\($0)".contains("would join after epoch 3, but the run has 3 epoch(s)"), "\($0)")
    }
    var p = PartialTrainConfig()
    p.method = .scpl
    p.epochs = 4
    p.growAt = g
    XCTAssertEqual(try p.resolved().predictors, .mlp, "SCPL grows with DASCPL's predictors unless told which")
    p.predictors = .linear
    XCTAssertEqual(try p.resolved().growAt, g)
    XCTAssertEqual(try p.resolved().predictors, .linear)
    p.method = .bp
    p.predictors = nil
    XCTAssertThrowsError(try p.resolved()) {
      XCTAssertTrue("\($0)".contains("needs a prediction per component"), "\($0)")
    }
  }

  /// A component that has not joined: its forward hands the input on, it learns nothing (NaN,
  /// its weights unchanged), and the last joined component's predictor makes the prediction.
  func testAComponentThatHasNotJoinedNeitherLearnsNorPredicts() throws {
    try Torch.manualSeed(5)
    var options = MethodOptions()
    options.predictors = .mlp
    let method = try SCPLMethod(model: tinyModel("vgg"), options: options)
    method.active.count = 2
    let before = try method.model.parameters(ofComponent: 2).map { try $0.bytes() }
    let (x, y) = try tinyBatch(method.model)
    let losses = try method.trainStep(inputs: x, labels: y)
    XCTAssertTrue(losses[0].isFinite && losses[1].isFinite, "\(losses)")
    XCTAssertTrue(losses[2].isNaN && losses[3].isNaN, "\(losses)")
    XCTAssertEqual(try method.model.parameters(ofComponent: 2).map { try $0.bytes() }, before)
    let p = try method.inMode(training: false) { try withNoGrad { try method.predict(inputs: x) } }
    XCTAssertEqual(p.heads.count, 2)
    XCTAssertEqual(try p.final.bytes(), try p.heads[1].bytes(), "component 2's predictor predicts")
  }

  func config(epochs: Int = 4) throws -> TrainConfig {
    var p = PartialTrainConfig()
    p.model = .vgg; p.method = .scpl; p.dataset = .fashionMNIST; p.width = 1.0 / 16; p.epochs = epochs
    p.limitTrain = 192; p.limitTest = 64; p.batchSize = 64; p.threads = 1; p.components = 4
    p.predictors = .mlp; p.growAt = try GrowthSchedule(parsing: "1,2,3")
    return try p.resolved()
  }

  /// `--grow-at 1,2,3 --components 4 --epochs 4` records 1, 2, 3, 4 active components, each
  /// epoch's losses and predictors only of the joined ones; stopped after epoch 2 (a growth step)
  /// and resumed, it ends with the uninterrupted run's weights, optimizer state and metrics bit
  /// for bit.
  func testAGrowingRunRecordsItsComponentsAndResumesBitForBit() throws {
    let config = try config()
    let data = try DatasetCatalog.load(config)
    let straight = dir.appendingPathComponent("straight"), interrupted = dir.appendingPathComponent("interrupted")
    _ = try quietTrainer(config, data, at: straight).run()
    let records = try EpochRecord.readLines(straight.appendingPathComponent("metrics.jsonl"))
    XCTAssertEqual(records.map(\.activeComponents), [1, 2, 3, 4])
    XCTAssertEqual(records.map { $0.losses.count }, [1, 2, 3, 4])
    XCTAssertEqual(records.map { $0.componentTestAccuracy.count }, [1, 2, 3, 4])
    XCTAssertEqual(records.map(\.testAccuracy), records.map { $0.componentTestAccuracy.last! })

    do {
      let first = try quietTrainer(config, data, at: interrupted)
      first.interruptAfterEpochs = 2
      XCTAssertThrowsError(try first.run()) { XCTAssertTrue($0 is Trainer.Interrupted) }
    }
    let point = try Trainer.ResumePoint.load(interrupted)
    XCTAssertEqual(point.epoch, 2)
    _ = try quietTrainer(config, data, at: interrupted, resume: point).run()
    let name = "checkpoints/run1-epoch0004.safetensors"
    let a = try SafeTensors.load(from: straight.appendingPathComponent(name))
    let b = try SafeTensors.load(from: interrupted.appendingPathComponent(name))
    XCTAssertEqual(a.tensors.map(\.name), b.tensors.map(\.name))
    for ((n, x), (_, y)) in zip(a.tensors, b.tensors) { XCTAssertEqual(try x.bytes(), try y.bytes(), n) }
    let again = try EpochRecord.readLines(interrupted.appendingPathComponent("metrics.jsonl"))
    XCTAssertEqual(again.map(\.testAccuracy), records.map(\.testAccuracy))
    XCTAssertEqual(again.map(\.activeComponents), [1, 2, 3, 4])
  }
}
