import XCTest
import NN
import Torch
@testable import SCPL

func tinyModel(_ name: String, classes: Int = 3) throws -> StagedModel {
  switch name {
  case "vgg": return try VGG.build(sampleShape: [1, 16, 16], classes: classes, width: 1.0 / 32)
  case "resnet18": return try ResNet18.build(sampleShape: [3, 8, 8], classes: classes, width: 1.0 / 16)
  case "convnet": return try ConvNet.build(sampleShape: [3, 8, 8], classes: classes, width: 0.125)
  case "lstm": return try TextModels.build(.lstm, vectors: Tensor.randn([20, 6]), classes: classes, hidden: 5)
  case "transformer":
    return try TextModels.build(.transformer, vectors: Tensor.randn([20, 6]), classes: classes, hidden: 5, heads: 2)
  case "skip": return try SkipComponent.model(classes: classes)
  default: fatalError(name)
  }
}

/// A network whose components send a tensor beside the main one (`Activation.extras`): the first
/// puts its output there as "skip", and every later one adds it, through a linear map of its own,
/// to its output and passes it on — a skip connection across every component boundary.
final class SkipComponent: Module, Component, @unchecked Sendable {
  let linear: Linear
  let project: Linear?

  init(width: Int, first: Bool) throws {
    linear = try Linear(width, width)
    project = first ? nil : try Linear(width, width)
    super.init()
  }

  func callAsFunction(_ x: Activation) throws -> Activation {
    var y = x.replacing(try linear(x.tensor).relu())
    if let skip = x.extras["skip"], let project { y.tensor = try y.tensor + project(skip) }
    y.extras["skip"] = x.extras["skip"] ?? y.tensor
    return y
  }

  func features(_ y: Activation) throws -> Tensor { y.tensor }

  static func model(classes: Int, width: Int = 6, components: Int = 4) throws -> StagedModel {
    try StagedModel(
      name: "skip", family: .vision,
      components: try (0..<components).map { try SkipComponent(width: width, first: $0 == 0) },
      classifier: try Sequential { try Linear(width, classes) }, classCount: classes, sampleShape: [width])
  }
}

func tinyBatch(_ model: StagedModel, n: Int = 6) throws -> (Tensor, Tensor) {
  let labels = try Tensor((0..<n).map { Int64($0 % model.classCount) })
  let inputs =
    model.family == .vision
    ? try Tensor.randn([n] + model.sampleShape)
    : try Tensor.randint(1, 20, [n, 7]).maskedFill(Tensor.rand([n, 7]) .< 0.2, 0)
  return (inputs, labels)
}

final class MethodTests: XCTestCase {
  func testEveryModelAndMethodTakesAFiniteStepAndPredicts() throws {
    for name in ["vgg", "resnet18", "convnet", "lstm", "transformer"] {
      for kind in MethodKind.allCases {
        try Torch.manualSeed(3)
        let model = try tinyModel(name)
        let method = try Methods.make(kind, model: model)
        let (x, y) = try tinyBatch(model)
        let losses = try method.trainStep(inputs: x, labels: y)
        XCTAssertEqual(losses.count, kind == .bp ? 1 : model.components.count, "\(name) \(kind)")
        XCTAssertTrue(losses.allSatisfy(\.isFinite), "\(name) \(kind): \(losses)")
        method.train(false)
        let p = try withNoGrad { try method.predict(inputs: x) }
        XCTAssertEqual(p.final.shape, [6, 3], "\(name) \(kind)")
        XCTAssertEqual(p.heads.count, [.earlyExit, .al].contains(kind) ? model.components.count : 0)
      }
    }
  }

  /// Property 1: a later component's loss leaves earlier components' gradients untouched, and
  /// the classifier's cross-entropy never reaches the last component's backbone.
  func testSCPLGradientIsolation() throws {
    let model = try tinyModel("vgg")
    let scpl = try SCPLMethod(model: model, options: MethodOptions())
    let (x, y) = try tinyBatch(model)
    let c1 = model.components[0], c2 = model.components[1]
    let y1 = try c1(Activation(x))
    try scpl.objectives[0](c1.features(y1), labels: y).backward()
    let before = try c1.parameters().map { try $0.grad!.toArray(Float.self) }
    let y2 = try c2(y1.detached())
    try scpl.objectives[1](c2.features(y2), labels: y).backward()
    XCTAssertEqual(try c1.parameters().map { try $0.grad!.toArray(Float.self) }, before)
    XCTAssertTrue(try c2.parameters().allSatisfy { try $0.grad != nil })

    // The classifier's loss on detached features: the last backbone gets nothing.
    var h = try y2.detached()
    for c in model.components.dropFirst(2) { h = try c(h) }
    let last = model.components.last!
    try crossEntropy(model.classifier(last.features(h).detached()), y).backward()
    XCTAssertTrue(try last.parameters().allSatisfy { try $0.grad == nil })
    XCTAssertTrue(try model.classifier.parameters().allSatisfy { try $0.grad != nil })
  }

  /// The negative control: without the detach (BP) a later loss does change earlier gradients,
  /// so the isolation test above can fail.
  func testWithoutDetachGradientsLeak() throws {
    let model = try tinyModel("vgg")
    let scpl = try SCPLMethod(model: model, options: MethodOptions())
    let (x, y) = try tinyBatch(model)
    let c1 = model.components[0], c2 = model.components[1]
    let y1 = try c1(Activation(x))
    try scpl.objectives[0](c1.features(y1), labels: y).backward(retainGraph: true)
    let before = try c1.parameters().map { try $0.grad!.toArray(Float.self) }
    try scpl.objectives[1](c2.features(c2(y1)), labels: y).backward()
    XCTAssertNotEqual(try c1.parameters().map { try $0.grad!.toArray(Float.self) }, before)
  }

  /// Each stage's optimizer owns exactly its component (plus its head, plus the classifier for the
  /// last), and the sets are disjoint.
  func testLocalOptimizersPartitionTheParameters() throws {
    for kind in [MethodKind.scpl, .earlyExit, .al] {
      let method = try Methods.make(kind, model: tinyModel("convnet")) as! any LocalMethod
      let sets = method.stages.map { Set($0.optimizer.parameters.map(ObjectIdentifier.init)) }
      for i in sets.indices {
        for j in sets.indices where i < j { XCTAssertTrue(sets[i].isDisjoint(with: sets[j]), "\(kind)") }
      }
      for (k, c) in method.model.components.enumerated() {
        XCTAssertTrue(
          Set(c.trainableParameters().map(ObjectIdentifier.init)).isSubset(of: sets[k]), "\(kind) component \(k)")
      }
    }
  }

  func testUnknownMethodName() {
    XCTAssertThrowsError(try MethodKind(parsing: "gpipe-ish")) {
      XCTAssertTrue("\($0)".contains("expected one of bp, scpl, early-exit, al"), "\($0)")
    }
  }
}
