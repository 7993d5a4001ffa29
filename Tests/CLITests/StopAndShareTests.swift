import Foundation
import TestSupport
import XCTest
@testable import SCPL

/// What a careless user does to a running `scpl train`: a second Ctrl-C or SIGTERM, `timeout`, a
/// second run or resume in the same folder. Each ends promptly and cleanly, and no run is lost.
final class StopAndShareTests: ScratchFolderTestCase {
  /// A small run long enough to be stopped in (tens of seconds), with a checkpoint every 2 steps.
  func long(_ folder: URL, epochs: Int = 3) -> [String] {
    [
      "train", "--model", "vgg", "--method", "scpl", "--dataset", "fashion-mnist", "--width", "0.0625", "--epochs",
      String(epochs),
      "--batch-size", "64", "--limit-train", "1024", "--limit-test", "64", "--threads", "1", "--devices", "2",
      "--checkpoint-every-steps", "2", "--out", folder.path
    ]
  }

  func summary(_ folder: URL) throws -> [String: Any] {
    try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("summary.json")))
        as? [String: Any])
  }

  /// Waits until the run has written a checkpoint within an epoch: training is in flight.
  func waitForTraining(_ folder: URL, _ run: ScplProcess, seconds: Double = 120) throws {
    let written = waitUntil(
      { Checkpoints(runFolder: folder).list().contains(where: { $0.step > 0 }) },
      changesIn: [folder, Checkpoints(runFolder: folder).url], seconds: seconds)
    guard written, run.process.isRunning else {
      throw TestFailure("the run in \(folder.path) wrote no checkpoint within \(seconds) s")
    }
  }

  /// Two signals, SIGTERM and SIGINT, 6 times each (24 runs, about 2 minutes): half of them back
  /// to back, half with the second sent once the run has said it is stopping after the current
  /// step (while it drains). Each ends within 20 s with 128 + the signal, summary.json says
  /// interrupted and why (the second signal's stop at once, or the first's at a step when it was
  /// quicker), no libtorch error or crash is reported, and the folder resumes to the end. Before,
  /// the second signal called exit() under the workers: statuses 1, 139 or 143, once a summary
  /// with an invented libtorch error, once one stuck at 'running'.
  func testASecondSignalEndsTheRunAtOnceAndCleanly() throws {
    var stoppedAtOnce = 0
    var last: URL?
    for round in 0..<24 {
      let duringDrain = round % 2 == 1
      let (signal, name) = round % 4 < 2 ? (SIGTERM, "SIGTERM") : (SIGINT, "SIGINT")
      let folder = scratch.appendingPathComponent("twice-\(round)")
      let run = try ScplProcess(long(folder))
      try waitForTraining(folder, run)
      kill(run.process.processIdentifier, signal)
      if duringDrain {
        XCTAssertTrue(
          run.waitForStandardError("stopping after the current step", seconds: 20),
          "round \(round): the first \(name) was not acknowledged")
      }
      kill(run.process.processIdentifier, signal)
      let done = run.finish(within: 20)
      let context =
        "round \(round): \(name) twice, \(duringDrain ? "the second while draining" : "back to back"); stderr: \(done.stderr)"
      XCTAssertEqual(done.status, 128 + signal, context)
      let s = try summary(folder)
      XCTAssertEqual(s["state"] as? String, "interrupted", context)
      let because = s["stopped_because"] as? String ?? ""
      XCTAssertTrue(
        because.contains("stopped at once by a second \(name)") || because.contains("stopped by \(name)"),
        "\(because) — \(context)")
      if because.contains("at once") { stoppedAtOnce += 1 }
      for crash in ["INTERNAL ASSERT", "Could not run", "Fatal error", "Crash", "Segmentation"] {
        XCTAssertFalse(done.stderr.contains(crash), context)
      }
      last = folder
    }
    XCTAssertGreaterThan(stoppedAtOnce, 0, "no round took the second signal's path")
    let folder = try XCTUnwrap(last)
    let resumed = try ScplProcess(["train", "--resume", folder.path])
    let done = resumed.finish(within: 300)
    XCTAssertEqual(done.status, 0, done.stderr)
    XCTAssertEqual(try summary(folder)["state"] as? String, "finished")
  }

  /// `timeout 4 scpl train …`, as a user writes it: timeout signals scpl and then its process
  /// group, a second signal; 5 times, each must end within 20 s of the deadline with timeout's
  /// 124 and summary.json saying interrupted. Before, 1 try in 9 crashed, and the crash reporter
  /// then waited on the terminal for ever.
  func testTimeoutEndsTheRunCleanly() throws {
    for round in 0..<5 {
      let folder = scratch.appendingPathComponent("timeout-\(round)")
      let process = Process()
      process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
      process.arguments = ["4", try scplBinary().path] + long(folder)
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      if !waitForExit(try runNoticingExit(process), seconds: 24) { kill(process.processIdentifier, SIGKILL) }
      process.waitUntilExit()
      XCTAssertEqual(process.terminationStatus, 124, "round \(round)")
      XCTAssertEqual(try summary(folder)["state"] as? String, "interrupted", "round \(round)")
    }
  }

  /// On a terminal, `scpl` restarts itself with the crash reporter made non-interactive, so a
  /// crash under `timeout` (a background process group, where reading the terminal stops the
  /// process) prints its backtrace and ends instead of waiting for ever. `script` gives it a
  /// pseudo-terminal; `--version` shows the setting it runs with.
  func testOnATerminalACrashNeverWaitsForAnAnswer() throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
    process.arguments = ["-q", "-e", "-c", "\(try scplBinary().path) --version", "/dev/null"]
    var environment = ProcessInfo.processInfo.environment
    environment["SWIFT_BACKTRACE"] = nil
    process.environment = environment
    let out = Pipe()
    process.standardOutput = out
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 0, text)
    XCTAssertTrue(text.contains("crash reports: SWIFT_BACKTRACE=interactive=no"), text)
    // Off a terminal nothing changes (the reporter is not interactive there anyway).
    let piped = try ScplProcess(["--version"]).finish(within: 30)
    XCTAssertTrue(piped.stdout.contains("crash reports: Swift's defaults"), piped.stdout)
  }

  /// A second `scpl train` with the same --out, or a `--resume` of the folder, while a run holds
  /// it is refused at once with a sentence naming the holder's PID; the running run goes on and
  /// its folder keeps its own seed. Before, both ran to the end and the second overwrote the
  /// first's config, metrics and checkpoints.
  func testASecondProcessCannotTakeAFolderInUse() throws {
    let folder = scratch.appendingPathComponent("shared")
    let first = try ScplProcess(long(folder, epochs: 20) + ["--seed", "1"])
    try waitForTraining(folder, first)
    let pid = first.process.processIdentifier
    for second in [long(folder) + ["--seed", "2"], ["train", "--resume", folder.path]] {
      let refused = try ScplProcess(second).finish(within: 60)
      XCTAssertEqual(refused.status, 1, refused.stderr)
      XCTAssertTrue(
        refused.stderr.contains("the run folder \(folder.path) is in use by another scpl process (PID \(pid))"),
        refused.stderr)
    }
    XCTAssertTrue(first.process.isRunning)
    let config = try String(contentsOf: folder.appendingPathComponent("config.json"), encoding: .utf8)
    XCTAssertTrue(config.contains("\"seed\" : 1"), config)
    kill(pid, SIGKILL)
    _ = first.finish(within: 20)
    // Once the holder is gone (however it ended: here SIGKILL), the kernel has dropped its lock.
    XCTAssertNoThrow(try RunFolder(resuming: folder))
  }
}
