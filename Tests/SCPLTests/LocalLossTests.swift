import Foundation
import XCTest
import NN
import Torch
@testable import SCPL

/// The local losses of Early Exit and Associated Learning against values worked out by hand
/// (all-zero weights) and against the same formulas written out in scalar Swift from the
/// modules' weights (random weights). The model is two `ProbeComponent`s (a Linear 4→4 each,
/// whose output is its features), two classes, a batch of two.
final class LocalLossTests: XCTestCase {
  let inputs: [[Double]] = [[0.5, -1, 2, 0.25], [-0.75, 0.5, 0, 1.5]]
  let labels: [Int] = [0, 1]

  func batch() throws -> (Tensor, Tensor) {
    (try Tensor(inputs.flatMap { $0.map(Float.init) }).reshaped([2, 4]), try Tensor(labels.map(Int64.init)))
  }

  func model() throws -> StagedModel { try ProbeComponent.model(components: 2) }

  /// Component k's loss on the batch: the stage's forward on the sequential loop's input, then its `loss`.
  func loss(_ method: any LocalMethod, component k: Int) throws -> Double {
    let (x, y) = try batch()
    var input = try method.firstActivation(inputs: x, labels: y)
    for stage in method.stages.prefix(k) { input = try stage.forward(input).detached() }
    let stage = method.stages[k]
    return try stage.loss(input: input, output: stage.forward(input), labels: y).item()
  }

  func zeroAll(_ modules: [Module]) throws {
    try withNoGrad { for m in modules { for p in m.parameters() { try p.zero_() } } }
  }

  // Scalar formulas.
  func matrix(_ t: Tensor) throws -> [[Double]] {
    let flat = try t.toArray(Float.self).map(Double.init), cols = t.shape[1]
    return stride(from: 0, to: flat.count, by: cols).map { Array(flat[$0..<($0 + cols)]) }
  }
  func linear(_ x: [Double], _ l: Linear) throws -> [Double] {
    let w = try matrix(l.weight), b = try l.bias!.toArray(Float.self).map(Double.init)
    return w.indices.map { j in zip(w[j], x).map(*).reduce(0, +) + b[j] }
  }
  func linears(_ s: Sequential) -> [Linear] { s.layers.compactMap { $0 as? Linear } }
  func sigmoid(_ v: [Double]) -> [Double] { v.map { 1 / (1 + exp(-$0)) } }
  func crossEntropy(_ logits: [Double], _ label: Int) -> Double {
    let m = logits.max()!
    return log(logits.map { exp($0 - m) }.reduce(0, +)) + m - logits[label]
  }
  func meanSquare(_ a: [Double], _ b: [Double]) -> Double {
    zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Double(a.count)
  }

  func testEarlyExitLossIsTheHeadsCrossEntropy() throws {
    // By hand: all-zero weights give equal logits, so each head's cross-entropy is ln 2.
    try Torch.manualSeed(1)
    let zero = try EarlyExitMethod(model: model(), options: MethodOptions())
    try zeroAll(zero.modules.map(\.1))
    XCTAssertEqual(try loss(zero, component: 0), log(2), accuracy: 1e-6)
    XCTAssertEqual(try loss(zero, component: 1), log(2), accuracy: 1e-6)

    // Random weights: component 1's head (Linear 4→500, sigmoid, Linear 500→2) on the
    // component's output, mean cross-entropy over the batch.
    try Torch.manualSeed(2)
    let method = try EarlyExitMethod(model: model(), options: MethodOptions())
    let component = (method.model.components[0] as! ProbeComponent).linear
    let head = linears(method.heads[0])
    var expected = 0.0
    for (x, y) in zip(inputs, labels) {
      let features = try linear(x, component)
      expected += crossEntropy(try linear(sigmoid(try linear(features, head[0])), head[1]), y) / 2
    }
    XCTAssertEqual(try loss(method, component: 0), expected, accuracy: 1e-5)
    XCTAssertGreaterThan(abs(expected - log(2)), 1e-3, "the random case is not the zero case")
  }

  func testAssociatedLearningLossIsBridgePlusAutoencoder() throws {
    // By hand, all-zero weights: t₁ = g(t₀) = σ(0) = 0.5 everywhere and b(s₁) = 0.5 everywhere,
    // so the bridge loss is 0; h(t₁) = 0.5 against the one-hot t₀ misses every entry by 0.5, so
    // the auto-encoder loss is 0.25. Component 2 compares 0.5 with 0.5 twice: 0.
    try Torch.manualSeed(1)
    let zero = try AssociatedLearningMethod(model: model(), options: MethodOptions())
    try zeroAll(zero.modules.map(\.1))
    XCTAssertEqual(try loss(zero, component: 0), 0.25, accuracy: 1e-7)
    XCTAssertEqual(try loss(zero, component: 1), 0, accuracy: 1e-7)

    // Random weights, component 1: ‖b(s₁) − t₁‖² + ‖h(t₁) − t₀‖², each a mean over the batch
    // and the vector's entries.
    try Torch.manualSeed(2)
    let method = try AssociatedLearningMethod(model: model(), options: MethodOptions())
    let component = (method.model.components[0] as! ProbeComponent).linear
    let block = method.blocks[0]
    let (g, b, h) = (linears(block.encoder), linears(block.bridge), linears(block.decoder))
    var bridge = 0.0, autoencoder = 0.0
    for (x, y) in zip(inputs, labels) {
      let s = try linear(x, component)
      let t0: [Double] = (0..<2).map { $0 == y ? 1 : 0 }
      let t1 = sigmoid(try linear(t0, g[0]))
      bridge += meanSquare(sigmoid(try linear(sigmoid(try linear(s, b[0])), b[1])), t1) / 2
      autoencoder += meanSquare(sigmoid(try linear(t1, h[0])), t0) / 2
    }
    XCTAssertEqual(try loss(method, component: 0), bridge + autoencoder, accuracy: 1e-5)
    XCTAssertGreaterThan(bridge, 1e-4, "the bridge term is not trivially 0 here")
  }

  /// AL's shortcut at depth d walks back through the decoders of components d, d−1, …, 0, and
  /// reaches each through the executor's hand-off (here one that notes where it was asked to go
  /// and moves nothing, so the logits are those of the one-device prediction).
  func testAssociatedLearningDecodersAreReachedThroughTheHandOff() throws {
    try Torch.manualSeed(3)
    let method = try AssociatedLearningMethod(
      model: try ProbeComponent.model(components: 3), options: MethodOptions())
    method.train(false)
    let (inputs, _) = try batch()
    var asked: [Int] = []
    let noting = ComponentHandOff { tensor, k in
      asked.append(k)
      return tensor
    }
    let shares = try withNoGrad { () throws -> PartialPrediction in
      var x = PartialPrediction(try method.model.firstActivation(inputs))
      for k in 0..<3 { x = try method.predict(component: k, x, via: noting) }
      return x
    }
    XCTAssertEqual(asked, [0, 1, 0, 2, 1, 0])
    let whole = try withNoGrad { try method.predict(inputs: inputs) }
    XCTAssertEqual(try shares.finished().final.bytes(), try whole.final.bytes())
    XCTAssertEqual(
      method.readByLaterPredictions(component: 1).map(ObjectIdentifier.init),
      [ObjectIdentifier(method.blocks[1].decoder)])
    XCTAssertTrue(try SCPLMethod(model: model(), options: MethodOptions()).readByLaterPredictions(component: 0).isEmpty)
  }
}
