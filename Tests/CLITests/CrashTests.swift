import Foundation
import TestSupport
import XCTest
@testable import SCPL

/// `kill -9` at several moments, including in the middle of a checkpoint write: the run folder
/// stays readable (config, summary, metrics, the newest complete checkpoint) and `--resume`
/// finishes the run with every epoch recorded once. A full-width VGG makes each checkpoint about
/// 97 MB, so a write lasts long enough to be caught in the act.
final class CrashTests: XCTestCase {
  let epochs = 3

  func startRun(_ dir: URL) throws -> (process: Process, output: Pipe) {
    try startScpl([
      "train", "--model", "vgg", "--method", "bp", "--dataset", "fashion-mnist", "--width", "1",
      "--limit-train", "32", "--limit-test", "32", "--batch-size", "16", "--epochs", String(epochs),
      "--aug", "none", "--threads", "1", "--out", dir.path
    ])
  }

  /// Waits until a temporary file of a write of epoch `epoch` appears in `checkpoints/`, woken by
  /// the folder's changes (`waitUntil`): the write is then in progress.
  func waitForWrite(in dir: URL, epoch: Int) -> Bool {
    let folder = dir.appendingPathComponent("checkpoints")
    let prefix = "." + Checkpoints.fileName(run: 1, epoch: epoch)
    return waitUntil(
      {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.contains(where: { $0.hasPrefix(prefix) && $0.hasSuffix(".tmp") })
      }, changesIn: [dir, folder], seconds: 120)
  }

  /// What a killed run's folder must still be: every file parses, and it resumes to the end.
  func checkReadableAndResumable(_ dir: URL, expectCheckpoint: Bool) throws {
    let config = try Data(contentsOf: dir.appendingPathComponent("config.json"))
    _ = try TrainConfig.decodeChecked(from: config, path: "config.json")
    let summary =
      try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("summary.json")))
      as? [String: Any]
    XCTAssertEqual(summary?["state"] as? String, "running", "a killed process cannot say more than that it was running")
    _ = try EpochRecord.readLines(dir.appendingPathComponent("metrics.jsonl"), missingIsEmpty: true)

    let resume = try runScpl(["train", "--resume", dir.path])
    guard expectCheckpoint else {
      XCTAssertNotEqual(resume.status, 0)
      XCTAssertTrue(resume.stderr.contains("holds no valid checkpoint"), resume.stderr)
      return
    }
    XCTAssertEqual(resume.status, 0, resume.stderr)
    let finished =
      try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("summary.json")))
      as? [String: Any]
    XCTAssertEqual(finished?["state"] as? String, "finished")
    let records = try EpochRecord.readLines(dir.appendingPathComponent("metrics.jsonl"))
    XCTAssertEqual(records.map(\.epoch), Array(1...epochs), "every epoch once")
    XCTAssertEqual(Checkpoints(runFolder: dir).list().last?.epoch, epochs)
  }

  func testKillDuringACheckpointWrite() throws {
    for epoch in [1, 2] {
      let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kill9-write-\(UUID())")
      defer { try? FileManager.default.removeItem(at: dir) }
      let (process, _) = try startRun(dir)
      defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) }; process.waitUntilExit() }
      XCTAssertTrue(waitForWrite(in: dir, epoch: epoch), "saw no checkpoint write of epoch \(epoch)")
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
      XCTAssertEqual(process.terminationReason, .uncaughtSignal)
      // Killed while writing epoch 1's: nothing to resume from, and the resume says so.
      try checkReadableAndResumable(dir, expectCheckpoint: epoch > 1)
    }
  }

  func testKillInTheMiddleOfAnEpoch() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kill9-epoch-\(UUID())")
    defer { try? FileManager.default.removeItem(at: dir) }
    let (process, pipe) = try startRun(dir)
    defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) }; process.waitUntilExit() }
    let text = read(pipe, until: "epoch 2/\(epochs)  lr", seconds: 120)
    XCTAssertTrue(text.contains("epoch 2/\(epochs)  lr"), text)
    XCTAssertTrue(waitForNextStep(in: dir), "no step of epoch 3 was recorded")  // epoch 3 has begun
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    try checkReadableAndResumable(dir, expectCheckpoint: true)
  }
}
