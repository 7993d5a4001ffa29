import XCTest
import Torch
@testable import NN

final class ProjectionHeadTests: XCTestCase {
  func testOutputShapesFlattenTheInputFirst() throws {
    let x = try Tensor.randn([3, 4, 2, 2])  // 16 features per sample after flattening
    XCTAssertEqual(try ProjectionHead(.identity, inFeatures: 16)(x).shape, [3, 16])
    XCTAssertEqual(try ProjectionHead(.linear, inFeatures: 16)(x).shape, [3, 1024])
    XCTAssertEqual(try ProjectionHead(.mlp, inFeatures: 16)(x).shape, [3, 1024])
    XCTAssertEqual(try ProjectionHead(.mlpBN, inFeatures: 16)(x).shape, [3, 1024])
    let small = ProjectionDimensions(hidden: 8, output: 6)
    XCTAssertEqual(try ProjectionHead(.mlpBN, inFeatures: 16, dimensions: small)(x).shape, [3, 6])
    XCTAssertEqual(try ProjectionHead(.mlp, inFeatures: 300, dimensions: .nlp)(Tensor.randn([2, 300])).shape, [2, 300])
    XCTAssertEqual(try ProjectionHead(.linear, inFeatures: 16, dimensions: small).outFeatures, 6)
    XCTAssertEqual(try ProjectionHead(.identity, inFeatures: 16, dimensions: small).outFeatures, 16)
  }

  func testIdentityHeadOnlyFlattens() throws {
    let x = try Tensor.randn([2, 3, 2], dtype: .float64)
    let out = try ProjectionHead(.identity, inFeatures: 6)(x)
    XCTAssertEqual(try out.toArray(Double.self), try x.reshaped([-1]).toArray(Double.self))
  }

  // Spec 5.2: `m` = Linear(dim, 512)–ReLU–Linear(512, 1024) has dim·512 + 512 + 512·1024 + 1024
  // parameters.
  func testParameterCountsFromTheSpec() throws {
    XCTAssertEqual(try ProjectionHead(.mlp, inFeatures: 65_536).parameterCount, 34_080_256)
    XCTAssertEqual(try ProjectionHead(.mlp, inFeatures: 2_048).parameterCount, 1_574_400)
    XCTAssertEqual(try ProjectionHead(.mlp, inFeatures: 512).parameterCount, 787_968)
    // `l` = Linear(dim, 1024): 2048·1024 + 1024.
    XCTAssertEqual(try ProjectionHead(.linear, inFeatures: 2_048).parameterCount, 2_098_176)
    // `mb` drops the first bias and adds BatchNorm's weight and bias: 512·512 + 2·512 + 512·1024 + 1024.
    XCTAssertEqual(try ProjectionHead(.mlpBN, inFeatures: 512).parameterCount, 788_480)
    XCTAssertEqual(try ProjectionHead(.identity, inFeatures: 65_536).parameterCount, 0)
    // NLP: Linear(300, 300)–ReLU–Linear(300, 300) and Linear(300, 300).
    XCTAssertEqual(try ProjectionHead(.mlp, inFeatures: 300, dimensions: .nlp).parameterCount, 180_600)
    XCTAssertEqual(try ProjectionHead(.linear, inFeatures: 300, dimensions: .nlp).parameterCount, 90_300)
  }

  func testMlpBNHeadHasNoFirstBiasAndRunningStatistics() throws {
    let head = try ProjectionHead(.mlpBN, inFeatures: 10, dimensions: ProjectionDimensions(hidden: 4, output: 3))
    XCTAssertEqual(
      head.stateDict().map(\.0),
      [
        "body.0.weight", "body.1.weight", "body.1.bias",
        "body.3.weight", "body.3.bias",
        "body.1.running_mean", "body.1.running_var", "body.1.num_batches_tracked"
      ])
  }

  func testKindParsing() throws {
    let cases: [(String, ProjectionKind)] = [
      ("identity", .identity), ("i", .identity), ("linear", .linear), ("l", .linear),
      ("mlp", .mlp), ("m", .mlp), ("mlp-bn", .mlpBN), ("mb", .mlpBN), (" MLP-BN ", .mlpBN), ("M", .mlp)
    ]
    for (text, kind) in cases { XCTAssertEqual(try ProjectionKind(parsing: text), kind, text) }
    XCTAssertEqual(ProjectionKind.mlpBN.description, "mlp-bn")
    XCTAssertThrowsError(try ProjectionKind(parsing: "mlp2")) { error in
      XCTAssertTrue("\(error)".contains("unknown projection head 'mlp2'"), "\(error)")
      XCTAssertTrue("\(error)".contains("identity (i), linear (l), mlp (m), mlp-bn (mb)"), "\(error)")
    }
    XCTAssertThrowsError(try ProjectionKind(parsing: ""))
  }

  func testWrongInputWidthThrows() throws {
    let head = try ProjectionHead(.mlp, inFeatures: 16)
    XCTAssertThrowsError(try head(Tensor.randn([2, 3, 3]))) { error in
      XCTAssertTrue("\(error)".contains("flatten to 9 per sample"), "\(error)")
    }
    XCTAssertThrowsError(try ProjectionHead(.linear, inFeatures: 0))
    XCTAssertThrowsError(
      try ProjectionHead(.mlp, inFeatures: 4, dimensions: ProjectionDimensions(hidden: 0, output: 2)))
  }

  func testLocalContrastiveLossOwnsItsHeadAndTheOptimizerUpdatesIt() throws {
    try Torch.manualSeed(1)
    let objective = try LocalContrastiveLoss(
      .mlp, inFeatures: 12, dimensions: ProjectionDimensions(hidden: 8, output: 4))
    XCTAssertEqual(
      objective.namedParameters().map(\.0),
      [
        "head.body.0.weight", "head.body.0.bias", "head.body.2.weight", "head.body.2.bias"
      ])
    let optimizer = try Adam(objective.trainableParameters(), lr: 1e-2)
    let x = try Tensor.randn([8, 3, 4])
    let y = try Tensor([0, 1, 2, 3, 0, 1, 2, 3] as [Int64])
    let before = try objective.head.body.layers[0].parameters()[0].toArray(Float.self)
    let first = try objective(x, labels: y).item()
    var last = first
    for _ in 0..<20 {
      try optimizer.zeroGrad()
      let loss = try objective(x, labels: y)
      try loss.backward()
      try optimizer.step()
      last = try objective(x, labels: y).item()
    }
    XCTAssertNotEqual(try objective.head.body.layers[0].parameters()[0].toArray(Float.self), before)
    XCTAssertLessThan(last, first, "training the head on a fixed batch should lower its loss")
  }
}
