import Foundation
import XCTest
import Torch

/// `scpl selftest` as a user runs it: on CPU workers it passes and writes its JSON; `--cuda`
/// without a GPU says so and fails.
final class SelfTestCommandTests: XCTestCase {
  func testSelfTestPassesOnCPUWorkersAndWritesItsOutcomes() throws {
    let json = FileManager.default.temporaryDirectory.appendingPathComponent("selftest-\(UUID()).json")
    defer { try? FileManager.default.removeItem(at: json) }
    let run = try runScpl(["selftest", "--json", json.path])
    XCTAssertEqual(run.status, 0, run.stderr)
    let outcomes = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [[String: Any]])
    XCTAssertEqual(outcomes.count, 14)  // 2 models × (2 sequential loops on one worker + 5 pipelines on two)
    XCTAssertTrue(
      outcomes.allSatisfy { $0["passed"] as? Bool == true && $0["identical"] as? Bool == true }, "\(outcomes)")
  }

  func testCUDAWithoutAGPUIsRefusedWithAReason() throws {
    guard try Device.cudaDeviceCount == 0 else { return }  // with a GPU, --cuda runs (scripts/gpu-check.sh)
    let run = try runScpl(["selftest", "--cuda"])
    XCTAssertNotEqual(run.status, 0)
    XCTAssertTrue(run.stderr.contains("--cuda: this libtorch"), run.stderr)
  }
}
