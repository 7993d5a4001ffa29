import NN
import Torch
import XCTest

@testable import SCPL

/// A flat list of layers cut into components: by given counts (torchgpipe's balance), evenly, or
/// by measured time; the measurement leaves the layers as they were.
final class LayerCutTests: XCTestCase {
  func layers() throws -> [any UnaryLayer] {
    [try Linear(8, 8), ReLU(), try Linear(8, 8), ReLU(), try Linear(8, 8), ReLU(), try Linear(8, 8)]
  }

  func testBalanceAndEvenCuts() throws {
    XCTAssertEqual(try LayerCut.balance([2, 3, 2]).groups(try layers(), sampleShape: [8]), [[0, 1], [2, 3, 4], [5, 6]])
    XCTAssertEqual(try LayerCut.even(components: 3).groups(try layers(), sampleShape: [8]), [[0, 1, 2], [3, 4], [5, 6]])
    for bad in [LayerCut.balance([2, 3]), .balance([7, 0]), .even(components: 8), .even(components: 0)] {
      XCTAssertThrowsError(try bad.groups(try layers(), sampleShape: [8]), "\(bad)")
    }
    let model = try StagedModel.cutting(
      try layers(), .balance([2, 3, 2]), name: "flat", sampleShape: [8], classCount: 3
    ) { width in try Sequential { try Linear(width, 3) } }
    XCTAssertEqual(model.components.count, 3)
    XCTAssertEqual(model.featureDims, [8, 8, 8])
  }

  /// A features function given to the cut: conv maps pooled per channel (B×C) instead of
  /// flattened (B×C·H·W), for every component's objective and the classifier's width.
  func testAGivenFeaturesFunctionSizesTheHeadsAndTheClassifier() throws {
    let convs: [any UnaryLayer] = [
      try Conv2d(1, 4, kernelSize: 3, padding: 1), ReLU(), try Conv2d(4, 6, kernelSize: 3, padding: 1)
    ]
    var classifierWidth = 0
    let pooled = try StagedModel.cutting(
      convs, .balance([2, 1]), name: "pooled", sampleShape: [1, 5, 5], classCount: 3,
      features: VisionComponent.globalAveragePool
    ) { width in
      classifierWidth = width
      return try Sequential { try Linear(width, 3) }
    }
    XCTAssertEqual(pooled.featureDims, [4, 6])
    XCTAssertEqual(classifierWidth, 6)
    let x = try Tensor.randn([2, 1, 5, 5])
    let first = try pooled.components[0](Activation(x))
    let mean = try first.tensor.mean(axes: [2, 3]).toArray(Float.self)
    XCTAssertEqual(try pooled.components[0].features(first).toArray(Float.self), mean)
    let flat = try StagedModel.cutting(
      convs, .balance([2, 1]), name: "flat", sampleShape: [1, 5, 5], classCount: 3
    ) { width in try Sequential { try Linear(width, 3) } }
    XCTAssertEqual(flat.featureDims, [100, 150])
  }

  /// Two expensive layers at the ends of a list of cheap ones: a cut in two by measured time puts
  /// them in different components (which cheap layers go where is within the noise).
  func testMeasuredTimeSeparatesTheExpensiveLayers() throws {
    let big = {
      try Sequential {
        try Linear(256, 2048); try Linear(2048, 256)
      }
    }
    let layers: [any UnaryLayer] = [try big(), ReLU(), ReLU(), ReLU(), ReLU(), try big()]
    let groups = try LayerCut.measuredTime(components: 2, probeBatch: 64).groups(layers, sampleShape: [256])
    XCTAssertEqual(groups.count, 2)
    XCTAssertEqual(groups.flatMap { $0 }, Array(0..<6))
    XCTAssertTrue(groups[0].contains(0) && groups[1].contains(5), "\(groups)")
  }

  func testMeasuringChangesNoStatisticOrGradient() throws {
    let norm = try BatchNorm1d(8)
    let layers: [any UnaryLayer] = [try Linear(8, 8), norm, ReLU()]
    let before = try norm.stateDict().map { try $0.1.bytes() }
    _ = try LayerCut.measuredTime(components: 2).groups(layers, sampleShape: [8])
    XCTAssertEqual(try norm.stateDict().map { try $0.1.bytes() }, before)
    XCTAssertTrue(layers.allSatisfy { $0.isTraining }, "training mode is restored")
    XCTAssertTrue(try layers.flatMap { $0.parameters() }.allSatisfy { try $0.grad == nil })
  }
}
