import Foundation
import XCTest
import Data
import Torch
@testable import SCPL

final class LinearProbeTests: XCTestCase {
  /// Separable features are read almost perfectly; features that say nothing about the labels
  /// are read at chance.
  func testTheProbeReadsWhatTheFeaturesHold() throws {
    try Torch.manualSeed(4)
    func blobs(_ n: Int) throws -> (Tensor, Tensor) {
      let y = try Tensor((0..<n).map { Int64($0 % 2) })
      let centres = try (y.to(.float32) * 4 - 2).reshaped([n, 1]).expanded(to: [n, 16])
      return (try Tensor.randn([n, 16]) + centres, y)
    }
    let (x, y) = try blobs(400), (tx, ty) = try blobs(400)
    XCTAssertGreaterThan(try LinearProbe.probe(x, y, tx, ty, classes: 2, options: .init()), 0.95)
    let noise = try Tensor.randn([400, 16]), testNoise = try Tensor.randn([400, 16])
    XCTAssertLessThan(try LinearProbe.probe(noise, y, testNoise, ty, classes: 2, options: .init()), 0.65)
  }

  /// On a model, one accuracy per component, computed in eval mode without changing the model.
  func testOneAccuracyPerComponentAndTheModelIsUntouched() throws {
    try Torch.manualSeed(5)
    let model = try tinyModel("vgg")
    let method = try Methods.make(.scpl, model: model)
    let data = try TensorDataset(
      name: "random", inputs: Tensor.randn([60] + model.sampleShape),
      labels: Tensor((0..<60).map { Int64($0 % 3) }), classCount: 3)
    let before = try method.stateDict().map { Data(try $0.1.bytes()) }
    var options = LinearProbe.Options()
    options.epochs = 2
    let accuracies = try LinearProbe.accuracies(method, train: data, test: data, options: options)
    XCTAssertEqual(accuracies.count, model.components.count)
    XCTAssertTrue(accuracies.allSatisfy { (0...1).contains($0) }, "\(accuracies)")
    XCTAssertEqual(
      try method.stateDict().map { Data(try $0.1.bytes()) }, before, "weights and BatchNorm statistics unchanged")
    XCTAssertTrue(model.isTraining, "training mode restored")
  }
}
