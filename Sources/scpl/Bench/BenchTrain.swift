import ArgumentParser
import Foundation
import SCPL
import Torch

extension Bench {
  struct TrainSteps: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "train",
      abstract: "Time training steps of one model under several method:pipeline pairs, on synthetic batches.",
      discussion: """
        Each run builds the model from the same seed, feeds --warmup untimed and --steps timed copies of one \
        random batch, and reports the median and minimum time per step (the interval between consecutive \
        batches leaving the executor) and each device's busy fraction. A run with pipeline 'off' uses one \
        device with devices × threads-per-device intra-op threads, the same cores as the pipelines.
        """)

    @Option(help: "vgg, resnet18, convnet, lstm or transformer (text models get random 300-d word vectors).")
    var model = "vgg"

    @Option(help: "Channel width multiplier of vision models.")
    var width = 0.25

    @Option(help: "Number of components the model is cut into.")
    var components = 4

    @Option(help: "Rows per batch.")
    var batchSize = 128

    @Option(help: "Vision inputs are 3×S×S.")
    var imageSize = 32

    @Option(help: "Number of classes.")
    var classes = 10

    @Option(help: "Comma-separated method:pipeline pairs (methods bp, scpl, early-exit, al; pipelines off, nmp, overlap, async, gpipe, scpl-gpipe).")
    var runs = "scpl:async,scpl:overlap,bp:nmp"

    @Option(help: "Devices: cpu:0,cpu:1,… or cuda:0,… or a count.")
    var devices = "2"

    @Option(help: "libtorch intra-op threads per device.")
    var threadsPerDevice = 1

    @Option(help: "Explicit placement, one device index per component (e.g. 0,0,1,1); default: balanced.")
    var placement: String?

    @Option(help: "Cost the balanced placement evens out: step-time (forward + local loss + backward), forward-time or parameters.")
    var costEstimate = "step-time"

    @Option(help: "Capacity of each device's inbox.")
    var queueDepth = 2

    @Option(help: "gpipe and scpl-gpipe: micro-batches per batch.")
    var microBatches = 4

    @Flag(help: "gpipe: recompute each micro-batch's forward before its backward.")
    var recompute = false

    @Option(help: "Timed steps per run.")
    var steps = 10

    @Option(help: "Untimed steps first (default: max(2, devices)).")
    var warmup: Int?

    @Option(help: "Directory for the JSON and Markdown results.")
    var out = "bench-results"

    @Option(help: "File name (without extension) of the results.")
    var stem = "train"

    @Option(help: "Also write a Chrome trace per run into this directory (trace-<method>-<pipeline>.json).")
    var trace: String?

    func validate() throws {
      guard batchSize >= 1, steps >= 1, threadsPerDevice >= 1, queueDepth >= 1, components >= 1, microBatches >= 1 else {
        throw ValidationError("--batch-size, --steps, --threads-per-device, --queue-depth, --components and --micro-batches must be at least 1")
      }
      guard width > 0 else { throw ValidationError("--width must be positive, got \(width)") }
    }

    func run() throws {
      let spec = try DeviceSpec(parsing: devices)
      let pairs = try runs.split(separator: ",").map { item -> (MethodKind, PipelineKind) in
        let parts = item.split(separator: ":")
        guard parts.count == 2 else { throw ValidationError("--runs: '\(item)' is not method:pipeline") }
        return (try MethodKind(parsing: String(parts[0])), try PipelineKind(parsing: String(parts[1])))
      }
      var report = BenchReport(
        title: "Training step time: \(model) width \(width), \(components) components, batch \(batchSize) (libtorch \(EngineInfo.libtorchVersion), \(EngineInfo.blas))",
        columns: ["method", "pipeline", "devices", "threads_per_device", "placement", "steps", "median_s", "min_s",
                  "samples_per_s", "busy", "predicted_s", "efficiency"])
      let loadBefore = loadAverage()
      for (method, kind) in pairs {
        var options = PipelineOptions(kind: kind, devices: spec)
        options.threadsPerDevice = threadsPerDevice
        options.queueDepth = queueDepth
        options.microBatches = microBatches
        options.recompute = recompute && kind == .gpipe
        options.costEstimate = try CostEstimate(parsing: costEstimate)
        if kind == .off {
          // The sequential reference on one device with the same cores as the pipelines.
          options.devices = try DeviceSpec([spec.devices[0]])
          options.threadsPerDevice = threadsPerDevice * spec.count
        } else if let placement {
          options.placement = try Placement(parsing: placement, componentCount: components, deviceCount: spec.count)
        }
        var setup = TrainingBenchmark.Setup(method: method, pipeline: options, batchSize: batchSize)
        setup.steps = steps
        setup.warmup = warmup
        let result = try TrainingBenchmark.run(setup, makeModel: buildModel)
        let busy = result.busyFractions.map { String(format: "%.2f", $0) }.joined(separator: "/")
        let predicted = result.predictedStepSeconds.map { String(format: ", simulator predicts %.4f s (efficiency %.0f%%)", $0, 100 * $0 / result.median) } ?? ""
        print(String(format: "%@ %@: median %.4f s/step, min %.4f s, %.0f samples/s, placement %@, busy %@%@",
                     method.rawValue, kind.rawValue, result.median, result.min, result.samplesPerSecond,
                     result.placement.description, busy, predicted))
        report.add(["method": .text(method.rawValue), "pipeline": .text(kind.rawValue),
                    "devices": .text(options.devices.description), "threads_per_device": .integer(options.threadsPerDevice),
                    "placement": .text(result.placement.description), "steps": .integer(result.stepSeconds.count),
                    "median_s": .number(result.median), "min_s": .number(result.min),
                    "samples_per_s": .number(result.samplesPerSecond), "busy": .numbers(result.busyFractions),
                    "predicted_s": result.predictedStepSeconds.map { .number($0) } ?? .text("–"),
                    "efficiency": result.predictedStepSeconds.map { .number($0 / result.median) } ?? .text("–")])
        if let trace {
          try FileManager.default.createDirectory(atPath: trace, withIntermediateDirectories: true)
          let url = URL(fileURLWithPath: trace).appendingPathComponent("trace-\(method.rawValue)-\(kind.rawValue).json")
          try ChromeTrace.write(result.timeline, to: url)
          print("  trace: \(url.path)")
        }
      }
      report.notes = [
        "Step time = interval between consecutive batches leaving the executor (throughput), after \(warmup.map(String.init) ?? "max(2, devices)") untimed warm-up steps.",
        "busy = per-device fraction of the timed window spent in forward / learn / transfer (the rest idle or blocked).",
        "predicted_s = `scpl simulate`'s steady time per step for the run's schedule, fed with the per-device forward and learn times measured in the same run; efficiency = predicted / measured (1 = the pipeline achieves the model's ideal).",
        "'off' runs on one device with devices × threads-per-device intra-op threads.",
        "Load average (1 min) before / after: \(loadBefore) / \(loadAverage()); other processes on the machine distort timings.",
      ]
      let files = try report.save(to: URL(fileURLWithPath: out), stem: stem)
      print("\n" + report.markdown)
      print("saved \(files.map(\.path).joined(separator: " and "))")
    }

    func buildModel() throws -> StagedModel {
      switch model {
      case "vgg": return try VGG.build(sampleShape: [3, imageSize, imageSize], classes: classes, components: components, width: width)
      case "resnet18": return try ResNet18.build(sampleShape: [3, imageSize, imageSize], classes: classes, components: components, width: width)
      case "convnet": return try ConvNet.build(sampleShape: [3, imageSize, imageSize], classes: classes, components: components, width: width)
      case "lstm", "transformer":
        return try TextModels.build(model == "lstm" ? .lstm : .transformer, vectors: Tensor.randn([2000, 300]),
                                    classes: classes, components: components)
      default:
        throw ValidationError("--model \(model): expected vgg, resnet18, convnet, lstm or transformer")
      }
    }

    func loadAverage() -> String {
      (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(String.init) ?? "?"
    }
  }
}
