import XCTest
import Torch
@testable import SCPL

final class TrainingBenchmarkTests: XCTestCase {
  func testTimesTheRequestedStepsAndReportsBusyFractions() throws {
    var setup = TrainingBenchmark.Setup(
      method: .scpl, pipeline: PipelineOptions(kind: .async, devices: try .cpuWorkers(2)), batchSize: 6)
    setup.steps = 3
    let result = try TrainingBenchmark.run(setup) { try tinyModel("vgg") }
    XCTAssertEqual(result.kind, .async)
    XCTAssertEqual(result.stepSeconds.count, 3)
    XCTAssertTrue(result.median > 0 && result.min > 0 && result.min <= result.median)
    XCTAssertEqual(result.busyFractions.count, 2)
    XCTAssertTrue(result.busyFractions.allSatisfy { $0 > 0 && $0 <= 1 }, "\(result.busyFractions)")
    XCTAssertEqual(result.placement.deviceCount, 2)
  }

  func testSyntheticTextBatchUsesTheVocabulary() throws {
    let model = try tinyModel("lstm")
    let (x, y) = try TrainingBenchmark.syntheticBatch(model, batchSize: 5, textLength: 9)
    XCTAssertEqual(x.shape, [5, 9])
    XCTAssertTrue(try x.toArray(Int64.self).allSatisfy { (1..<20).contains($0) })
    XCTAssertEqual(try y.toArray(Int64.self), [0, 1, 2, 0, 1])
  }
}
