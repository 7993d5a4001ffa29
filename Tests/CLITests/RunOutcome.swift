import Foundation
import SCPL
import XCTest

/// What a finished run folder holds that training decides: every loss and accuracy of every
/// epoch (not the timings), and every tensor of the newest checkpoint, as bytes.
func runOutcome(_ folder: URL) throws -> (metrics: [String], tensors: [String: [UInt8]]) {
  let records = try EpochRecord.readLines(folder.appendingPathComponent("metrics.jsonl"))
  let metrics = records.map { r in
    "\(r.epoch) \(r.losses.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }) \(r.trainAccuracy) \(r.testAccuracy) \(r.componentTestAccuracy)"
  }
  let newest = try XCTUnwrap(try Checkpoints(runFolder: folder).newestValid(warn: { _ in })?.1)
  var tensors: [String: [UInt8]] = [:]
  for t in newest.tensors { tensors[t.name] = try t.tensor.bytes() }
  return (metrics, tensors)
}

/// Two run folders trained the same, bit for bit: the same metrics over `epochs` epochs and the
/// same tensors in their newest checkpoints.
func assertSameTraining(
  _ a: URL, _ b: URL, epochs: Int = 2, _ message: String = "", file: StaticString = #filePath, line: UInt = #line
) throws {
  let (x, y) = (try runOutcome(a), try runOutcome(b))
  XCTAssertEqual(x.metrics, y.metrics, message, file: file, line: line)
  XCTAssertEqual(x.metrics.count, epochs, message, file: file, line: line)
  XCTAssertEqual(Set(x.tensors.keys), Set(y.tensors.keys), message, file: file, line: line)
  let differing = x.tensors.keys.filter { x.tensors[$0] != y.tensors[$0] }.sorted()
  XCTAssertEqual(differing, [], "tensors that differ \(message)", file: file, line: line)
}

/// The pids of `parent`'s children (from /proc: each of its threads lists those it started).
func childProcesses(of parent: Int32) throws -> [Int32] {
  let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(parent)/task")
  return tasks.flatMap { task in
    ((try? String(contentsOfFile: "/proc/\(parent)/task/\(task)/children", encoding: .utf8)) ?? "").split(
      separator: " "
    ).compactMap { Int32($0) }
  }.sorted()
}

/// Ctrl-C as a terminal delivers it: SIGINT to `launch` and to every rank it started.
func pressControlC(_ launch: Process) throws {
  for pid in [launch.processIdentifier] + (try childProcesses(of: launch.processIdentifier)) { kill(pid, SIGINT) }
}

/// Presses Ctrl-C on `launch` once its run in `folder` has a checkpoint of epoch 1 and a step
/// of epoch 2; checks that the job ends with 130, summary.json saying where it stopped, and a
/// checkpoint of that step.
func stopInEpochTwo(_ launch: ScplProcess, _ folder: URL, file: StaticString = #filePath, line: UInt = #line) throws {
  let checkpoint = Checkpoints(runFolder: folder).url.appendingPathComponent(Checkpoints.fileName(run: 1, epoch: 1))
  XCTAssertTrue(waitForFile(checkpoint, seconds: 180), "no checkpoint after epoch 1", file: file, line: line)
  XCTAssertTrue(waitForNextStep(in: folder), "no step of epoch 2 was recorded", file: file, line: line)
  try pressControlC(launch.process)
  let stopped = launch.finish(within: 120)
  XCTAssertEqual(stopped.status, 130, stopped.stderr, file: file, line: line)
  let summary = try String(contentsOf: folder.appendingPathComponent("summary.json"), encoding: .utf8)
  XCTAssertTrue(
    summary.contains("\"interrupted\"") && summary.contains("stopped by SIGINT in epoch 2"), summary, file: file,
    line: line)
  XCTAssertTrue(
    Checkpoints(runFolder: folder).list().contains { $0.epoch == 1 && $0.step > 0 }, "a checkpoint of the step",
    file: file, line: line)
}
