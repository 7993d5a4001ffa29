import Foundation
import SCPL
import TestSupport
import Torch
import XCTest

/// A finished process: its exit status (128 + signal when killed) and what it wrote.
struct Finished {
  let status: Int32
  let stdout: String
  let stderr: String
}

/// `scpl ARGS` with `environment` added, killed if it outlives `seconds`.
final class ScplProcess {
  let process = Process()
  private let out = Pipe(), err = Pipe()
  private var outData = Data(), errData = Data()
  /// Guards `errData` while it grows, and wakes `waitForStandardError`.
  private let errors = NSCondition()
  private let drained = DispatchGroup()
  private var exited = DispatchSemaphore(value: 0)

  /// `executable`: a program built beside the tests other than scpl (an example's).
  init(_ arguments: [String], environment: [String: String] = [:], executable: String = "scpl") throws {
    process.executableURL = try builtBinary(executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    process.standardOutput = out
    process.standardError = err
    exited = try runNoticingExit(process)
    drained.enter()
    Thread { [self] in
      outData = out.fileHandleForReading.readDataToEndOfFile()
      drained.leave()
    }.start()
    // Standard error is read as it comes, so a test can wait for a line the program prints.
    drained.enter()
    Thread { [self] in
      while case let chunk = err.fileHandleForReading.availableData, !chunk.isEmpty {
        errors.lock()
        errData.append(chunk)
        errors.broadcast()
        errors.unlock()
      }
      errors.lock()
      errors.broadcast()
      errors.unlock()
      drained.leave()
    }.start()
  }

  /// Waits until standard error holds `text` (true), or `seconds` pass (false).
  func waitForStandardError(_ text: String, seconds: Double) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    errors.lock()
    defer { errors.unlock() }
    while !String(decoding: errData, as: UTF8.self).contains(text) {
      guard errors.wait(until: deadline) else { return false }
    }
    return true
  }

  /// Waits at most `seconds` (then kills it, and the test fails).
  func finish(within seconds: Double, file: StaticString = #filePath, line: UInt = #line) -> Finished {
    if !waitForExit(exited, seconds: seconds) {
      XCTFail(
        "\(process.executableURL?.lastPathComponent ?? "") \(process.arguments ?? []) still ran after \(seconds) s; killed",
        file: file, line: line)
      kill(process.processIdentifier, SIGKILL)
    }
    process.waitUntilExit()
    drained.wait()
    let status =
      process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    return Finished(
      status: status, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self)
    )
  }
}

/// `scpl train --distributed` over c10d on loopback: several processes train the sequential
/// loop's weights bit for bit, a lost rank ends the job with an error naming it, mismatched
/// options and an unreachable master are refused, and checkpoints move between layouts.
final class DistributedTests: XCTestCase {
  /// A small SCPL run on real Fashion-MNIST (2 epochs, 256 samples), one intra-op thread.
  var vgg: [String] { vgg() }
  func vgg(epochs: Int = 2, samples: Int = 256) -> [String] {
    [
      "train", "--model", "vgg", "--method", "scpl", "--dataset", "fashion-mnist", "--width", "0.125", "--epochs",
      String(epochs),
      "--batch-size", "64", "--limit-train", String(samples), "--limit-test", "128", "--threads", "1",
      "--threads-per-device", "1"
    ]
  }
  /// A Transformer: dropout in every component, masks and text through the chain.
  let transformer = [
    "train", "--model", "transformer", "--method", "scpl", "--dataset", "bbc-news", "--epochs", "2", "--hidden", "16",
    "--max-len", "20", "--batch-size", "16", "--limit-train", "96", "--limit-test", "32", "--threads", "1",
    "--threads-per-device", "1"
  ]

  var scratch: URL!

  override func setUpWithError() throws {
    scratch = FileManager.default.temporaryDirectory.appendingPathComponent("scpl-distributed-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

  func run(_ arguments: [String], within seconds: Double = 240) throws -> Finished {
    try ScplProcess(arguments).finish(within: seconds)
  }

  func testTwoAndFourRanksTrainTheSequentialWeightsBitForBit() throws {
    // (model, ranks, devices per rank, placement on the ranks' devices, what the last rank serves)
    // Associated Learning's prediction at depth d walks back through the decoders of every earlier
    // component, so rank 1 applies rank 0's trained decoders (shared at each prediction).
    let associated = vgg.map { $0 == "scpl" ? "al" : $0 }
    let layouts = [
      (vgg, 2, 1, "0,0,1,1", "3, 4"), (transformer, 4, 1, "0,1,2,3", "4"), (vgg, 2, 2, "0,1,2,3", "3, 4"),
      (associated, 2, 1, "0,0,1,1", "3, 4")
    ]
    for (i, (base, ranks, local, placement, lastServes)) in layouts.enumerated() {
      let sequential = scratch.appendingPathComponent("sequential-\(i)"),
        distributed = scratch.appendingPathComponent("ranks-\(i)")
      let one = try run(base + ["--pipeline", "off", "--out", sequential.path])
      XCTAssertEqual(one.status, 0, one.stderr)
      let many = try run(
        ["launch", "--nproc", String(ranks), "--"] + base + (local > 1 ? ["--profile"] : [])
          + ["--devices", String(local), "--placement", placement, "--timeout", "30", "--out", distributed.path])
      XCTAssertEqual(many.status, 0, many.stderr)
      XCTAssertTrue(many.stdout.contains("[rank \(ranks - 1)] serving component(s) \(lastServes) "), many.stdout)
      XCTAssertTrue(many.stdout.contains("[rank 0] final test accuracy"), many.stdout)
      try assertSameTraining(sequential, distributed)
      if local > 1 { try assertTraceCoversEveryRank(distributed, ranks: ranks, devicesPerRank: local) }
      guard i == 0 else { continue }
      // The same under torchrun (PyTorch's launcher, installed with torch by the bootstrap),
      // whose agent hosts the store the ranks meet in.
      let torchrun = scratch.appendingPathComponent("torchrun")
      let p = Process()
      p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      p.arguments =
        ["torchrun", "--nproc-per-node", "2", "--no-python", try scplBinary().path] + base
        + ["--distributed", "--placement", placement, "--timeout", "30", "--out", torchrun.path]
      p.standardOutput = FileHandle.nullDevice
      p.standardError = FileHandle.nullDevice
      if !waitForExit(try runNoticingExit(p), seconds: 240) { p.terminate() }
      p.waitUntilExit()
      XCTAssertEqual(p.terminationStatus, 0, "torchrun")
      try assertSameTraining(sequential, torchrun)
    }
  }

  /// A checkpoint of two ranks resumes in one process, and one process's resumes over two ranks:
  /// each ends where the uninterrupted run ends.
  func testCheckpointsMoveBetweenLayouts() throws {
    let reference = scratch.appendingPathComponent("reference")
    XCTAssertEqual(try run(vgg + ["--pipeline", "off", "--out", reference.path]).status, 0)
    func forgetEpochTwo(_ folder: URL) throws {
      let checkpoints = Checkpoints(runFolder: folder)
      try FileManager.default.removeItem(
        at: checkpoints.url.appendingPathComponent(Checkpoints.fileName(run: 1, epoch: 2)))
    }
    // Two ranks, then one process (which must say where it runs now).
    let a = scratch.appendingPathComponent("ranks-then-one")
    XCTAssertEqual(
      try run(["launch", "--nproc", "2", "--"] + vgg + ["--placement", "0,0,1,1", "--timeout", "30", "--out", a.path])
        .status, 0)
    try forgetEpochTwo(a)
    let refused = try run(["train", "--resume", a.path, "--epochs", "3"])
    XCTAssertNotEqual(refused.status, 0)
    XCTAssertTrue(refused.stderr.contains("not --epochs"), refused.stderr)
    let resumed = try run(["train", "--resume", a.path, "--placement", "0,0,0,0"])
    XCTAssertEqual(resumed.status, 0, resumed.stderr)
    try assertSameTraining(reference, a)
    // One process, then two ranks.
    let b = scratch.appendingPathComponent("one-then-ranks")
    XCTAssertEqual(try run(vgg + ["--out", b.path]).status, 0)
    try forgetEpochTwo(b)
    let overRanks = try run([
      "launch", "--nproc", "2", "--", "train", "--resume", b.path, "--placement", "0,1,1,1", "--timeout", "30"
    ])
    XCTAssertEqual(overRanks.status, 0, overRanks.stderr)
    try assertSameTraining(reference, b)
  }

  /// Ranks started by hand, as on several hosts: rank 1 is killed mid-epoch; rank 0 stops
  /// within its timeout with an error naming the lost rank, and its folder says the run failed
  /// and keeps the last checkpoint.
  func testALostRankEndsTheJobWithAnErrorNamingIt() throws {
    let folder = scratch.appendingPathComponent("lost")
    let long = vgg(epochs: 40, samples: 2048) + ["--placement", "0,0,1,1"]
    let (zero, seconds) = try loseRankOneInEpochTwo(long, folder)
    // Rank 0's next send to rank 1 fails at once, and it stops waiting for the results in
    // flight there: it does not sit out its 30 s timeout.
    XCTAssertLessThan(seconds, 10, "rank 0 waited for its timeout instead of stopping when its send failed")
    XCTAssertTrue(
      zero.stderr.contains("rank 0 could not send to rank 1")
        || zero.stderr.contains("rank 0 heard no results from rank 1"), zero.stderr)
    XCTAssertTrue(zero.stderr.contains("stopped after"), zero.stderr)
  }

  /// Under `scpl launch`, a rank killed mid-run makes launch stop the others and exit non-zero;
  /// no rank is left running.
  func testLaunchStopsEveryRankWhenOneDies() throws {
    let folder = scratch.appendingPathComponent("launch-lost")
    let long = vgg(epochs: 40) + ["--placement", "0,1,2,2", "--timeout", "10", "--out", folder.path]
    let launch = try ScplProcess(["launch", "--nproc", "3", "--grace", "5", "--"] + long)
    let metrics = folder.appendingPathComponent("metrics.jsonl")
    let epochEnded = waitUntil(
      { !((try? String(contentsOf: metrics, encoding: .utf8))?.isEmpty ?? true) }, changesIn: [scratch, folder],
      seconds: 120)
    XCTAssertTrue(epochEnded, "no epoch record within 120 s")
    let children = try childProcesses(of: launch.process.processIdentifier)
    XCTAssertEqual(children.count, 3, "launch should have started 3 ranks")
    kill(children[1], SIGKILL)
    let done = launch.finish(within: 60)
    XCTAssertNotEqual(done.status, 0)
    XCTAssertTrue(done.stderr.contains("exited with status"), done.stderr)
    for pid in children { XCTAssertNotEqual(kill(pid, 0), 0, "rank process \(pid) is still running") }
  }

  /// Ctrl-C in a terminal reaches launch and every rank: rank 0 stops at the step, drains the
  /// pipeline, gathers the ranks' state and writes a checkpoint of that step; the job ends with
  /// 130, and a resume over two ranks finishes the run with every epoch once.
  func testCtrlCStopsTheJobAtAStepAndItResumes() throws {
    let folder = scratch.appendingPathComponent("ctrl-c")
    let launch = try ScplProcess(
      ["launch", "--nproc", "2", "--"] + vgg(epochs: 3, samples: 2048)
        + ["--placement", "0,0,1,1", "--timeout", "30", "--out", folder.path])
    let metrics = folder.appendingPathComponent("metrics.jsonl")
    try stopInEpochTwo(launch, folder)
    let resumed = try run(["launch", "--nproc", "2", "--", "train", "--resume", folder.path, "--timeout", "30"])
    XCTAssertEqual(resumed.status, 0, resumed.stderr)
    XCTAssertEqual(try EpochRecord.readLines(metrics).map(\.epoch), [1, 2, 3])
  }

  /// `scpl launch` passes each rank's line on as it comes, whatever its output is (here a pipe):
  /// rank 0's first lines arrive while the job still runs. Before, launch read 64 KiB at a time
  /// and a 40-second job's log stayed empty until it ended. And while the job runs, no rank
  /// listens on anything but loopback: the ranks meet in a FileStore (no store port) and Gloo
  /// binds 127.0.0.1.
  func testLaunchPassesEachLineOnAsItComesAndListensOnLoopbackOnly() throws {
    let folder = scratch.appendingPathComponent("lines")
    let (launch, pipe) = try startScpl(
      ["launch", "--nproc", "2", "--"] + vgg(epochs: 40) + ["--placement", "0,0,1,1", "--out", folder.path])
    defer {
      let ranks = (try? childProcesses(of: launch.processIdentifier)) ?? []
      for pid in [launch.processIdentifier] + ranks { kill(pid, SIGKILL) }
      launch.waitUntilExit()
    }
    let text = read(pipe, until: "[rank 0] run folder: \(folder.path)\n", seconds: 120)
    XCTAssertTrue(text.contains("[rank 0] run folder: \(folder.path)\n"), text)
    XCTAssertTrue(launch.isRunning, "the line came before the job ended")
    let ranks = try childProcesses(of: launch.processIdentifier)
    XCTAssertEqual(ranks.count, 2)
    for pid in [launch.processIdentifier] + ranks {
      let open = listeningSockets(ofProcess: pid).filter { !$0.address.hasPrefix("127.") }
      XCTAssertTrue(open.isEmpty, "process \(pid) listens beyond loopback: \(open)")
    }
  }

  func testRanksWithDifferentOptionsAreRefusedAtStartUp() throws {
    let port = try freeLoopbackPort()
    func env(_ rank: Int) -> [String: String] {
      ["RANK": String(rank), "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": String(port)]
    }
    let rank0 = try ScplProcess(
      vgg + ["--distributed", "--timeout", "10", "--out", scratch.appendingPathComponent("m").path], environment: env(0)
    )
    let rank1 = try ScplProcess(vgg(epochs: 3) + ["--distributed", "--timeout", "10"], environment: env(1))
    for r in [rank0.finish(within: 60), rank1.finish(within: 60)] {
      XCTAssertNotEqual(r.status, 0)
      XCTAssertTrue(
        r.stderr.contains("rank 1 was started with other options than rank 0: --epochs is 3 there and 2 on rank 0"),
        r.stderr)
    }
  }

  func testAnUnreachableMasterIsNamed() throws {
    let port = try freeLoopbackPort()
    let alone = try ScplProcess(
      vgg + ["--distributed", "--timeout", "2"],
      environment: ["RANK": "1", "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": String(port)]
    ).finish(within: 60)
    XCTAssertNotEqual(alone.status, 0)
    XCTAssertTrue(alone.stderr.contains("127.0.0.1:\(port)"), alone.stderr)
  }

}
