import Foundation
import SCPL
import TestSupport
import XCTest

/// The batch-by-batch schedules across processes (`scpl launch --nproc N`): BP's nmp, gpipe,
/// 1f1b, interleaved-1f1b and zb-h1, and the local methods' scpl-gpipe, each equal to the same
/// schedule on as many devices in one process, bit for bit; a stop resumes; a lost rank ends
/// the job at once with a sentence naming it.
final class ScheduleAcrossRanksTests: XCTestCase {
  var scratch: URL!

  override func setUpWithError() throws {
    scratch = FileManager.default.temporaryDirectory.appendingPathComponent("scpl-schedules-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

  func vgg(_ method: String, _ pipeline: String, epochs: Int = 2, samples: Int = 256) -> [String] {
    [
      "train", "--model", "vgg", "--method", method, "--pipeline", pipeline, "--dataset", "fashion-mnist", "--width",
      "0.125", "--epochs", String(epochs), "--batch-size", "64", "--limit-train", String(samples), "--limit-test",
      "128", "--threads", "1", "--threads-per-device", "1"
    ]
  }

  /// Text through the ranks: the Transformer (dropout, masks) and the LSTM (its state).
  func text(_ model: String, _ method: String, _ pipeline: String) -> [String] {
    [
      "train", "--model", model, "--method", method, "--pipeline", pipeline, "--dataset", "bbc-news", "--epochs", "2",
      "--hidden", "16", "--max-len", "20", "--batch-size", "16", "--limit-train", "96", "--limit-test", "32",
      "--threads", "1", "--threads-per-device", "1"
    ]
  }

  func run(_ arguments: [String], within seconds: Double = 240) throws -> Finished {
    try ScplProcess(arguments).finish(within: seconds)
  }

  /// Each schedule over N ranks of L devices equals it on N·L devices of one process: every
  /// epoch's figures and every tensor of the last checkpoint (parameters, buffers, the optimizer
  /// state cut by parameter across the ranks, random states). Between them the cases cross a
  /// rank boundary forward and back (gpipe, 1f1b with two devices a rank and a trace of both
  /// ranks, zb-h1's split backward), around it (interleaved-1f1b's stages wrap from the last
  /// rank to rank 0), without a graph across it (nmp on 4 ranks), with no gradient back at all
  /// (scpl-gpipe; Associated Learning's prediction reads the rank above's decoders), and with
  /// text batches.
  func testEveryScheduleAcrossRanksTrainsItsOneProcessWeightsBitForBit() throws {
    // (run, ranks, devices per rank)
    let cases: [([String], Int, Int)] = [
      (vgg("bp", "gpipe"), 2, 1), (vgg("bp", "nmp"), 4, 1), (vgg("bp", "1f1b") + ["--profile"], 2, 2),
      (vgg("bp", "zb-h1"), 2, 1), (vgg("bp", "interleaved-1f1b"), 2, 1), (vgg("scpl", "scpl-gpipe"), 2, 1),
      (vgg("al", "scpl-gpipe"), 2, 1), (text("transformer", "bp", "gpipe"), 4, 1),
      (text("lstm", "bp", "nmp"), 2, 1), (text("transformer", "scpl", "scpl-gpipe"), 2, 1)
    ]
    for (i, (base, ranks, perRank)) in cases.enumerated() {
      let what = "case \(i): \(base[base.firstIndex(of: "--pipeline")! + 1]) of \(base[2]) over \(ranks) ranks"
      let one = scratch.appendingPathComponent("one-\(i)"), many = scratch.appendingPathComponent("ranks-\(i)")
      let single = try run(base + ["--devices", String(ranks * perRank), "--out", one.path])
      XCTAssertEqual(single.status, 0, "\(what): \(single.stderr)")
      let job = try run(
        ["launch", "--nproc", String(ranks), "--"] + base
          + ["--devices", String(perRank), "--timeout", "30", "--out", many.path])
      XCTAssertEqual(job.status, 0, "\(what): \(job.stderr)")
      XCTAssertTrue(job.stdout.contains("[rank \(ranks - 1)] serving component(s)"), "\(what): \(job.stdout)")
      XCTAssertFalse(job.stderr.contains("Error"), "\(what): \(job.stderr)")
      try assertSameTraining(one, many, what)
      if base.contains("--profile") { try assertTraceCoversEveryRank(many, ranks: ranks, devicesPerRank: perRank) }
    }
  }

  /// Ctrl-C stops a gpipe job of two ranks at a step: every rank finishes the step, rank 0
  /// gathers the ranks' state (BP's one optimizer, cut by parameter) into a checkpoint of it.
  /// The job resumes over two ranks, and a copy of the stopped folder in one process; both end
  /// bit for bit where the run that was never stopped ends.
  func testCtrlCStopsABackpropJobAcrossRanksAtAStepAndItResumes() throws {
    _ = try stopInEpochTwoAndResumeBothWays(vgg("bp", "gpipe", samples: 2048), processes: 2, devices: 2, in: scratch)
  }

  /// Ranks started by hand: rank 1 of an nmp and of a 1f1b job is killed mid-epoch. Rank 0,
  /// which waits for rank 1's gradients or sends it the next step, ends at once (not at its
  /// 30 s timeout) with a sentence naming rank 1; the run folder says failed and keeps its
  /// checkpoint.
  func testALostRankEndsABatchByBatchJobAtOnceNamingIt() throws {
    for pipeline in ["nmp", "1f1b"] {
      let folder = scratch.appendingPathComponent("lost-\(pipeline)")
      let (zero, seconds) = try loseRankOneInEpochTwo(
        vgg("bp", pipeline, epochs: 40, samples: 2048) + ["--devices", "1"], folder)
      XCTAssertLessThan(seconds, 10, "\(pipeline): rank 0 sat out its timeout")
      XCTAssertTrue(
        zero.stderr.contains("rank 0 could not send to rank 1") || zero.stderr.contains("from rank 1"),
        "\(pipeline): \(zero.stderr)")
    }
  }

  /// overlap stays in one process, and says what runs across ranks instead; BP without
  /// `--pipeline` takes the default of all the ranks' devices (nmp), not of one rank's (off,
  /// which cannot run on two).
  func testOverlapIsRefusedAndBPDefaultsToNMPAcrossRanks() throws {
    let folder = scratch.appendingPathComponent("overlap")
    let job = try run(
      ["launch", "--nproc", "2", "--"] + vgg("scpl", "overlap", epochs: 1)
        + ["--devices", "1", "--timeout", "30", "--out", folder.path])
    XCTAssertNotEqual(job.status, 0)
    XCTAssertTrue(
      job.stderr.contains("--pipeline overlap runs in one process; across ranks use async or scpl-gpipe"), job.stderr)

    var bp = vgg("bp", "nmp", epochs: 1)
    bp.removeSubrange(bp.firstIndex(of: "--pipeline")!...bp.firstIndex(of: "--pipeline")! + 1)
    let byDefault = try run(
      ["launch", "--nproc", "2", "--"] + bp
        + ["--timeout", "30", "--out", scratch.appendingPathComponent("bp-default").path])
    XCTAssertEqual(byDefault.status, 0, byDefault.stderr)
    XCTAssertTrue(byDefault.stdout.contains("method: bp; pipeline: nmp on cpu:0,cpu:1"), byDefault.stdout)
  }
}
