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
