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
      head = try Sequential {
        Flatten(); try Linear(8, classes)
      }
      super.init()
    }
  }

  func testDottedNamesFoundByReflection() throws {
    let names = try Net().stateDict().map(\.0)
    XCTAssertEqual(
      names,
      [
        "components.0.conv.weight", "components.0.bn.weight", "components.0.bn.bias",
        "components.0.extra.0.weight", "components.0.extra.0.bias",
        "components.1.conv.weight", "components.1.bn.weight", "components.1.bn.bias",
        "components.1.extra.0.weight", "components.1.extra.0.bias",
        "head.1.weight", "head.1.bias",
        "components.0.bn.running_mean", "components.0.bn.running_var", "components.0.bn.num_batches_tracked",
        "components.1.bn.running_mean", "components.1.bn.running_var", "components.1.bn.num_batches_tracked"
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
      XCTAssertEqual(t1.dtype, t2.dtype, n1)
      XCTAssertEqual(try t1.bytes(), try t2.bytes(), n1)
    }
  }

  func testLoadStateDictRejectsMismatchBeforeChangingAnything() throws {
    let net = try Net()
    let before = try net.components[0].conv.weight.toArray(Float.self)
    var state = Dictionary(uniqueKeysWithValues: net.stateDict())
    state["components.0.conv.weight"] = try Tensor.zeros([2, 1, 3, 3])
    state["head.1.weight"] = try Tensor.zeros([5, 5])
    XCTAssertThrowsError(try net.loadStateDict(state)) { error in
      XCTAssertTrue("\(error)".contains("head.1.weight has shape [5, 5]"), "\(error)")
    }
    XCTAssertEqual(try net.components[0].conv.weight.toArray(Float.self), before)
  }
}

final class StateKeyTests: XCTestCase {
  func testPropertyNamesBecomePyTorchKeys() {
    XCTAssertEqual(Module.snakeCase("runningMean"), "running_mean")
    XCTAssertEqual(Module.snakeCase("weightIHReverse"), "weight_ih_reverse")
    XCTAssertEqual(Module.snakeCase("norm1"), "norm1")
    XCTAssertEqual(Module.snakeCase("finalNorm"), "final_norm")
    XCTAssertEqual(Module.snakeCase("al1"), "al1")
    XCTAssertEqual(Module.snakeCase("weight"), "weight")
  }

  /// PyTorch counts BatchNorm's training forwards in `num_batches_tracked`; evaluation does not.
  func testBatchNormCountsTrainingForwards() throws {
    let bn = try BatchNorm2d(3)
    let x = try Tensor.randn([4, 3, 2, 2])
    _ = try bn(x)
    _ = try bn(x)
    bn.eval()
    _ = try bn(x)
    XCTAssertEqual(bn.numBatchesTracked.value.dtype, .int64)
    XCTAssertEqual(try bn.numBatchesTracked.value.toArray(Int64.self), [2])
  }
}
