import Foundation
import TestSupport
import XCTest

/// Two hosts on this machine, for real: `scripts/two-hosts.sh` with this build's scpl runs rank 0
/// and rank 1 of a job in two network namespaces joined by a veth pair and checks, over the
/// link, that the job trains one process's weights bit for bit (SCPL's async pipeline, and BP's
/// 1f1b with gradients coming back over the link), still does with 1 % of the
/// packets lost, ends every rank within its timeout when the link is cut mid-epoch (the folder
/// says failed and its checkpoint loads), and resumes to the uncut run's weights.
final class TwoHostsTests: XCTestCase {
  let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  func testTwoHostsOverAVethLinkTrainBitForBitThroughLossACutLinkAndAResume() throws {
    guard getuid() == 0 else {
      return XCTFail("scripts/two-hosts.sh needs root (ip netns add): run the tests as root, as CI does")
    }
    let kept = FileManager.default.temporaryDirectory.appendingPathComponent("two-hosts-\(UUID())")
    defer { try? FileManager.default.removeItem(at: kept) }
    let (status, output) = try runScript(
      ["scripts/two-hosts.sh", "--scpl", try scplBinary().path, "--keep", kept.path], within: 420)
    XCTAssertEqual(status, 0, output)
    for line in [
      "1. rank 0 on host A, rank 1 on host B, over the bare link",
      "1b. BP under 1f1b, a stage on each host, over the bare link", "2. the link impaired",
      "3. the link cut in the middle of epoch 2", "summary.json: failed", "4. the link back up", "two-hosts: passed"
    ] {
      XCTAssertTrue(output.contains(line), "no \"\(line)\" in:\n\(output)")
    }
    XCTAssertEqual(output.components(separatedBy: "equal bit for bit").count - 1, 4, output)
    XCTAssertTrue(output.contains("rank 0 ended") && output.contains("rank 1 heard nothing from rank 0"), output)
    // No namespace of the script's is left behind.
    let namespaces = try runScript(["-c", "ip netns list"], within: 10).output
    XCTAssertFalse(namespaces.contains("scpl-a-") || namespaces.contains("scpl-b-"), namespaces)

    // The comparison the script relies on tells a difference: one loss changed in a copy.
    let copy = kept.appendingPathComponent("changed")
    try FileManager.default.copyItem(at: kept.appendingPathComponent("reference"), to: copy)
    let metrics = copy.appendingPathComponent("metrics.jsonl")
    let lines = try String(contentsOf: metrics, encoding: .utf8)
    let changed = try XCTUnwrap(lines.range(of: #""test_accuracy":[0-9.e-]+"#, options: .regularExpression))
    try lines.replacingCharacters(in: changed, with: #""test_accuracy":0.5"#).write(
      to: metrics, atomically: true, encoding: .utf8)
    let same = try runScript(
      ["python3", "scripts/same-training.py", kept.appendingPathComponent("reference").path, copy.path], within: 60,
      interpreter: "/usr/bin/env")
    XCTAssertEqual(same.status, 1, same.output)
    XCTAssertTrue(same.output.contains("test_accuracy"), same.output)
  }

  /// Runs `interpreter arguments` in the repository, killed after `seconds`; its exit status
  /// and its standard output and error together.
  func runScript(_ arguments: [String], within seconds: Double, interpreter: String = "/bin/bash") throws -> (
    status: Int32, output: String
  ) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: interpreter)
    p.arguments = arguments
    p.currentDirectoryURL = repositoryRoot
    let log = FileManager.default.temporaryDirectory.appendingPathComponent("two-hosts-\(UUID()).log")
    FileManager.default.createFile(atPath: log.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: log) }
    let handle = try FileHandle(forWritingTo: log)
    p.standardOutput = handle
    p.standardError = handle
    if !waitForExit(try runNoticingExit(p), seconds: seconds) {
      XCTFail("\(arguments.first ?? "") still ran after \(seconds) s; stopped")
      p.terminate()  // the script's trap removes its namespaces
    }
    p.waitUntilExit()
    try handle.close()
    return (p.terminationStatus, try String(contentsOf: log, encoding: .utf8))
  }
}
