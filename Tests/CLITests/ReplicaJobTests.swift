import Foundation
import SCPL
import XCTest

/// `--replicas R` across processes (`scpl launch --nproc N`, N = R × ranks per pipeline): the
/// job equals the same replicas as threads of one process, bit for bit; a stop reaches every
/// replica at the same step, and the run resumes.
final class ReplicaJobTests: XCTestCase {
  var scratch: URL!

  override func setUpWithError() throws {
    scratch = FileManager.default.temporaryDirectory.appendingPathComponent("scpl-replica-job-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

  func vgg(method: String = "scpl", epochs: Int = 2, samples: Int = 256) -> [String] {
    [
      "train", "--model", "vgg", "--method", method, "--dataset", "fashion-mnist", "--width", "0.125", "--epochs",
      String(epochs), "--batch-size", "32", "--limit-train", String(samples), "--limit-test", "128", "--threads", "1",
      "--threads-per-device", "1", "--replicas", "2"
    ]
  }
  let transformer = [
    "train", "--model", "transformer", "--method", "scpl", "--dataset", "bbc-news", "--epochs", "2", "--hidden", "16",
    "--max-len", "20", "--batch-size", "16", "--limit-train", "96", "--limit-test", "32", "--threads", "1",
    "--threads-per-device", "1", "--replicas", "2"
  ]

  func run(_ arguments: [String], within seconds: Double = 240) throws -> Finished {
    try ScplProcess(arguments).finish(within: seconds)
  }

  func summary(_ folder: URL) throws -> [String: Any] {
    try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("summary.json")))
        as? [String: Any])
  }

  /// Two replicas of a pipeline over two ranks (4 processes) for VGG and for the Transformer
  /// (dropout, text batches of their own widths), and two one-rank replicas of BP (2
  /// processes), each equal to the same replicas as threads: every epoch's figures and every
  /// tensor of the last checkpoint. Only rank 0 writes a run folder.
  func testReplicasAcrossProcessesEqualTheThreadedReplicasBitForBit() throws {
    // (run, processes, --devices per rank, --devices of one process)
    let cases = [(vgg(), 4, 1, 2), (transformer, 4, 1, 2), (vgg(method: "bp"), 2, 1, 1)]
    for (i, (base, processes, perRank, threaded)) in cases.enumerated() {
      let threads = scratch.appendingPathComponent("threads-\(i)"), ranks = scratch.appendingPathComponent("ranks-\(i)")
      let one = try run(base + ["--devices", String(threaded), "--out", threads.path])
      XCTAssertEqual(one.status, 0, one.stderr)
      let job = try run(
        ["launch", "--nproc", String(processes), "--"] + base
          + ["--devices", String(perRank), "--timeout", "30", "--out", ranks.path])
      XCTAssertEqual(job.status, 0, job.stderr)
      let leader = processes / 2
      XCTAssertTrue(job.stdout.contains("[rank \(leader)] replica 1 of 2 done"), job.stdout)
      if processes == 4 { XCTAssertTrue(job.stdout.contains("[rank 3] serving component(s)"), job.stdout) }
      try assertSameTraining(threads, ranks, "case \(i)")
      let s = try summary(ranks)
      XCTAssertEqual(s["replicas"] as? Int, 2)
      XCTAssertEqual(s["global_batch_size"] as? Int, base.contains("transformer") ? 32 : 64)
      XCTAssertEqual(
        try FileManager.default.contentsOfDirectory(atPath: scratch.path).filter { $0.hasPrefix("ranks-") }.count,
        i + 1,
        "one run folder per job")
    }
  }

  /// Ctrl-C reaches every rank of a job of two replicas of two ranks: the leaders agree to stop at the same
  /// step, rank 0 writes a checkpoint of it, the job ends with 130. The job resumes across
  /// processes (replica 0's leader sends the other the checkpoint) and finishes the run, bit for
  /// bit the same replicas as threads never stopped; so does a copy of the stopped folder
  /// resumed in one process.
  func testCtrlCStopsEveryReplicaAtOneStepAndTheRunResumes() throws {
    let resumed = try stopInEpochTwoAndResumeBothWays(
      vgg(epochs: 2, samples: 2048), processes: 4, devices: 2, in: scratch)
    XCTAssertTrue(resumed.stdout.contains("[rank 2] replica 1 of 2 resumed and done"), resumed.stdout)
    XCTAssertFalse(resumed.stderr.contains("Error"), "no rank reported an error: \(resumed.stderr)")
  }

  /// Three ranks cannot be two replicas: every rank says so before any data loads or folder is made.
  func testRanksThatDoNotDivideIntoReplicasAreRefused() throws {
    let folder = scratch.appendingPathComponent("three")
    let job = try run(["launch", "--nproc", "3", "--"] + vgg(epochs: 1) + ["--timeout", "30", "--out", folder.path])
    XCTAssertNotEqual(job.status, 0)
    for rank in 0..<3 {
      XCTAssertTrue(
        job.stderr.contains(
          "[rank \(rank)] Error: --replicas 2 needs a number of ranks divisible by it (R replicas of P ranks each), but the job has 3"
        ), job.stderr)
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: folder.path), "no run folder")
  }
}
