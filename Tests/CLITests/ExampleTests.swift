import Data
import Foundation
import SCPL
import TestSupport
import XCTest

/// The examples, programs with a network (and data) of their own, built beside the tests. With
/// `TrainOptions` Examples/CustomCNN gets scpl train's run folder, metrics, TensorBoard events,
/// checkpoints, `--resume` and signals, and every schedule trains its network as the sequential
/// loop does; Examples/LayerCut cuts a flat layer list; Examples/TextCSV trains its text model
/// on a CSV file of its own with DeInfoReg's objective.
final class ExampleTests: ScratchFolderTestCase {
  /// Two epochs of SCPL on 1024 real Fashion-MNIST images, one intra-op thread per device.
  func options(_ folder: URL, _ extra: [String] = []) -> [String] {
    [
      "--epochs", "2", "--batch-size", "64", "--limit-train", "1024", "--limit-test", "256", "--threads", "1",
      "--threads-per-device", "1", "--out", folder.path
    ] + extra
  }

  /// The state summary.json gives the run in `folder`.
  func state(of folder: URL) throws -> String? {
    let summary = try JSONSerialization.jsonObject(
      with: Data(contentsOf: folder.appendingPathComponent("summary.json")))
    return (summary as? [String: Any])?["state"] as? String
  }

  func customCNN(_ arguments: [String]) throws -> Finished {
    try ScplProcess(arguments, executable: "CustomCNN").finish(within: 240)
  }

  func testTheCustomCNNRunsAndResumesBitForBit() throws {
    let whole = scratch.appendingPathComponent("whole")
    let done = try customCNN(options(whole, ["--devices", "2"]))
    XCTAssertEqual(done.status, 0, done.stderr)
    XCTAssertTrue(done.stdout.contains("model: custom-cnn, 3 components"), done.stdout)
    XCTAssertEqual(try state(of: whole), "finished")
    let files = try FileManager.default.contentsOfDirectory(atPath: whole.path)
    XCTAssertTrue(files.contains { $0.hasPrefix("events.out.tfevents.") }, "\(files)")
    XCTAssertEqual(Checkpoints(runFolder: whole).list().last?.epoch, 2)
    let config = try RunIdentity.read(folder: whole).config
    XCTAssertEqual(config.model, .custom)

    // The same run stopped by SIGTERM in its second epoch, then resumed by the same program.
    let stopped = scratch.appendingPathComponent("stopped")
    let (process, pipe) = try startScpl(options(stopped, ["--devices", "2"]), executable: "CustomCNN")
    let text = read(pipe, until: "epoch 1/2  lr", seconds: 120)
    XCTAssertTrue(text.contains("epoch 1/2  lr"), text)
    kill(process.processIdentifier, SIGTERM)
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 143, "stopped within epoch 2")
    let resumed = try customCNN(["--resume", stopped.path])
    XCTAssertEqual(resumed.status, 0, resumed.stderr)
    try assertSameTraining(whole, stopped)

    // scpl cannot build this network: it says so instead of training something else.
    let refused = try ScplProcess(["train", "--resume", stopped.path]).finish(within: 60)
    XCTAssertEqual(refused.status, 1)
    XCTAssertTrue(refused.stderr.contains("resume it with that program"), refused.stderr)
  }

  /// Every schedule trains the program's network bit for bit as the sequential loop does (GPipe's
  /// with one micro-batch per mini-batch: more would sum gradients in another order, and its
  /// BatchNorm would see micro-batch statistics).
  func testEveryScheduleTrainsTheCustomCNNAsTheSequentialLoop() throws {
    // SCPL with a local classifier per component and SGD, the head sizes given, and with DeInfoReg's
    // objective and LARS, as well.
    let localCE = [
      "--objective", "cross-entropy", "--optimizer", "sgd", "--lr", "0.05", "--head-hidden", "32", "--head-out", "16"
    ]
    for (method, extra, schedules) in [
      ("scpl", [], ["async", "overlap", "scpl-gpipe"]), ("bp", [], ["nmp", "gpipe", "1f1b", "zb-h1"]),
      ("scpl", localCE, ["async"]),
      ("scpl", ["--objective", "deinforeg", "--optimizer", "lars", "--lr", "0.1"], ["async"])
    ] {
      let sequential = scratch.appendingPathComponent("\(method)-\(extra.count)-off")
      let one = try customCNN(options(sequential, ["--method", method, "--pipeline", "off", "--epochs", "1"] + extra))
      XCTAssertEqual(one.status, 0, one.stderr)
      for schedule in schedules {
        let folder = scratch.appendingPathComponent("\(method)-\(extra.count)-\(schedule)")
        let gpipe = ["gpipe", "scpl-gpipe", "1f1b", "zb-h1"].contains(schedule) ? ["--micro-batches", "1"] : []
        let run = try customCNN(
          options(
            folder, ["--method", method, "--pipeline", schedule, "--devices", "2", "--epochs", "1"] + gpipe + extra))
        XCTAssertEqual(run.status, 0, "\(schedule): \(run.stderr)")
        try assertSameTraining(sequential, folder, epochs: 1, "\(method) \(schedule)")
      }
    }
  }

  /// The example is also a package of its own, as a user's program is: its manifest names this
  /// package by path and its target's sources are the ones built here.
  func testTheExampleIsAStandalonePackage() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = [
      "swift", "package", "dump-package", "--package-path", root.appendingPathComponent("Examples/CustomCNN").path
    ]
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    let exited = try runNoticingExit(p)
    let data = out.fileHandleForReading.readDataToEndOfFile()
    XCTAssertTrue(waitForExit(exited, seconds: 120), "swift package dump-package did not finish")
    p.waitUntilExit()
    XCTAssertEqual(p.terminationStatus, 0)
    let manifest = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    let targets = try XCTUnwrap(manifest["targets"] as? [[String: Any]])
    XCTAssertEqual(targets.map { $0["name"] as? String }, ["CustomCNN"])
    let dependencies = try XCTUnwrap(manifest["dependencies"] as? [[String: Any]])
    let paths = dependencies.compactMap { ($0["fileSystem"] as? [[String: Any]])?.first?["path"] as? String }
    XCTAssertEqual(paths.map { URL(fileURLWithPath: $0).standardizedFileURL.path }, [root.standardizedFileURL.path])
  }

  /// Examples/LayerCut: a flat list of 11 layers cut into 3 components by measured time (every
  /// layer in exactly one, the counts printed), or by --balance, and trained with the run options.
  func testTheLayerListIsCutAndTrained() throws {
    let measured = scratch.appendingPathComponent("measured")
    let run = try ScplProcess(options(measured, ["--components", "3", "--epochs", "1"]), executable: "LayerCut")
      .finish(within: 240)
    XCTAssertEqual(run.status, 0, run.stderr)
    let line = try XCTUnwrap(run.stdout.split(separator: "\n").first { $0.hasPrefix("layers per component: ") })
    let counts = line.dropFirst("layers per component: [".count).dropLast().split(separator: ",").compactMap {
      Int($0.trimmingCharacters(in: .whitespaces))
    }
    XCTAssertEqual(counts.count, 3, String(line))
    XCTAssertEqual(counts.reduce(0, +), 11, String(line))
    XCTAssertTrue(counts.allSatisfy { $0 >= 1 }, String(line))
    let given = scratch.appendingPathComponent("given")
    let balanced = try ScplProcess(options(given, ["--balance", "5,3,3", "--epochs", "1"]), executable: "LayerCut")
      .finish(within: 240)
    XCTAssertEqual(balanced.status, 0, balanced.stderr)
    XCTAssertTrue(balanced.stdout.contains("layers per component: [5, 3, 3]"), balanced.stdout)
    XCTAssertEqual(try state(of: given), "finished")
  }

  /// `--model` naming a built-in network trains that one in the program, with the same data and
  /// options (so a program compares its network with scpl's): the config records it.
  func testABuiltInModelNamedOnTheCommandLineIsTrainedInstead() throws {
    let folder = scratch.appendingPathComponent("convnet")
    let run = try customCNN(
      options(folder, ["--model", "convnet", "--width", "0.125", "--components", "2", "--epochs", "1", "--aug", "none"])
    )
    XCTAssertEqual(run.status, 0, run.stderr)
    XCTAssertTrue(run.stdout.contains("model: convnet"), run.stdout)
    XCTAssertEqual(try RunIdentity.read(folder: folder).config.model, .convnet)
    XCTAssertEqual(try state(of: folder), "finished")
  }

  /// Examples/TextCSV on a real CSV file (the Rotten Tomatoes snippets the bootstrap prepares,
  /// its `category` column as the label: fresh, plot, rotten): the program's own data and text
  /// model, DeInfoReg's objective by the program's default, recorded in config.json; the
  /// built-in LSTM on the same data with `--model lstm`; and scpl refusing to resume the run.
  func testTheTextModelTrainsOnACSVFileWithDeInfoReg() throws {
    let csv = TextSet.rottenTomatoes.defaultDirectory(in: .default).appendingPathComponent(RottenTomatoes.fileName)
    let base = [
      "--file", csv.path, "--label-column", "category", "--epochs", "2", "--batch-size", "64", "--limit-train", "512",
      "--limit-test", "256", "--threads", "1", "--threads-per-device", "1", "--devices", "2"
    ]
    let folder = scratch.appendingPathComponent("text")
    let run = try ScplProcess(base + ["--out", folder.path], executable: "TextCSV").finish(within: 240)
    XCTAssertEqual(run.status, 0, run.stderr)
    XCTAssertTrue(run.stdout.contains("model: feed-forward, 3 components"), run.stdout)
    XCTAssertEqual(try state(of: folder), "finished")
    let config = try RunIdentity.read(folder: folder).config
    XCTAssertEqual(config.model, .custom)
    XCTAssertEqual(config.dataset, .custom)
    XCTAssertEqual(config.objective, .deInfoReg)
    XCTAssertEqual(Checkpoints(runFolder: folder).list().last?.epoch, 2)
    let record = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("config.json")))
        as? [String: Any])
    let data = try XCTUnwrap(record["data"] as? [String: String])
    XCTAssertEqual(data["data_source"], "my-texts")
    XCTAssertEqual(data["train_file"], csv.path)
    XCTAssertEqual(data["train_samples"], "512")
    let metrics = try String(contentsOf: folder.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
    XCTAssertEqual(metrics.split(separator: "\n").count, 2, metrics)

    let refused = try ScplProcess(["train", "--resume", folder.path]).finish(within: 60)
    XCTAssertEqual(refused.status, 1)
    XCTAssertTrue(refused.stderr.contains("resume it with that program"), refused.stderr)

    // --objective on the command line wins over the program's default; --model lstm trains the
    // built-in bi-LSTM on the program's data (narrow and on short texts: at its full width and
    // length it took 36 of this test's 42 seconds, to show only which model was built).
    let lstm = scratch.appendingPathComponent("lstm")
    let built = try ScplProcess(
      base + [
        "--model", "lstm", "--objective", "contrastive", "--epochs", "1", "--hidden", "32", "--max-len", "40", "--out",
        lstm.path
      ],
      executable: "TextCSV"
    ).finish(within: 240)
    XCTAssertEqual(built.status, 0, built.stderr)
    let lstmConfig = try RunIdentity.read(folder: lstm).config
    XCTAssertEqual(lstmConfig.model, .lstm)
    XCTAssertEqual(lstmConfig.dataset, .custom)
    XCTAssertEqual(lstmConfig.objective, .supervisedContrastive)
    XCTAssertEqual(lstmConfig.hidden, 32)
  }
}
