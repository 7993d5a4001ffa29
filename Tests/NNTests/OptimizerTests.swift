import Foundation
import XCTest
import Torch
@testable import NN

final class OptimizerTests: XCTestCase {
  /// Makes `p.grad` exactly `g`: the gradient of Σ pᵢgᵢ.
  func setGrad(_ p: Tensor, _ g: [Double]) throws {
    try p.zeroGrad()
    try (p * Tensor(g)).sum().backward()
  }

  func values(_ t: Tensor) throws -> [Double] { try t.toArray(Double.self) }

  func assertClose(
    _ a: [Double], _ b: [Double], _ tolerance: Double, _ message: String = "",
    file: StaticString = #filePath, line: UInt = #line
  ) {
    XCTAssertEqual(a.count, b.count, message, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: tolerance, message, file: file, line: line) }
  }

  // MARK: Adam

  /// PyTorch's Adam in plain Swift for one element: returns the new (θ, m, v).
  func adamReference(
    theta: Double, grad: Double, m: Double, v: Double, step t: Double, lr: Double,
    beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8,
    weightDecay: Double
  ) -> (Double, Double, Double) {
    let g = grad + weightDecay * theta
    let m1 = beta1 * m + (1 - beta1) * g
    let v1 = beta2 * v + (1 - beta2) * g * g
    let stepSize = lr / (1 - pow(beta1, t))
    let denominator = v1.squareRoot() / (1 - pow(beta2, t)).squareRoot() + eps
    return (theta - stepSize * m1 / denominator, m1, v1)
  }

  func testAdamFirstTwoStepsMatchClosedForm() throws {
    let theta0: [Double] = [0.5, -1.0, 2.0, 0.0]
    let g1: [Double] = [0.1, -0.2, 0.3, 1e-4]
    let g2: [Double] = [-0.05, 0.4, 0.0, 2.0]
    for weightDecay in [0.0, 0.1] {
      let p = try Tensor(theta0).requiringGrad()
      let adam = try Adam([p], lr: 0.1, weightDecay: weightDecay)
      var expected = theta0.map { ($0, 0.0, 0.0) }
      for (t, g) in [g1, g2].enumerated() {
        try setGrad(p, g)
        try adam.step()
        expected = zip(expected, g).map { state, gi in
          adamReference(
            theta: state.0, grad: gi, m: state.1, v: state.2, step: Double(t + 1), lr: 0.1,
            weightDecay: weightDecay)
        }
        assertClose(try values(p), expected.map(\.0), 1e-12, "θ after step \(t + 1), weight decay \(weightDecay)")
        let state = try XCTUnwrap(adam.states[0])
        assertClose(try values(state.expAvg), expected.map(\.1), 1e-12, "m after step \(t + 1)")
        assertClose(try values(state.expAvgSq), expected.map(\.2), 1e-12, "v after step \(t + 1)")
        XCTAssertEqual(state.step, t + 1)
      }
      // The update must actually move θ (a sanity check on the test itself).
      XCTAssertGreaterThan(Swift.abs(try values(p)[0] - theta0[0]), 0.05)
    }
  }

  func testAdamFirstStepMovesEachCoordinateByAboutLr() throws {
    // At t = 1, m/√v·(bias corrections) = sign(g): the first step is lr·sign(g) up to ε.
    let p = try Tensor([1.0, 1.0, 1.0]).requiringGrad()
    let adam = try Adam([p], lr: 0.01)
    try setGrad(p, [3, -0.001, 1e3])
    try adam.step()
    assertClose(try values(p), [0.99, 1.01, 0.99], 1e-6)
  }

  func testAdamSkipsParametersWithoutGradAndCountsStepsPerParameter() throws {
    let a = try Tensor([1.0, 2.0]).requiringGrad()
    let b = try Tensor([3.0, -4.0]).requiringGrad()
    let adam = try Adam([a, b], lr: 0.05)
    try setGrad(a, [0.5, -0.5])
    try adam.step()
    XCTAssertEqual(try values(b), [3.0, -4.0], "b had no gradient: it must not move")
    XCTAssertNil(adam.states[1])
    XCTAssertEqual(
      try adam.stateDict().map(\.0), ["param_groups.0.lr", "state.0.exp_avg", "state.0.exp_avg_sq", "state.0.step"])

    // Second step: b gets its first gradient, so its bias corrections are those of t = 1.
    try setGrad(a, [0.5, -0.5])
    try setGrad(b, [0.2, 0.7])
    try adam.step()
    let expectedB = zip([3.0, -4.0], [0.2, 0.7]).map {
      adamReference(theta: $0, grad: $1, m: 0, v: 0, step: 1, lr: 0.05, weightDecay: 0).0
    }
    assertClose(try values(b), expectedB, 1e-12)
    XCTAssertEqual(adam.states[0]?.step, 2)
    XCTAssertEqual(adam.states[1]?.step, 1)
  }

  // MARK: SGD

  func testSGDMomentumTwoStepsByHand() throws {
    // lr 0.1, μ 0.9, weight decay 0.01, θ₀ = (1, −2).
    // Step 1: g' = g₁ + 0.01θ₀ = (0.5 + 0.01, 0.25 − 0.02) = (0.51, 0.23); b₁ = g' (first buffer);
    //   θ₁ = θ₀ − 0.1·b₁ = (0.949, −2.023).
    // Step 2: g' = g₂ + 0.01θ₁ = (−1 + 0.00949, 0.5 − 0.02023) = (−0.99051, 0.47977);
    //   b₂ = 0.9·b₁ + g' = (0.459 − 0.99051, 0.207 + 0.47977) = (−0.53151, 0.68677);
    //   θ₂ = θ₁ − 0.1·b₂ = (0.949 + 0.053151, −2.023 − 0.068677) = (1.002151, −2.091677).
    let p = try Tensor([1.0, -2.0]).requiringGrad()
    let sgd = try SGD([p], lr: 0.1, momentum: 0.9, weightDecay: 0.01)
    try setGrad(p, [0.5, 0.25])
    try sgd.step()
    assertClose(try values(p), [0.949, -2.023], 1e-12)
    try setGrad(p, [-1, 0.5])
    try sgd.step()
    assertClose(try values(p), [1.002151, -2.091677], 1e-12)
    assertClose(try values(XCTUnwrap(sgd.momentumBuffers[0])), [-0.53151, 0.68677], 1e-12)
  }

  func testSGDNesterovAndPlain() throws {
    // Nesterov, lr 0.1, μ 0.5, θ₀ = 2, g₁ = 1, g₂ = 3:
    //   b₁ = 1, d = 1 + 0.5·1 = 1.5, θ₁ = 2 − 0.15 = 1.85;
    //   b₂ = 0.5·1 + 3 = 3.5, d = 3 + 0.5·3.5 = 4.75, θ₂ = 1.85 − 0.475 = 1.375.
    let p = try Tensor([2.0]).requiringGrad()
    let nesterov = try SGD([p], lr: 0.1, momentum: 0.5, nesterov: true)
    try setGrad(p, [1]); try nesterov.step()
    XCTAssertEqual(try values(p)[0], 1.85, accuracy: 1e-12)
    try setGrad(p, [3]); try nesterov.step()
    XCTAssertEqual(try values(p)[0], 1.375, accuracy: 1e-12)

    // Plain SGD: θ − lr·g, no state.
    let q = try Tensor([2.0, 1.0]).requiringGrad()
    let plain = try SGD([q], lr: 0.5)
    try setGrad(q, [1, -4]); try plain.step()
    XCTAssertEqual(try values(q), [1.5, 3.0])
    XCTAssertEqual(try plain.stateDict().map(\.0), ["param_groups.0.lr"])
  }

  func testSGDSkipsParametersWithoutGrad() throws {
    let a = try Tensor([1.0]).requiringGrad()
    let b = try Tensor([5.0]).requiringGrad()
    let sgd = try SGD([a, b], lr: 0.1, momentum: 0.9)
    try setGrad(a, [1])
    try sgd.step()
    XCTAssertEqual(try values(a)[0], 0.9, accuracy: 1e-15)
    XCTAssertEqual(try values(b), [5.0])
    XCTAssertNil(sgd.momentumBuffers[1])
  }

  // MARK: state dicts

  /// Trains `steps` steps of a least-squares fit on a fixed batch.
  func train(_ model: Linear, _ optimizer: any Optimizer, _ x: Tensor, _ y: Tensor, steps: Int) throws {
    for _ in 0..<steps {
      try optimizer.zeroGrad()
      try Functional.mseLoss(model(x), y).backward()
      try optimizer.step()
    }
  }

  func testStateDictRoundTripThroughSafeTensorsContinuesIdentically() throws {
    let factories: [(String, ([Tensor]) throws -> any Optimizer)] = [
      ("Adam", { try Adam($0, lr: 0.05, weightDecay: 0.01) }),
      ("SGD", { try SGD($0, lr: 0.05, momentum: 0.9, weightDecay: 0.01, nesterov: true) })
    ]
    for (name, make) in factories {
      try Torch.manualSeed(42)
      let x = try Tensor.randn([6, 3], dtype: .float64)
      let y = try Tensor.randn([6, 2], dtype: .float64)
      let a = try Linear(3, 2, dtype: .float64)
      let optA = try make(a.trainableParameters())
      try train(a, optA, x, y, steps: 3)
      optA.learningRate = 0.03

      let dir = FileManager.default.temporaryDirectory
      let modelURL = dir.appendingPathComponent("opt-model-\(UUID()).safetensors")
      let optURL = dir.appendingPathComponent("opt-state-\(UUID()).safetensors")
      defer { try? FileManager.default.removeItem(at: modelURL); try? FileManager.default.removeItem(at: optURL) }
      try a.save(to: modelURL)
      try optA.save(to: optURL)

      let b = try Linear(3, 2, dtype: .float64)
      let optB = try make(b.trainableParameters())
      try b.load(from: modelURL)
      try optB.load(from: optURL)
      XCTAssertEqual(optB.learningRate, 0.03, name)

      // A fresh optimizer on the same weights would take a different path: the state matters.
      let c = try Linear(3, 2, dtype: .float64)
      try c.load(from: modelURL)
      let optC = try make(c.trainableParameters())
      optC.learningRate = 0.03

      try train(a, optA, x, y, steps: 3)
      try train(b, optB, x, y, steps: 3)
      try train(c, optC, x, y, steps: 3)
      XCTAssertEqual(try values(a.weight), try values(b.weight), name)
      XCTAssertEqual(try values(XCTUnwrap(a.bias)), try values(XCTUnwrap(b.bias)), name)
      XCTAssertNotEqual(try values(a.weight), try values(c.weight), name)
      // Loading copied the buffers: stepping A did not move B's state.
      for ((n1, t1), (n2, t2)) in zip(try optA.stateDict(), try optB.stateDict()) {
        XCTAssertEqual(n1, n2)
        XCTAssertEqual(try values(t1.to(.float64)), try values(t2.to(.float64)), "\(name) \(n1)")
      }
    }
  }

  func testAdamStateDictNamesAndStepTensor() throws {
    let p = try Tensor([1.0, 2.0]).requiringGrad()
    let q = try Tensor([1.0], shape: [1, 1]).requiringGrad()
    let adam = try Adam([p, q])
    try setGrad(q, [7])
    try adam.step()
    try setGrad(q, [7])
    try adam.step()
    let state = Dictionary(uniqueKeysWithValues: try adam.stateDict())
    XCTAssertEqual(Set(state.keys), ["param_groups.0.lr", "state.1.exp_avg", "state.1.exp_avg_sq", "state.1.step"])
    XCTAssertEqual(try state["state.1.step"]!.item(), 2)
    XCTAssertEqual(state["state.1.exp_avg"]!.shape, [1, 1])
    XCTAssertEqual(try state["param_groups.0.lr"]!.item(), 1e-3)
  }

  func testLoadStateDictRejectsBadEntriesBeforeChangingAnything() throws {
    let p = try Tensor([1.0, 2.0]).requiringGrad()
    let adam = try Adam([p], lr: 0.1)
    try setGrad(p, [1, 1])
    try adam.step()
    let good = Dictionary(uniqueKeysWithValues: try adam.stateDict())
    let before = try values(adam.states[0]!.expAvg)

    var wrongShape = good
    wrongShape["state.0.exp_avg"] = try Tensor([1.0, 2.0, 3.0])
    XCTAssertThrowsError(try adam.loadStateDict(wrongShape)) { error in
      XCTAssertTrue("\(error)".contains("state.0.exp_avg has shape [3] but its parameter has shape [2]"), "\(error)")
    }
    var outOfRange = good
    outOfRange["state.5.step"] = try Tensor.scalar(1, dtype: .float64)
    XCTAssertThrowsError(try adam.loadStateDict(outOfRange)) { error in
      XCTAssertTrue("\(error)".contains("refers to parameter 5, but there are 1 parameters"), "\(error)")
    }
    var unknown = good
    unknown["state.0.momentum_buffer"] = try Tensor([0.0, 0.0])
    XCTAssertThrowsError(try adam.loadStateDict(unknown)) { error in
      XCTAssertTrue("\(error)".contains("unexpected entry state.0.momentum_buffer"), "\(error)")
    }
    var incomplete = good
    incomplete["state.0.exp_avg_sq"] = nil
    incomplete["param_groups.0.lr"] = try Tensor.scalar(9, dtype: .float64)
    XCTAssertThrowsError(try adam.loadStateDict(incomplete)) { error in
      XCTAssertTrue("\(error)".contains("state.0 lacks exp_avg_sq"), "\(error)")
    }
    XCTAssertEqual(try values(adam.states[0]!.expAvg), before)
    XCTAssertEqual(adam.learningRate, 0.1)
    XCTAssertEqual(adam.states[0]!.step, 1)
  }

  // MARK: configuration

  func testInvalidConfigurationThrows() throws {
    let p = try Tensor([1.0]).requiringGrad()
    XCTAssertThrowsError(try Adam([])) { XCTAssertTrue("\($0)".contains("empty parameter list"), "\($0)") }
    XCTAssertThrowsError(try Adam([p, p])) { XCTAssertTrue("\($0)".contains("more than once"), "\($0)") }
    XCTAssertThrowsError(try Adam([p], lr: -1)) { XCTAssertTrue("\($0)".contains("invalid learning rate"), "\($0)") }
    XCTAssertThrowsError(try Adam([p], betas: (1.0, 0.999))) {
      XCTAssertTrue("\($0)".contains("invalid beta1"), "\($0)")
    }
    XCTAssertThrowsError(try Adam([p], betas: (0.9, -0.1))) {
      XCTAssertTrue("\($0)".contains("invalid beta2"), "\($0)")
    }
    XCTAssertThrowsError(try Adam([p], eps: -1))
    XCTAssertThrowsError(try Adam([p], weightDecay: -1))
    XCTAssertThrowsError(try Adam([Tensor([1, 2] as [Int64])])) {
      XCTAssertTrue("\($0)".contains("floating-point"), "\($0)")
    }
    XCTAssertThrowsError(try SGD([p], lr: 0.1, nesterov: true)) {
      XCTAssertTrue("\($0)".contains("Nesterov momentum requires a positive momentum"), "\($0)")
    }
    XCTAssertThrowsError(try SGD([p], lr: 0.1, momentum: -0.5))
    let adam = try Adam([p])
    XCTAssertEqual(adam.learningRate, 1e-3)
    XCTAssertEqual(adam.betas.0, 0.9)
    XCTAssertEqual(adam.betas.1, 0.999)
    XCTAssertEqual(adam.eps, 1e-8)
    XCTAssertEqual(adam.weightDecay, 0)
  }
}
