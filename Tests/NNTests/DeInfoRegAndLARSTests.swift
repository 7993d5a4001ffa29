import Foundation
import TestSupport
import Torch
import XCTest

@testable import NN

/// DeInfoReg's local objective against the same definition computed independently in numpy, and
/// its gradient against finite differences; LARS's updates against hand arithmetic.
final class DeInfoRegLossTests: XCTestCase {
  func testTermsMatchNumpy() throws {
    try Torch.manualSeed(7)
    let objective = try DeInfoRegLoss(.identity, inFeatures: 5, classes: 3, dtype: .float64)
    let x = try Tensor.randn([6, 5], dtype: .float64)
    let labels: [Int64] = [0, 1, 2, 0, 1, 1]
    let terms = try objective.terms(x, labels: try Tensor(labels))
    let script = """
      import json, sys, numpy as np
      x = np.array(json.loads(sys.argv[1])).reshape(6, 5); y = np.array(json.loads(sys.argv[2]))
      z = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
      def sim(v):
          c = v - v.mean(axis=1, keepdims=True)
          u = c / (np.sqrt((c ** 2).sum(axis=1, keepdims=True)) + 1e-8)
          return np.clip(u @ u.T, -1, 1)
      onehot = np.eye(3)[y]
      invariance = ((sim(z) - sim(onehot)) ** 2).mean()
      b, d = z.shape
      sigma = np.sqrt(z.var(axis=0, ddof=1) + 1e-7)
      variance = np.maximum(1 - sigma, 0).mean() / b
      zc = z - z.mean(axis=0)
      cov = zc.T @ zc / b
      covariance = ((cov * (1 - np.eye(d))) ** 2).sum() / d
      print(json.dumps([invariance, variance, covariance]))
      """
    let values = try x.toArray(Double.self)
    let out = try runPython([
      "-c", script, String(decoding: try JSONEncoder().encode(values), as: UTF8.self),
      String(decoding: try JSONEncoder().encode(labels), as: UTF8.self)
    ])
    let expected = try JSONDecoder().decode([Double].self, from: Data(out.utf8))
    XCTAssertEqual(try terms.invariance.item(), expected[0], accuracy: 1e-12)
    XCTAssertEqual(try terms.variance.item(), expected[1], accuracy: 1e-12)
    XCTAssertEqual(try terms.covariance.item(), expected[2], accuracy: 1e-12)
    XCTAssertGreaterThan(expected.min()!, 1e-6, "every term is non-trivial here")
    XCTAssertEqual(
      try objective(x, labels: try Tensor(labels)).item(), expected.reduce(0, +), accuracy: 1e-12)
  }

  func testGradientThroughTheHead() throws {
    try Torch.manualSeed(8)
    let objective = try DeInfoRegLoss(
      .mlp, inFeatures: 6, dimensions: ProjectionDimensions(hidden: 5, output: 4), classes: 3, dtype: .float64)
    let x = try Tensor.randn([6, 2, 3], dtype: .float64)
    let y = try Tensor([1, 0, 2, 1, 0, 2] as [Int64])
    let inputs = [x] + objective.trainableParameters()
    let result = try GradientCheck.run(inputs: inputs, maxElementsPerInput: 8) { try objective(x, labels: y) }
    XCTAssertLessThan(result.maxError, 1e-6, "\(result)")
    XCTAssertGreaterThan(try x.grad!.abs().sum().item(), 1e-9)
  }

  func testABatchOfOneIsRefused() throws {
    let objective = try DeInfoRegLoss(.identity, inFeatures: 4, classes: 2)
    XCTAssertThrowsError(try objective(try Tensor.randn([1, 4]), labels: try Tensor([0] as [Int64]))) {
      XCTAssertTrue("\($0)".contains("at least 2 samples"), "\($0)")
    }
  }
}

final class LARSTests: XCTestCase {
  /// Sets `p`'s gradient to `g` (a loss whose gradient is g).
  func setGradient(_ p: Tensor, _ g: [Double]) throws {
    try p.zeroGrad()
    try (p * Tensor(g, shape: p.shape)).sum().backward()
  }

  func testTwoStepsByHand() throws {
    let p = try Tensor([3.0, 4.0], shape: [1, 2]).requiringGrad()
    let lars = try LARS([p], lr: 0.1, momentum: 0.9, weightDecay: 0, eta: 0.001)
    let g = [0.6, 0.8]  // norm 1
    try setGradient(p, g)
    try lars.step()
    // q = η‖p‖/‖g‖ = 0.001 · 5 / 1; μ = q·g; p ← p − 0.1 μ.
    var mu = g.map { $0 * 0.005 }
    var expected = zip([3.0, 4.0], mu).map { $0 - 0.1 * $1 }
    XCTAssertEqual(try p.toArray(Double.self), expected, accuracy: 1e-15)
    try setGradient(p, g)
    try lars.step()
    let q = 0.001 * sqrt(expected[0] * expected[0] + expected[1] * expected[1])
    mu = zip(mu, g).map { 0.9 * $0 + q * $1 }
    expected = zip(expected, mu).map { $0 - 0.1 * $1 }
    XCTAssertEqual(try p.toArray(Double.self), expected, accuracy: 1e-15)
  }

  func testWeightDecayIsAdaptedAndVectorsAreExempt() throws {
    let w = try Tensor([3.0, 4.0], shape: [1, 2]).requiringGrad()
    let bias = try Tensor([1.0, 2.0]).requiringGrad()
    let lars = try LARS([w, bias], lr: 0.1, momentum: 0.9, weightDecay: 0.5, eta: 0.001)
    try setGradient(w, [0.6, 0.8])
    try setGradient(bias, [0.5, -0.5])
    try lars.step()
    // d = g + 0.5·w = (2.1, 2.8), ‖d‖ = 3.5, q = 0.001 · 5 / 3.5.
    let q = 0.001 * 5 / 3.5
    XCTAssertEqual(try w.toArray(Double.self), [3 - 0.1 * q * 2.1, 4 - 0.1 * q * 2.8], accuracy: 1e-15)
    // The bias takes its plain gradient: no decay, no adaptation.
    XCTAssertEqual(try bias.toArray(Double.self), [1 - 0.05, 2 + 0.05], accuracy: 1e-15)
  }

  func testStateResumesTheSameSteps() throws {
    func fresh() throws -> (Tensor, LARS) {
      let p = try Tensor([0.5, -1.0, 2.0, 0.25], shape: [2, 2]).requiringGrad()
      return (p, try LARS([p], lr: 0.05, momentum: 0.9, weightDecay: 0.01))
    }
    let (a, larsA) = try fresh()
    try setGradient(a, [1, 2, 3, 4])
    try larsA.step()
    let (b, larsB) = try fresh()
    try withNoGrad { try b.copy_(a) }
    try larsB.loadStateDict(Dictionary(uniqueKeysWithValues: try larsA.stateDict()))
    for (p, lars) in [(a, larsA), (b, larsB)] {
      try setGradient(p, [-1, 0.5, 2, 1])
      try lars.step()
    }
    XCTAssertEqual(try a.bytes(), try b.bytes())
  }
}

private func XCTAssertEqual(
  _ a: [Double], _ b: [Double], accuracy: Double, file: StaticString = #filePath, line: UInt = #line
) {
  XCTAssertEqual(a.count, b.count, file: file, line: line)
  for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}
