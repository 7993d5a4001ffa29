import ArgumentParser
import Data
import Foundation
import NN
import Torch
import XCTest
@testable import SCPL
@testable import SCPLCLI

/// `scpl train` itself: its options are the config keys (YAML and config.json), every option
/// reaches the config it resolves to, bad values are refused with their choices, and a tiny run
/// writes a complete run folder.
final class TrainOptionsTests: XCTestCase {
  /// The config keys of the options `scpl train` declares (`--config` and `--resume` are not
  /// settings of a run).
  func declaredKeys() -> Set<String> {
    Set(Mirror(reflecting: TrainOptions()).children.compactMap(\.label).map(TrainOptions.configKey)).subtracting([
      "config", "resume", "job"
    ])
  }

  func testTheOptionsAreExactlyTheConfigKeys() throws {
    XCTAssertEqual(declaredKeys(), Set(TrainConfig.CodingKeys.allCases.map(\.stringValue)))
    XCTAssertEqual(TrainOptions.configKey("_threadsPerDevice"), "threads-per-device")
    let help = Train.helpMessage(columns: 400)
    for key in TrainConfig.CodingKeys.allCases {
      XCTAssertTrue(help.contains("--\(key.stringValue)"), "--\(key.stringValue) is not in `scpl train --help`")
    }
  }

  /// Every option given on the command line arrives in the partial config under its key, with
  /// its value (closed sets by name, numbers as numbers, flags as true).
  func testEveryOptionReachesThePartialConfig() throws {
    let given: [(String, String?, Any)] = [
      ("model", "lstm", "lstm"), ("method", "early-exit", "early-exit"), ("dataset", "bbc-news", "bbc-news"),
      ("data-dir", "/tmp/d", "/tmp/d"), ("epochs", "3", 3), ("batch-size", "64", 64), ("test-batch-size", "500", 500),
      ("lr", "0.002", 0.002), ("end-lr", "0.0001", 0.0001), ("lr-schedule", "cosine-step", "cosine-step"),
      ("temperature", "0.2", 0.2), ("projection", "linear", "linear"), ("components", "2", 2), ("width", "0.5", 0.5),
      ("aug", "none", "none"), ("times", "2", 2), ("seed", "9", 9), ("max-len", "40", 40), ("hidden", "16", 16),
      ("heads", "2", 2), ("vocab-size", "100", 100), ("word-vectors", "/tmp/v.txt", "/tmp/v.txt"),
      ("label-noise", "0.1", 0.1),
      ("limit-train", "10", 10), ("limit-test", "5", 5), ("threads", "1", 1), ("out", "/tmp/o", "/tmp/o"),
      ("shortcut", "1x1", "1x1"), ("divisor", "batch-total", "batch-total"), ("pipeline", "overlap", "overlap"),
      ("devices", "2", "cpu:0,cpu:1"), ("placement", "0,1", "0,1"), ("threads-per-device", "1", 1),
      ("queue-depth", "3", 3),
      ("profile", nil, true), ("micro-batches", "2", 2), ("recompute", nil, true), ("chunks-per-device", "3", 3),
      ("probe", nil, true),
      ("checkpoint-every", "5", 5), ("checkpoint-every-steps", "7", 7), ("keep-checkpoints", "3", 3),
      ("on-nan", "skip-batch", "skip-batch"), ("objective", "cross-entropy", "cross-entropy"),
      ("optimizer", "sgd", "sgd"), ("momentum", "0.5", 0.5), ("weight-decay", "0.001", 0.001),
      ("head-hidden", "64", 64), ("head-out", "32", 32),
      ("predictors", "linear", "linear"), ("predictor-weight", "0.01", 0.01), ("grow-at", "1", "1"),
      ("replicas", "2", 2)
    ]
    XCTAssertEqual(Set(given.map(\.0)), declaredKeys(), "the table covers every option")
    let train = try TrainOptions.parse(given.flatMap { ["--\($0.0)"] + ($0.1.map { [$0] } ?? []) })
    let partial = try train.commandLine
    let fields = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(partial)) as? [String: Any])
    XCTAssertEqual(Set(fields.keys), declaredKeys())
    for (key, _, expected) in given {
      if expected is Bool { XCTAssertEqual(fields[key] as? Bool, true, key); continue }
      XCTAssertEqual("\(fields[key] ?? "missing")", "\(expected)", key)
    }
    // And nothing given is nothing set.
    XCTAssertTrue(
      try XCTUnwrap(
        JSONSerialization.jsonObject(with: JSONEncoder().encode(try TrainOptions.parse([]).commandLine))
          as? [String: Any]
      ).isEmpty)
  }

  func testAnUnknownValueIsRefusedWithTheChoices() throws {
    XCTAssertThrowsError(try TrainOptions.parse(["--aug", "heavy"])) {
      let message = TrainOptions.message(for: $0)
      XCTAssertTrue(message.contains("heavy") && message.contains("none") && message.contains("strong"), message)
    }
    XCTAssertThrowsError(try TrainOptions.parse(["--model", "alexnet"])) {
      let message = TrainOptions.message(for: $0)
      XCTAssertTrue(message.contains("alexnet") && message.contains("vgg") && message.contains("transformer"), message)
    }
  }

  /// A program's own objective and optimizer reach every component through `train(method:)`:
  /// the objective computes the loss (it counts its calls) and the checkpoint holds its modules
  /// and the chosen optimizer's state.
  func testAProgramsOwnObjectiveAndOptimizerTrainTheComponents() throws {
    final class CountingObjective: Module, LocalObjective, @unchecked Sendable {
      let inner: LocalCrossEntropyLoss
      static let calls = LockedValue(0)
      init(width: Int, classes: Int) throws {
        inner = try LocalCrossEntropyLoss(
          .linear, inFeatures: width, dimensions: .init(hidden: 8, output: 8), classes: classes)
        super.init()
      }
      func callAsFunction(_ features: Tensor, labels: Tensor) throws -> Tensor {
        Self.calls.withLock { $0 += 1 }
        return try inner(features, labels: labels)
      }
    }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-own-\(UUID())")
    defer { try? FileManager.default.removeItem(at: dir) }
    let train = try TrainOptions.parse([
      "--model", "convnet", "--method", "scpl", "--dataset", "fashion-mnist", "--width", "0.125", "--components", "2",
      "--limit-train", "128", "--limit-test", "64", "--batch-size", "32", "--epochs", "1", "--aug", "none",
      "--devices", "2", "--placement", "0,1", "--out", dir.path
    ])
    try train.train(
      name: "own",
      method: { options in
        options.customObjective = ObjectiveFactory(name: "counting") { _, width, classes in
          try CountingObjective(width: width, classes: classes)
        }
        options.optimizer = .custom(OptimizerFactory(name: "sgd-0.5") { try SGD($0, lr: $1, momentum: 0.5) })
      })
    XCTAssertEqual(
      CountingObjective.calls.withLock { $0 }, 2 * 4, "2 components × 4 batches (a given placement measures no costs)")
    let checkpoint = try SafeTensors.load(from: dir.appendingPathComponent("checkpoints/run1-epoch0001.safetensors"))
    let names = Set(checkpoint.tensors.map(\.name))
    XCTAssertTrue(names.contains("objective1.inner.classifier.weight"), "\(names.sorted())")
    XCTAssertTrue(names.contains("optimizer2.state.0.momentum_buffer"), "\(names.sorted())")
  }

  /// The command runs end to end on real Fashion-MNIST (a few hundred images, one epoch, two
  /// devices) and leaves the run folder's files with what was asked for.
  func testATinyTrainRunWritesItsRunFolder() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-run-\(UUID())")
    defer { try? FileManager.default.removeItem(at: dir) }
    let train = try TrainOptions.parse([
      "--model", "vgg", "--method", "scpl", "--dataset", "fashion-mnist", "--width", "0.125",
      "--limit-train", "256", "--limit-test", "128", "--batch-size", "64", "--epochs", "1",
      "--devices", "2", "--lr-schedule", "cosine-step", "--out", dir.path
    ])
    try train.train()
    let config =
      try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("config.json")))
      as? [String: Any]
    let settings = try XCTUnwrap(config?["config"] as? [String: Any])
    XCTAssertEqual(settings["model"] as? String, "vgg")
    XCTAssertEqual(settings["pipeline"] as? String, "async")
    XCTAssertEqual(settings["lr-schedule"] as? String, "cosine-step")
    let metrics = try String(contentsOf: dir.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
    XCTAssertEqual(metrics.split(separator: "\n").count, 1)
    let summary =
      try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("summary.json")))
      as? [String: Any]
    XCTAssertEqual(summary?["model"] as? String, "vgg")
    XCTAssertTrue(
      FileManager.default.fileExists(atPath: dir.appendingPathComponent("checkpoints/run1-epoch0001.safetensors").path))

    // `scpl eval` of the folder, on the same 128 test images, gives the accuracy the run reported.
    let reported = try EpochRecord.readLines(dir.appendingPathComponent("metrics.jsonl"))[0].testAccuracy
    let evaluated = try Eval.parse(["--checkpoint", dir.path, "--limit-test", "128"]).evaluate()
    XCTAssertEqual(evaluated.result.accuracy, reported)
    XCTAssertTrue(
      evaluated.text.contains(String(format: "test accuracy: %.2f%% on 128 samples", 100 * reported)), evaluated.text)
    let file = try Eval.parse([
      "--checkpoint", dir.appendingPathComponent("checkpoints/run1-epoch0001.safetensors").path, "--limit-test", "128"
    ])
    XCTAssertEqual(try file.evaluate().result.accuracy, reported)
    XCTAssertThrowsError(
      try Eval.parse(["--checkpoint", dir.path, "--dataset", "bbc-news", "--limit-test", "8"]).evaluate()
    ) {
      XCTAssertTrue("\($0)".contains("does not fit bbc-news"), "\($0)")
    }
    XCTAssertThrowsError(try Eval.parse(["--checkpoint", dir.appendingPathComponent("metrics.jsonl").path]).evaluate())
    {
      XCTAssertTrue("\($0)".contains("not a valid safetensors file"), "\($0)")
    }
  }

  /// A program's own network on its own data in memory (float vectors, not images): trained with
  /// the run options, evaluated by `EvalOptions` with the program's pieces to the accuracy the run
  /// reported, and refused by name without them.
  func testAProgramsOwnNetworkOnItsOwnTensorsIsTrainedAndEvaluated() throws {
    try Torch.manualSeed(3)
    let labels = try Tensor((0..<256).map { Int64($0 % 3) })
    // Three classes a linear model can tell apart: the class shifts one coordinate.
    let inputs = try Tensor.randn([256, 6]) + (labels.to(.float32).unsqueezed(axis: 1) * 2)
    let train = try TensorDataset(
      name: "v", inputs: inputs.slice(axis: 0, end: 192), labels: labels.slice(axis: 0, end: 192), classCount: 3)
    let test = try TensorDataset(
      name: "v", inputs: inputs.slice(axis: 0, start: 192), labels: labels.slice(axis: 0, start: 192), classCount: 3)
    let data = try DataSource.tensors(name: "vectors", train: train, test: test)
    let network: ModelBuilder = { _, input in
      try StagedModel.cutting(
        [try Linear(input.sampleShape[0], 16), ReLU(), try Linear(16, 16), ReLU()], .balance([2, 2]),
        name: "mlp", sampleShape: input.sampleShape, classCount: input.classCount
      ) { width in try Sequential { try Linear(width, input.classCount) } }
    }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-tensors-\(UUID())")
    defer { try? FileManager.default.removeItem(at: dir) }
    try TrainOptions.parse([
      "--epochs", "2", "--batch-size", "32", "--components", "2", "--devices", "2", "--threads", "1", "--out", dir.path
    ]).train(name: "mlp", model: network, data: data)
    let config = try RunIdentity.read(folder: dir).config
    XCTAssertEqual(config.model, .custom)
    XCTAssertEqual(config.dataset, .custom)
    XCTAssertEqual(config.projection, .mlp, "float samples take the vision defaults")
    let records = try EpochRecord.readLines(dir.appendingPathComponent("metrics.jsonl"))
    XCTAssertEqual(records.count, 2)

    let evaluated = try EvalOptions.parse(["--checkpoint", dir.path]).evaluate(model: network, data: data)
    XCTAssertEqual(evaluated.result.accuracy, records[1].testAccuracy)
    XCTAssertTrue(evaluated.text.contains("on 64 samples of vectors/test"), evaluated.text)
    XCTAssertThrowsError(try EvalOptions.parse(["--checkpoint", dir.path]).evaluate()) {
      XCTAssertTrue("\($0)".contains("evaluate it with that program"), "\($0)")
    }
    XCTAssertThrowsError(try EvalOptions.parse(["--checkpoint", dir.path]).evaluate(model: network)) {
      XCTAssertTrue(
        "\($0)".contains("trained on data of its own program's (--dataset custom); evaluate it with that program"),
        "\($0)")
    }
  }
}
