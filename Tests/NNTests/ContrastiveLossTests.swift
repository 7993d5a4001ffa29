import Foundation
import XCTest
import Torch
@testable import NN

final class ContrastiveLossTests: XCTestCase {
  func features(_ rows: [[Double]]) throws -> Tensor {
    try Tensor(rows.flatMap { $0 }, shape: [rows.count, rows[0].count])
  }
  func labels(_ values: [Int64]) throws -> Tensor { try Tensor(values) }

  // MARK: hand-worked values

  // Case A, τ = 0.5 (so s = 2·cos), labels [0, 0, 1, 2].
  // Features (1,0), (2,0), (0,3), (−4,0) normalise to (1,0), (1,0), (0,1), (−1,0); the cosines are
  //        0   1   2   3
  //   0 [  1   1   0  −1 ]
  //   1 [  1   1   0  −1 ]
  //   2 [  0   0   1   0 ]
  //   3 [ −1  −1   0   1 ]
  // Anchor 0: D₀ = Σ_{k≠0} e^{s₀ₖ} = e² + e⁰ + e⁻² = 7.389056 + 1 + 0.135335 = 8.524391,
  //   log D₀ = 2.142932; its one positive is 1: log p₀₁ = 2 − 2.142932 = −0.142932.
  // Anchor 1 is the mirror image of anchor 0 (s₁₀ = 2, s₁₂ = 0, s₁₃ = −2): same value.
  // Anchors 2 and 3 have no positive: they contribute 0.
  // perAnchor: divisor |P|+1 = 2, ℓ₀ = ℓ₁ = 0.142932/2; L = (2·0.142932/2)/4 = (log D₀ − 2)/4 = 0.035733.
  // batchTotal: label matches incl. the diagonal = 2+2+1+1 = 6; ℓ₀ = ℓ₁ = 0.142932/6;
  //   L = (2·0.142932/6)/4 = (log D₀ − 2)/12 = 0.011911.
  func testCaseAWithAnchorsWithoutPositives() throws {
    let x = try features([[1, 0], [2, 0], [0, 3], [-4, 0]])
    let y = try labels([0, 0, 1, 2])
    let logD = Foundation.log(Foundation.exp(2.0) + 1 + Foundation.exp(-2.0))
    let perAnchor = (logD - 2) / 4
    let batchTotal = (logD - 2) / 12
    XCTAssertEqual(perAnchor, 0.0357329071249749, accuracy: 1e-15)
    XCTAssertEqual(batchTotal, 0.0119109690416583, accuracy: 1e-15)
    XCTAssertEqual(try SupervisedContrastiveLoss(temperature: 0.5)(x, labels: y).item(), perAnchor, accuracy: 1e-9)
    XCTAssertEqual(
      try SupervisedContrastiveLoss(temperature: 0.5, divisor: .batchTotal)(x, labels: y).item(),
      batchTotal, accuracy: 1e-9)
  }

  // Case B, τ = 1 (s = cos), labels [0, 0, 0, 1].
  // Features (3,0), (0,0.5), (−2,0), (0,−7) normalise to the four compass points
  // (1,0), (0,1), (−1,0), (0,−1); the cosines are
  //        0   1   2   3
  //   0 [  1   0  −1   0 ]
  //   1 [  0   1   0  −1 ]
  //   2 [ −1   0   1   0 ]
  //   3 [  0  −1   0   1 ]
  // Every row has off-diagonal entries {0, 0, −1}: D = 2 + e⁻¹ = 2.367879, log D = 0.861995.
  // Anchor 0: positives 1, 2: Σ log p = (0 − log D) + (−1 − log D) = −1 − 2 log D.
  // Anchor 1: positives 0, 2: Σ log p = (0 − log D) + (0 − log D) = −2 log D.
  // Anchor 2: positives 0, 1: Σ log p = (−1 − log D) + (0 − log D) = −1 − 2 log D.
  // Anchor 3: no positive, 0.
  // Sum over anchors of −Σ log p = 2 + 6 log D.
  // perAnchor: divisors 3, 3, 3 → L = (2 + 6 log D)/3/4 = (1 + 3 log D)/6 = 0.597664.
  // batchTotal: 3+3+3+1 = 10 → L = (2 + 6 log D)/10/4 = (1 + 3 log D)/20 = 0.179299.
  func testCaseBWithSeveralPositivesPerAnchor() throws {
    let x = try features([[3, 0], [0, 0.5], [-2, 0], [0, -7]])
    let y = try labels([0, 0, 0, 1])
    let logD = Foundation.log(2 + Foundation.exp(-1.0))
    XCTAssertEqual((1 + 3 * logD) / 6, 0.5976640686957922, accuracy: 1e-15)
    XCTAssertEqual((1 + 3 * logD) / 20, 0.17929922060873765, accuracy: 1e-15)
    XCTAssertEqual(
      try SupervisedContrastiveLoss(temperature: 1)(x, labels: y).item(), (1 + 3 * logD) / 6, accuracy: 1e-9)
    XCTAssertEqual(
      try SupervisedContrastiveLoss(temperature: 1, divisor: .batchTotal)(x, labels: y).item(),
      (1 + 3 * logD) / 20, accuracy: 1e-9)
  }

  // Case C, the default τ = 0.1 (s = 10·cos), two views of two samples: labels [0, 0, 1, 1],
  // features (1,0), (5,0), (0,2), (0,1) → (1,0), (1,0), (0,1), (0,1).
  // Each anchor sees its twin at s = 10 and the other two at s = 0: D = e¹⁰ + 2, and its one
  // positive gives log p = 10 − log(e¹⁰ + 2) = −log(1 + 2e⁻¹⁰) = −9.0796e−5.
  // perAnchor: every ℓ = 9.0796e−5/2, L = log(1 + 2e⁻¹⁰)/2 = 4.53979e−5.
  // batchTotal: matches = 4·2 = 8, L = log(1 + 2e⁻¹⁰)/8 = 1.13495e−5.
  func testCaseCDefaultTemperatureTwoViews() throws {
    let x = try features([[1, 0], [5, 0], [0, 2], [0, 1]])
    let y = try labels([0, 0, 1, 1])
    let positive = Foundation.log1p(2 * Foundation.exp(-10.0))
    XCTAssertEqual(positive / 2, 4.539786873358764e-05, accuracy: 1e-15)
    let loss = try SupervisedContrastiveLoss()
    XCTAssertEqual(loss.temperature, 0.1)
    XCTAssertEqual(loss.divisor, .perAnchor)
    XCTAssertEqual(try loss(x, labels: y).item(), positive / 2, accuracy: 1e-12)
    XCTAssertEqual(
      try SupervisedContrastiveLoss(divisor: .batchTotal)(x, labels: y).item(), positive / 8, accuracy: 1e-12)
  }

  // MARK: the shift and the direct formula

  /// The loss computed in plain Swift from the definition, by default without any shift.
  /// With `logSumExp`, log D_i is computed as m + log Σ_{k≠i} exp(s_ik − m), m = max_{k≠i} s_ik.
  func directLoss(
    _ rows: [[Double]], _ y: [Int64], temperature: Double,
    divisor: SupervisedContrastiveLoss.Divisor, logSumExp: Bool = false
  ) -> Double {
    let z = rows.map { r -> [Double] in
      let n = Swift.max(r.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
      return r.map { $0 / n }
    }
    let b = rows.count
    func s(_ i: Int, _ j: Int) -> Double { zip(z[i], z[j]).reduce(0) { $0 + $1.0 * $1.1 } / temperature }
    let total = Double((0..<b).reduce(0) { acc, i in acc + (0..<b).filter { y[$0] == y[i] }.count })
    var sum = 0.0
    for i in 0..<b {
      let others = (0..<b).filter { $0 != i }
      let m = logSumExp ? others.map { s(i, $0) }.max()! : 0
      let logD = m + Foundation.log(others.reduce(0) { $0 + Foundation.exp(s(i, $1) - m) })
      let positives = (0..<b).filter { $0 != i && y[$0] == y[i] }
      let numerator = positives.reduce(0) { $0 + (s(i, $1) - logD) }
      sum += -numerator / (divisor == .perAnchor ? Double(positives.count + 1) : total)
    }
    return sum / Double(b)
  }

  func testRowMaxShiftLeavesTheValueUnchanged() throws {
    try Torch.manualSeed(7)
    for (b, d, temperature) in [(8, 5, 0.1), (12, 3, 0.05), (5, 16, 0.5)] {
      let x = try Tensor.randn([b, d], dtype: .float64)
      let y = try Tensor.randint(0, 3, [b])
      let rows = try (0..<b).map { try x[$0].toArray(Double.self) }
      let ys = try y.toArray(Int64.self)
      for divisor in SupervisedContrastiveLoss.Divisor.allCases {
        let expected = directLoss(rows, ys, temperature: temperature, divisor: divisor)
        let got = try SupervisedContrastiveLoss(temperature: temperature, divisor: divisor)(x, labels: y).item()
        XCTAssertEqual(
          got, expected, accuracy: 1e-9 * Swift.max(1, Swift.abs(expected)), "\(b)×\(d) τ=\(temperature) \(divisor)")
      }
    }
  }

  func testTinyTemperatureStaysFiniteThanksToTheShift() throws {
    // τ = 1e-3 puts s near 1/τ = 1000, and e¹⁰⁰⁰ overflows a double: without the shift the loss
    // is not finite. The features point almost the same way (cosines within ~1e-3 of 1), so after the
    // shift the off-diagonal terms stay far from underflow.
    try Torch.manualSeed(3)
    let b = 6
    let x = try Tensor.cat([Tensor.ones([b, 1], dtype: .float64), Tensor.rand([b, 2], dtype: .float64) * 0.02], axis: 1)
    let ys: [Int64] = [0, 1, 0, 1, 2, 2]
    let rows = try (0..<b).map { try x[$0].toArray(Double.self) }
    for divisor in SupervisedContrastiveLoss.Divisor.allCases {
      let value = try SupervisedContrastiveLoss(temperature: 1e-3, divisor: divisor)(x, labels: labels(ys)).item()
      XCTAssertTrue(value.isFinite && value > 0, "\(value)")
      // Plain Swift with its own stabilisation: log-sum-exp over k ≠ i, shifted by the max over k ≠ i.
      let expected = directLoss(rows, ys, temperature: 1e-3, divisor: divisor, logSumExp: true)
      XCTAssertEqual(value, expected, accuracy: 1e-9 * Swift.max(1, Swift.abs(expected)))
    }
    XCTAssertFalse(
      directLoss(rows, ys, temperature: 1e-3, divisor: .perAnchor).isFinite,
      "the unshifted formula overflows here, so this case does exercise the shift")
  }

  // MARK: gradients

  func testGradientMatchesFiniteDifferences() throws {
    try Torch.manualSeed(11)
    let y = try labels([0, 1, 0, 2, 1, 0])
    for divisor in SupervisedContrastiveLoss.Divisor.allCases {
      let x = try Tensor.randn([6, 4], dtype: .float64)
      let loss = try SupervisedContrastiveLoss(temperature: 0.5, divisor: divisor)
      let result = try GradientCheck.run(inputs: [x], maxElementsPerInput: 24) { try loss(x, labels: y) }
      XCTAssertEqual(result.checkedElements, 24)
      XCTAssertLessThan(result.maxError, 1e-6, "\(divisor): \(result)")
      // The gradient is not trivially zero.
      XCTAssertGreaterThan(try x.grad!.abs().sum().item(), 1e-3)
    }
  }

  func testLocalContrastiveLossGradientThroughHead() throws {
    try Torch.manualSeed(5)
    let objective = try LocalContrastiveLoss(
      .mlp, inFeatures: 6, dimensions: ProjectionDimensions(hidden: 5, output: 4),
      temperature: 0.3, dtype: .float64)
    let x = try Tensor.randn([5, 2, 3], dtype: .float64)  // flattened to 5×6 by the head
    let y = try labels([1, 0, 1, 1, 0])
    let inputs = [x] + objective.trainableParameters()
    let result = try GradientCheck.run(inputs: inputs, maxElementsPerInput: 8) { try objective(x, labels: y) }
    XCTAssertLessThan(result.maxError, 1e-6, "\(result)")
  }

  // MARK: validation

  func testBadInputsThrowClearErrors() throws {
    let loss = try SupervisedContrastiveLoss()
    let x = try Tensor.randn([4, 3], dtype: .float64)
    XCTAssertThrowsError(try loss(x, labels: labels([0, 1, 0]))) { error in
      XCTAssertTrue("\(error)".contains("4 feature rows but 3 labels"), "\(error)")
    }
    XCTAssertThrowsError(try loss(x.slice(axis: 0, end: 1), labels: labels([0]))) { error in
      XCTAssertTrue("\(error)".contains("at least 2 samples"), "\(error)")
    }
    XCTAssertThrowsError(try loss(Tensor.randn([4, 3, 2]), labels: labels([0, 1, 0, 1]))) { error in
      XCTAssertTrue("\(error)".contains("B×D"), "\(error)")
    }
    XCTAssertThrowsError(try loss(x, labels: Tensor([0, 1, 0, 1] as [Double]))) { error in
      XCTAssertTrue("\(error)".contains("int64 labels"), "\(error)")
    }
    XCTAssertThrowsError(try SupervisedContrastiveLoss(temperature: 0)) { error in
      XCTAssertTrue("\(error)".contains("temperature must be a positive number"), "\(error)")
    }
  }

  // MARK: cross-entropy convenience

  // Row 1: logits (0, ln 3), label 1 → −log(3/4) = log(4/3); row 2: logits (ln 2, 0), label 0 →
  // −log(2/3) = log(3/2). Mean = (log(4/3) + log(3/2))/2 = log(2)/2.
  func testCrossEntropyByHand() throws {
    let logits = try features([[0, Foundation.log(3.0)], [Foundation.log(2.0), 0]])
    XCTAssertEqual(try crossEntropy(logits, labels([1, 0])).item(), Foundation.log(2.0) / 2, accuracy: 1e-12)
    XCTAssertThrowsError(try crossEntropy(logits, labels([1, 0, 1]))) { error in
      XCTAssertTrue("\(error)".contains("expects 2 labels"), "\(error)")
    }
  }
}

/// The local classifier objective (`LocalCrossEntropyLoss`): its value worked out by hand, its
/// gradient against finite differences.
final class LocalCrossEntropyLossTests: XCTestCase {
  func testZeroWeightsGiveTheLogOfTheClassCount() throws {
    // A linear head and classifier with every weight and bias 0 give 0 logits: each sample's
    // cross-entropy is ln C whatever its label.
    let objective = try LocalCrossEntropyLoss(
      .linear, inFeatures: 6, dimensions: ProjectionDimensions(hidden: 5, output: 4), classes: 3)
    try withNoGrad { for p in objective.parameters() { try p.zero_() } }
    let loss = try objective(try Tensor.randn([5, 6]), labels: try Tensor([0, 2, 1, 1, 0] as [Int64]))
    XCTAssertEqual(try loss.item(), log(3.0), accuracy: 1e-6)
  }

  func testValueMatchesTheFormulaOnRandomWeights() throws {
    // Identity head: the classifier reads the flattened features; CE = mean(logsumexp(z) − z_y).
    try Torch.manualSeed(4)
    let objective = try LocalCrossEntropyLoss(.identity, inFeatures: 4, classes: 3, dtype: .float64)
    let x = try Tensor.randn([3, 2, 2], dtype: .float64)
    let labels: [Int64] = [2, 0, 1]
    let w = try objective.classifier.weight.toArray(Double.self),
      b = try objective.classifier.bias!.toArray(Double.self)
    let rows = try x.toArray(Double.self)
    var expected = 0.0
    for i in 0..<3 {
      let f = Array(rows[(4 * i)..<(4 * i + 4)])
      let z = (0..<3).map { c in (0..<4).reduce(b[c]) { $0 + w[4 * c + $1] * f[$1] } }
      expected += log(z.map { exp($0) }.reduce(0, +)) - z[Int(labels[i])]
    }
    XCTAssertEqual(try objective(x, labels: try Tensor(labels)).item(), expected / 3, accuracy: 1e-12)
  }

  func testGradientThroughTheHeadAndClassifier() throws {
    try Torch.manualSeed(6)
    let objective = try LocalCrossEntropyLoss(
      .mlp, inFeatures: 6, dimensions: ProjectionDimensions(hidden: 5, output: 4), classes: 3, dtype: .float64)
    let x = try Tensor.randn([5, 2, 3], dtype: .float64)
    let y = try Tensor([1, 0, 2, 1, 0] as [Int64])
    let inputs = [x] + objective.trainableParameters()
    let result = try GradientCheck.run(inputs: inputs, maxElementsPerInput: 8) { try objective(x, labels: y) }
    XCTAssertLessThan(result.maxError, 1e-6, "\(result)")
    XCTAssertGreaterThan(try x.grad!.abs().sum().item(), 1e-6)
  }
}
