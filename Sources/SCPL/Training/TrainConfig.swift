import Foundation
import NN
import Torch
import Yams

/// Every option of a training run. A `PartialTrainConfig` (from the command line or a YAML file;
/// all fields optional) is resolved into this, filling in the defaults of the data set's family
/// (vision: cosine 1e-3 → 1e-5 per epoch, strong augmentation for SCPL; text: constant 1e-3), so
/// `config.json` records exactly what ran.
public struct TrainConfig: Codable, Sendable {
  public var model: String
  public var method: String
  public var dataset: String
  public var dataDir: String?
  public var epochs: Int
  public var batchSize: Int
  public var testBatchSize: Int
  public var lr: Double
  public var endLr: Double
  public var lrSchedule: String
  public var temperature: Double
  public var projection: String
  public var components: Int
  public var width: Double
  public var aug: String
  public var times: Int
  public var seed: UInt64
  public var maxLen: Int?
  public var hidden: Int
  public var heads: Int
  public var vocabSize: Int
  public var wordVectors: String?
  public var labelNoise: Double
  public var limitTrain: Int?
  public var limitTest: Int?
  public var threads: Int
  public var out: String?
  public var shortcut: String
  public var divisor: String
  /// Execution: off, nmp, overlap, async, gpipe or scpl-gpipe (nil in a partial config: the method's default).
  public var pipeline: String
  /// "N", or "cpu:0,cpu:1,…", or "cuda:0,…".
  public var devices: String
  public var placement: String?
  public var threadsPerDevice: Int
  public var queueDepth: Int
  public var profile: Bool
  /// gpipe and scpl-gpipe: micro-batches per mini-batch.
  public var microBatches: Int
  /// gpipe: recompute each micro-batch's forward before its backward instead of keeping its graph.
  public var recompute: Bool

  enum CodingKeys: String, CodingKey, CaseIterable {
    case model, method, dataset, epochs, temperature, projection, components, width, aug, times, seed, hidden, heads, threads, out, shortcut, divisor
    case dataDir = "data-dir", batchSize = "batch-size", testBatchSize = "test-batch-size", lr, endLr = "end-lr"
    case lrSchedule = "lr-schedule", maxLen = "max-len", vocabSize = "vocab-size", wordVectors = "word-vectors"
    case labelNoise = "label-noise", limitTrain = "limit-train", limitTest = "limit-test"
    case pipeline, devices, placement, profile, threadsPerDevice = "threads-per-device", queueDepth = "queue-depth"
    case microBatches = "micro-batches", recompute
  }

  public static let models = ["vgg", "resnet18", "convnet", "lstm", "transformer"]

  /// Whether a model of `models` reads images or token ids (nil for an unknown name).
  public static func family(ofModel model: String) -> ModelFamily? {
    guard models.contains(model.lowercased()) else { return nil }
    return ["lstm", "transformer"].contains(model.lowercased()) ? .text : .vision
  }
  public static let schedules = ["cosine", "cosine-step", "constant"]
  public static let augmentations = ["strong", "basic", "none"]
}

/// The same options, each optional: what a user actually said.
public struct PartialTrainConfig: Codable, Sendable {
  public var model: String?
  public var method: String?
  public var dataset: String?
  public var dataDir: String?
  public var epochs: Int?
  public var batchSize: Int?
  public var testBatchSize: Int?
  public var lr: Double?
  public var endLr: Double?
  public var lrSchedule: String?
  public var temperature: Double?
  public var projection: String?
  public var components: Int?
  public var width: Double?
  public var aug: String?
  public var times: Int?
  public var seed: UInt64?
  public var maxLen: Int?
  public var hidden: Int?
  public var heads: Int?
  public var vocabSize: Int?
  public var wordVectors: String?
  public var labelNoise: Double?
  public var limitTrain: Int?
  public var limitTest: Int?
  public var threads: Int?
  public var out: String?
  public var shortcut: String?
  public var divisor: String?
  public var pipeline: String?
  public var devices: String?
  public var placement: String?
  public var threadsPerDevice: Int?
  public var queueDepth: Int?
  public var profile: Bool?
  public var microBatches: Int?
  public var recompute: Bool?

  typealias CodingKeys = TrainConfig.CodingKeys

  public init() {}

  /// Reads a YAML file whose keys are the command-line option names (`batch-size: 64`).
  public static func load(yaml url: URL) throws -> PartialTrainConfig {
    guard let text = try? String(contentsOf: url, encoding: .utf8) else {
      throw TorchError("cannot read the config file \(url.path)")
    }
    if let parsed = try? Yams.load(yaml: text), let keys = (parsed as? [String: Any])?.keys {
      let known = Set(TrainConfig.CodingKeys.allCases.map(\.stringValue))
      if let unknown = keys.sorted().first(where: { !known.contains($0) }) {
        throw TorchError("\(url.path): unknown option '\(unknown)'; the keys are the long option names of `scpl train` (e.g. batch-size)")
      }
    }
    do { return try YAMLDecoder().decode(PartialTrainConfig.self, from: text) } catch {
      throw TorchError("\(url.path) is not a valid training config: \(error)")
    }
  }

  /// Values set here win over `other`'s.
  public func overriding(_ other: PartialTrainConfig) -> PartialTrainConfig {
    var r = self
    r.model = model ?? other.model; r.method = method ?? other.method; r.dataset = dataset ?? other.dataset
    r.dataDir = dataDir ?? other.dataDir; r.epochs = epochs ?? other.epochs; r.batchSize = batchSize ?? other.batchSize
    r.testBatchSize = testBatchSize ?? other.testBatchSize; r.lr = lr ?? other.lr; r.endLr = endLr ?? other.endLr
    r.lrSchedule = lrSchedule ?? other.lrSchedule; r.temperature = temperature ?? other.temperature
    r.projection = projection ?? other.projection; r.components = components ?? other.components
    r.width = width ?? other.width; r.aug = aug ?? other.aug; r.times = times ?? other.times; r.seed = seed ?? other.seed
    r.maxLen = maxLen ?? other.maxLen; r.hidden = hidden ?? other.hidden; r.heads = heads ?? other.heads
    r.vocabSize = vocabSize ?? other.vocabSize; r.wordVectors = wordVectors ?? other.wordVectors
    r.labelNoise = labelNoise ?? other.labelNoise; r.limitTrain = limitTrain ?? other.limitTrain
    r.limitTest = limitTest ?? other.limitTest; r.threads = threads ?? other.threads; r.out = out ?? other.out
    r.shortcut = shortcut ?? other.shortcut; r.divisor = divisor ?? other.divisor
    r.pipeline = pipeline ?? other.pipeline; r.devices = devices ?? other.devices; r.placement = placement ?? other.placement
    r.threadsPerDevice = threadsPerDevice ?? other.threadsPerDevice; r.queueDepth = queueDepth ?? other.queueDepth
    r.profile = profile ?? other.profile
    r.microBatches = microBatches ?? other.microBatches; r.recompute = recompute ?? other.recompute
    return r
  }

  /// `resolved()`, plus the defaults that depend on the loaded data: without `--heads`, the
  /// Transformer takes the largest head count up to 6 that divides the word-vector width (6 for
  /// the paper's 300-d vectors, 5 for the 50-d ones installed here).
  public func resolved(fitting data: LoadedData) throws -> TrainConfig {
    var c = try resolved()
    if heads == nil, let dim = data.wordVectors?.shape[1] {
      c.heads = (1...6).reversed().first { dim % $0 == 0 } ?? 1
    }
    return c
  }

  /// Fills in defaults and checks every value, so a mistake stops the run before any data loads.
  public func resolved() throws -> TrainConfig {
    let model = (self.model ?? "vgg").lowercased()
    guard TrainConfig.models.contains(model) else {
      throw TorchError("unknown model '\(model)': expected one of \(TrainConfig.models.joined(separator: ", "))")
    }
    let method = try MethodKind(parsing: self.method ?? "scpl")
    let dataset = try DatasetCatalog.entry(self.dataset ?? "fashion-mnist")
    let modelFamily = TrainConfig.family(ofModel: model) ?? .vision
    guard modelFamily == dataset.family else {
      throw TorchError("the \(modelFamily.rawValue) model '\(model)' cannot train on the \(dataset.family.rawValue) data set '\(dataset.name)'; \(modelFamily == .text ? "use lstm or transformer with a text data set" : "use vgg, resnet18 or convnet with an image data set")")
    }
    let vision = dataset.family == .vision
    let lr = self.lr ?? 1e-3
    // A cosine schedule ends at 1e-5 unless told otherwise, for text too (asking for a cosine and
    // getting a constant rate would be a silent no-op); the constant one stays at --lr.
    let schedule = lrSchedule ?? (vision ? "cosine" : "constant")
    guard TrainConfig.schedules.contains(schedule) else {
      throw TorchError("unknown --lr-schedule '\(schedule)': expected one of \(TrainConfig.schedules.joined(separator: ", "))")
    }
    let aug = self.aug ?? (vision && method == .scpl ? "strong" : (vision ? "basic" : "none"))
    guard TrainConfig.augmentations.contains(aug) else {
      throw TorchError("unknown --aug '\(aug)': expected one of \(TrainConfig.augmentations.joined(separator: ", "))")
    }
    if !vision && aug != "none" { throw TorchError("--aug \(aug) applies to images only; text data sets take --aug none") }
    let projection = self.projection ?? (vision ? "mlp" : "identity")
    _ = try ProjectionKind(parsing: projection)
    let divisor = self.divisor ?? "per-anchor"
    guard ["per-anchor", "batch-total"].contains(divisor) else {
      throw TorchError("unknown --divisor '\(divisor)': expected per-anchor (the reference's) or batch-total (the appendix's)")
    }
    let devices = try DeviceSpec(parsing: self.devices ?? "1")
    let pipeline = try self.pipeline.map { try PipelineKind(parsing: $0) } ?? PipelineKind.defaultKind(for: method, deviceCount: devices.count)
    try pipeline.check(method: method, deviceCount: devices.count)
    if microBatches != nil && ![.gpipe, .scplGPipe].contains(pipeline) {
      throw TorchError("--micro-batches applies to --pipeline gpipe and scpl-gpipe, not \(pipeline.rawValue)")
    }
    if recompute == true && pipeline != .gpipe {
      throw TorchError("--recompute applies to --pipeline gpipe only, not \(pipeline.rawValue)")
    }
    let threads = self.threads ?? ProcessInfo.processInfo.activeProcessorCount
    let shortcut = self.shortcut ?? "3x3"
    guard ResNet18.Shortcut(rawValue: shortcut) != nil else { throw TorchError("unknown --shortcut '\(shortcut)': expected 3x3 or 1x1") }
    let c = TrainConfig(
      model: model, method: method.rawValue, dataset: dataset.name, dataDir: dataDir,
      epochs: epochs ?? 1, batchSize: batchSize ?? 128, testBatchSize: testBatchSize ?? 1000,
      lr: lr, endLr: endLr ?? (schedule == "constant" ? lr : 1e-5), lrSchedule: schedule, temperature: temperature ?? 0.1,
      projection: projection, components: components ?? 4, width: width ?? 1.0, aug: aug, times: times ?? 1,
      seed: seed ?? 1, maxLen: maxLen, hidden: hidden ?? 300, heads: heads ?? 6, vocabSize: vocabSize ?? 30_000,
      wordVectors: wordVectors, labelNoise: labelNoise ?? 0, limitTrain: limitTrain, limitTest: limitTest,
      threads: threads, out: out, shortcut: shortcut, divisor: divisor,
      pipeline: pipeline.rawValue, devices: devices.description, placement: placement,
      threadsPerDevice: threadsPerDevice ?? (devices.count == 1 ? threads : Swift.max(1, threads / devices.count)),
      queueDepth: queueDepth ?? 2, profile: profile ?? false, microBatches: microBatches ?? 4, recompute: recompute ?? false)
    try c.validate()
    return c
  }
}

extension TrainConfig {
  func validate() throws {
    func need(_ ok: Bool, _ message: @autoclosure () -> String) throws { if !ok { throw TorchError(message()) } }
    try need(epochs >= 1, "--epochs must be at least 1, got \(epochs)")
    try need(batchSize >= 2, "--batch-size must be at least 2 (contrastive losses compare samples), got \(batchSize)")
    try need(testBatchSize >= 1, "--test-batch-size must be at least 1, got \(testBatchSize)")
    try need(lr > 0 && lr.isFinite, "--lr must be a positive number, got \(lr)")
    try need(endLr > 0 && endLr.isFinite, "--end-lr must be a positive number, got \(endLr)")
    try need(temperature > 0 && temperature.isFinite, "--temperature must be positive, got \(temperature)")
    try need(components >= 1, "--components must be at least 1, got \(components)")
    try need(width > 0 && width <= 8, "--width must be in (0, 8], got \(width)")
    try need(times >= 1, "--times must be at least 1, got \(times)")
    try need(hidden >= 1, "--hidden must be positive, got \(hidden)")
    try need(heads >= 1, "--heads must be positive, got \(heads)")
    try need(vocabSize >= 3, "--vocab-size must be at least 3 (pad, unknown and one word), got \(vocabSize)")
    try need((0...1).contains(labelNoise), "--label-noise must be in [0, 1], got \(labelNoise)")
    try need(limitTrain.map { $0 >= 2 } ?? true, "--limit-train must be at least 2")
    try need(limitTest.map { $0 >= 1 } ?? true, "--limit-test must be at least 1")
    try need(threads >= 1, "--threads must be at least 1, got \(threads)")
    try need(maxLen.map { $0 >= 1 } ?? true, "--max-len must be positive")
    try need(threadsPerDevice >= 1, "--threads-per-device must be at least 1, got \(threadsPerDevice)")
    try need(queueDepth >= 1, "--queue-depth must be at least 1, got \(queueDepth)")
    try MicroBatches.check(microBatches, batchSize: batchSize)
  }

  public var methodKind: MethodKind { MethodKind(rawValue: method)! }

  /// The executor options these settings describe (placement checked against the model later).
  public func pipelineOptions(componentCount: Int) throws -> PipelineOptions {
    let spec = try DeviceSpec(parsing: devices)
    var o = PipelineOptions(kind: try PipelineKind(parsing: pipeline), devices: spec,
                            placement: try placement.map { try Placement(parsing: $0, componentCount: componentCount, deviceCount: spec.count) })
    o.threadsPerDevice = threadsPerDevice
    o.queueDepth = queueDepth
    o.microBatches = microBatches
    o.recompute = recompute
    return o
  }

  public var methodOptions: MethodOptions {
    var o = MethodOptions()
    o.learningRate = lr
    o.temperature = temperature
    o.projection = try? ProjectionKind(parsing: projection)
    o.divisor = divisor == "batch-total" ? .batchTotal : .perAnchor
    return o
  }

  /// The learning-rate schedule for `stepsPerEpoch` steps.
  public func schedule(stepsPerEpoch: Int) throws -> any LearningRateSchedule {
    switch lrSchedule {
    case "constant": return try ConstantSchedule(lr)
    case "cosine-step": return try CosineSchedule(base: lr, end: endLr, epochs: epochs, stepsPerEpoch: stepsPerEpoch, granularity: .perStep)
    default: return try CosineSchedule(base: lr, end: endLr, epochs: epochs, stepsPerEpoch: stepsPerEpoch, granularity: .perEpoch)
    }
  }
}
