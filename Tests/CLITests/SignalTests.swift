import Foundation
import SCPL
import TestSupport
import XCTest

/// The `scpl` executable built beside the tests.
func scplBinary() throws -> URL { try builtBinary("scpl") }

/// An executable of the package (scpl, an example) built beside the tests.
func builtBinary(_ name: String) throws -> URL {
  let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name)
  guard FileManager.default.isExecutableFile(atPath: binary.path) else {
    throw TestFailure("the \(name) executable should be built beside the tests, at \(binary.path)")
  }
  return binary
}

/// `scpl ARGS` started with its standard output on a pipe (standard error discarded).
func startScpl(_ arguments: [String], executable: String = "scpl") throws -> (process: Process, output: Pipe) {
  let process = Process()
  process.executableURL = try builtBinary(executable)
  process.arguments = arguments
  let pipe = Pipe()
  process.standardOutput = pipe
  process.standardError = FileHandle.nullDevice
  try process.run()
  return (process, pipe)
}

/// `scpl ARGS` run to its end, standard output discarded: its exit status and standard error.
func runScpl(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
  let process = Process()
  process.executableURL = try scplBinary()
  process.arguments = arguments
  let errors = Pipe()
  process.standardOutput = FileHandle.nullDevice
  process.standardError = errors
  try process.run()
  let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
  process.waitUntilExit()
  return (process.terminationStatus, message)
}

/// What arrives on `pipe` until it holds `marker`, the pipe closes, or `seconds` pass.
func read(_ pipe: Pipe, until marker: String, seconds: Double) -> String {
  var text = ""
  let deadline = Date().addingTimeInterval(seconds)
  while !text.contains(marker), Date() < deadline {
    let chunk = pipe.fileHandleForReading.availableData
    if chunk.isEmpty { break }
    text += String(decoding: chunk, as: UTF8.self)
  }
  return text
}

/// Waits (at most `seconds`) until the run in `folder` records another training step: its
/// TensorBoard event file, which gets one record per step, grows past the size it has when this
/// is called (`waitUntil`: woken by the file's writes). True when it did. Tests use it to act in
/// the middle of an epoch without guessing how long a step takes.
func waitForNextStep(in folder: URL, seconds: Double = 120) -> Bool {
  func size() -> Int {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    return names.filter { $0.hasPrefix("events.out.tfevents.") }.compactMap {
      (try? FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent($0).path))?[.size] as? Int
    }.reduce(0, +)
  }
  let before = size()
  return waitUntil({ size() > before }, changesIn: [folder], seconds: seconds)
}

/// Waits (at most `seconds`) until `file` exists (woken by changes in its folder).
func waitForFile(_ file: URL, seconds: Double = 120) -> Bool {
  waitUntil(
    { FileManager.default.fileExists(atPath: file.path) }, changesIn: [file.deletingLastPathComponent()],
    seconds: seconds)
}

/// SIGTERM during `scpl train`: the process stops after the step in flight with status 143, the
/// run folder says interrupted and why, and `--resume` finishes the run from the last epoch.
final class SignalTests: XCTestCase {
  func summary(_ dir: URL) throws -> [String: Any] {
    try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("summary.json"))) as? [String: Any]
    )
  }

  func testSIGTERMStopsTheRunResumably() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("signal-run-\(UUID())")
    defer { try? FileManager.default.removeItem(at: dir) }
    let (process, pipe) = try startScpl([
      "train", "--model", "vgg", "--method", "bp", "--dataset", "fashion-mnist", "--width", "0.125",
      "--limit-train", "4000", "--limit-test", "500", "--epochs", "3", "--threads", "1", "--out", dir.path
    ])
    defer { if process.isRunning { process.terminate() }; process.waitUntilExit() }
    // Wait for the first epoch's line: its checkpoint is written before it is printed.
    let text = read(pipe, until: "epoch 1/3  lr", seconds: 120)
    XCTAssertTrue(text.contains("epoch 1/3  lr"), text)
    XCTAssertEqual(try summary(dir)["state"] as? String, "running")
    kill(process.processIdentifier, SIGTERM)
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 143)
    let stopped = try summary(dir)
    XCTAssertEqual(stopped["state"] as? String, "interrupted")
    let because = try XCTUnwrap(stopped["stopped_because"] as? String)
    XCTAssertTrue(
      because.contains("stopped by SIGTERM in epoch 2") && because.contains("--resume \(dir.path)"), because)
    // The pipeline drained at the step the signal came, and a checkpoint of that step was
    // written (unless no step of epoch 2 had finished yet).
    let withinEpoch = Checkpoints(runFolder: dir).list().filter { $0.step > 0 }
    XCTAssertTrue(
      withinEpoch.map { $0.epoch == 1 && because.contains("after step \($0.step) of") }.first
        ?? because.contains("after step 0 of"), because)

    let resume = try runScpl(["train", "--resume", dir.path])
    XCTAssertEqual(resume.status, 0, resume.stderr)
    XCTAssertEqual(try summary(dir)["state"] as? String, "finished")
    let metrics = try String(contentsOf: dir.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
    XCTAssertEqual(metrics.split(separator: "\n").count, 3, "epochs 1, 2 and 3, each once")
  }
}

struct TestFailure: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// A test case with a fresh temporary folder for each test (`scratch`), removed after it.
class ScratchFolderTestCase: XCTestCase {
  var scratch: URL!

  override func setUpWithError() throws {
    scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
      "scpl-\(type(of: self))-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }
}
