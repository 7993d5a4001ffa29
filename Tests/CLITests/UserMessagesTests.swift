import Foundation
import XCTest
@testable import SCPL
@testable import SCPLCLI

/// Each mistake a user makes gets a sentence that names the option or path at fault, found before
/// a run folder is made where it can be; none reaches the user as a raw Foundation error.
final class UserMessagesTests: ScratchFolderTestCase {
  let tiny = [
    "train", "--model", "vgg", "--method", "scpl", "--dataset", "fashion-mnist", "--width", "0.0625", "--epochs", "1",
    "--batch-size", "32", "--limit-train", "64", "--limit-test", "32", "--threads", "1"
  ]

  func scpl(_ arguments: [String]) throws -> Finished { try ScplProcess(arguments).finish(within: 120) }

  func testTrainMistakesAreNamedBeforeAFolderIsMade() throws {
    let file = scratch.appendingPathComponent("afile")
    try Data().write(to: file)
    let cases: [([String], String)] = [
      (
        ["--out", file.path + "/sub"], "cannot create the folder \(file.path)/sub: \(file.path) is a file, not a folder"
      ),
      (["--out", ""], "--out must name a folder, got an empty path"),
      (["--lr", "nan"], "--lr must be a finite number, got nan"),
      (["--temperature", "inf"], "--temperature must be a finite number, got inf"),
      (["--batch-size", "9223372036854775807"], "--batch-size must be between 2 and 1048576"),
      (["--devices", "9223372036854775807"], "a pipeline has at most 64 devices"),
      (["--threads", "100000"], "--threads must be between 1 and"),
      (["--config", "/dev/zero"], "the config file /dev/zero is a character device, not a regular file")
    ]
    for (extra, message) in cases {
      let done = try scpl(tiny + extra)
      XCTAssertEqual(done.status, 1, "\(extra): \(done.stderr)")
      XCTAssertTrue(done.stderr.contains(message), "\(extra): \(done.stderr)")
      XCTAssertFalse(done.stderr.contains("NSCocoaErrorDomain"), done.stderr)
    }
    // A placement that does not fit is refused before the folder exists (it used to leave a
    // 'failed' one behind).
    let placed = scratch.appendingPathComponent("placed")
    let done = try scpl(tiny + ["--devices", "2", "--placement", "0,1,1,2", "--out", placed.path])
    XCTAssertEqual(done.status, 1, done.stderr)
    XCTAssertTrue(done.stderr.contains("--placement 0,1,1,2 is for 3 device(s) (0…2), but there are 2"), done.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: placed.path), "no run folder for a run that never started")
  }

  /// A YAML config file with a NaN trains nothing: before, the whole file was dropped without a
  /// word and the defaults (a full VGG on all 60 000 images) trained instead.
  func testANonFiniteNumberInAConfigFileStopsTheRun() throws {
    let yaml = scratch.appendingPathComponent("c.yaml")
    try "epochs: 1\nlr: .nan\n".write(to: yaml, atomically: true, encoding: .utf8)
    let done = try scpl(tiny + ["--config", yaml.path, "--out", scratch.appendingPathComponent("nan").path])
    XCTAssertEqual(done.status, 1, done.stderr)
    XCTAssertTrue(done.stderr.contains("\(yaml.path): --lr must be a finite number, got nan"), done.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("nan").path))
  }

  func testResumeRefusesAConfigFileAndReportNeedsFinishedRuns() throws {
    let run = scratch.appendingPathComponent("run")
    XCTAssertEqual(try scpl(tiny + ["--out", run.path]).status, 0)
    let yaml = scratch.appendingPathComponent("c.yaml")
    try "epochs: 4\n".write(to: yaml, atomically: true, encoding: .utf8)
    let resumed = try scpl(["train", "--resume", run.path, "--config", yaml.path])
    XCTAssertEqual(resumed.status, 1)
    XCTAssertTrue(resumed.stderr.contains("--config \(yaml.path) would be ignored, so it is refused"), resumed.stderr)

    // `scpl report` leaves out a run that is still running or failed, saying so, and refuses to
    // print a table of nothing (it printed 0.00 ± 0.00 (n=0) and exited 0).
    let running = scratch.appendingPathComponent("running")
    try FileManager.default.createDirectory(at: running, withIntermediateDirectories: true)
    let finished = try String(contentsOf: run.appendingPathComponent("summary.json"), encoding: .utf8)
    XCTAssertTrue(finished.contains(#""state" : "finished""#), finished)
    try finished.replacingOccurrences(of: #""state" : "finished""#, with: #""state" : "running""#)
      .write(to: running.appendingPathComponent("summary.json"), atomically: true, encoding: .utf8)
    let both = try scpl(["report", run.path, running.path])
    XCTAssertEqual(both.status, 0, both.stderr)
    XCTAssertTrue(
      both.stderr.contains("warning: leaving out \(running.path): its run is running, not finished"), both.stderr)
    XCTAssertTrue(both.stdout.contains("(n=1)"), both.stdout)
    let none = try scpl(["report", running.path])
    XCTAssertEqual(none.status, 1, none.stderr)
    XCTAssertTrue(none.stderr.contains("none of the 1 folder(s) holds a finished run"), none.stderr)
    let badPlot = try scpl(["report", run.path, "--plot", scratch.appendingPathComponent("no/such/dir/p.svg").path])
    XCTAssertNotEqual(badPlot.status, 0)
    XCTAssertTrue(
      badPlot.stderr.contains(
        "cannot write the plot --plot \(scratch.appendingPathComponent("no/such/dir/p.svg").path)"), badPlot.stderr)
    XCTAssertFalse(badPlot.stderr.contains("NSCocoaErrorDomain"), badPlot.stderr)

    // `scpl eval`: a FIFO as the checkpoint, a zero --limit-test, an absurd batch.
    let fifo = scratch.appendingPathComponent("run/checkpoints/fifo.safetensors")
    XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
    let fromFifo = try scpl(["eval", "--checkpoint", fifo.path])
    XCTAssertTrue(fromFifo.stderr.contains("\(fifo.path) is a FIFO (named pipe), not a regular file"), fromFifo.stderr)
    unlink(fifo.path)
    let zero = try scpl(["eval", "--checkpoint", run.path, "--limit-test", "0"])
    XCTAssertTrue(zero.stderr.contains("--limit-test must be at least 1, got 0"), zero.stderr)
    let huge = try scpl(["eval", "--checkpoint", run.path, "--batch-size", "9223372036854775807"])
    XCTAssertTrue(huge.stderr.contains("--batch-size must be between 1 and 1048576"), huge.stderr)
    XCTAssertEqual(try scpl(["eval", "--checkpoint", run.path]).status, 0)
  }

  /// `scpl launch --help` says what listens where, as docs/distributed.md does.
  func testLaunchHelpSaysWhatListensWhere() throws {
    let text = SCPLCommand.helpMessage(for: Launch.self, columns: 400)
    XCTAssertFalse(text.contains("listen on 127.0.0.1 only"), text)
    XCTAssertTrue(text.contains("with --master-port, rank 0's store listens on that port on every interface"), text)
  }

  /// The command-line fuzz target's entry refuses what the parser and the resolution refuse, and
  /// accepts a valid vector; nothing it is given may crash (FuzzRegressionTests feeds it more).
  func testTheCommandLineCheckResolvesWithoutTraining() throws {
    XCTAssertNoThrow(
      try CommandLineCheck.check(["train", "--model", "lstm", "--dataset", "bbc-news", "--components", "3"]))
    XCTAssertThrowsError(try CommandLineCheck.check(["train", "--lr", "nan"]))
    XCTAssertThrowsError(try CommandLineCheck.check(["train", "--devices", "2", "--placement", "0,0,2,2"]))
    XCTAssertThrowsError(
      try CommandLineCheck.check(["train", "--model", "lstm", "--dataset", "bbc-news", "--components", "1000"]))
  }
}
