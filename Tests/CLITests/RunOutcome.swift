import Foundation
import SCPL
import Torch
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

/// `--profile` of a distributed run: rank 0's trace has a process row per rank holding that
/// rank's devices, every device has the forward and learn spans of every batch of the last
/// epoch, inside the epoch's window, and every device's busy fraction is in summary.json.
func assertTraceCoversEveryRank(
  _ folder: URL, ranks: Int, devicesPerRank: Int, file: StaticString = #filePath, line: UInt = #line
) throws {
  let trace = try XCTUnwrap(
    JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("trace.json")))
      as? [String: Any])
  let events = try XCTUnwrap(trace["traceEvents"] as? [[String: Any]])
  let processes = events.filter { $0["name"] as? String == "process_name" }.compactMap { e in
    (e["pid"] as? Int).map { ($0, (e["args"] as? [String: Any])?["name"] as? String) }
  }
  XCTAssertEqual(processes.map(\.0), Array(0..<ranks), file: file, line: line)
  XCTAssertEqual(processes.map(\.1), (0..<ranks).map { "rank \($0)" }, file: file, line: line)
  let spans = events.filter { $0["ph"] as? String == "X" }
  let steps = 256 / 64  // the last epoch's batches (vgg(): 256 samples, batch 64)
  for d in 0..<ranks * devicesPerRank {
    let mine = spans.filter { $0["tid"] as? Int == d }
    XCTAssertTrue(
      mine.allSatisfy { $0["pid"] as? Int == d / devicesPerRank }, "device \(d) outside its rank's row", file: file,
      line: line)
    for kind in ["forward", "learn"] {
      let batches = Set(
        mine.filter { $0["cat"] as? String == kind }.compactMap { ($0["args"] as? [String: Any])?["batch"] as? Int })
      XCTAssertEqual(batches, Set(0..<steps), "device \(d)'s \(kind) spans", file: file, line: line)
    }
    XCTAssertTrue(
      mine.allSatisfy { (($0["ts"] as? NSNumber)?.doubleValue ?? -1) >= 0 },
      "device \(d) has spans before the epoch began", file: file, line: line)
  }
  let summary = try XCTUnwrap(
    JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("summary.json")))
      as? [String: Any])
  let run = try XCTUnwrap((summary["runs"] as? [[String: Any]])?.first, file: file, line: line)
  let busy = try XCTUnwrap(run["device_busy_fraction"] as? [Double], "\(run.keys.sorted())", file: file, line: line)
  XCTAssertEqual(busy.count, ranks * devicesPerRank, file: file, line: line)
  XCTAssertTrue(busy.allSatisfy { $0 > 0 && $0 <= 1 }, "\(busy)", file: file, line: line)
}

/// Starts a 2-rank job of `arguments` by hand (`--distributed`, `--devices 1` is the caller's,
/// `--timeout 30` added), rank 0 writing `folder`; kills rank 1 once epoch 2 has a step. Checks
/// that rank 0 ended by its own error (not a signal) saying which checkpoint it keeps, that its
/// folder says failed and keeps a valid checkpoint. Returns rank 0's outcome and the seconds it
/// took after the kill.
func loseRankOneInEpochTwo(
  _ arguments: [String], _ folder: URL, file: StaticString = #filePath, line: UInt = #line
) throws -> (rank0: Finished, seconds: Double) {
  let port = try freeLoopbackPort()
  func env(_ rank: Int) -> [String: String] {
    ["RANK": String(rank), "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": String(port)]
  }
  let long = arguments + ["--distributed", "--timeout", "30"]
  let rank0 = try ScplProcess(long + ["--out", folder.path], environment: env(0))
  let rank1 = try ScplProcess(long, environment: env(1))
  let checkpoint = Checkpoints(runFolder: folder).url.appendingPathComponent(Checkpoints.fileName(run: 1, epoch: 1))
  XCTAssertTrue(waitForFile(checkpoint), "no checkpoint after epoch 1", file: file, line: line)
  XCTAssertTrue(waitForNextStep(in: folder), "no step of epoch 2 was recorded", file: file, line: line)
  kill(rank1.process.processIdentifier, SIGKILL)
  let killedAt = Date()
  let zero = rank0.finish(within: 60)
  let seconds = Date().timeIntervalSince(killedAt)
  XCTAssertNotEqual(zero.status, 0, file: file, line: line)
  XCTAssertLessThan(
    zero.status, 128, "rank 0 was ended by signal \(zero.status - 128), not by its error: \(zero.stderr)", file: file,
    line: line)
  XCTAssertTrue(zero.stderr.contains("the checkpoint of epoch"), zero.stderr, file: file, line: line)
  XCTAssertEqual(rank1.finish(within: 5).status, 128 + SIGKILL, file: file, line: line)
  let summary = try String(contentsOf: folder.appendingPathComponent("summary.json"), encoding: .utf8)
  XCTAssertTrue(summary.contains("\"failed\""), summary, file: file, line: line)
  XCTAssertNotNil(try Checkpoints(runFolder: folder).newestValid(warn: { _ in }), file: file, line: line)
  return (zero, seconds)
}

/// Ctrl-C on `scpl launch --nproc processes -- base --devices 1` in epoch 2 (`stopInEpochTwo`);
/// then the stopped job resumes over as many processes, and a copy of its folder in one process
/// on `devices` devices. Both must end bit for bit where `base` on `devices` devices of one
/// process ends, never stopped. Returns the resumed job's outcome for checks of its own.
func stopInEpochTwoAndResumeBothWays(
  _ base: [String], processes: Int, devices: Int, in scratch: URL, file: StaticString = #filePath, line: UInt = #line
) throws -> Finished {
  func run(_ arguments: [String]) throws -> Finished { try ScplProcess(arguments).finish(within: 240) }
  let folder = scratch.appendingPathComponent("ctrl-c")
  let launch = try ScplProcess(
    ["launch", "--nproc", String(processes), "--"] + base + ["--devices", "1", "--timeout", "30", "--out", folder.path])
  try stopInEpochTwo(launch, folder, file: file, line: line)
  let copy = scratch.appendingPathComponent("ctrl-c-copy")
  try FileManager.default.copyItem(at: folder, to: copy)
  let resumed = try run(
    ["launch", "--nproc", String(processes), "--", "train", "--resume", folder.path, "--timeout", "30"])
  XCTAssertEqual(resumed.status, 0, resumed.stderr, file: file, line: line)
  let inOneProcess = try run(["train", "--resume", copy.path, "--devices", String(devices)])
  XCTAssertEqual(inOneProcess.status, 0, inOneProcess.stderr, file: file, line: line)
  let straight = scratch.appendingPathComponent("straight")
  let whole = try run(base + ["--devices", String(devices), "--out", straight.path])
  XCTAssertEqual(whole.status, 0, whole.stderr, file: file, line: line)
  try assertSameTraining(straight, folder, "resumed over \(processes) processes", file: file, line: line)
  try assertSameTraining(straight, copy, "resumed in one process", file: file, line: line)
  return resumed
}
