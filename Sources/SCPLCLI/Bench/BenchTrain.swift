import ArgumentParser
import Data
import Foundation
import SCPL
import Torch

extension Bench {
  struct TrainSteps: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "train",
      abstract:
        "Time training steps of one model for every method × pipeline × batch size, on synthetic batches (or real ones with --real).",
      discussion: """
        Every method in --methods runs under every pipeline in --pipelines that serves it (nmp and gpipe \
        serve bp only; overlap, async and scpl-gpipe the local methods; off all), at every batch size in \
        --batch-sizes; the pairs that do not apply are listed and skipped. --runs method:pipeline,... names \
        the pairs instead. Each configuration builds the model from the same seed, feeds --warmup untimed \
        and --steps timed batches (copies of one random batch of --input's or --seq-len's shape, or the \
        first batches of a real data set's loader with --real), and reports the median and minimum time \
        per step (the interval between consecutive batches leaving the executor), samples/s, each \
        device's busy fraction and the simulator's prediction. With --rounds R every configuration is \
        timed R times, one round after another over all configurations (so that drifting machine load \
        hits them alike), and each figure is the median over the rounds. A run with pipeline 'off' uses one device \
        with devices × threads-per-device intra-op threads, the same cores as the pipelines. Results go \
        to <out>/<stem>.json and .md, a chart of seconds per epoch by batch size to <out>/<stem>.svg, \
        and with --json to that file too (one record per configuration).
        """)

    @Option(
      help: "vgg, resnet18, convnet, lstm or transformer (text models get random 300-d word vectors unless --real).")
    var model: ModelKind = .vgg

    @Option(help: "Comma-separated methods: bp, scpl, early-exit, al (default bp,scpl).")
    var methods: String?

    @Option(
      help:
        "Comma-separated pipelines: off, nmp, overlap, async, gpipe, scpl-gpipe, 1f1b, interleaved-1f1b, zb-h1 (default nmp,overlap,async)."
    )
    var pipelines: String?

    @Option(
      help: "Comma-separated method:pipeline pairs, instead of --methods and --pipelines (e.g. scpl:async,bp:nmp).")
    var runs: String?

    @Option(
      name: [.customLong("batch-sizes"), .customLong("batch-size")],
      help: "Comma-separated batch sizes; every run is timed at each.")
    var batchSizes = "128"

    @Option(
      help: "Devices: cpu:0,cpu:1,… or cuda:0,…, lanes of a GPU (cuda:0x4: four workers, a stream each), or a count.")
    var devices = "2"

    @Option(help: "libtorch intra-op threads per device.")
    var threadsPerDevice = 1

    @Option(help: "Timed steps per configuration.")
    var steps = 10

    @Option(
      help:
        "Rounds: every configuration is timed once per round, rounds interleaved; a record holds the median over rounds."
    )
    var rounds = 1

    @Option(help: "Untimed steps first (default: max(2, devices)).")
    var warmup: Int?

    @Option(help: "Channel width multiplier of vision models.")
    var width = 0.25

    @Option(help: "Vision models: one sample's shape CxHxW (default 3x32x32; e.g. 1x28x28).")
    var input: String?

    @Option(
      help: "Text models: tokens per sample (default 60; with --real, the length sequences are cut or padded to).")
    var seqLen: Int?

    @Option(help: "Number of components the model is cut into.")
    var components = 4

    @Option(help: "Number of classes of the synthetic labels (default 10; with --real the data set's).")
    var classes: Int?

    @Option(help: "Samples in one epoch, for the chart's seconds per epoch (default: CIFAR-10's 50000).")
    var epochSamples = BenchRecord.cifar10TrainingSamples

    @Flag(
      help: "Feed a real data set through the loader instead of synthetic batches (loading included in the timing).")
    var real = false

    @Option(help: "With --real: the data set (default fashion-mnist for vision models, bbc-news for text models).")
    var dataset: DatasetName?

    @Option(help: "With --real: the data set's directory (default: where scpl train looks).")
    var dataDir: String?

    @Option(help: "With --real: loader threads preparing batches in the background.")
    var loaderThreads = 1

    @Option(help: "Explicit placement, one device index per component (e.g. 0,0,1,1); default: balanced.")
    var placement: String?

    @Option(
      help:
        "Cost the balanced placement evens out: step-time (forward + local loss + backward), forward-time or parameters."
    )
    var costEstimate = "step-time"

    @Option(help: "Capacity of each device's inbox.")
    var queueDepth = 2

    @Option(help: "gpipe, 1f1b, interleaved-1f1b, zb-h1 and scpl-gpipe: micro-batches per batch.")
    var microBatches = 4

    @Flag(help: "gpipe: recompute each micro-batch's forward before its backward.")
    var recompute = false

    @Option(help: "interleaved-1f1b: chunks of the network each device holds.")
    var chunksPerDevice = 2

    @Option(help: "Directory for the JSON, Markdown and SVG results.")
    var out = "bench-results"

    @Option(help: "File name (without extension) of the results.")
    var stem = "train"

    @Option(help: "Also write the records (one per configuration) as a JSON array to this file.")
    var json: String?

    @Option(
      help:
        "Also write each method's measured per-component costs, per micro-batch of batch-size / micro-batches rows, as `scpl simulate --costs` files <dir>/<model>-<method>-costs.json (one stage per component)."
    )
    var stageCosts: String?

    @Option(
      help: "Also write a Chrome trace per configuration into this directory (trace-<method>-<pipeline>-b<batch>.json)."
    )
    var trace: String?

    func validate() throws {
      let counts = [
        ("--steps", steps), ("--rounds", rounds), ("--threads-per-device", threadsPerDevice),
        ("--queue-depth", queueDepth),
        ("--components", components), ("--micro-batches", microBatches), ("--epoch-samples", epochSamples),
        ("--chunks-per-device", chunksPerDevice)
      ]
      if let (name, value) = counts.first(where: { $0.1 < 1 }) {
        throw ValidationError("\(name) must be at least 1, got \(value)")
      }
      if let warmup, warmup < 0 { throw ValidationError("--warmup cannot be negative, got \(warmup)") }
      if let classes, classes < 2 { throw ValidationError("--classes must be at least 2, got \(classes)") }
      if loaderThreads < 0 { throw ValidationError("--loader-threads cannot be negative, got \(loaderThreads)") }
      guard width > 0 else { throw ValidationError("--width must be positive, got \(width)") }
      guard !stem.isEmpty, !stem.contains("/") else {
        throw ValidationError("--stem must be a file name without '/', got '\(stem)'")
      }
    }

    /// Everything the timing loop needs, resolved and checked before the first step is timed.
    struct Resolved {
      var spec: DeviceSpec
      var plan: BenchPlan
      var input: BenchInput
      var placement: Placement?
      var costEstimate: CostEstimate
      var makeModel: () throws -> StagedModel
      /// nil: synthetic batches; else a loader per batch size.
      var makeLoader: ((Int) throws -> DataLoader)?
      var inputName: String
    }

    func resolve() throws -> Resolved {
      do {
        let spec = try DeviceSpec(parsing: devices)
        let plan = try BenchPlan.parse(
          methods: methods, pipelines: pipelines, runs: runs, batchSizes: batchSizes, devices: spec.count)
        let input = try BenchInput.resolve(model: model, input: input, seqLen: seqLen)
        let placement = try self.placement.map {
          try Placement(parsing: $0, componentCount: components, deviceCount: spec.count)
        }
        if placement != nil, plan.runs.contains(where: { $0.pipeline == .interleaved1F1B }) {
          throw ValidationError(
            "--placement places components on the \(spec.count) devices, but interleaved-1f1b places them on \(spec.count * chunksPerDevice) stages (\(chunksPerDevice) per device): leave --placement out, or bench interleaved-1f1b on its own"
          )
        }
        let costEstimate = try CostEstimate(parsing: self.costEstimate)
        if !real, dataset != nil || dataDir != nil {
          throw ValidationError("--dataset and --data-dir apply with --real only")
        }
        var resolved = Resolved(
          spec: spec, plan: plan, input: input, placement: placement, costEstimate: costEstimate,
          makeModel: { try buildSyntheticModel(input) }, makeLoader: nil, inputName: "synthetic \(input)")
        if real { try useRealData(&resolved) }
        // Building the model once finds a shape it cannot take (e.g. an image too small for its
        // pooling) before anything is timed.
        try Torch.manualSeed(1)
        _ = try resolved.makeModel()
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        if let trace { try FileManager.default.createDirectory(atPath: trace, withIntermediateDirectories: true) }
        if let json {
          let parent = URL(fileURLWithPath: json).deletingLastPathComponent().path
          guard FileManager.default.fileExists(atPath: parent) else {
            throw ValidationError("--json \(json): the directory \(parent) does not exist")
          }
        }
        return resolved
      } catch let error as ValidationError {
        throw error
      } catch {
        throw ValidationError("\(error)")
      }
    }

    /// --real: loads the data set now (its shape and classes replace --input and --classes) and
    /// makes a loader per batch size, as `scpl train` would, but with full batches only.
    func useRealData(_ resolved: inout Resolved) throws {
      guard input == nil else {
        throw ValidationError("--input shapes synthetic batches; with --real the data set decides the input")
      }
      guard classes == nil else {
        throw ValidationError("--classes labels synthetic batches; with --real the data set has its own classes")
      }
      let family = model.family
      var partial = PartialTrainConfig()
      partial.model = model
      partial.dataset = dataset ?? (family == .vision ? .fashionMNIST : .bbcNews)
      partial.dataDir = dataDir
      partial.components = components
      partial.width = width
      partial.maxLen = seqLen
      // One view per sample: strong augmentation stacks two, which would double every batch.
      partial.aug = family == .vision ? .basic : Augmentation.none
      let data = try DatasetCatalog.load(try partial.resolved())
      let config = try partial.resolved(fitting: data)
      let threads = loaderThreads
      resolved.makeModel = {
        try ModelFactory.build(
          config, sampleShape: data.sampleShape, classCount: data.classCount, wordVectors: data.wordVectors)
      }
      resolved.makeLoader = { batchSize in
        try DataLoader(
          data.train, batchSize: batchSize, seed: 1, shuffle: true, dropLast: true, workerThreads: threads, prefetch: 4)
      }
      resolved.inputName =
        "\(config.dataset) (\(data.sampleShape.map(String.init).joined(separator: "x")), \(data.classCount) classes) through the loader with \(threads) thread(s)"
    }

    func run() throws {
      let r = try resolve()
      if let stageCosts { try writeStageCosts(r, to: URL(fileURLWithPath: stageCosts)) }
      for skip in r.plan.skipped { print("skipped \(skip.run): \(skip.reason)") }
      let sizes = r.plan.batchSizes.map(String.init).joined(separator: ",")
      var report = BenchReport(
        title:
          "Training step time: \(model)\(model.family == .vision ? " width \(width)" : ""), \(components) components, \(r.inputName), batch sizes \(sizes) (libtorch \(EngineInfo.libtorchVersion), \(EngineInfo.blas), \(EngineInfo.hostMemory))",
        columns: BenchRecord.columns)
      let loadBefore = loadAverage()
      // A balanced placement is measured, so two measurements can split the model differently;
      // every multi-device pipeline of a method at a batch size reuses the first one's split, so
      // the schedules are compared on the same placement.
      var measuredPlacements: [String: Placement] = [:]
      let configurations = r.plan.batchSizes.flatMap { batchSize in r.plan.runs.map { (batchSize: batchSize, run: $0) }
      }
      var roundsOf = Array(repeating: [BenchRecord](), count: configurations.count)
      for round in 1...rounds {
        for (index, (batchSize, run)) in configurations.enumerated() {
          // interleaved-1f1b's placement is over its stages, not the devices.
          let placementKey = "\(run.method.rawValue) \(batchSize)\(run.pipeline == .interleaved1F1B ? " stages" : "")"
          var options = PipelineOptions(kind: run.pipeline, devices: r.spec)
          options.threadsPerDevice = threadsPerDevice
          options.queueDepth = queueDepth
          options.microBatches = microBatches
          options.recompute = recompute && run.pipeline == .gpipe
          options.chunksPerDevice = chunksPerDevice
          options.costEstimate = r.costEstimate
          if run.pipeline == .off {
            // The sequential reference on one device with the same cores as the pipelines.
            options.devices = try DeviceSpec([r.spec.devices[0]])
            options.threadsPerDevice = threadsPerDevice * r.spec.count
          } else {
            options.placement = r.placement ?? measuredPlacements[placementKey]
          }
          var setup = TrainingBenchmark.Setup(method: run.method, pipeline: options, batchSize: batchSize)
          setup.steps = steps
          setup.warmup = warmup
          if case .tokens(let length) = r.input { setup.textLength = length }
          if let makeLoader = r.makeLoader { setup.batches = .loader(try makeLoader(batchSize)) }
          let result = try TrainingBenchmark.run(setup, makeModel: r.makeModel)
          if run.pipeline != .off && measuredPlacements[placementKey] == nil {
            measuredPlacements[placementKey] = result.placement
          }
          let record = BenchRecord(
            model: model.rawValue, method: run.method, threadsPerDevice: options.threadsPerDevice, result: result,
            epochSamples: epochSamples)
          roundsOf[index].append(record)
          let busy = result.busyFractions.map { String(format: "%.2f", $0) }.joined(separator: "/")
          let predicted =
            record.predictedStepSeconds.map {
              String(format: ", simulator predicts %.4f s (efficiency %.0f%%)", $0, 100 * (record.efficiency ?? 0))
            } ?? ""
          print(
            String(
              format:
                "%@batch %d %@: median %.4f s/step, min %.4f s, %.0f samples/s, %.1f s/epoch, placement %@, busy %@%@",
              rounds > 1 ? "round \(round)/\(rounds) " : "", batchSize, run.description, record.stepSecondsMedian,
              record.stepSecondsMin, record.samplesPerSecond, record.epochSeconds, record.placement, busy, predicted))
          if let trace, round == 1 {
            let url = URL(fileURLWithPath: trace).appendingPathComponent(
              "trace-\(run.method.rawValue)-\(run.pipeline.rawValue)-b\(batchSize).json")
            try ChromeTrace.write(result.timeline, to: url)
            print("  trace: \(url.path)")
          }
        }
      }
      let records = try roundsOf.map(BenchRecord.medianOverRounds)
      for record in records { report.add(record.row) }
      report.notes =
        [
          "Step time = interval between consecutive batches leaving the executor (throughput), after \(warmup.map(String.init) ?? "max(2, devices)") untimed warm-up steps.",
          rounds > 1
            ? "\(rounds) rounds, interleaved (every configuration once per round); each figure is the median over the rounds of that round's figure, step_seconds_min the fastest step of all rounds."
            : "One round.",
          "busy_fraction = per-device fraction of the timed window spent in forward / learn / transfer (the rest idle or blocked).",
          "predicted_step_seconds = `scpl simulate`'s steady time per step for the run's schedule, fed with the per-device forward and learn times measured in the same run; efficiency = predicted / measured (1 = the pipeline achieves the model's ideal).",
          "epoch_seconds = step_seconds_median × ⌈\(epochSamples) / batch_size⌉.",
          "'off' runs on one device with devices × threads-per-device intra-op threads.",
          "page_faults_per_step / system_seconds_per_step = the whole process's minor page faults and kernel time over the timed steps, per step (getrusage); CPU tensors come from \(EngineInfo.hostMemory).",
          "Load average (1 min) before / after: \(loadBefore) / \(loadAverage()); other processes on the machine distort timings."
        ] + r.plan.skipped.map { "Skipped \($0.run): \($0.reason)" }
      var files = try report.save(to: URL(fileURLWithPath: out), stem: stem)
      let svgURL = URL(fileURLWithPath: out).appendingPathComponent("\(stem).svg")
      let chart = EpochTimeChart.svg(
        title: "Time per epoch: \(model), \(r.inputName)", bars: EpochTimeChart.bars(records),
        epochSamples: epochSamples)
      try Data(chart.utf8).write(to: svgURL, options: .atomic)
      files.append(svgURL)
      if let json {
        let url = URL(fileURLWithPath: json)
        try report.json().write(to: url, options: .atomic)
        files.append(url)
      }
      print("\n" + report.markdown)
      print("saved \(files.map(\.path).joined(separator: ", ")) (the .svg charts seconds per epoch by batch size)")
    }

    func buildSyntheticModel(_ input: BenchInput) throws -> StagedModel {
      let classes = self.classes ?? 10
      switch (model, input.imageShape) {
      case (.vgg, let shape?):
        return try VGG.build(sampleShape: shape, classes: classes, components: components, width: width)
      case (.resnet18, let shape?):
        return try ResNet18.build(sampleShape: shape, classes: classes, components: components, width: width)
      case (.convnet, let shape?):
        return try ConvNet.build(sampleShape: shape, classes: classes, components: components, width: width)
      case (.lstm, nil), (.transformer, nil):
        return try TextModels.build(
          model == .lstm ? .lstm : .transformer, vectors: Tensor.randn([2000, 300]),
          classes: classes, components: components)
      default:
        throw ValidationError("--model \(model) does not take \(input)")
      }
    }

    func loadAverage() -> String {
      (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(String.init)
        ?? "?"
    }
  }
}

extension Bench.TrainSteps {
  /// `--stage-costs`: for each method of the plan, every component's forward and learning time
  /// on a probe of one micro-batch's rows (`CostEstimate`, as placement measures them; the
  /// backward is the learning time less the forward, which for BP includes a stand-in loss), as
  /// a costs file the simulator reads. Loss, update and transfer are left at 0: on CPU workers the
  /// hand-off is a reference, and the update is small beside the passes.
  func writeStageCosts(_ r: Resolved, to dir: URL) throws {
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let rows = Swift.max(1, (r.plan.batchSizes.first ?? 128) / microBatches)
    for methodKind in Set(r.plan.runs.map(\.method)).sorted(by: { $0.rawValue < $1.rawValue }) {
      try Torch.manualSeed(1)
      let model = try r.makeModel()
      let method = try Methods.make(methodKind, model: model)
      let probe = try TrainingBenchmark.syntheticBatch(model, batchSize: rows).inputs
      let forward = try CostEstimate.forwardTime.costs(of: model, probe: probe)
      let step = try CostEstimate.stepTime.costs(of: method, probe: probe)
      let stages = zip(forward, step).map { f, s in
        StageCosts(forward: f * 1000, loss: 0, backward: Swift.max(s - f, 0) * 1000, update: 0)
      }
      let costs = ScheduleSimulator.CostModel(
        name: "\(model.name)-\(methodKind.rawValue)", stages: stages, microBatches: microBatches)
      let file = dir.appendingPathComponent("\(model.name)-\(methodKind.rawValue)-costs.json")
      try costs.json().write(to: file, options: .atomic)
      print(
        "wrote \(file.path): per component, ms per micro-batch of \(rows) rows: "
          + stages.map { String(format: "forward %.2f backward %.2f", $0.forward, $0.backward) }.joined(separator: "; ")
      )
    }
  }
}
