import ArgumentParser
import Data
import Foundation
import NN
import SCPL
import Torch

extension Bench {
  /// The same pipeline (SCPL's async by default; `--method` and `--pipeline` choose another,
  /// BP's schedules included) as N worker threads of one process and as N processes over c10d's
  /// Gloo on loopback (or on the hosts `--rank-command` reaches), each run by the real commands
  /// (`scpl train`, `scpl launch` or `scpl train --distributed` per rank), interleaved over rounds.
  struct Distributed: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "distributed",
      abstract:
        "Throughput of a pipeline (SCPL's async by default) as N threads in one process and as N processes over Gloo (loopback, or the hosts --rank-command reaches).",
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
        Results go to <out>/distributed-<model>.json and .md. --method and --pipeline bench another \
        schedule the same way (e.g. --method bp --pipeline 1f1b: the baseline across processes; its \
        gradients' sends back up count in rank 0's send time, not in the bytes per boundary); results \
        then go to <out>/distributed-<model>-<method>-<pipeline>.json and .md.

        With --replicas R, each round runs three variants: R replicas of the pipeline as threads of one \
        process (`train --devices N --replicas R`), as R × N processes (`launch --nproc R×N -- train --devices 1 \
        --replicas R`), and one pipeline on R times the batch (`train --devices N --batch-size R×B`); the \
        report adds the bytes each step all-reduces (every component's gradients) and, from the processes' \
        trace, the all-reduce milliseconds per step and the share of them during which another device of \
        the pipeline was computing (hidden). Target: processes keep at least 85 % of the threads' \
        throughput. Results go to <out>/distributed-replicas-<model>.json and .md.
        """)

    @Option(help: "Ranks (and threads) of one pipeline.") var ranks = 2
    @Option(help: "Replicas of the pipeline (data parallelism; see the discussion).") var replicas = 1
    @Option(help: "Without --replicas: the method (default scpl).") var method: MethodKind = .scpl
    @Option(
      help:
        "Without --replicas: the schedule (default async; BP's nmp, gpipe, 1f1b, interleaved-1f1b, zb-h1, or scpl-gpipe)."
    )
    var pipeline: PipelineKind = .async
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
      guard replicas >= 1 else { throw ValidationError("--replicas must be at least 1, got \(replicas)") }
      guard replicas == 1 || (method == .scpl && pipeline == .async) else {
        throw ValidationError("--replicas benches SCPL's async pipeline; leave out --method and --pipeline")
      }
      try pipeline.check(method: method, deviceCount: ranks)
      guard pipeline != .overlap else {
        throw ValidationError("--pipeline overlap runs in one process; bench async or scpl-gpipe across processes")
      }
      guard replicas == 1 || rankCommand.isEmpty else {
        throw ValidationError("--replicas runs its processes with scpl launch on this host; leave out --rank-command")
      }
      guard rankCommand.isEmpty || rankCommand.count == ranks else {
        throw ValidationError(
          "--rank-command is given \(rankCommand.count) time(s) for \(ranks) ranks: give it once per rank, in rank order"
        )
      }
    }

    func run() throws {
      if replicas > 1 { return try runReplicas() }
      let dataset = self.dataset ?? (model.family == .vision ? .fashionMNIST : .bbcNews)
      let components = 4
      // Components go on stages: one per rank, or interleaved-1f1b's two chunks per rank.
      let stages = ranks * (pipeline == .interleaved1F1B ? 2 : 1)
      let placement = self.placement ?? (0..<components).map { String($0 * stages / components) }.joined(separator: ",")
      var args = [
        "train", "--model", model.rawValue, "--method", method.rawValue, "--pipeline", pipeline.rawValue, "--dataset",
        dataset.rawValue, "--epochs", String(epochs),
        "--batch-size", String(batchSize), "--limit-train", String(limitTrain), "--limit-test", "100", "--threads", "1",
        "--threads-per-device", "1", "--placement", placement, "--profile", "--lr-schedule", "constant"
      ]
      if model.family == .vision { args += ["--width", String(width), "--aug", "none"] }
      let bytes = try boundaryBytes(dataset: dataset, placement: placement, stages: stages)
      print(
        "bench distributed: \(model) · \(method.rawValue) · \(pipeline.rawValue) over \(ranks) threads vs \(ranks) processes (placement \(placement)), batch \(batchSize), \(limitTrain) samples × \(epochs) epochs, \(rounds) round(s)"
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
        "model": model.rawValue, "method": method.rawValue, "pipeline": pipeline.rawValue, "dataset": dataset.rawValue,
        "ranks": ranks, "placement": placement,
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
        | \(model) · \(method.rawValue) · \(pipeline.rawValue), \(ranks) ranks, batch \(batchSize) | threads (1 process) | processes (Gloo, \(rankCommand.isEmpty ? "loopback" : "over \(masterAddr)")) | processes / threads |
        |---|---|---|---|
        | samples/s (median of \(rounds) round(s)) | \(String(format: "%.1f", threads.median)) | \(String(format: "%.1f", processes.median)) | \(String(format: "%.3f", ratios.median)) |

        Bytes per batch across each rank boundary: \(bytes.map(String.init).joined(separator: ", ")); rank 0's send: \(String(format: "%.2f", sendMs.median)) ms per step (median over rounds).
        Target (VGG width 0.25, batch 128, 2 ranks): processes / threads ≥ 0.85 — \(ratios.median >= 0.85 ? "met" : "not met").

        """
      let isDefault = method == .scpl && pipeline == .async
      try save(
        report, markdown,
        stem: "distributed-\(model.rawValue)" + (isDefault ? "" : "-\(method.rawValue)-\(pipeline.rawValue)"))
    }

    /// `--replicas R`: the replicas as threads, as processes, and one pipeline on R × the batch.
    private func runReplicas() throws {
      let dataset = self.dataset ?? (model.family == .vision ? .fashionMNIST : .bbcNews)
      let components = 4
      let placement = self.placement ?? (0..<components).map { String($0 * ranks / components) }.joined(separator: ",")
      func args(batch: Int) -> [String] {
        var a = [
          "train", "--model", model.rawValue, "--method", "scpl", "--dataset", dataset.rawValue, "--epochs",
          String(epochs), "--batch-size", String(batch), "--limit-train", String(limitTrain), "--limit-test", "100",
          "--threads", "1", "--threads-per-device", "1", "--placement", placement, "--lr-schedule", "constant"
        ]
        if model.family == .vision { a += ["--width", String(width), "--aug", "none"] }
        return a
      }
      let bytes = try allReducedBytes(dataset: dataset)
      print(
        "bench distributed: \(model) · scpl · async, \(replicas) replicas of \(ranks) ranks (placement \(placement)), batch \(batchSize) per replica, \(limitTrain) samples × \(epochs) epochs, \(rounds) round(s)"
      )
      print("bytes all-reduced per step (every component's gradients, on each replica): \(bytes)")
      let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
        "scpl-bench-replicas-\(UUID().uuidString)")
      defer { try? FileManager.default.removeItem(at: scratch) }
      var threads: [Double] = [], processes: [Double] = [], single: [Double] = []
      var ratios: [Double] = [], allreduceMs: [Double] = [], hidden: [Double] = []
      for round in 1...rounds {
        let (a, b, c) = (
          scratch.appendingPathComponent("threads-\(round)"), scratch.appendingPathComponent("processes-\(round)"),
          scratch.appendingPathComponent("single-\(round)")
        )
        let replicated = args(batch: batchSize) + ["--replicas", String(replicas)]
        try runScpl(replicated + ["--devices", String(ranks), "--out", a.path])
        try runScpl(
          ["launch", "--nproc", String(ranks * replicas), "--"] + replicated
            + ["--devices", "1", "--profile", "--out", b.path])
        try runScpl(args(batch: replicas * batchSize) + ["--devices", String(ranks), "--out", c.path])
        let (t, p, o) = (try samplesPerSecond(a), try samplesPerSecond(b), try samplesPerSecond(c))
        let (ms, share) = try allReduceFigures(b)
        threads.append(t); processes.append(p); single.append(o); ratios.append(p / t)
        allreduceMs.append(ms); hidden.append(share)
        print(
          String(
            format:
              "round %d: threads %.1f, processes %.1f (×%.3f), one pipeline on ×%d the batch %.1f samples/s; all-reduce %.2f ms/step, %.0f%% hidden",
            round, t, p, p / t, replicas, o, ms, 100 * share))
      }
      let report: [String: Any] = [
        "model": model.rawValue, "dataset": dataset.rawValue, "ranks_per_replica": ranks, "replicas": replicas,
        "placement": placement, "batch_size_per_replica": batchSize,
        "width": model.family == .vision ? width : NSNull(), "epochs": epochs, "limit_train": limitTrain,
        "rounds": rounds, "threads_samples_per_second": threads, "processes_samples_per_second": processes,
        "one_pipeline_samples_per_second": single, "ratio_per_round": ratios,
        "median_threads_samples_per_second": threads.median, "median_processes_samples_per_second": processes.median,
        "median_one_pipeline_samples_per_second": single.median, "median_ratio": ratios.median,
        "allreduced_bytes_per_step": bytes, "allreduce_ms_per_step": allreduceMs, "allreduce_hidden_share": hidden,
        "libtorch": EngineInfo.libtorchVersion
      ]
      let f = { (x: Double) in String(format: "%.1f", x) }
      let markdown = """
        | \(model) · scpl · async, \(replicas) replicas × \(ranks) ranks, batch \(batchSize) per replica | samples/s (median of \(rounds) round(s)) |
        |---|---|
        | replicas as threads (1 process) | \(f(threads.median)) |
        | replicas as processes (Gloo, loopback) | \(f(processes.median)) |
        | one pipeline, batch \(replicas * batchSize) | \(f(single.median)) |
        | processes / threads (per round, median) | \(String(format: "%.3f", ratios.median)) |

        Each step all-reduces \(bytes) bytes per replica (every component's gradients, one bucket per component); in the \
        processes' trace, all-reduce takes \(String(format: "%.2f", allreduceMs.median)) ms per step, \(String(format: "%.0f", 100 * hidden.median)) % of it \
        while another device of the pipeline computes (medians over rounds).
        Target: processes / threads ≥ 0.85 — \(ratios.median >= 0.85 ? "met" : "not met").

        """
      try save(report, markdown, stem: "distributed-replicas-\(model.rawValue)")
    }

    /// The bytes of every optimizer's parameters of the SCPL method (what each replica all-reduces per step).
    private func allReducedBytes(dataset: DatasetName) throws -> Int {
      let (config, _, model) = try oneBatchModel(dataset: dataset)
      let method = try Methods.make(.scpl, model: model, options: config.methodOptions)
      return method.optimizers.flatMap(\.parameters).reduce(0) { $0 + $1.count * $1.dtype.byteSize }
    }

    /// From a run's trace: all-reduce milliseconds per step (every device's, summed), and the
    /// share of that time during which another device computed (its busy spans, less its own
    /// all-reduces).
    private func allReduceFigures(_ folder: URL) throws -> (msPerStep: Double, hidden: Double) {
      let data = try Data(contentsOf: folder.appendingPathComponent("trace.json"))
      let events =
        (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["traceEvents"] as? [[String: Any]] ?? []
      typealias Interval = (device: Int, start: Double, end: Double)
      var reduces: [Interval] = [], busy: [Interval] = []
      var steps = Set<Int>()
      for e in events where e["ph"] as? String == "X" {
        guard let device = e["tid"] as? Int, let ts = e["ts"] as? Double, let dur = e["dur"] as? Double else {
          continue
        }
        if let batch = (e["args"] as? [String: Any])?["batch"] as? Int { steps.insert(batch) }
        switch e["cat"] as? String {
        case "allreduce": reduces.append((device, ts, ts + dur))
        case "forward", "learn", "step", "transfer": busy.append((device, ts, ts + dur))
        default: break
        }
      }
      func overlap(_ a: Interval, _ b: Interval) -> Double { max(0, min(a.end, b.end) - max(a.start, b.start)) }
      let total = reduces.reduce(0) { $0 + $1.end - $1.start }
      // Per all-reduce, the most any one other device computed during it: its busy time then,
      // less its own all-reduces (with two devices per pipeline, exactly the hidden time).
      func time(_ spans: [Interval], on d: Int, during r: Interval) -> Double {
        spans.filter { $0.device == d }.map { overlap($0, r) }.reduce(0, +)
      }
      var hidden = 0.0
      for r in reduces {
        let others = Set(busy.map(\.device)).subtracting([r.device])
        let computing = others.map { time(busy, on: $0, during: r) - time(reduces, on: $0, during: r) }
        hidden += min(r.end - r.start, max(0, computing.max() ?? 0))
      }
      return (steps.isEmpty ? .nan : total / 1000 / Double(steps.count), total > 0 ? hidden / total : 0)
    }

    /// Writes `report` and `markdown` to <out>/<stem>.json and .md, and prints the Markdown.
    private func save(_ report: [String: Any], _ markdown: String, stem: String) throws {
      let directory = URL(fileURLWithPath: out)
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
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

    /// The benched model, built as the runs build it, and its data of one batch.
    private func oneBatchModel(dataset: DatasetName) throws -> (TrainConfig, LoadedData, StagedModel) {
      var p = PartialTrainConfig()
      p.model = model; p.method = .scpl; p.dataset = dataset; p.batchSize = batchSize; p.limitTrain = batchSize
      p.limitTest = 1
      if model.family == .vision { p.width = width; p.aug = Augmentation.none }
      let data = try DatasetCatalog.load(try p.resolved())
      let config = try p.resolved(fitting: data)
      let built = try ModelFactory.build(
        config, sampleShape: data.sampleShape, classCount: data.classCount, wordVectors: data.wordVectors)
      return (config, data, built)
    }

    /// The bytes one batch carries forward across each boundary between stages (`stages`: the
    /// ranks, or interleaved-1f1b's chunks): the activation the boundary's component hands on
    /// (with its mask, state or label path) and the labels.
    private func boundaryBytes(dataset: DatasetName, placement: String, stages: Int) throws -> [Int] {
      let (_, data, model) = try oneBatchModel(dataset: dataset)
      let layout = try Placement(parsing: placement, componentCount: model.components.count, deviceCount: stages)
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
