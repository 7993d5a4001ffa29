import Foundation
import XCTest
import SCPL
@testable import SCPLCLI

/// `scpl train --predictors` then `scpl eval --adaptive`, end to end on real Fashion-MNIST.
final class AdaptiveEvalTests: XCTestCase {
  /// A run with a predictor per component reports each component's test accuracy per epoch; its
  /// checkpoint under confidence:1 gives exactly the full network's accuracy (the run's), under
  /// confidence:0 one component per sample with the first predictor's accuracy; --sweep writes
  /// the points (mean components never falling as the confidence rises) and adaptive.svg.
  func testPredictorsTrainAndAdaptiveEvaluationExitsAtThem() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("adaptive-\(UUID())")
    defer { try? FileManager.default.removeItem(at: dir) }
    try TrainOptions.parse([
      "--model", "vgg", "--method", "scpl", "--dataset", "fashion-mnist", "--width", "0.125", "--limit-train", "256",
      "--limit-test", "128", "--batch-size", "64", "--epochs", "1", "--predictors", "mlp", "--out", dir.path
    ]).train()
    let record = try EpochRecord.readLines(dir.appendingPathComponent("metrics.jsonl"))[0]
    XCTAssertEqual(record.componentTestAccuracy.count, 4, "one accuracy per component's predictor")
    XCTAssertEqual(record.componentTestAccuracy[3], record.testAccuracy, "the last predictor is the classifier")

    func adaptive(_ rule: String, _ more: [String] = []) throws -> [String: Any] {
      let json = dir.appendingPathComponent("adaptive-\(UUID()).json")
      let text = try Eval.parse(
        ["--checkpoint", dir.path, "--limit-test", "128", "--adaptive", rule, "--json", json.path] + more
      )
      .evaluate().text
      XCTAssertTrue(text.contains("full network: accuracy"), text)
      return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any])
    }
    let never = try adaptive("confidence:1.0")
    XCTAssertEqual(never["accuracy"] as? Double, record.testAccuracy)
    XCTAssertEqual((never["full"] as? [String: Any])?["accuracy"] as? Double, record.testAccuracy)
    XCTAssertEqual(never["mean_components"] as? Double, 4)
    let first = try adaptive("confidence:0")
    XCTAssertEqual(first["mean_components"] as? Double, 1)
    XCTAssertEqual(first["accuracy"] as? Double, record.componentTestAccuracy[0])
    XCTAssertGreaterThan(try XCTUnwrap(first["seconds_per_sample"] as? Double), 0)

    // Through a placement on two devices: the same exits, so the same accuracy and components.
    let one = try adaptive("patience:2"), two = try adaptive("patience:2", ["--devices", "2"])
    for key in ["accuracy", "mean_components"] { XCTAssertEqual(one[key] as? Double, two[key] as? Double, key) }
    XCTAssertEqual(one["exits_per_component"] as? [Int], two["exits_per_component"] as? [Int])

    let swept = try adaptive("confidence:0.9", ["--sweep"])
    let points = try XCTUnwrap(swept["points"] as? [[String: Any]])
    let components = points.compactMap { $0["mean_components"] as? Double }
    XCTAssertEqual(components.count, points.count)
    XCTAssertEqual(components, components.sorted(), "the compute axis is monotone in the threshold")
    let svg = try String(contentsOf: dir.appendingPathComponent("adaptive.svg"), encoding: .utf8)
    XCTAssertTrue(svg.contains("accuracy against components used") && svg.contains("full network"))

    XCTAssertThrowsError(try Eval.parse(["--checkpoint", dir.path, "--sweep"])) {
      XCTAssertTrue("\(Eval.message(for: $0))".contains("give --adaptive RULE too"), "\($0)")
    }
    XCTAssertThrowsError(try Eval.parse(["--checkpoint", dir.path, "--adaptive", "entropy:1"])) {
      XCTAssertTrue("\(Eval.message(for: $0))".contains("unknown rule 'entropy'"), "\($0)")
    }
  }
}
