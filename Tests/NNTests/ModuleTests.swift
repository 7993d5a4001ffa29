import XCTest
import Torch
@testable import NN

final class ModuleTests: XCTestCase {
  final class Block: Module, UnaryLayer, @unchecked Sendable {
    let conv: Conv2d
    let bn: BatchNorm2d
    let extra: [Linear]
    init(channels: Int = 2) throws {
      conv = try Conv2d(1, channels, kernelSize: 3, padding: 1, bias: false)
      bn = try BatchNorm2d(channels)
      extra = [try Linear(2, 2)]
      super.init()
    }
    func callAsFunction(_ x: Tensor) throws -> Tensor { try bn(conv(x)) }
  }

  final class Net: Module, @unchecked Sendable {
    let components: [Block]
    let head: Sequential
    init(classes: Int = 3) throws {
      components = [try Block(), try Block()]
      head = try Sequential { Flatten(); try Linear(8, classes) }
      super.init()
    }
  }

  func testDottedNamesFoundByReflection() throws {
    let names = try Net().stateDict().map(\.0)
    XCTAssertEqual(names, [
      "components.0.conv.weight", "components.0.bn.weight", "components.0.bn.bias",
      "components.0.extra.0.weight", "components.0.extra.0.bias",
      "components.1.conv.weight", "components.1.bn.weight", "components.1.bn.bias",
      "components.1.extra.0.weight", "components.1.extra.0.bias",
      "head.layers.1.weight", "head.layers.1.bias",
      "components.0.bn.runningMean", "components.0.bn.runningVar",
      "components.1.bn.runningMean", "components.1.bn.runningVar",
    ])
    XCTAssertEqual(try Net().parameterCount, 2 * (18 + 4 + 6) + 27)
  }

  func testTrainEvalPropagates() throws {
    let net = try Net()
    net.eval()
    XCTAssertFalse(net.components[1].bn.isTraining)
    XCTAssertFalse(net.head.layers[1].isTraining)
    net.train()
    XCTAssertTrue(net.components[0].conv.isTraining)
  }

  func testStateDictRoundTripThroughSafetensors() throws {
    let a = try Net(), b = try Net()
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("module-\(UUID()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try a.save(to: url)
    try b.load(from: url)
    for ((n1, t1), (n2, t2)) in zip(a.stateDict(), b.stateDict()) {
      XCTAssertEqual(n1, n2)
      XCTAssertEqual(try t1.toArray(Float.self), try t2.toArray(Float.self), n1)
    }
  }

  func testLoadStateDictRejectsMismatchBeforeChangingAnything() throws {
    let net = try Net()
    let before = try net.components[0].conv.weight.toArray(Float.self)
    var state = Dictionary(uniqueKeysWithValues: net.stateDict())
    state["components.0.conv.weight"] = try Tensor.zeros([2, 1, 3, 3])
    state["head.layers.1.weight"] = try Tensor.zeros([5, 5])
    XCTAssertThrowsError(try net.loadStateDict(state)) { error in
      XCTAssertTrue("\(error)".contains("head.layers.1.weight has shape [5, 5]"), "\(error)")
    }
    XCTAssertEqual(try net.components[0].conv.weight.toArray(Float.self), before)
  }
}
