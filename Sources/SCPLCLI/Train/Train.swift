import ArgumentParser
import Data
import Foundation
import NN
import SCPL
import Torch

/// `scpl train`: the run options, and a run of the built-in model they name.
struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Train a model with a learning method. With no options: SCPL on a VGG on real Fashion-MNIST.",
    discussion:
      "Every option can also be set in a YAML file given with --config (keys are the long option names); the command line wins."
  )

  @OptionGroup var options: TrainOptions

  func run() throws { try options.train() }
}

/// Every option of `scpl train` — the run options (`--method`, `--epochs`, `--devices`, …, see
/// `TrainConfig`), `--config`, `--resume` and the `--distributed` ones — and the run they
/// describe: run folder, metrics, TensorBoard events, checkpoints, `--resume`, signals, `--times`,
/// probes, `--profile`, and the ranks of a distributed job.
///
/// A program with a network of its own takes them as an option group and trains its network
/// with all of that:
///
/// ```swift
/// @main struct MyNet: ParsableCommand {
///   @OptionGroup var options: TrainOptions
///   func run() throws { try options.train(name: "my-net") { config, input in try buildMyNetwork(input) } }
/// }
/// ```
public struct TrainOptions: ParsableArguments {
  /// The options, all unset; ArgumentParser fills them in as it parses.
  public init() {}

  @Option(
    help:
      "The network (default vgg; in a program with a network of its own, that one unless a built-in one is named)."
  ) var model: ModelKind?
  @Option(help: "The learning method (default scpl).") var method: MethodKind?
  @Option(
    help:
      "The data set (default fashion-mnist; in a program with data of its own, that data unless a built-in set is named)."
  ) var dataset: DatasetName?
  @Option(help: "Directory to read the data set from (default: its place listed by `scpl datasets`).") var dataDir:
    String?
  @Option(help: "Passes over the training set (default 1; 3 in the run with no model, method or data set).") var epochs:
    Int?
  @Option(
    help:
      "Mini-batch size N; strong augmentation trains on 2N rows (default 128; 64 in the run with no model, method or data set)."
  ) var batchSize: Int?
  @Option(help: "Batch size for evaluation (default 1000).") var testBatchSize: Int?
  @Option(help: "Base learning rate of Adam (default 0.001).") var lr: Double?
  @Option(help: "Final learning rate of the cosine schedules (default 1e-5; the constant schedule keeps --lr).")
  var endLr: Double?
  @Option(
    help:
      "cosine (set per epoch, the reference), cosine-step (set per step) or constant (default: cosine for images, constant for text)."
  ) var lrSchedule: LearningRateScheduleKind?
  @Option(help: "Temperature of the contrastive loss (default 0.1).") var temperature: Double?
  @Option(help: "Projection head (default: mlp for images, identity for text).") var projection: ProjectionKind?
  @Option(help: "Number of components (stages) the model is cut into (default 4).") var components: Int?
  @Option(
    help:
      "Multiplier of every channel count: 1.0 is the paper's model (default 1.0; 0.125 in the run with no model, method or data set)."
  ) var width: Double?
  @Option(
    help:
      "Image augmentation (default: strong for SCPL on images, basic for the other methods and for the run with no model, method or data set, none for text)."
  ) var aug: Augmentation?
  @Option(help: "Number of runs, with seeds seed, seed+1, … (default 1).") var times: Int?
  @Option(help: "Seed of the first run (default 1).") var seed: UInt64?
  @Option(help: "Text: tokens kept per document (default: the data set's, listed by `scpl datasets`).") var maxLen: Int?
  @Option(help: "Text: hidden size, the LSTM's per direction or the Transformer's feed-forward (default 300).")
  var hidden: Int?
  @Option(
    help: "Text: attention heads of the Transformer (default: the most, up to 6, that divide the word-vector width).")
  var heads: Int?
  @Option(help: "Text: vocabulary size including pad and unknown (default 30000).") var vocabSize: Int?
  @Option(
    help: "Text: a GloVe-format word-vector file (default: GloVe 6B 50-d in the data cache, prepared by the bootstrap)."
  ) var wordVectors: String?
  @Option(help: "Text: fraction of training labels to replace at random (default 0).") var labelNoise: Double?
  @Option(help: "Use only the first N training samples (default: all).") var limitTrain: Int?
  @Option(help: "Use only the first N test samples (default: all).") var limitTest: Int?
  @Option(help: "Intra-op threads (default: every core).") var threads: Int?
  @Option(help: "Run folder (default runs/<date>-<model>-<method>-<dataset>).") var out: String?
  @Option(help: "ResNet projection shortcut: 3x3 (the reference's, default) or 1x1.") var shortcut: ResNet18.Shortcut?
  @Option(help: "Contrastive divisor: per-anchor (the reference's, default) or batch-total (the appendix's).")
  var divisor: SupervisedContrastiveLoss.Divisor?
  @Option(
    help:
      "Execution: off, nmp, gpipe, 1f1b, interleaved-1f1b or zb-h1 (BP), overlap, async or scpl-gpipe (local methods). Default: async for local methods, nmp for BP on several devices, off on one."
  ) var pipeline: PipelineKind?
  @Option(
    help:
      "Devices: a count, or cpu:0,cpu:1,… or cuda:0,…, or lanes of a GPU (cuda:0x2: two workers, a stream each); on a CPU a device is a worker thread; with --distributed, each rank's (default 1; 2 in the run with no model, method or data set)."
  ) var devices: String?
  @Option(
    help:
      "Component → device by hand, e.g. 0,0,1,1 (default: balanced by each component's measured forward + learning time)."
  ) var placement: String?
  @Option(help: "Intra-op threads of each device's worker (default: --threads divided among the devices).")
  var threadsPerDevice: Int?
  @Option(help: "Batches each device's inbox holds (default 2).") var queueDepth: Int?
  @Option(
    help:
      "Copies of the pipeline, each training on its own --batch-size share of every batch (a global batch of R × --batch-size), their gradients averaged before each update: data parallelism. In one process each copy has workers of its own on the --devices listed; under scpl launch or --distributed the ranks form R pipelines of equal length (default 1)."
  ) var replicas: Int?
  @Option(help: "gpipe, 1f1b, interleaved-1f1b, zb-h1, scpl-gpipe: micro-batches per mini-batch (default 4).")
  var microBatches: Int?
  @Flag(
    help:
      "gpipe, 1f1b, interleaved-1f1b, zb-h1: recompute each micro-batch's forward before its backward instead of keeping its graph."
  )
  var recompute = false
  @Option(
    help:
      "interleaved-1f1b: chunks of the network each device holds (default 2); the network is cut into devices × chunks stages, stage s on device s mod devices, and --placement places components on those stages."
  ) var chunksPerDevice: Int?
  @Flag(help: "Write trace.json (Chrome/Perfetto) and timeline.svg of the last epoch.") var profile = false
  @Flag(
    help:
      "After training, score a linear classifier on each component's features (its test accuracy per component); on in the run with no model, method or data set."
  ) var probe = false
  @Option(help: "Write a checkpoint after every N-th epoch, and after the last (default 1).") var checkpointEvery: Int?
  @Option(
    help:
      "Also write a checkpoint every N steps within an epoch (default: only at epoch ends); the pipeline drains at each, and --resume continues from that step exactly."
  ) var checkpointEverySteps: Int?
  @Option(help: "Checkpoints kept per run under the run folder's checkpoints/, newest first (default 2).")
  var keepCheckpoints: Int?
  @Option(
    help:
      "stop (the default: a loss that becomes NaN or infinite ends the run, naming it) or skip-batch (a batch whose loss or gradients are not finite updates nothing; each epoch counts them)."
  ) var onNan: NonFinitePolicy?
  @Option(
    help:
      "SCPL's local objective: contrastive (the supervised contrastive loss, the paper's; default), cross-entropy (a local classifier through the projection head) or deinforeg (DeInfoReg's invariance, variance and covariance terms)."
  ) var objective: LocalObjectiveKind?
  @Option(help: "Each component's optimizer: adam (default), sgd or lars (LARS, η = 0.001, as DeInfoReg trains).")
  var optimizer: OptimizerKind?
  @Option(help: "SGD's and LARS's momentum (default 0.9).") var momentum: Double?
  @Option(help: "SGD's and LARS's L2 weight decay (default 0).") var weightDecay: Double?
  @Option(help: "Projection heads' hidden width (default: 512 for images, 300 for text).") var headHidden: Int?
  @Option(help: "Projection heads' output width (default: 1024 for images, 300 for text).") var headOut: Int?
  @Option(
    help:
      "A predictor per component, trained beside its local objective: identity (one linear map), linear (two) or mlp (two with a ReLU); each component's test accuracy is reported, and `scpl eval --adaptive` exits at them. scpl, or early-exit's heads (default: none; early-exit: the reference's heads)."
  ) var predictors: PredictorKind?
  @Option(
    help:
      "How much of each predictor's cross-entropy gradient reaches its component (scpl; default 0.001, DecoupleFlow's; 0: the predictors read detached features)."
  ) var predictorWeight: Double?
  @Option(
    help:
      "Grow the network as DASCPL does: train the first component alone, and add component i+1 after epoch E_i (e.g. 1,2,3 with 4 components); joined components keep training, and the last joined one predicts, so it needs a predictor per component: scpl (whose --predictors it sets to mlp unless given) or early-exit (default: every component from the start)."
  ) var growAt: String?
  @Option(help: "A YAML file of options (keys are the long option names; the command line wins).") var config: String?
  @Option(
    help: "Continue an interrupted run folder from its last checkpoint (other options are taken from its config.json).")
  var resume: String?
  @OptionGroup var job: DistributedOptions

  /// The options given on the command line, as a partial config. Every option property is read
  /// by reflection and stored under its config key (the property name in kebab case), so the
  /// options are listed once, above; CLITests checks that every key round-trips.
  var commandLine: PartialTrainConfig {
    get throws {
      var fields: [String: Any] = [:]
      for child in Mirror(reflecting: self).children {
        guard let label = child.label, let option = child.value as? any ParsedOption, let value = option.parsedValue
        else { continue }
        if let number = value as? Double, !number.isFinite {
          throw ConfigError("--\(Self.configKey(label)) must be a finite number, got \(number)")
        }
        fields[Self.configKey(label)] = value
      }
      let json = try JSONSerialization.data(withJSONObject: fields.filter { $0.key != "config" && $0.key != "resume" })
      return try JSONDecoder().decode(PartialTrainConfig.self, from: json)
    }
  }

  /// The options of this run: the YAML file's, then the command line's, then the default run's.
  /// A program's own network (`customModel`) or data (`customData`) is what the run trains
  /// unless `--model` or `--dataset` names a built-in one; the default run does not apply then,
  /// and the program's `defaults` fill in what neither the file nor the command line sets.
  func partialConfig(customModel: Bool = false, customData: Bool = false, defaults: PartialTrainConfig = .init())
    throws -> PartialTrainConfig
  {
    let file = try config.map { try PartialTrainConfig.load(yaml: URL(fileURLWithPath: $0)) } ?? PartialTrainConfig()
    let given = try commandLine
    guard customModel || customData else { return try given.overriding(DefaultRun.apply(to: file, commandLine: given)) }
    var programDefaults = defaults
    // A program's default objective is SCPL's: it does not make a run of another method an error.
    if (given.method ?? file.method ?? defaults.method ?? .scpl) != .scpl { programDefaults.objective = nil }
    var merged = try given.overriding(file).overriding(programDefaults)
    if customModel && merged.model == nil { merged.model = .custom }
    if customData && merged.dataset == nil { merged.dataset = .custom }
    return merged
  }

  /// Builds the network a run's config names: the program's own (`model`) for `--model custom`,
  /// else the built-in one.
  static func builder(_ model: ModelBuilder?) -> ModelBuilder {
    guard let model else { return ModelFactory.build }
    return { config, input in config.model == .custom ? try model(config, input) : try ModelFactory.build(config, input)
    }
  }

  /// Reads the data a run's config names: the program's own (`data`) for `--dataset custom`, else
  /// the catalog's data set.
  static func loadData(_ config: TrainConfig, _ data: DataSource?) throws -> LoadedData {
    guard config.dataset == .custom, let data else { return try DatasetCatalog.load(config) }
    return try data.load(config)
  }

  /// Refuses to `action` ("resume", "evaluate") the run `run` trained with a program's own network
  /// or data when this program does not supply that piece: the folder holds the weights, not the
  /// code that builds or reads them.
  static func requireOwnPieces(
    _ config: TrainConfig, model: ModelBuilder?, data: DataSource?, run: String, action: String
  )
    throws
  {
    if config.model == .custom && model == nil {
      throw ConfigError(
        "\(run) trained a network of its own program's (--model custom); \(action) it with that program")
    }
    if config.dataset == .custom && data == nil {
      throw ConfigError(
        "\(run) trained on data of its own program's (--dataset custom); \(action) it with that program")
    }
  }

  /// Refuses `--model custom` in a program without a network of its own before any data loads.
  static func checkCustomModel(_ config: TrainConfig, _ model: ModelBuilder?) throws {
    if config.model == .custom && model == nil {
      throw ConfigError(
        "--model custom is a network of a program's own (TrainOptions.train(model:)); scpl builds \(ModelKind.choices)")
    }
  }

  static func configKey(_ label: String) -> String { PartialTrainConfig.optionName(ofProperty: label) }

  /// Runs the training these options describe (or continues `--resume`'s run folder), printing
  /// progress as `scpl train` does. `model` builds a network of the program's own for each run
  /// and `data` reads data of its own; each is what the run trains unless `--model` or
  /// `--dataset` names a built-in one (so the program can compare its network with `scpl`'s on
  /// the same data, with the same machinery). `name` goes into the default run folder's name
  /// (`runs/<date>-<name>-<method>-<data>`); `method` changes the method's options the run
  /// options give (a program's own objective, `MethodOptions.customObjective`, or optimizer,
  /// `OptimizerChoice.custom`). `defaults` are the program's own defaults for the run options
  /// (say `--objective deinforeg`): a YAML file or the command line overrides them, and config.json
  /// records what the run used. A stop signal ends the process as `scpl train` does (exit status
  /// 128 + the signal, after the checkpoint).
  public func train(
    name: String? = nil, model: ModelBuilder? = nil, data: DataSource? = nil, defaults: PartialTrainConfig = .init(),
    method: @escaping (inout MethodOptions) -> Void = { _ in }
  ) throws {
    let build = Self.builder(model)
    let world = try job.join()
    let partial = { try partialConfig(customModel: model != nil, customData: data != nil, defaults: defaults) }
    // A job of replicas: every rank forms its groups; each replica's leader drives its own chain.
    let replicas = try world.flatMap {
      try job.replicas(of: $0, partial: partial, resuming: resume.map { URL(fileURLWithPath: $0) })
    }
    let link = replicas.map(\.chain) ?? world
    if let replicas, !replicas.isLeader, let link {
      return try job.serve(
        link, partial: try partial(), buildModel: build, adjustMethodOptions: method, replicas: replicas)
    }
    if replicas == nil, let link, link.rank > 0 {
      return try job.serve(link, partial: try partial(), buildModel: build, adjustMethodOptions: method)
    }
    defer { link?.endJob() }
    if let resume {
      return try resumeRun(
        URL(fileURLWithPath: resume), link: link, replicas: replicas, model: model, data: data, partial: partial,
        adjustMethodOptions: method)
    }
    var given = try partial()
    try link.map { try DistributedJob.agree(on: given, over: $0.group) }
    // Across ranks the pipeline's devices are every rank's: without --pipeline, the schedule is
    // the default for all of them (BP's nmp, not the one-device off).
    if let link, given.pipeline == nil {
      let perRank = try given.devices ?? DeviceSpec(parsing: "1")
      given.pipeline = PipelineKind.defaultKind(for: given.method ?? .scpl, deviceCount: perRank.count * link.worldSize)
    }
    var resolved = try given.resolved(customData: data)
    try Self.checkCustomModel(resolved, model)
    try Threads.setThreadCount(resolved.threads)
    // Everything that can be checked before training is checked before the folder is written.
    let loaded: LoadedData
    (resolved, loaded) = try job.prepare(
      link,
      { () throws -> (TrainConfig, LoadedData) in
        let loaded = try Self.loadData(resolved, data)
        let fitted = try given.resolved(fitting: loaded, customData: data)
        let network = try build(fitted, loaded.modelInput)
        // --placement against the model
        _ = try fitted.pipelineOptions(componentCount: network.components.count, link: link)
        return (fitted, loaded)
      }, job: { DistributedJob(config: $0.0, data: $0.1) })
    // Only replica 0 writes the run folder; another replica's leader keeps its records in a
    // temporary folder, removed when it ends.
    let scratch = replicas.flatMap {
      $0.replica > 0
        ? FileManager.default.temporaryDirectory.appendingPathComponent(
          "scpl-replica\($0.replica)-\(UUID().uuidString)") : nil
    }
    defer { scratch.map { try? FileManager.default.removeItem(at: $0) } }
    let folder =
      try (scratch?.path ?? resolved.out).map { try RunFolder(URL(fileURLWithPath: $0)) }
      ?? RunFolder.createDefault(
        model: resolved.model == .custom ? name ?? "custom" : resolved.model.rawValue, method: resolved.method.rawValue,
        dataset: resolved.dataset == .custom ? data?.name ?? "custom" : resolved.dataset.rawValue)
    try folder.writeConfig(RunConfigRecord(config: resolved, data: loaded))
    print("data: \(loaded.trainName) \(loaded.train.count) samples, \(loaded.testName) \(loaded.test.count) samples")
    if let replicas, scratch != nil {
      print("replica \(replicas.replica) of \(replicas.replicas) (rank 0 writes the run folder)")
    } else {
      print("run folder: \(folder.url.path)")
    }
    let trainer = Self.trainer(
      resolved, loaded, folder, resuming: nil, link: link, replicas: replicas, model: model,
      adjustMethodOptions: method)
    if let replicas, scratch != nil {
      return try Self.following(trainer, replicas, done: "done")
    }
    let summary = try Self.running(trainer)
    print(
      String(
        format: "final test accuracy: %.2f%% (best %.2f%%) on %d test samples%@", 100 * summary.testAccuracyMean,
        100 * summary.bestTestAccuracyMean, loaded.test.count,
        resolved.times > 1
          ? String(format: ", mean of %d runs (best ± %.2f)", resolved.times, 100 * summary.bestTestAccuracyStd) : ""))
    print(Self.picture(summary.runs.first, config: resolved, placement: trainer.placement, folder: folder.url.path))
  }

  /// The leader of replica r > 0 runs its trainer: its records go to a temporary folder, so what
  /// it says names rank 0's run folder instead (a stop ends the process as `running` does).
  static func following(_ trainer: Trainer, _ replicas: DistributedReplicas, done: String) throws {
    let replica = "replica \(replicas.replica) of \(replicas.replicas)"
    do {
      _ = try trainer.run()
    } catch is Trainer.Interrupted {
      FileHandle.standardError.write(
        Data("\(replica) stopped at the step the replicas agreed on; rank 0's run folder keeps the checkpoint\n".utf8))
      throw ExitCode(StopSignals.exitStatus(trainer.stopRequest.signalName))
    }
    print("\(replica) \(done) (rank 0 writes the run folder)")
  }

  /// Runs the trainer; a run stopped by a signal ends the process with 128 + the signal's number
  /// after saying where it stopped and how to continue.
  static func running(_ trainer: Trainer) throws -> RunSummary {
    do {
      return try trainer.run()
    } catch let stop as Trainer.Interrupted {
      FileHandle.standardError.write(Data("\(stop.reason)\n".utf8))
      throw ExitCode(StopSignals.exitStatus(trainer.stopRequest.signalName))
    }
  }

  /// The end of a run: what each component learned (its linear probe's test accuracy, with
  /// --probe), how busy each device was, and where the files are.
  static func picture(_ run: RunSummary.Run?, config: TrainConfig, placement: Placement?, folder: String) -> String {
    var lines: [String] = []
    if let probes = run?.componentProbeAccuracy {
      lines.append("each component's features, read by a linear classifier (test accuracy):")
      for (k, accuracy) in probes.enumerated() {
        let device = placement.map { " (device \($0.deviceOfComponent[k]))" } ?? ""
        lines.append(String(format: "  component %d%@: %.2f%%", k + 1, device, 100 * accuracy))
      }
    }
    if let busy = run?.deviceBusyFraction, busy.count > 1 {
      lines.append(
        "devices busy during the last epoch: "
          + busy.enumerated().map { String(format: "device %d %.0f%%", $0.offset, 100 * $0.element) }.joined(
            separator: ", "))
    }
    lines.append("run folder: \(folder)")
    lines.append(
      "  curves.svg (losses and accuracies per epoch), metrics.jsonl, summary.json, config.json, checkpoints/\(config.profile ? ", trace.json, timeline.svg" : "")"
    )
    let parent = URL(fileURLWithPath: folder).deletingLastPathComponent().path
    lines.append(
      "  TensorBoard event files\(config.times > 1 ? " (run-1/ … run-\(config.times)/)" : ""): tensorboard --logdir \(parent)"
    )
    return lines.joined(separator: "\n")
  }
}

extension TrainOptions {
  /// Continues a run folder: same config, data and seeds; training restarts after the last epoch
  /// whose checkpoint was written, and the metrics, curves and summary are completed.
  func resumeRun(
    _ url: URL, link: RankLink?, replicas: DistributedReplicas? = nil, model: ModelBuilder?, data source: DataSource?,
    partial: () throws -> PartialTrainConfig, adjustMethodOptions: @escaping (inout MethodOptions) -> Void
  ) throws {
    if let config {
      throw ConfigError(
        "--resume continues a run with the options in its config.json; --config \(config) would be ignored, so it is refused (only where the run computes may change: \(TrainConfig.layoutKeys.sorted().map { "--\($0)" }.joined(separator: ", ")))"
      )
    }
    if let replicas, replicas.replica > 0 {
      return try resumeReplica(
        replicas, link: link, model: model, data: source, partial: partial, adjustMethodOptions: adjustMethodOptions)
    }
    let prepared: (TrainConfig, Trainer.ResumePoint, LoadedData, RunFolder)
    do {
      prepared = try prepareResume(url, link: link, model: model, data: source, partial: partial)
    } catch {
      _ = try? replicas?.shareResume(.failure(error))  // the other replicas' leaders hear why
      throw error
    }
    // The other replicas' leaders resume from replica 0's configuration and checkpoint.
    _ = try replicas?.shareResume(.success((prepared.0, prepared.1)))
    let (config, point, data, folder) = prepared
    let trainer = Self.trainer(
      config, data, folder, resuming: point, link: link, replicas: replicas, model: model,
      adjustMethodOptions: adjustMethodOptions)
    print("resuming \(url.path) from run \(point.run + 1), epoch \(point.epoch) of \(config.epochs)")
    let summary = try Self.running(trainer)
    print(
      String(
        format: "final test accuracy: %.2f%% (best %.2f%%)", 100 * summary.testAccuracyMean,
        100 * summary.bestTestAccuracyMean))
  }

  /// Rank 0 of a resume: the run's configuration (with the layout options given), its newest
  /// checkpoint, its data and its folder, held; the other ranks of its chain hear the job.
  private func prepareResume(
    _ url: URL, link: RankLink?, model: ModelBuilder?, data source: DataSource?,
    partial: () throws -> PartialTrainConfig
  ) throws -> (TrainConfig, Trainer.ResumePoint, LoadedData, RunFolder) {
    try job.prepare(
      link,
      { () throws -> (TrainConfig, Trainer.ResumePoint, LoadedData, RunFolder) in
        try link.map { try DistributedJob.agree(on: try partial(), over: $0.group) }
        // The folder is held from here on, so a second process cannot resume it at the same time
        // (inside `prepare`, so that the other ranks of a job hear why this one could not).
        let folder = try RunFolder(resuming: url)
        // The layout options given with --resume (devices, placement, pipeline, threads) replace
        // the run's: a run can continue on other devices or ranks.
        let config = try RunIdentity.read(folder: url).config.withLayout(of: try commandLine)
        try Self.requireOwnPieces(config, model: model, data: source, run: url.path, action: "resume")
        let point = try Trainer.ResumePoint.load(url)
        try Threads.setThreadCount(config.threads)
        return (config, point, try Self.loadData(config, source), folder)
      }, job: { DistributedJob(config: $0.0, data: $0.2) })
  }

  /// The trainer of `config`'s run (from `point`, when resuming), writing to `folder`, with the
  /// stop signals installed for it.
  static func trainer(
    _ config: TrainConfig, _ data: LoadedData, _ folder: RunFolder, resuming point: Trainer.ResumePoint?,
    link: RankLink?, replicas: DistributedReplicas?, model: ModelBuilder?,
    adjustMethodOptions: @escaping (inout MethodOptions) -> Void
  ) -> Trainer {
    let trainer = Trainer(config: config, data: data, folder: folder)
    trainer.buildModel = builder(model)
    trainer.adjustMethodOptions = adjustMethodOptions
    trainer.resume = point
    trainer.link = link
    trainer.replicas = replicas
    StopSignals.install(for: trainer)
    return trainer
  }

  /// The leader of replica r > 0 of a job of replicas that resumes: replica 0's leader sends the
  /// run's configuration and checkpoint; this replica resumes from them, its data read here, its
  /// records in a temporary folder.
  private func resumeReplica(
    _ replicas: DistributedReplicas, link: RankLink?, model: ModelBuilder?, data source: DataSource?,
    partial: () throws -> PartialTrainConfig, adjustMethodOptions: @escaping (inout MethodOptions) -> Void
  ) throws {
    let (config, point, data) = try job.prepare(
      link,
      { () throws -> (TrainConfig, Trainer.ResumePoint, LoadedData) in
        try link.map { try DistributedJob.agree(on: try partial(), over: $0.group) }
        let (config, point) = try replicas.shareResume(nil)
        try Threads.setThreadCount(config.threads)
        return (config, point, try Self.loadData(config, source))
      }, job: { DistributedJob(config: $0.0, data: $0.2) })
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
      "scpl-replica\(replicas.replica)-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: scratch) }
    let folder = try RunFolder(scratch)
    try folder.writeConfig(RunConfigRecord(config: config, data: data))
    let trainer = Self.trainer(
      config, data, folder, resuming: point, link: link, replicas: replicas, model: model,
      adjustMethodOptions: adjustMethodOptions)
    try Self.following(trainer, replicas, done: "resumed and done")
  }
}

/// The project's main job when `scpl train` gets no model, method or data set (`make demo`): SCPL
/// on a narrow VGG (width 0.125) on Fashion-MNIST, pipelined over two devices, sized to pass 88 %
/// test accuracy within about five minutes of training on two cores. It differs from the paper's
/// vision setting (strong augmentation, batch 1024, 200 epochs) because those pay off only over a
/// long run: measured here (README), this run reached 88.7 % after its 3 epochs (289–304 s of
/// training), where strong augmentation at batch 128, the former default, was at 84.2 % after 2.
enum DefaultRun {
  static func apply(to file: PartialTrainConfig, commandLine: PartialTrainConfig) throws -> PartialTrainConfig {
    let merged = try commandLine.overriding(file)
    guard merged.model == nil, merged.method == nil, merged.dataset == nil else { return file }
    var d = file
    d.model = .vgg; d.method = .scpl; d.dataset = .fashionMNIST
    d.width = d.width ?? 0.125
    d.epochs = d.epochs ?? 3
    d.batchSize = d.batchSize ?? 64
    d.aug = d.aug ?? .basic
    d.probe = d.probe ?? true
    // SCPL's point: components train at the same time. Two devices (worker threads with one
    // intra-op thread each) run the async pipeline on the two cores.
    if merged.devices == nil && merged.pipeline == nil { d.devices = try DeviceSpec(parsing: "2") }
    return d
  }
}

/// config.json: the resolved options plus facts about the software and the data.
struct RunConfigRecord: Encodable {
  let config: TrainConfig
  let data: [String: String]
  let software: [String: String]

  init(config: TrainConfig, data: LoadedData) {
    self.config = config
    self.data = data.facts.merging([
      "train": data.trainName, "test": data.testName, "train_samples": String(data.train.count),
      "test_samples": String(data.test.count)
    ]) { a, _ in a }
    software = [
      "libtorch": EngineInfo.libtorchVersion, "blas": EngineInfo.blas, "scpl-swift": "0.1.0",
      "openblas_coretype": ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "auto",
      "host_memory": EngineInfo.hostMemory
    ]
  }
}

/// An option or flag as a JSON value (nil when not given), for `TrainOptions.commandLine`.
protocol ParsedOption {
  var parsedValue: Any? { get }
}

/// What JSON holds for one option's value: numbers and text as themselves, the closed sets by
/// their names.
private func jsonValue(_ value: Any) -> Any {
  switch value {
  case let choice as any RawRepresentable<String>: return choice.rawValue
  case let n as UInt64: return NSNumber(value: n)
  default: return value
  }
}

extension Option: ParsedOption {
  var parsedValue: Any? {
    // An optional option not given is nil; Mirror opens the Optional whatever it wraps.
    let value: Any = wrappedValue
    let mirror = Mirror(reflecting: value)
    guard mirror.displayStyle == .optional else { return jsonValue(value) }
    return mirror.children.first.map { jsonValue($0.value) }
  }
}

extension Flag: ParsedOption where Value == Bool {
  /// A flag counts only when set, so a YAML file's `true` is not undone by its absence here.
  var parsedValue: Any? { wrappedValue ? true : nil }
}
