import ArgumentParser
import Data
import Foundation
import NN
import SCPL
import Torch

extension Bench {
  /// The same SCPL async pipeline as N worker threads of one process and as N processes over
  /// c10d's Gloo on loopback (or on the hosts `--rank-command` reaches), each run by the real
  /// commands (`scpl train`, `scpl launch` or `scpl train --distributed` per rank), interleaved
  /// over rounds.
  struct Distributed: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "distributed",
      abstract:
        "Throughput of the async pipeline as N threads in one process and as N processes over Gloo (loopback, or the hosts --rank-command reaches).",
      discussion: """
        Each round runs `scpl train --devices N` (threads) and then `scpl launch --nproc N -- train` \
        (processes; with --rank-command, each rank's `scpl train --distributed` through its command, as on \
        several hosts) with the same model, data, placement and one intra-op thread per device, for --epochs \
        epochs on the first --limit-train training samples; a variant's figure is the median over epochs 2… \
        of the training samples/s its metrics.jsonl records (evaluation excluded), and the report gives the \
        median over rounds and the ratio processes / threads measured in the same round. It also reports the \
        bytes each batch sends across each rank boundary (activation, its mask or state, and the labels) and \
        rank 0's milliseconds per step in its send (its trace's transfer spans, from --profile). Target: \
        processes keep at least 85 % of the threads' throughput (VGG width 0.25, batch 128, 2 ranks). \
        Results go to <out>/distributed-<model>.json and .md.
        """)

    @Option(help: "Ranks (and threads).") var ranks = 2
    @Option(help: "vgg, resnet18, convnet, lstm or transformer.") var model: ModelKind = .vgg
    @Option(help: "Data set (default fashion-mnist for vision models, bbc-news for text).") var dataset: DatasetName?
    @Option(help: "Channel width multiplier of vision models.") var width = 0.25
    @Option(help: "Samples per batch.") var batchSize = 128
    @Option(help: "Epochs per run (the first is warm-up).") var epochs = 3
    @Option(help: "Training samples per epoch.") var limitTrain = 2048
    @Option(help: "Rounds (threads then processes in each).") var rounds = 3
    @Option(help: "Component → rank (default: contiguous, even).") var placement: String?
    @Option(help: "Directory for the report.") var out = "bench-results"
    @Option(
      help: ArgumentHelp(
        "A command that runs rank k's process on its host, given once per rank in rank order (e.g. \"ip netns exec host-a\" or \"ssh host-a\"): the ranks are started by hand with RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT instead of by `scpl launch` (default: none, launch on this host).",
        valueName: "command"))
    var rankCommand: [String] = []
    @Option(help: "With --rank-command: rank 0's address as the other ranks reach it (default 127.0.0.1).")
    var masterAddr = "127.0.0.1"
    @Option(help: "With --rank-command: the port of rank 0's store (default 29500).") var masterPort = 29500

    func validate() throws {
      guard rankCommand.isEmpty || rankCommand.count == ranks else {
        throw ValidationError(
          "--rank-command is given \(rankCommand.count) time(s) for \(ranks) ranks: give it once per rank, in rank order"
        )
      }
    }

    func run() throws {
      let dataset = self.dataset ?? (model.family == .vision ? .fashionMNIST : .bbcNews)
      let components = 4
      let placement = self.placement ?? (0..<components).map { String($0 * ranks / components) }.joined(separator: ",")
      var args = [
        "train", "--model", model.rawValue, "--method", "scpl", "--dataset", dataset.rawValue, "--epochs",
        String(epochs),
        "--batch-size", String(batchSize), "--limit-train", String(limitTrain), "--limit-test", "100", "--threads", "1",
        "--threads-per-device", "1", "--placement", placement, "--profile", "--lr-schedule", "constant"
      ]
      if model.family == .vision { args += ["--width", String(width), "--aug", "none"] }
      let bytes = try boundaryBytes(dataset: dataset, placement: placement)
      print(
        "bench distributed: \(model) · scpl · async over \(ranks) threads vs \(ranks) processes (placement \(placement)), batch \(batchSize), \(limitTrain) samples × \(epochs) epochs, \(rounds) round(s)"
      )
      print("bytes sent per batch across each rank boundary: \(bytes.map(String.init).joined(separator: ", "))")
      let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
        "scpl-bench-distributed-\(UUID().uuidString)")
      defer { try? FileManager.default.removeItem(at: scratch) }
      var threads: [Double] = [], processes: [Double] = [], ratios: [Double] = [], sendMs: [Double] = []
      for round in 1...rounds {
        let a = scratch.appendingPathComponent("threads-\(round)"),
          b = scratch.appendingPathComponent("processes-\(round)")
        try runScpl(args + ["--devices", String(ranks), "--out", a.path])
        if rankCommand.isEmpty {
          try runScpl(["launch", "--nproc", String(ranks), "--"] + args + ["--out", b.path])
        } else {
          try runRanks(args + ["--distributed", "--out", b.path])
        }
        let (t, p) = (try samplesPerSecond(a), try samplesPerSecond(b))
        let send = try sendMillisecondsPerStep(b)
        threads.append(t); processes.append(p); ratios.append(p / t); sendMs.append(send)
        print(
          String(
            format: "round %d: threads %.1f samples/s, processes %.1f samples/s (×%.3f), rank 0 sending %.2f ms/step",
            round, t, p, p / t, send))
      }
      let report: [String: Any] = [
        "model": model.rawValue, "dataset": dataset.rawValue, "ranks": ranks, "placement": placement,
        "batch_size": batchSize,
        "width": model.family == .vision ? width : NSNull(), "epochs": epochs, "limit_train": limitTrain,
        "rounds": rounds,
        "threads_samples_per_second": threads, "processes_samples_per_second": processes, "ratio_per_round": ratios,
        "median_threads_samples_per_second": threads.median, "median_processes_samples_per_second": processes.median,
        "median_ratio": ratios.median, "bytes_per_batch_per_boundary": bytes, "rank0_send_ms_per_step": sendMs,
        "libtorch": EngineInfo.libtorchVersion,
        "rank_commands": rankCommand
      ]
      let markdown = """
        | \(model) · scpl · async, \(ranks) ranks, batch \(batchSize) | threads (1 process) | processes (Gloo, \(rankCommand.isEmpty ? "loopback" : "over \(masterAddr)")) | processes / threads |
        |---|---|---|---|
        | samples/s (median of \(rounds) round(s)) | \(String(format: "%.1f", threads.median)) | \(String(format: "%.1f", processes.median)) | \(String(format: "%.3f", ratios.median)) |

        Bytes per batch across each rank boundary: \(bytes.map(String.init).joined(separator: ", ")); rank 0's send: \(String(format: "%.2f", sendMs.median)) ms per step (median over rounds).
        Target (VGG width 0.25, batch 128, 2 ranks): processes / threads ≥ 0.85 — \(ratios.median >= 0.85 ? "met" : "not met").

        """
      let directory = URL(fileURLWithPath: out)
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      let stem = "distributed-\(model.rawValue)"
      try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys]).write(
        to: directory.appendingPathComponent("\(stem).json"), options: .atomic)
      try Data(markdown.utf8).write(to: directory.appendingPathComponent("\(stem).md"), options: .atomic)
      print("\n" + markdown)
      print("saved \(directory.appendingPathComponent(stem).path).json and .md")
    }

    /// Runs this `scpl` with `arguments`, its output discarded; throws on a non-zero exit.
    private func runScpl(_ arguments: [String]) throws {
      let p = Process()
      p.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
      p.arguments = arguments
      p.standardOutput = FileHandle.nullDevice
      let errors = Pipe()
      p.standardError = errors
      try p.run()
      let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      p.waitUntilExit()
      guard p.terminationStatus == 0 else {
        throw ValidationError("scpl \(arguments.joined(separator: " ")) failed: \(message)")
      }
    }

    /// Runs this `scpl` with `arguments` as every rank of a job, rank k through `rankCommand[k]`
    /// (its words split at spaces) with the rendezvous in its environment; throws naming the
    /// first rank that ends with a non-zero status.
    private func runRanks(_ arguments: [String]) throws {
      let scpl = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
      // Each rank's standard error goes to a file (a pipe read after another rank's could fill
      // and stall that rank).
      var processes: [(Process, URL)] = []
      for (rank, command) in rankCommand.enumerated() {
        let p = Process()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("scpl-bench-rank\(rank)-\(UUID()).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments =
          command.split(separator: " ").map(String.init)
          + [
            "env", "RANK=\(rank)", "WORLD_SIZE=\(ranks)", "MASTER_ADDR=\(masterAddr)", "MASTER_PORT=\(masterPort)", scpl
          ] + arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = try FileHandle(forWritingTo: log)
        try p.run()
        processes.append((p, log))
      }
      var failures: [String] = []
      for (rank, (p, log)) in processes.enumerated() {
        p.waitUntilExit()
        let message = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: log)
        if p.terminationStatus != 0 { failures.append("rank \(rank) (\(rankCommand[rank])) failed: \(message)") }
      }
      if let first = failures.first { throw ValidationError(first) }
    }

    /// The median training samples/s of epochs 2… of a run folder.
    private func samplesPerSecond(_ folder: URL) throws -> Double {
      let records = try EpochRecord.readLines(folder.appendingPathComponent("metrics.jsonl"))
      return records.filter { $0.epoch >= 2 }.map(\.trainSamplesPerSecond).median
    }

    /// Rank 0's time in its sends per step, from its trace of the last epoch.
    private func sendMillisecondsPerStep(_ folder: URL) throws -> Double {
      let data = try Data(contentsOf: folder.appendingPathComponent("trace.json"))
      let events =
        (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["traceEvents"] as? [[String: Any]] ?? []
      let spans = events.filter { $0["ph"] as? String == "X" }
      let sends = spans.filter { $0["cat"] as? String == "transfer" }.compactMap { $0["dur"] as? Double }
      let steps = Set(spans.compactMap { ($0["args"] as? [String: Any])?["batch"] as? Int }).count
      return steps > 0 ? sends.reduce(0, +) / 1000 / Double(steps) : .nan
    }

    /// The bytes one batch carries across each rank boundary: the activation the boundary's
    /// component hands on (with its mask, state or label path) and the labels.
    private func boundaryBytes(dataset: DatasetName, placement: String) throws -> [Int] {
      var p = PartialTrainConfig()
      p.model = model; p.method = .scpl; p.dataset = dataset; p.batchSize = batchSize; p.limitTrain = batchSize;
      p.limitTest = 1
      if model.family == .vision { p.width = width; p.aug = Augmentation.none }
      let data = try DatasetCatalog.load(try p.resolved())
      let config = try p.resolved(fitting: data)
      let model = try ModelFactory.build(
        config, sampleShape: data.sampleShape, classCount: data.classCount, wordVectors: data.wordVectors)
      let layout = try Placement(parsing: placement, componentCount: model.components.count, deviceCount: ranks)
      let batch = try DataLoader(data.train, batchSize: batchSize, seed: 1, shuffle: false, workerThreads: 0).batch(
        epoch: 1, index: 0)
      var x = try model.firstActivation(batch.inputs)
      var bytes: [Int] = []
      try withNoGrad {
        for (k, component) in model.components.enumerated() {
          x = try component(x)
          if k + 1 < model.components.count, layout.deviceOfComponent[k + 1] != layout.deviceOfComponent[k] {
            let tensors = (x.slots + [batch.labels]).compactMap { $0 }
            bytes.append(tensors.reduce(0) { $0 + $1.count * $1.dtype.byteSize })
          }
        }
      }
      return bytes
    }

  }
}
