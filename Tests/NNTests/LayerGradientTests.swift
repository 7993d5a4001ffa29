import XCTest
import Torch
@testable import NN

/// Finite-difference checks (float64) of every layer's gradients with respect to its inputs and
/// its parameters. Layers built with `dtype: .float64` own float64 leaf parameters, so they can be
/// handed to `GradientCheck.run` directly.
final class LayerGradientTests: XCTestCase {
  override func setUpWithError() throws {
    try super.setUpWithError()
    try Torch.manualSeed(1234)
  }

  /// Central differences with ε = 1e-6 in float64 agree with autograd to about 1e-9 on smooth
  /// functions; 1e-5 leaves room for the curvature of tanh/softmax chains without hiding a wrong
  /// formula (those give errors of order 1e-1).
  private let tolerance = 1e-5

  private func assertGradients(
    _ name: String, inputs: [Tensor], file: StaticString = #filePath, line: UInt = #line,
    _ f: () throws -> Tensor
  ) throws {
    let result = try GradientCheck.run(inputs: inputs, f)
    XCTAssertGreaterThan(result.checkedElements, 0, name, file: file, line: line)
    XCTAssertLessThan(result.maxError, tolerance, "\(name): \(result)", file: file, line: line)
  }

  private func randn(_ shape: [Int]) throws -> Tensor { try Tensor.randn(shape, dtype: .float64) }

  /// Distinct values at least 4/n apart and none near 0, in random order: no ReLU kink or max-pool
  /// tie lies within the finite-difference step.
  private func distinct(_ shape: [Int]) throws -> Tensor {
    let n = shape.reduce(1, *)
    let ranks = try Tensor.randperm(n).to(.float64)
    return try ((ranks - (Double(n) / 2 - 0.25)) * (4 / Double(n))).reshaped(shape)
  }

  private func randomize(_ tensors: [Tensor]) throws {
    try withNoGrad { for t in tensors { try t.copy_(Tensor.randn(t.shape, dtype: t.dtype)) } }
  }

  // MARK: existing layers

  func testLinear() throws {
    let layer = try Linear(4, 3, dtype: .float64)
    let x = try randn([5, 4])
    try assertGradients("Linear", inputs: [x] + layer.parameters()) { try layer(x) }
  }

  func testConv2dWithStrideAndPadding() throws {
    let layer = try Conv2d(2, 3, kernelSize: 3, stride: 2, padding: 1, dtype: .float64)
    let x = try randn([2, 2, 5, 6])
    try assertGradients("Conv2d", inputs: [x] + layer.parameters()) { try layer(x) }
  }

  func testBatchNorm1dInTraining() throws {
    let layer = try BatchNorm1d(3, dtype: .float64)
    try randomize(layer.parameters())
    layer.train()
    let x2 = try randn([5, 3]), x3 = try randn([4, 3, 2])
    try assertGradients("BatchNorm1d B×C", inputs: [x2] + layer.parameters()) { try layer(x2) }
    try assertGradients("BatchNorm1d B×C×L", inputs: [x3] + layer.parameters()) { try layer(x3) }
  }

  func testBatchNorm2dInTraining() throws {
    let layer = try BatchNorm2d(2, dtype: .float64)
    try randomize(layer.parameters())
    layer.train()
    let x = try randn([3, 2, 3, 4])
    try assertGradients("BatchNorm2d", inputs: [x] + layer.parameters()) { try layer(x) }
  }

  func testActivations() throws {
    let x = try distinct([3, 8])
    try assertGradients("ReLU", inputs: [x]) { try ReLU()(x) }
    try assertGradients("LeakyReLU", inputs: [x]) { try LeakyReLU(slope: 0.01)(x) }
    try assertGradients("Sigmoid", inputs: [x]) { try Sigmoid()(x) }
    try assertGradients("Tanh", inputs: [x]) { try Tanh()(x) }
  }

  func testFlatten() throws {
    let x = try randn([2, 3, 2, 2])
    try assertGradients("Flatten", inputs: [x]) { try Flatten()(x) }
  }

  func testSequential() throws {
    let net = try Sequential {
      try Linear(4, 6, dtype: .float64); ReLU(); try Linear(6, 2, dtype: .float64)
    }
    let x = try randn([5, 4])
    try assertGradients("Sequential", inputs: [x] + net.parameters()) { try net(x) }
  }

  // MARK: pooling and dropout

  func testMaxPool2d() throws {
    let x = try distinct([2, 2, 4, 6])
    try assertGradients("MaxPool2d(2)", inputs: [x]) { try MaxPool2d(2)(x) }
    try assertGradients("MaxPool2d(3, stride 1)", inputs: [x]) { try MaxPool2d(3, stride: 1)(x) }
  }

  func testAdaptiveAvgPool2d() throws {
    let x = try randn([2, 3, 5, 7])
    try assertGradients("AdaptiveAvgPool2d(2×3)", inputs: [x]) { try AdaptiveAvgPool2d((2, 3))(x) }
    try assertGradients("AdaptiveAvgPool2d(1)", inputs: [x]) { try AdaptiveAvgPool2d(1)(x) }
  }

  func testDropoutInEvalAndWithZeroProbability() throws {
    let x = try randn([4, 5])
    let evaluating = try Dropout(0.5)
    evaluating.eval()
    try assertGradients("Dropout(0.5) eval", inputs: [x]) { try evaluating(x) }
    let off = try Dropout(0)
    off.train()
    try assertGradients("Dropout(0) training", inputs: [x]) { try off(x) }
  }

  // MARK: sequence layers

  func testEmbeddingWeight() throws {
    let table = try Embedding(pretrained: randn([6, 3]))
    // Repeated ids: their rows' gradients must accumulate.
    let ids = try Tensor([0, 2, 2, 5, 1, 0, 2, 4] as [Int64], shape: [2, 4])
    try assertGradients("Embedding", inputs: [table.weight]) { try table(ids) }
  }

  func testBiLSTMInputParametersAndInitialState() throws {
    let lstm = try BiLSTM(inputSize: 3, hiddenSize: 2, dtype: .float64)
    let x = try randn([2, 4, 3])
    let h0 = try randn([2, 2, 2]) * 0.5, c0 = try randn([2, 2, 2]) * 0.5
    try assertGradients("BiLSTM", inputs: [x, h0, c0] + lstm.parameters()) {
      let r = try lstm(x, initialState: (h0, c0))
      return try Tensor.cat([r.output.reshaped([-1]), r.h.reshaped([-1]), r.c.reshaped([-1])])
    }
    try assertGradients("BiLSTM zero state", inputs: [x] + lstm.parameters()) { try lstm(x).output }
  }

  func testLayerNorm() throws {
    let layer = try LayerNorm(5, dtype: .float64)
    try randomize(layer.parameters())
    let x = try randn([2, 3, 5])
    try assertGradients("LayerNorm", inputs: [x] + layer.parameters()) { try layer(x) }
  }

  func testReferenceLayerNorm() throws {
    let layer = try ReferenceLayerNorm(5, dtype: .float64)
    try randomize(layer.parameters())
    let x = try randn([2, 3, 5])
    try assertGradients("ReferenceLayerNorm", inputs: [x] + layer.parameters()) { try layer(x) }
  }

  func testMultiHeadAttentionWithMask() throws {
    let attention = try MultiHeadAttention(dim: 4, heads: 2, dropout: 0, dtype: .float64)
    let x = try randn([2, 3, 4])
    let mask = try Tensor([true, true, false, true, true, true], shape: [2, 3])
    try assertGradients("MultiHeadAttention", inputs: [x] + attention.parameters()) {
      try attention(x, keyPaddingMask: mask)
    }
  }

  func testTransformerEncoderLayerAndBlock() throws {
    let layer = try TransformerEncoderLayer(dim: 4, heads: 2, feedForwardDim: 6, dropout: 0, dtype: .float64)
    let x = try randn([2, 3, 4])
    let mask = try Tensor([true, false, true, true, true, true], shape: [2, 3])
    try assertGradients("TransformerEncoderLayer", inputs: [x] + layer.parameters()) {
      try layer(x, keyPaddingMask: mask)
    }
    let block = try TransformerEncoderBlock(dim: 4, heads: 2, feedForwardDim: 6, dropout: 0, dtype: .float64)
    try randomize([block.finalNorm.weight, block.finalNorm.bias])
    try assertGradients("TransformerEncoderBlock", inputs: [x] + block.parameters()) {
      try block(x, keyPaddingMask: mask)
    }
  }
}
