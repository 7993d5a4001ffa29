import Foundation
import TestSupport
import XCTest
@testable import SCPL
@testable import SCPLCLI

/// A checkpoint loads into the same network written in plain PyTorch (scripts/load_in_pytorch.py,
/// `load_state_dict(strict=True)`, no renaming) and scores there what `scpl eval` scores.
final class PyTorchBridgeTests: XCTestCase {
  let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  func testACheckpointScoresTheSameInPyTorch() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bridge-\(UUID())")
    defer { try? FileManager.default.removeItem(at: dir) }
    // One epoch of BP on 4 096 images (about 10 s) trains BatchNorm's running statistics and a
    // classifier far above chance, so the agreement below is not two coin flips agreeing.
    let train = try TrainOptions.parse([
      "--model", "vgg", "--method", "bp", "--dataset", "fashion-mnist", "--width", "0.125",
      "--limit-train", "4096", "--limit-test", "100", "--batch-size", "64", "--epochs", "1",
      "--aug", "none", "--out", dir.path
    ])
    try train.train()
    let scpl = try Eval.parse(["--checkpoint", dir.path, "--limit-test", "2000"]).evaluate().result.accuracy
    XCTAssertGreaterThan(scpl, 0.6, "one epoch should be well above chance (0.1)")
    let output = try runPython([
      repositoryRoot.appendingPathComponent("scripts/load_in_pytorch.py").path, dir.path, "--limit-test", "2000"
    ])
    XCTAssertTrue(output.contains("(strict)"), output)
    XCTAssertTrue(
      output.contains(String(format: "test accuracy: %.2f%% on 2000 samples", 100 * scpl)),
      "scpl eval: \(100 * scpl)%, PyTorch: \(output)")
  }
}
