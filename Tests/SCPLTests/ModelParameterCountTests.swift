import XCTest
import NN
import Torch
@testable import SCPL

/// Parameter counts at width 1.0 against spec sections 3 and 4.
final class ModelParameterCountTests: XCTestCase {
  func counts(_ m: StagedModel) -> [Int] { m.components.map(\.parameterCount) }

  func testVGG() throws {
    let m = try VGG.build(sampleShape: [3, 32, 32], classes: 10)
    XCTAssertEqual(counts(m), [299_136, 1_771_008, 2_360_320, 2_360_320])
    XCTAssertEqual(m.classifier.parameterCount, 5_147_510)
    XCTAssertEqual(m.featureDims, [65_536, 32_768, 8_192, 2_048])
    XCTAssertEqual(try VGG.build(sampleShape: [3, 32, 32], classes: 100).classifier.parameterCount, 5_372_600)
  }

  func testResNet18BothShortcuts() throws {
    let m = try ResNet18.build(sampleShape: [3, 32, 32], classes: 100)
    XCTAssertEqual(counts(m), [149_824, 591_104, 2_361_856, 9_442_304])
    XCTAssertEqual(m.classifier.parameterCount, 51_300)
    XCTAssertEqual(m.featureDims, [65_536, 32_768, 16_384, 512])
    let one = try ResNet18.build(sampleShape: [3, 32, 32], classes: 100, shortcut: .conv1x1)
    XCTAssertEqual(counts(one), [149_824, 525_568, 2_099_712, 8_393_728])
  }

  func testConvNet() throws {
    let m = try ConvNet.build(sampleShape: [3, 32, 32], classes: 10)
    XCTAssertEqual(counts(m), [10_144, 18_496, 55_424, 73_856])
    XCTAssertEqual(m.classifier.parameterCount, 6_160_510)
    XCTAssertEqual(m.featureDims, [32_768, 8_192, 16_384, 4_096])
  }

  func testTextModelsAt300Dimensions() throws {
    let vectors = try Tensor.zeros([100, 300])
    let lstm = try TextModels.build(.lstm, vectors: vectors, classes: 4)
    XCTAssertEqual(counts(lstm), [30_000, 1_444_800, 2_164_800, 2_164_800])
    XCTAssertEqual(lstm.classifier.parameterCount, 91_504)
    let transformer = try TextModels.build(.transformer, vectors: vectors, classes: 4)
    XCTAssertEqual(counts(transformer), [30_000, 543_600, 543_600, 543_600])
  }

  func testOtherComponentCountsAndBadOnes() throws {
    let vgg2 = try VGG.build(sampleShape: [1, 28, 28], classes: 10, components: 2, width: 0.125)
    XCTAssertEqual(vgg2.components.count, 2)
    XCTAssertThrowsError(try VGG.build(sampleShape: [3, 32, 32], classes: 10, components: 7)) {
      XCTAssertTrue("\($0)".contains("1…6 components, not 7"), "\($0)")
    }
    XCTAssertThrowsError(try TextModels.build(.lstm, vectors: Tensor.zeros([10, 8]), classes: 2, components: 1))
    XCTAssertThrowsError(try TextModels.build(.transformer, vectors: Tensor.zeros([10, 50]), classes: 2, heads: 6)) {
      XCTAssertTrue("\($0)".contains("does not divide the word-vector dimension 50"), "\($0)")
    }
    XCTAssertThrowsError(try VGG.build(sampleShape: [3, 8, 8], classes: 10)) {
      XCTAssertTrue("\($0)".contains("at least 16×16"), "\($0)")
    }
  }
}
