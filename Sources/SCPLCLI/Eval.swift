import ArgumentParser
import Data
import Foundation
import SCPL
import Torch

/// `scpl eval`: a saved model's accuracy on a data set's test split, with every head's for the
/// methods that have them (Early Exit, AL).
struct Eval: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract:
      "Evaluate a checkpoint on a data set's test split: its accuracy, each component's predictor's or head's (scpl --predictors, early-exit, al), and with --adaptive an early exit per sample."
  )

  @OptionGroup var options: EvalOptions

  func run() throws { print(try evaluate().text) }

  /// The built-in pieces' evaluation (what `run` prints, and the tests read).
  func evaluate() throws -> (result: Evaluation.Result, text: String) { try options.evaluate() }
}

/// The options of `scpl eval`, and the evaluation they describe: a checkpoint (or a run folder's
/// newest valid one) rebuilt with its run's configuration and scored on a test split. A program
/// with a network or data of its own takes them as an option group and passes its own pieces,
/// as it does to `TrainOptions.train`:
///
/// ```swift
/// struct Evaluate: ParsableCommand {
///   @OptionGroup var options: EvalOptions
///   func run() throws { print(try options.evaluate(model: myNetwork, data: myData).text) }
/// }
/// ```
public struct EvalOptions: ParsableArguments {
  /// The options, all unset; ArgumentParser fills them in as it parses.
  public init() {}

  @Option(
    help:
      "A checkpoint file (a run folder's checkpoints/run<R>-epoch<E>.safetensors), or a run folder (its newest valid checkpoint)."
  )
  var checkpoint: String
  @Option(
    help:
      "Data set to evaluate on (default: the run's; another one must have the same input shape and classes, and for text the run's own vocabulary, so only the run's)."
  )
  var dataset: DatasetName?
  @Option(help: "Where that data set's files are (default: as `scpl datasets` lists).") var dataDir: String?
  @Option(help: "Use only the first N test samples (default: all).") var limitTest: Int?
  @Option(help: "Samples per evaluation batch (default: the run's --test-batch-size).") var batchSize: Int?
  @Option(
    help:
      "Adaptive inference per sample: confidence:P (exit at the first predictor whose top softmax exceeds P), patience:N (N consecutive predictors agree) or agreement:C (adjacent predictors agree, logits' cosine ≥ C). Needs a predictor per component (scpl --predictors, early-exit, al)."
  ) var adaptive: String?
  @Flag(help: "With --adaptive: evaluate a range of the rule's thresholds and draw accuracy against compute.")
  var sweep = false
  @Flag(
    help:
      "With --adaptive: decide per batch, as DecoupleFlow does (a batch goes on until every sample in it may exit), for comparison."
  ) var perBatch = false
  @Option(help: "With --adaptive: write the result (and the sweep's points) as JSON to this file.") var json: String?
  @Option(
    help:
      "With --adaptive: predict through a placement on these devices, as training does (default: the run's --devices; on several, the run's pipeline and placement, a balanced one balanced again by forward time)."
  ) var devices: String?
  @Option(help: "With --sweep: where to draw the curve (default: adaptive.svg in the checkpoint's run folder).")
  var plot: String?

  /// Refuses a test limit below 1 and a batch size out of range, before anything loads.
  public func validate() throws {
    if adaptive == nil, sweep || perBatch || json != nil || plot != nil {
      throw ValidationError(
        "--sweep, --per-batch, --json and --plot describe an adaptive evaluation; give --adaptive RULE too")
    }
    if plot != nil && !sweep { throw ValidationError("--plot draws the sweep's curve; give --sweep too") }
    if devices != nil && adaptive == nil {
      throw ValidationError("--devices places an adaptive evaluation; give --adaptive RULE too")
    }
    if let adaptive { _ = try ExitRule(parsing: adaptive) }
    if let limitTest, limitTest < 1 { throw ValidationError("--limit-test must be at least 1, got \(limitTest)") }
    if let batchSize, !(1...TrainConfig.Limits.batchSize).contains(batchSize) {
      throw ValidationError("--batch-size must be between 1 and \(TrainConfig.Limits.batchSize), got \(batchSize)")
    }
  }

  /// The accuracies, and the lines `scpl eval` prints. `model` builds the network of a run that
  /// trained a program's own (`--model custom`), `data` reads its data (`--dataset custom`), and
  /// `method` makes the same changes to the method's options the training run made (a program's
  /// own objective or optimizer, whose modules the checkpoint holds).
  public func evaluate(
    model: ModelBuilder? = nil, data source: DataSource? = nil, method: (inout MethodOptions) -> Void = { _ in }
  ) throws -> (result: Evaluation.Result, text: String) {
    let (file, name, identity, folder) = try Self.open(URL(fileURLWithPath: checkpoint))
    var config = identity.config
    if let dataset, dataset != config.dataset {
      // A program's own data is text when its source says so (without the source, the model
      // decides whether the other set fits).
      let family = config.dataset == .custom ? source?.family : try DatasetCatalog.entry(config.dataset).family
      guard family != .text else {
        throw ConfigError(
          "the checkpoint's model reads \(config.dataset)'s vocabulary; a text model can only be evaluated on the data set it was trained on"
        )
      }
      config.dataset = dataset
      config.dataDir = dataDir
    } else if let dataDir {
      config.dataDir = dataDir
    }
    config.limitTest = limitTest
    // After the data set is chosen: a run of a program's own data evaluated on a built-in set
    // does not need that program's data.
    try TrainOptions.requireOwnPieces(
      config, model: model, data: source, run: "the checkpoint's run", action: "evaluate")
    let data = try TrainOptions.loadData(config, source)
    let trained: any TrainingMethod
    do {
      let network = try TrainOptions.builder(model)(config, data.modelInput)
      var options = config.methodOptions
      method(&options)
      trained = try Methods.make(config.method, model: network, options: options)
      try trained.loadStateDict(Dictionary(file.tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a }))
    } catch {
      throw ConfigError(
        "the checkpoint \(name) (\(config.model) · \(config.method)) does not fit \(data.testName) (samples \(data.sampleShape), \(data.classCount) classes): \(error)"
      )
    }
    let result = try Evaluation.run(trained, on: data.test, batchSize: batchSize ?? config.testBatchSize)
    var adaptiveLines: [String] = []
    if let adaptive {
      let batch = batchSize ?? config.testBatchSize
      var rng = SplitMix64(seed: 0)
      let probe = try data.test.batch(indices: Array(0..<Swift.min(batch, data.test.count)), rng: &rng).inputs
      let executor = try placed(trained, config, probe: probe)
      defer { executor?.shutdown() }
      let report = try AdaptiveReport.evaluate(
        trained, executor: executor, on: data.test, batchSize: batch, rule: try ExitRule(parsing: adaptive),
        sweep: sweep, perBatch: perBatch)
      var written: [String] = []
      if let json {
        try report.json().write(to: URL(fileURLWithPath: json), atomically: true, encoding: .utf8)
        written.append(json)
      }
      if sweep {
        let url = plot.map { URL(fileURLWithPath: $0) } ?? folder.appendingPathComponent("adaptive.svg")
        try report.svg(title: "\(config.model) · \(config.method) on \(data.testName)").write(
          to: url, atomically: true, encoding: .utf8)
        written.append(url.path)
      }
      adaptiveLines = [report.text] + written.map { "wrote \($0)" }
    }
    var lines = [
      "checkpoint: \(name) (\(config.model) · \(config.method), run \(file.metadata["run"] ?? "?"), epoch \(file.metadata["epoch"] ?? "?"))",
      String(format: "test accuracy: %.2f%% on %d samples of %@", 100 * result.accuracy, data.test.count, data.testName)
    ]
    lines += result.headAccuracies.enumerated().map {
      String(format: "  head %d: %.2f%%", $0.offset + 1, 100 * $0.element)
    }
    return (result, (lines + adaptiveLines).joined(separator: "\n"))
  }

  /// The executor an adaptive evaluation predicts through: on the run's devices (or `--devices`),
  /// with the run's pipeline and placement; nil on one device (the method on this thread).
  func placed(_ method: any TrainingMethod, _ config: TrainConfig, probe: Tensor) throws -> (any PipelineExecutor)? {
    let given = try devices.map { try DeviceSpec(parsing: $0) }
    let spec = given ?? config.devices
    guard spec.count > 1 else { return nil }
    var options =
      given == nil
      ? try config.pipelineOptions(componentCount: method.model.components.count)
      : PipelineOptions(kind: PipelineKind.defaultKind(for: config.method, deviceCount: spec.count), devices: spec)
    options.costEstimate = .forwardTime
    options.threadsPerDevice = Swift.max(1, config.threads / spec.count)
    return try Pipelines.make(method, options, probe: probe)
  }

  /// The checkpoint, its path, its run's identity and its run folder, from a checkpoint file or a
  /// run folder. A checkpoint is evaluated with the configuration of the run that wrote it, so it
  /// must belong to the folder's run (`RunIdentity`).
  static func open(_ url: URL) throws -> (file: SafeTensors.File, name: String, identity: RunIdentity, folder: URL) {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
      throw RunFolderError("\(url.path) does not exist")
    }
    // A run folder, or checkpoints/<file> inside one (read first: a file that is no checkpoint
    // is said as such).
    let folder = isFolder.boolValue ? url : url.deletingLastPathComponent().deletingLastPathComponent()
    let given = isFolder.boolValue ? nil : try SafeTensors.load(from: url)
    guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("config.json").path) else {
      throw RunFolderError(
        "\(folder.appendingPathComponent("config.json").path) is missing: a checkpoint is evaluated with the configuration of the run that wrote it"
      )
    }
    let identity = try RunIdentity.read(folder: folder)
    if isFolder.boolValue {
      guard let (entry, file) = try Checkpoints(runFolder: url).newestValid(of: identity, warn: { print($0) }) else {
        throw RunFolderError("\(url.path) holds no valid checkpoint (checkpoints/run<R>-epoch<E>.safetensors)")
      }
      return (file, entry.url.path, identity, folder)
    }
    guard let file = given else { throw RunFolderError("\(url.path) is neither a folder nor a file") }
    let run = file.metadata["run"].flatMap { Int($0) } ?? 1
    if let why = try identity.mismatch(file.metadata, run: run, file: url.path) {
      throw RunFolderError("the checkpoint \(url.path) is not of the run in \(folder.path): \(why)")
    }
    return (file, url.path, identity, folder)
  }
}
