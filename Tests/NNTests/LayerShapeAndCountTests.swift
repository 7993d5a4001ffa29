import XCTest
import Torch
@testable import NN

/// Shapes, parameter counts (spec 4.2, 4.3), initialisation, input checks and the semantics of the
/// new layers that a gradient check cannot see (masking, dropout modes, state hand-over).
final class LayerShapeAndCountTests: XCTestCase {
  override func setUpWithError() throws {
    try super.setUpWithError()
    try Torch.manualSeed(42)
  }

  private func values(_ t: Tensor) throws -> [Double] { try t.to(.float64).toArray(Double.self) }

  private func assertClose(
    _ a: Tensor, _ b: Tensor, tolerance: Double = 1e-9, _ message: String = "",
    file: StaticString = #filePath, line: UInt = #line
  ) throws {
    XCTAssertEqual(a.shape, b.shape, message, file: file, line: line)
    let diff = try (a.to(.float64) - b.to(.float64)).abs().max().item()
    XCTAssertLessThanOrEqual(diff, tolerance, message, file: file, line: line)
  }

  private func assertThrows(
    _ expected: String, file: StaticString = #filePath, line: UInt = #line,
    _ body: () throws -> Any
  ) {
    XCTAssertThrowsError(try body(), file: file, line: line) { error in
      XCTAssertTrue("\(error)".contains(expected), "“\(error)” does not mention “\(expected)”", file: file, line: line)
    }
  }

  // MARK: shapes

  func testOutputShapes() throws {
    XCTAssertEqual(try MaxPool2d(2)(Tensor.randn([2, 3, 8, 6])).shape, [2, 3, 4, 3])
    XCTAssertEqual(try MaxPool2d(3, stride: 1)(Tensor.randn([1, 1, 5, 5])).shape, [1, 1, 3, 3])
    XCTAssertEqual(try MaxPool2d(2)(Tensor.randn([3, 5, 5])).shape, [3, 2, 2])
    XCTAssertEqual(try AdaptiveAvgPool2d(1)(Tensor.randn([2, 3, 5, 7])).shape, [2, 3, 1, 1])
    XCTAssertEqual(try AdaptiveAvgPool2d((2, 3))(Tensor.randn([2, 3, 5, 7])).shape, [2, 3, 2, 3])
    XCTAssertEqual(try Dropout(0.1)(Tensor.randn([2, 7])).shape, [2, 7])

    let table = try Embedding(count: 10, dim: 4)
    XCTAssertEqual(try table(Tensor([1, 2, 3, 4, 5, 6] as [Int64], shape: [2, 3])).shape, [2, 3, 4])
    XCTAssertEqual(try table(Tensor([9] as [Int64])).shape, [1, 4])
    XCTAssertEqual(try table(Tensor.scalar(3, dtype: .int64)).shape, [4])
    XCTAssertEqual(try table(Tensor.randint(0, 10, [2, 3, 5])).shape, [2, 3, 5, 4])

    let lstm = try BiLSTM(inputSize: 5, hiddenSize: 3)
    let r = try lstm(Tensor.randn([2, 4, 5]))
    XCTAssertEqual(r.output.shape, [2, 4, 6])
    XCTAssertEqual(r.h.shape, [2, 2, 3])
    XCTAssertEqual(r.c.shape, [2, 2, 3])

    let x = try Tensor.randn([2, 4, 6])
    XCTAssertEqual(try LayerNorm(6)(x).shape, [2, 4, 6])
    XCTAssertEqual(try ReferenceLayerNorm(6)(x).shape, [2, 4, 6])
    XCTAssertEqual(try MultiHeadAttention(dim: 6, heads: 3)(x).shape, [2, 4, 6])
    XCTAssertEqual(try TransformerEncoderLayer(dim: 6, heads: 3, feedForwardDim: 5)(x).shape, [2, 4, 6])
    XCTAssertEqual(try TransformerEncoderBlock(dim: 6, heads: 3, feedForwardDim: 5)(x).shape, [2, 4, 6])
  }

  // MARK: parameter counts and initialisation

  func testBiLSTMParameterCountsAndNames() throws {
    XCTAssertEqual(try BiLSTM(inputSize: 300, hiddenSize: 300).parameterCount, 1_444_800)
    XCTAssertEqual(try BiLSTM(inputSize: 600, hiddenSize: 300).parameterCount, 2_164_800)
    let lstm = try BiLSTM(inputSize: 3, hiddenSize: 2)
    XCTAssertEqual(
      lstm.stateDict().map(\.0),
      [
        "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
        "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse"
      ])
    XCTAssertEqual(lstm.weightIH.shape, [8, 3])
    XCTAssertEqual(lstm.weightHHReverse.shape, [8, 2])
  }

  func testBiLSTMInitialisationBound() throws {
    let lstm = try BiLSTM(inputSize: 20, hiddenSize: 25)
    let bound = 1 / 5.0
    for (name, p) in lstm.namedParameters() {
      let largest = try p.abs().max().item()
      XCTAssertLessThanOrEqual(largest, bound + 1e-6, name)  // float32 rounding of the bound
      XCTAssertGreaterThan(largest, 0.9 * bound, "\(name) does not fill U(−1/√H, 1/√H)")
    }
  }

  func testTransformerParameterCounts() throws {
    let layer = try TransformerEncoderLayer(dim: 300, heads: 6, feedForwardDim: 300)
    XCTAssertEqual(layer.parameterCount, 543_000)
    let block = try TransformerEncoderBlock(dim: 300, heads: 6, feedForwardDim: 300)
    XCTAssertEqual(block.parameterCount, 543_600)
    XCTAssertEqual(block.trainableParameterCount, 543_600)
    // Four projections with bias, FFN of two Linear layers, two LayerNorms (+ the final one).
    XCTAssertEqual(try MultiHeadAttention(dim: 300, heads: 6).parameterCount, 4 * (300 * 300 + 300))
  }

  func testTransformerMatricesAreXavierUniformAndVectorsKeepTheirDefaults() throws {
    // At 300×300 the Xavier bound √(6/600) = 0.1 exceeds PyTorch's default 1/√300 ≈ 0.0577, so a
    // matrix still on the default initialisation cannot reach 0.09.
    let layer = try TransformerEncoderLayer(dim: 300, heads: 6, feedForwardDim: 300)
    var matrices = 0
    for (name, p) in layer.namedParameters() {
      let largest = try p.abs().max().item()
      if p.rank >= 2 {
        matrices += 1
        XCTAssertLessThanOrEqual(largest, 0.1 + 1e-6, name)
        XCTAssertGreaterThan(largest, 0.09, "\(name) was not re-initialised Xavier-uniform")
      } else if name.hasPrefix("norm") {
        let expected = name.hasSuffix("weight") ? 1.0 : 0.0
        XCTAssertEqual(try values(p), [Double](repeating: expected, count: 300), name)
      } else {
        XCTAssertLessThanOrEqual(largest, 1 / 300.0.squareRoot() + 1e-6, "\(name) should keep the default bias init")
      }
    }
    XCTAssertEqual(matrices, 6)
  }

  // MARK: embedding

  func testEmbeddingPretrainedLookupAndCopy() throws {
    let matrix = try Tensor((0..<12).map(Float.init), shape: [4, 3])
    let table = try Embedding(pretrained: matrix)
    let out = try table(Tensor([3, 0, 3] as [Int64]))
    XCTAssertEqual(try out.toArray(Float.self), [9, 10, 11, 0, 1, 2, 9, 10, 11])
    XCTAssertTrue(table.weight.requiresGrad)
    XCTAssertEqual(table.trainableParameterCount, 12)
    // Training writes into the module's copy, never into the caller's matrix.
    try withNoGrad { try table.weight.fill_(-1) }
    XCTAssertEqual(try matrix.toArray(Float.self), (0..<12).map(Float.init))
  }

  func testFrozenEmbeddingIsExcludedFromTrainableParameters() throws {
    let table = try Embedding(pretrained: Tensor.randn([5, 3]), trainable: false)
    XCTAssertFalse(table.weight.requiresGrad)
    XCTAssertEqual(table.parameterCount, 15)
    XCTAssertTrue(table.trainableParameters().isEmpty)
    XCTAssertEqual(table.trainableParameterCount, 0)
    XCTAssertFalse(try table(Tensor([1, 2] as [Int64])).requiresGrad)
    XCTAssertEqual(try Embedding(pretrained: Tensor.randn([5, 3])).trainableParameters().count, 1)
  }

  func testRandomEmbeddingIsStandardNormal() throws {
    let table = try Embedding(count: 1000, dim: 50)
    XCTAssertEqual(abs(try table.weight.mean().item()), 0, accuracy: 0.02)
    XCTAssertEqual(try table.weight.std().item(), 1, accuracy: 0.02)
    XCTAssertTrue(table.weight.requiresGrad)
  }

  func testEmbeddingRejectsIdsOutOfRange() throws {
    let table = try Embedding(count: 10, dim: 2)
    assertThrows("0..<10") { try table(Tensor([3, 10] as [Int64])) }
    assertThrows("0..<10") { try table(Tensor([-1, 3] as [Int64])) }
    assertThrows("int64 ids") { try table(Tensor([1, 2] as [Int32])) }
    XCTAssertEqual(try table(Tensor([0, 9] as [Int64])).shape, [2, 2])
  }

  // MARK: LayerNorm variants

  func testReferenceLayerNormHandComputedValue() throws {
    let x = try Tensor([1, 2, 3, 4] as [Double], shape: [1, 4])
    // mean 2.5; unbiased std √(5/3) = 1.2909944; eps is added to the std.
    let std = (5.0 / 3).squareRoot()
    let expected = [1.0, 2, 3, 4].map { ($0 - 2.5) / (std + 1e-6) }
    let out = try values(ReferenceLayerNorm(4, dtype: .float64)(x))
    for (a, b) in zip(out, expected) { XCTAssertEqual(a, b, accuracy: 1e-12) }
    XCTAssertEqual(out[0], -1.161894, accuracy: 1e-6)

    // A large eps tells "std + eps" from "√(var + eps)".
    let wide = try values(ReferenceLayerNorm(4, eps: 0.5, dtype: .float64)(x))
    XCTAssertEqual(wide[3], 1.5 / (std + 0.5), accuracy: 1e-12)

    // The standard LayerNorm uses the biased variance: 1.25.
    let standard = try values(LayerNorm(4, dtype: .float64)(x))
    XCTAssertEqual(standard[0], -1.5 / (1.25 + 1e-5).squareRoot(), accuracy: 1e-12)
  }

  // MARK: attention

  func testKeyPaddingMaskRemovesMaskedKeys() throws {
    let attention = try MultiHeadAttention(dim: 6, heads: 2, dropout: 0, dtype: .float64)
    let x = try Tensor.randn([2, 4, 6], dtype: .float64)
    // Sequence 0 has pads at positions 2 and 3; sequence 1 is full.
    let mask = try Tensor([true, true, false, false, true, true, true, true], shape: [2, 4])
    let changed = try x.clone()
    try changed.select(axis: 0, index: 0).slice(axis: 0, start: 2).fill_(7)
    let before = try attention(x, keyPaddingMask: mask)
    let after = try attention(changed, keyPaddingMask: mask)
    // Real positions of sequence 0 and all of sequence 1 do not see the changed pads.
    try assertClose(
      before.select(axis: 0, index: 0).slice(axis: 0, end: 2),
      after.select(axis: 0, index: 0).slice(axis: 0, end: 2), tolerance: 1e-12)
    try assertClose(before.select(axis: 0, index: 1), after.select(axis: 0, index: 1), tolerance: 1e-12)
    // Without the mask the same change does reach them (so the comparison above can fail).
    let unmaskedBefore = try attention(x, keyPaddingMask: nil)
    let unmaskedAfter = try attention(changed, keyPaddingMask: nil)
    let moved = try (unmaskedBefore - unmaskedAfter).select(axis: 0, index: 0).slice(axis: 0, end: 2).abs().max().item()
    XCTAssertGreaterThan(moved, 1e-3)
    // An int64 id-style mask (non-zero = keep) means the same.
    let ids = try Tensor([5, 8, 0, 0, 1, 2, 3, 4] as [Int64], shape: [2, 4])
    try assertClose(attention(x, keyPaddingMask: ids), before, tolerance: 1e-12)
  }

  func testMultiHeadAttentionMatchesPerHeadComputation() throws {
    let attention = try MultiHeadAttention(dim: 6, heads: 2, dropout: 0, dtype: .float64)
    let x = try Tensor.randn([2, 3, 6], dtype: .float64)
    let mask = try Tensor([true, false, true, true, true, true], shape: [2, 3])
    let q = try attention.query(x), k = try attention.key(x), v = try attention.value(x)
    var heads: [Tensor] = []
    for h in 0..<2 {
      let qh = try q.slice(axis: 2, start: 3 * h, end: 3 * h + 3)
      let kh = try k.slice(axis: 2, start: 3 * h, end: 3 * h + 3)
      let vh = try v.slice(axis: 2, start: 3 * h, end: 3 * h + 3)
      let scores = try qh.matmul(kh.transposed(1, 2)) / 3.0.squareRoot()
      let hidden = try mask.logicalNot().unsqueezed(axis: 1)
      heads.append(try Functional.softmax(scores.maskedFill(hidden, -1e9), axis: -1).matmul(vh))
    }
    let expected = try attention.output(Tensor.cat(heads, axis: 2))
    try assertClose(attention(x, keyPaddingMask: mask), expected, tolerance: 1e-12)
  }

  func testMultiHeadAttentionChecksHeadsAndMask() throws {
    assertThrows("multiple of heads") { try MultiHeadAttention(dim: 10, heads: 3) }
    let attention = try MultiHeadAttention(dim: 6, heads: 3)
    assertThrows("[2, 4]") { try attention(Tensor.randn([2, 4, 6]), keyPaddingMask: Tensor.ones([2, 5], dtype: .bool)) }
  }

  // MARK: input checks

  func testWrongInputShapesThrowNamingTheExpectedShape() throws {
    assertThrows("last axis is 4") { try Linear(4, 3)(Tensor.randn([2, 5])) }
    assertThrows("B×2×H×W") { try Conv2d(2, 3, kernelSize: 3)(Tensor.randn([1, 3, 5, 5])) }
    assertThrows("B×C×H×W") { try MaxPool2d(2)(Tensor.randn([2, 3])) }
    assertThrows("H ≥ 3") { try MaxPool2d(3)(Tensor.randn([1, 1, 2, 5])) }
    assertThrows("B×C×H×W") { try AdaptiveAvgPool2d(1)(Tensor.randn([4])) }
    assertThrows("B×T×5") { try BiLSTM(inputSize: 5, hiddenSize: 3)(Tensor.randn([2, 4, 6])) }
    assertThrows("B×T×5") { try BiLSTM(inputSize: 5, hiddenSize: 3)(Tensor.randn([4, 5])) }
    assertThrows("…×5") { try LayerNorm(5)(Tensor.randn([2, 4])) }
    assertThrows("…×5") { try ReferenceLayerNorm(5)(Tensor.randn([2, 4])) }
    assertThrows("B×T×6") { try MultiHeadAttention(dim: 6, heads: 2)(Tensor.randn([2, 6])) }
    assertThrows("B×T×6") { try TransformerEncoderLayer(dim: 6, heads: 2, feedForwardDim: 4)(Tensor.randn([2, 3, 5])) }
    assertThrows("B×T×6") { try TransformerEncoderBlock(dim: 6, heads: 2, feedForwardDim: 4)(Tensor.randn([2, 3, 5])) }
  }

  // MARK: dropout

  func testDropoutIsIdentityInEvalAndZeroesAboutPInTraining() throws {
    let dropout = try Dropout(0.3)
    let x = try Tensor.ones([100_000])
    dropout.eval()
    XCTAssertEqual(try dropout(x).toArray(Float.self), try x.toArray(Float.self))
    dropout.train()
    let kept = try dropout(x).toArray(Float.self)
    let zeros = kept.filter { $0 == 0 }.count
    XCTAssertEqual(Double(zeros) / Double(kept.count), 0.3, accuracy: 0.01)
    // Survivors are scaled by 1/(1−p) so the expectation matches evaluation.
    XCTAssertTrue(kept.allSatisfy { $0 == 0 || abs($0 - 1 / 0.7) < 1e-6 })
    assertThrows("[0, 1]") { try Dropout(1.5) }
  }

  func testTrainAndEvalReachTheTransformersDropouts() throws {
    let block = try TransformerEncoderBlock(dim: 6, heads: 2, feedForwardDim: 8, dropout: 0.5)
    let x = try Tensor.randn([2, 5, 6])
    block.eval()
    try assertClose(block(x), block(x), tolerance: 0)
    block.train()
    XCTAssertGreaterThan(try (block(x) - block(x)).abs().max().item(), 1e-3)
  }

  // MARK: BiLSTM semantics

  func testBiLSTMFinalStateIsTheOutputsEnds() throws {
    let lstm = try BiLSTM(inputSize: 4, hiddenSize: 3, dtype: .float64)
    let x = try Tensor.randn([2, 5, 4], dtype: .float64)
    let r = try lstm(x)
    // Forward direction ends after the last step, the backward one after step 0.
    try assertClose(r.h.select(axis: 0, index: 0), r.output.select(axis: 1, index: 4).slice(axis: 1, end: 3))
    try assertClose(r.h.select(axis: 0, index: 1), r.output.select(axis: 1, index: 0).slice(axis: 1, start: 3))
  }

  func testBiLSTMMatchesTheGateEquations() throws {
    // inputSize == hiddenSize, so swapped weight matrices would not fail on shapes alone.
    let lstm = try BiLSTM(inputSize: 3, hiddenSize: 3, dtype: .float64)
    let x = try Tensor.randn([2, 1, 3], dtype: .float64)
    let h0 = try Tensor.randn([2, 2, 3], dtype: .float64), c0 = try Tensor.randn([2, 2, 3], dtype: .float64)
    let r = try lstm(x, initialState: (h0, c0))
    let step = try x.select(axis: 1, index: 0)
    func cell(_ wIH: Tensor, _ wHH: Tensor, _ bIH: Tensor, _ bHH: Tensor, _ h: Tensor, _ c: Tensor) throws -> (
      Tensor, Tensor
    ) {
      let gates = try step.matmul(wIH.transposed(0, 1)) + bIH + h.matmul(wHH.transposed(0, 1)) + bHH
      let g = try gates.chunked(4, axis: 1)  // input, forget, cell, output
      let cNext = try g[1].sigmoid() * c + g[0].sigmoid() * g[2].tanh()
      return (try g[3].sigmoid() * cNext.tanh(), cNext)
    }
    let (hf, cf) = try cell(lstm.weightIH, lstm.weightHH, lstm.biasIH, lstm.biasHH, h0[0], c0[0])
    let (hb, cb) = try cell(
      lstm.weightIHReverse, lstm.weightHHReverse, lstm.biasIHReverse, lstm.biasHHReverse, h0[1], c0[1])
    try assertClose(r.h, Tensor.stack([hf, hb]), tolerance: 1e-12)
    try assertClose(r.c, Tensor.stack([cf, cb]), tolerance: 1e-12)
    try assertClose(r.output.select(axis: 1, index: 0), Tensor.cat([hf, hb], axis: 1), tolerance: 1e-12)
  }

  func testBiLSTMInitialStateIsUsedAndItsShapeChecked() throws {
    let lstm = try BiLSTM(inputSize: 4, hiddenSize: 3)
    let x = try Tensor.randn([2, 5, 4])
    let zero = try Tensor.zeros([2, 2, 3])
    try assertClose(lstm(x).output, lstm(x, initialState: (zero, zero)).output, tolerance: 0)
    let state = try Tensor.randn([2, 2, 3])
    XCTAssertGreaterThan(try (lstm(x).output - lstm(x, initialState: (state, state)).output).abs().max().item(), 1e-3)
    assertThrows("[2, 2, 3]") { try lstm(x, initialState: (Tensor.zeros([1, 2, 3]), zero)) }
    assertThrows("[2, 2, 3]") { try lstm(x, initialState: (zero, Tensor.zeros([2, 3, 3]))) }
  }
}
