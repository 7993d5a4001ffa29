import Data
import Foundation
import SCPL
import Torch
import XCTest

/// A program's own data through a run's options: the source's family picks the defaults, the run's
/// limits apply, an image folder is read from `--data-dir` with its measured normalisation, and a
/// model of the other family, or a custom data set without its program, is refused by name.
final class DataSourceTests: XCTestCase {
  var dir: URL!
  override func setUpWithError() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("source-\(UUID())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  }
  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

  func config(
    _ source: DataSource, model: ModelKind = .custom, _ edit: (inout PartialTrainConfig) -> Void = { _ in }
  ) throws -> TrainConfig {
    var p = PartialTrainConfig()
    p.model = model
    p.dataset = .custom
    edit(&p)
    return try p.resolved(customData: source)
  }

  func testTensorsInMemoryWithTheRunsLimits() throws {
    let train = try TensorDataset(
      name: "t", inputs: Tensor.randn([40, 5]), labels: Tensor((0..<40).map { Int64($0 % 4) }), classCount: 4)
    let test = try TensorDataset(
      name: "t", inputs: Tensor.randn([12, 5]), labels: Tensor((0..<12).map { Int64($0 % 4) }), classCount: 4)
    let source = try DataSource.tensors(name: "vectors", train: train, test: test)
    XCTAssertEqual(source.family, .vision)
    let c = try config(source) {
      $0.limitTrain = 30
      $0.limitTest = 10
    }
    // Float samples take the vision defaults: MLP heads, a cosine schedule, basic augmentation off.
    XCTAssertEqual(c.projection, .mlp)
    XCTAssertEqual(c.lrSchedule, .cosine)
    let data = try source.load(c)
    XCTAssertEqual([data.train.count, data.test.count, data.trainProbe.count], [30, 10, 30])
    XCTAssertEqual(data.sampleShape, [5])
    XCTAssertEqual(data.classCount, 4)
    XCTAssertEqual(data.facts["data_source"], "vectors")
    var rng = SplitMix64(seed: 1)
    let batch = try data.train.batch(indices: [29], rng: &rng)
    XCTAssertEqual(
      try batch.inputs.toArray(Float.self), try train.inputs.slice(axis: 0, start: 29, end: 30).toArray(Float.self))

    let mismatched = try TensorDataset(
      name: "t", inputs: Tensor.randn([3, 6]), labels: Tensor([0, 1, 2] as [Int64]), classCount: 4)
    XCTAssertThrowsError(try DataSource.tensors(name: "bad", train: train, test: mismatched)) {
      XCTAssertTrue("\($0)".contains("[5]") && "\($0)".contains("[6]"), "\($0)")
    }
  }

  func testAModelOfTheOtherFamilyOrNoProgramIsRefused() throws {
    let ids = try TensorDataset(
      name: "ids", inputs: Tensor((0..<20).map { Int64($0 % 7) }, shape: [4, 5]),
      labels: Tensor([0, 1, 0, 1] as [Int64]),
      classCount: 2)
    let source = try DataSource.tensors(name: "token-ids", train: ids, test: ids)
    XCTAssertEqual(source.family, .text)
    XCTAssertThrowsError(try config(source, model: .vgg)) {
      XCTAssertTrue("\($0)".contains("'token-ids'") && "\($0)".contains("vision model 'vgg'"), "\($0)")
    }
    var p = PartialTrainConfig()
    p.dataset = .custom
    XCTAssertThrowsError(try p.resolved()) { XCTAssertTrue("\($0)".contains("--dataset custom"), "\($0)") }
    // The catalog does not offer it, and scpl's loader names why it cannot read it.
    XCTAssertFalse(DatasetName.allCases.contains(.custom))
    XCTAssertThrowsError(try DatasetCatalog.entry(.custom)) {
      XCTAssertTrue("\($0)".contains("only that program can read it"), "\($0)")
    }
  }

  /// An ImageFolder tree with a `val` split, read from `--data-dir`: sorted classes, the test split
  /// found, `--aug` on the training split only, and pixels normalised by the measured statistics.
  func testImageFolderFromTheDataDir() throws {
    let codec = JPEGCodec()
    for (split, n) in [("train", 3), ("val", 2)] {
      for (c, grey) in [("b-class", UInt8(200)), ("a-class", UInt8(40))] {
        for k in 0..<n {
          let url = dir.appendingPathComponent("\(split)/\(c)/\(k).jpg")
          try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
          let pixels = [UInt8](repeating: grey, count: 16 * 16 * 3)
          try Data(try codec.encode(pixels, width: 16, height: 16, quality: 100)).write(to: url)
        }
      }
    }
    let source = DataSource.imageFolder(name: "greys", height: 8, width: 8)
    XCTAssertThrowsError(try source.load(try config(source))) { XCTAssertTrue("\($0)".contains("--data-dir"), "\($0)") }
    let c = try config(source) {
      $0.dataDir = self.dir.path
      $0.aug = .basic
    }
    let data = try source.load(c)
    XCTAssertEqual([data.train.count, data.test.count], [6, 4])
    XCTAssertEqual(data.testName, "greys/val")
    XCTAssertEqual(data.sampleShape, [3, 8, 8])
    XCTAssertEqual(data.classCount, 2)
    XCTAssertEqual((data.train as? ImageDataset)?.augmentation, .basic)
    XCTAssertEqual((data.test as? ImageDataset)?.augmentation, Augmentation.none)
    // Half the training pixels are ≈40, half ≈200: each class is one standard deviation from the
    // mean, below for a-class (label 0) and above for b-class (label 1).
    var rng = SplitMix64(seed: 1)
    let (inputs, labels) = try data.test.batch(indices: [0, 2], rng: &rng)
    XCTAssertEqual(try labels.toArray(Int64.self), [0, 1])
    let values = try inputs.mean(axes: [1, 2, 3]).toArray(Float.self)
    XCTAssertEqual(values[0], -1, accuracy: 0.02)
    XCTAssertEqual(values[1], 1, accuracy: 0.02)
  }
}
