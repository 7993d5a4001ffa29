import Data
import Foundation
import NN
import Torch
import Yams

/// Every option of a training run. A `PartialTrainConfig` (from the command line or a YAML file;
/// all fields optional) is resolved into this, filling in the defaults of the data set's family
/// (vision: cosine 1e-3 → 1e-5 per epoch, strong augmentation for SCPL; text: constant 1e-3), so
/// `config.json` records exactly what ran.
public struct TrainConfig: Codable, Sendable {
  /// `--model`: the network (default vgg).
  public var model: ModelKind
  /// `--method`: the learning method (default scpl).
  public var method: MethodKind
  /// `--dataset`: the data set (default fashion-mnist).
  public var dataset: DatasetName
  /// `--data-dir`: where to read the data set from (nil: its default place, listed by `scpl datasets`).
  public var dataDir: String?
  /// `--epochs`: passes over the training set (default 1).
  public var epochs: Int
  /// `--batch-size`: samples per mini-batch, N; strong augmentation trains on 2N rows (default 128).
  public var batchSize: Int
  /// `--test-batch-size`: samples per evaluation batch (default 1000).
  public var testBatchSize: Int
  /// `--lr`: the base learning rate (default 0.001).
  public var lr: Double
  /// `--end-lr`: the cosine schedules' final learning rate (default 1e-5; the constant schedule keeps `--lr`).
  public var endLr: Double
  /// `--lr-schedule`: how the learning rate moves (default cosine for images, constant for text).
  public var lrSchedule: LearningRateScheduleKind
  /// `--temperature`: the contrastive loss's temperature (default 0.1).
  public var temperature: Double
  /// `--projection`: the projection head (default mlp for images, identity for text).
  public var projection: ProjectionKind
  /// `--components`: how many components (stages) the model is cut into (default 4).
  public var components: Int
  /// `--width`: multiplier of every channel count, 1.0 being the paper's model (default 1.0).
  public var width: Double
  /// `--aug`: image augmentation (default strong for SCPL on images, basic for other methods on images, none for text).
  public var aug: Augmentation
  /// `--times`: number of runs, seeded `seed`, `seed` + 1, … (default 1).
  public var times: Int
  /// `--seed`: the seed of the first run (default 1).
  public var seed: UInt64
  /// `--max-len`: text tokens kept per document (nil: the data set's default).
  public var maxLen: Int?
  /// `--hidden`: text models' hidden size, the LSTM's per direction or the Transformer's feed-forward (default 300).
  public var hidden: Int
  /// `--heads`: the Transformer's attention heads (default 6, or the most up to 6 dividing the word-vector width).
  public var heads: Int
  /// `--vocab-size`: text vocabulary size, `<pad>` and `<unk>` included (default 30 000).
  public var vocabSize: Int
  /// `--word-vectors`: a GloVe-format word-vector file (nil: GloVe 6B 50-d in the data cache).
  public var wordVectors: String?
  /// `--label-noise`: the fraction of training labels replaced at random, text only (default 0).
  public var labelNoise: Double
  /// `--limit-train`: use only the first N training samples (nil: all).
  public var limitTrain: Int?
  /// `--limit-test`: use only the first N test samples (nil: all).
  public var limitTest: Int?
  /// `--threads`: intra-op threads (default: every core).
  public var threads: Int
  /// `--out`: the run folder (nil: runs/<date>-<model>-<method>-<dataset>).
  public var out: String?
  /// `--shortcut`: ResNet-18's projection shortcut (default 3x3, the reference's).
  public var shortcut: ResNet18.Shortcut
  /// `--divisor`: the contrastive loss's divisor (default per-anchor, the reference's).
  public var divisor: SupervisedContrastiveLoss.Divisor
  /// `--pipeline`: how components execute (default async for local methods, nmp for BP on several devices, else off).
  public var pipeline: PipelineKind
  /// The devices, parsed and checked once (`DeviceSpec(parsing:)`); config.json holds them as
  /// their list ("cpu:0,cpu:1").
  public var devices: DeviceSpec
  /// Component → device by hand (nil: balanced by measured cost); config.json holds its text
  /// ("0,0,1,1"). With --distributed it indexes every rank's devices, rank 0's first.
  public var placement: Placement?
  /// `--threads-per-device`: intra-op threads of each device's worker (default `threads` divided among the devices).
  public var threadsPerDevice: Int
  /// `--queue-depth`: batches each device's inbox holds (default 2).
  public var queueDepth: Int
  /// `--profile`: write trace.json and timeline.svg of the last epoch (default false).
  public var profile: Bool
  /// gpipe and scpl-gpipe: micro-batches per mini-batch.
  public var microBatches: Int
  /// gpipe: recompute each micro-batch's forward before its backward instead of keeping its graph.
  public var recompute: Bool
  /// `--chunks-per-device`: interleaved-1f1b's chunks of the network on each device (default 2;
  /// nil under every other pipeline).
  public var chunksPerDevice: Int?
  /// After training, a linear probe of each component's features (`LinearProbe`).
  public var probe: Bool
  /// A checkpoint after every N-th epoch (and always after the last).
  public var checkpointEvery: Int
  /// Also a checkpoint every N steps within an epoch (nil: only at epoch ends). The pipeline
  /// drains at each, so a resume continues from that step exactly.
  public var checkpointEverySteps: Int?
  /// Checkpoints kept per run: the newest K (the oldest are deleted once a newer one is on disk).
  public var keepCheckpoints: Int
  /// `--on-nan`: what a NaN or infinite loss or gradient does (default stop).
  public var onNan: NonFinitePolicy
  /// SCPL's local objective; nil in the config of a run made before the option (the contrastive loss).
  public var objective: LocalObjectiveKind?
  /// Each component's optimizer; nil in the config of a run made before the option (Adam).
  public var optimizer: OptimizerKind?
  /// SGD's and LARS's momentum and L2 weight decay (nil: 0.9 and 0; Adam takes neither).
  public var momentum: Double?
  /// `--weight-decay`: SGD's and LARS's L2 weight decay (nil with Adam, default 0 otherwise).
  public var weightDecay: Double?
  /// The projection heads' hidden and output widths (nil: the family's, vision 512 and 1024,
  /// text 300 and 300).
  public var headHidden: Int?
  /// `--head-out`: the projection heads' output width (nil: 1024 for images, 300 for text).
  public var headOut: Int?
  /// `--predictors`: a predictor per component (SCPL; Early Exit's heads); nil: none (SCPL),
  /// the reference's heads (Early Exit).
  public var predictors: PredictorKind?
  /// `--predictor-weight`: how much of a predictor's gradient reaches its component under SCPL
  /// (nil without predictors; default 0.001).
  public var predictorWeight: Double?
  /// `--grow-at`: the epochs after which components 2, 3, … join (nil: all train from the start).
  public var growAt: GrowthSchedule?
  /// `--replicas`: copies of the pipeline, each training on its own share of every batch, their
  /// gradients averaged before each update (data parallelism); nil in the config of a run made
  /// before the option (1).
  public var replicas: Int?

  /// The number of replicas (`replicas`, 1 when absent).
  public var replicaCount: Int { replicas ?? 1 }

  /// The keys of YAML files and config.json: the long option names of `scpl train`.
  public enum CodingKeys: String, CodingKey, CaseIterable {
    case model, method, dataset, epochs, temperature, projection, components, width, aug, times, seed, hidden, heads,
      threads, out, shortcut, divisor
    case dataDir = "data-dir", batchSize = "batch-size", testBatchSize = "test-batch-size", lr, endLr = "end-lr"
    case lrSchedule = "lr-schedule", maxLen = "max-len", vocabSize = "vocab-size", wordVectors = "word-vectors"
    case labelNoise = "label-noise", limitTrain = "limit-train", limitTest = "limit-test"
    case pipeline, devices, placement, profile, threadsPerDevice = "threads-per-device", queueDepth = "queue-depth"
    case microBatches = "micro-batches", recompute, probe, chunksPerDevice = "chunks-per-device"
    case checkpointEvery = "checkpoint-every", checkpointEverySteps = "checkpoint-every-steps", keepCheckpoints =
      "keep-checkpoints"
    /// The key of `onNan`.
    case onNan = "on-nan"
    case objective, optimizer, momentum, weightDecay = "weight-decay", headHidden = "head-hidden", headOut = "head-out"
    case predictors, predictorWeight = "predictor-weight", growAt = "grow-at", replicas
  }

  /// A resolved config as a run folder's config.json holds it, checked as if it had just been
  /// resolved: a file edited by hand, or written by another version, is refused with a sentence.
  public static func decodeChecked(from data: Data, path: String) throws -> TrainConfig {
    struct Saved: Decodable { let config: TrainConfig }
    let config: TrainConfig
    do { config = try JSONDecoder().decode(Saved.self, from: data).config } catch let error as ConfigError {
      throw ConfigError("\(path): \(error)")
    } catch {
      throw ConfigError("\(path) is not a run configuration: \(error)")
    }
    do { try config.validate() } catch { throw ConfigError("\(path): \(error)") }
    return config
  }
}

extension TrainConfig {
  /// The options that say where a run computes, not what it computes: a resumed run may change
  /// them (resume a distributed run in one process, or the other way round) and still continue
  /// the same training.
  public static let layoutKeys: Set<String> = [
    "devices", "placement", "pipeline", "threads", "threads-per-device", "queue-depth", "chunks-per-device", "replicas"
  ]

  /// This config with the layout options `given` names replaced; any other option in `given`
  /// is an error (a resumed run trains with its own options).
  public func withLayout(of given: PartialTrainConfig) throws -> TrainConfig {
    try given.checkFinite()
    let changes = try given.fields()
    let other = changes.keys.filter { !Self.layoutKeys.contains($0) }.sorted()
    guard other.isEmpty else {
      throw ConfigError(
        "--resume continues a run with its own options; only where it runs may change (\(Self.layoutKeys.sorted().map { "--\($0)" }.joined(separator: ", "))), not \(other.map { "--\($0)" }.joined(separator: ", "))"
      )
    }
    guard !changes.isEmpty else { return self }
    var object = try RunIdentity.fields(self)
    for (key, value) in changes { object[key] = value }
    var merged = try JSONDecoder().decode(TrainConfig.self, from: JSONSerialization.data(withJSONObject: object))
    // Chunks belong to interleaved-1f1b: a run resumed under another pipeline drops them, one
    // resumed under interleaved-1f1b without them gets the default.
    merged.chunksPerDevice = merged.pipeline == .interleaved1F1B ? merged.chunksPerDevice ?? 2 : nil
    try merged.validate()
    return merged
  }
}

/// The same options, each optional: what a user actually said.
public struct PartialTrainConfig: Codable, Sendable {
  /// `--model`, nil when not given.
  public var model: ModelKind?
  /// `--method`, nil when not given.
  public var method: MethodKind?
  /// `--dataset`, nil when not given.
  public var dataset: DatasetName?
  /// `--data-dir`, nil when not given.
  public var dataDir: String?
  /// `--epochs`, nil when not given.
  public var epochs: Int?
  /// `--batch-size`, nil when not given.
  public var batchSize: Int?
  /// `--test-batch-size`, nil when not given.
  public var testBatchSize: Int?
  /// `--lr`, nil when not given.
  public var lr: Double?
  /// `--end-lr`, nil when not given.
  public var endLr: Double?
  /// `--lr-schedule`, nil when not given.
  public var lrSchedule: LearningRateScheduleKind?
  /// `--temperature`, nil when not given.
  public var temperature: Double?
  /// `--projection`, nil when not given.
  public var projection: ProjectionKind?
  /// `--components`, nil when not given.
  public var components: Int?
  /// `--width`, nil when not given.
  public var width: Double?
  /// `--aug`, nil when not given.
  public var aug: Augmentation?
  /// `--times`, nil when not given.
  public var times: Int?
  /// `--seed`, nil when not given.
  public var seed: UInt64?
  /// `--max-len`, nil when not given.
  public var maxLen: Int?
  /// `--hidden`, nil when not given.
  public var hidden: Int?
  /// `--heads`, nil when not given.
  public var heads: Int?
  /// `--vocab-size`, nil when not given.
  public var vocabSize: Int?
  /// `--word-vectors`, nil when not given.
  public var wordVectors: String?
  /// `--label-noise`, nil when not given.
  public var labelNoise: Double?
  /// `--limit-train`, nil when not given.
  public var limitTrain: Int?
  /// `--limit-test`, nil when not given.
  public var limitTest: Int?
  /// `--threads`, nil when not given.
  public var threads: Int?
  /// `--out`, nil when not given.
  public var out: String?
  /// `--shortcut`, nil when not given.
  public var shortcut: ResNet18.Shortcut?
  /// `--divisor`, nil when not given.
  public var divisor: SupervisedContrastiveLoss.Divisor?
  /// `--pipeline`, nil when not given.
  public var pipeline: PipelineKind?
  /// `--devices`, nil when not given.
  public var devices: DeviceSpec?
  /// `--placement`, nil when not given.
  public var placement: Placement?
  /// `--threads-per-device`, nil when not given.
  public var threadsPerDevice: Int?
  /// `--queue-depth`, nil when not given.
  public var queueDepth: Int?
  /// `--profile`, nil when not given.
  public var profile: Bool?
  /// `--micro-batches`, nil when not given.
  public var microBatches: Int?
  /// `--recompute`, nil when not given.
  public var recompute: Bool?
  /// `--chunks-per-device`, nil when not given.
  public var chunksPerDevice: Int?
  /// `--probe`, nil when not given.
  public var probe: Bool?
  /// `--checkpoint-every`, nil when not given.
  public var checkpointEvery: Int?
  /// `--checkpoint-every-steps`, nil when not given.
  public var checkpointEverySteps: Int?
  /// `--keep-checkpoints`, nil when not given.
  public var keepCheckpoints: Int?
  /// `--on-nan`, nil when not given.
  public var onNan: NonFinitePolicy?
  /// `--objective`, nil when not given.
  public var objective: LocalObjectiveKind?
  /// `--optimizer`, nil when not given.
  public var optimizer: OptimizerKind?
  /// `--momentum`, nil when not given.
  public var momentum: Double?
  /// `--weight-decay`, nil when not given.
  public var weightDecay: Double?
  /// `--head-hidden`, nil when not given.
  public var headHidden: Int?
  /// `--head-out`, nil when not given.
  public var headOut: Int?
  /// `--predictors`, nil when not given.
  public var predictors: PredictorKind?
  /// `--predictor-weight`, nil when not given.
  public var predictorWeight: Double?
  /// `--grow-at`, nil when not given.
  public var growAt: GrowthSchedule?
  /// `--replicas`, nil when not given.
  public var replicas: Int?

  typealias CodingKeys = TrainConfig.CodingKeys

  /// A config with no option set.
  public init() {}

  /// Reads a YAML file whose keys are the command-line option names (`batch-size: 64`).
  public static func load(yaml url: URL) throws -> PartialTrainConfig {
    let bytes: [UInt8]
    do { bytes = try RegularFile.read(url, what: "config file", atMost: 1 << 20) } catch {
      throw ConfigError("\(error)")
    }
    guard let text = String(validating: bytes, as: UTF8.self) else {
      throw ConfigError("the config file \(url.path) is not UTF-8 text")
    }
    return try parse(yaml: text, source: url.path)
  }

  /// Parses YAML text (`source` names it in errors). The file must be one mapping of option names
  /// to values, each name once; a syntax error names its line and column.
  public static func parse(yaml text: String, source: String) throws -> PartialTrainConfig {
    // The keys are checked on the composed node, not through Yams.load: its conversion to a
    // dictionary traps on a key that is not a scalar (found by `make fuzz`, Fuzz/regressions/yaml),
    // and it keeps the last of two equal keys without a word.
    let node: Node?
    do { node = try Yams.compose(yaml: text) } catch let error as YamlError {
      throw ConfigError("\(source) is not valid YAML: \(describe(error))")
    }
    guard let node else { return PartialTrainConfig() }  // an empty file sets nothing
    guard let mapping = node.mapping else {
      let what = node.sequence != nil ? "a list" : "a single value"
      throw ConfigError(
        "\(source): the file must be a mapping of option names to values (e.g. batch-size: 64), not \(what)")
    }
    let known = Set(TrainConfig.CodingKeys.allCases.map(\.stringValue))
    var seen: [String: Int] = [:]
    for key in mapping.keys {
      guard let name = key.scalar?.string else {
        throw ConfigError(
          "\(source): a key is not an option name but a \(key.mapping != nil ? "mapping" : "list"); the keys are the long option names of `scpl train` (e.g. batch-size)"
        )
      }
      guard known.contains(name) else {
        throw ConfigError(
          "\(source): unknown option '\(name)'; the keys are the long option names of `scpl train` (e.g. batch-size)")
      }
      let line = key.mark?.line ?? 0
      if let first = seen[name] {
        throw ConfigError(
          "\(source): the option '\(name)' is set twice (lines \(first) and \(line)); set each option once")
      }
      seen[name] = line
    }
    let config: PartialTrainConfig
    do { config = try YAMLDecoder().decode(PartialTrainConfig.self, from: text) } catch {
      throw ConfigError("\(source) is not a valid training config: \(Self.sentence(error))")
    }
    try config.checkFinite { "\(source): \($0)" }
    return config
  }

  /// A YAML syntax error as "line L, column C: problem".
  static func describe(_ error: YamlError) -> String {
    switch error {
    case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
      return "line \(mark.line), column \(mark.column): \(problem)"
    default:
      return "\(error)"
    }
  }

  /// Refuses a NaN or infinite number in any option, by the option's name: none of them means
  /// anything with one (and JSON, which config.json is, cannot hold one).
  public func checkFinite(_ where: (String) -> String = { $0 }) throws {
    for child in Mirror(reflecting: self).children {
      guard let label = child.label, let value = child.value as? Double?, let number = value, !number.isFinite else {
        continue
      }
      throw ConfigError(`where`("--\(Self.optionName(ofProperty: label)) must be a finite number, got \(number)"))
    }
  }

  /// A property's option name: "batchSize" (or a property wrapper's "_batchSize") → "batch-size".
  public static func optionName(ofProperty label: String) -> String {
    label.drop { $0 == "_" }.reduce(into: "") { key, c in
      if c.isUppercase { key += "-" + c.lowercased() } else { key.append(c) }
    }
  }

  /// A decoding error as the sentence a user can act on: our own message where a value was
  /// refused, else the key path and what was wrong.
  static func sentence(_ error: Error) -> String {
    switch error {
    case DecodingError.dataCorrupted(let c) where c.underlyingError is ConfigError: return "\(c.underlyingError!)"
    case DecodingError.typeMismatch(let type, let c):
      return "\(c.codingPath.map(\.stringValue).joined(separator: ".")) should be \(type)"
    case DecodingError.dataCorrupted(let c), DecodingError.valueNotFound(_, let c), DecodingError.keyNotFound(_, let c):
      return "\(c.codingPath.map(\.stringValue).joined(separator: ".")): \(c.debugDescription)"
    default: return "\(error)"
    }
  }

  /// Values set here win over `other`'s. Generic over the fields: both are encoded by their
  /// option names (an unset option writes nothing), merged, and decoded back. A value that does
  /// not encode (a NaN: JSON has none) is an error naming the option, never "nothing to override".
  public func overriding(_ other: PartialTrainConfig) throws -> PartialTrainConfig {
    try checkFinite()
    try other.checkFinite()
    let merged = try other.fields().merging(try fields()) { _, mine in mine }
    return try JSONDecoder().decode(PartialTrainConfig.self, from: JSONSerialization.data(withJSONObject: merged))
  }

  /// The options set, by their option names.
  func fields() throws -> [String: Any] {
    guard let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(self)) as? [String: Any] else {
      throw ConfigError("the options did not encode as a JSON object")
    }
    return object
  }

  /// `resolved()`, plus the defaults that depend on the loaded data: without `--heads`, the
  /// Transformer takes the largest head count up to 6 that divides the word-vector width (6 for
  /// the paper's 300-d vectors, 5 for the 50-d ones installed here).
  public func resolved(fitting data: LoadedData, customData: DataSource? = nil) throws -> TrainConfig {
    var c = try resolved(customData: customData)
    if heads == nil, let dim = data.wordVectors?.shape[1] {
      c.heads = (1...6).reversed().first { dim % $0 == 0 } ?? 1
    }
    return c
  }

  /// `--predictors`, or for SCPL under `--grow-at` (whose last joined component predicts) mlp,
  /// DASCPL's own models' way: every one of them carries predictors.
  func predictors(for method: MethodKind) -> PredictorKind? {
    predictors ?? (growAt != nil && method == .scpl ? .mlp : nil)
  }

  /// Fills in defaults and checks every value, so a mistake stops the run before any data loads.
  /// `customData` is the program's own data source, for `--dataset custom` (its family picks the
  /// defaults a data set's family picks).
  public func resolved(customData: DataSource? = nil) throws -> TrainConfig {
    let model = self.model ?? .vgg
    let method = self.method ?? .scpl
    let datasetName = self.dataset ?? .fashionMNIST
    let family: ModelFamily
    if datasetName == .custom {
      guard let customData else {
        throw ConfigError(
          "--dataset custom is data of a program's own (TrainOptions.train(data:)); scpl reads \(DatasetName.choices)")
      }
      family = customData.family
      try TrainConfig.checkFamilies(model, data: family, named: customData.name)
    } else {
      let entry = try DatasetCatalog.entry(datasetName)
      family = entry.family
      try TrainConfig.checkFamilies(model, data: family, named: datasetName.rawValue)
    }
    let vision = family == .vision
    let lr = self.lr ?? 1e-3
    // A cosine schedule ends at 1e-5 unless told otherwise, for text too (asking for a cosine and
    // getting a constant rate would be a silent no-op); the constant one stays at --lr.
    let schedule = lrSchedule ?? (vision ? .cosine : .constant)
    let aug = self.aug ?? (vision && method == .scpl ? .strong : (vision ? .basic : Augmentation.none))
    if !vision && aug != .none {
      throw ConfigError("--aug \(aug) applies to images only; text data sets take --aug none")
    }
    let devices = try self.devices ?? DeviceSpec(parsing: "1")
    let pipeline = self.pipeline ?? PipelineKind.defaultKind(for: method, deviceCount: devices.count)
    if microBatches != nil && !pipeline.takesMicroBatches {
      throw ConfigError(
        "--micro-batches applies to --pipeline gpipe, 1f1b, interleaved-1f1b, zb-h1 and scpl-gpipe, not \(pipeline)")
    }
    if recompute == true && !pipeline.backPropagatesMicroBatches {
      throw ConfigError(
        "--recompute applies to --pipeline gpipe, 1f1b, interleaved-1f1b and zb-h1 only, not \(pipeline)")
    }
    if chunksPerDevice != nil && pipeline != .interleaved1F1B {
      throw ConfigError("--chunks-per-device applies to --pipeline interleaved-1f1b only, not \(pipeline)")
    }
    let threads = self.threads ?? ProcessInfo.processInfo.activeProcessorCount
    let optimizer = self.optimizer ?? .adam
    if optimizer == .adam && (momentum != nil || weightDecay != nil) {
      throw ConfigError(
        "--momentum and --weight-decay set SGD's and LARS's; they apply with --optimizer sgd or lars, not adam")
    }
    if predictors != nil && ![.scpl, .earlyExit].contains(method) {
      throw ConfigError(
        "--predictors gives each SCPL component a predictor (and chooses Early Exit's heads); --method \(method) has \(method == .al ? "its own per-component predictions" : "no components that learn on their own")"
      )
    }
    if predictorWeight != nil && (predictors == nil || method != .scpl) {
      throw ConfigError(
        method == .scpl
          ? "--predictor-weight weighs the predictors' gradient; give --predictors too"
          : "--predictor-weight applies to SCPL's predictors; Early Exit trains each component on its head alone")
    }
    if objective != nil && method != .scpl {
      throw ConfigError("--objective chooses SCPL's local objective; --method \(method) has its own")
    }
    let c = TrainConfig(
      model: model, method: method, dataset: datasetName, dataDir: dataDir,
      epochs: epochs ?? 1, batchSize: batchSize ?? 128, testBatchSize: testBatchSize ?? 1000,
      lr: lr, endLr: endLr ?? (schedule == .constant ? lr : 1e-5), lrSchedule: schedule,
      temperature: temperature ?? 0.1,
      projection: projection ?? (vision ? .mlp : .identity), components: components ?? 4, width: width ?? 1.0, aug: aug,
      times: times ?? 1, seed: seed ?? 1, maxLen: maxLen, hidden: hidden ?? 300, heads: heads ?? 6,
      vocabSize: vocabSize ?? 30_000,
      wordVectors: wordVectors, labelNoise: labelNoise ?? 0, limitTrain: limitTrain, limitTest: limitTest,
      threads: threads, out: out, shortcut: shortcut ?? .conv3x3, divisor: divisor ?? .perAnchor,
      pipeline: pipeline, devices: devices, placement: placement,
      threadsPerDevice: threadsPerDevice ?? (devices.count == 1 ? threads : Swift.max(1, threads / devices.count)),
      queueDepth: queueDepth ?? 2, profile: profile ?? false, microBatches: microBatches ?? 4,
      recompute: recompute ?? false, chunksPerDevice: pipeline == .interleaved1F1B ? chunksPerDevice ?? 2 : nil,
      probe: probe ?? false, checkpointEvery: checkpointEvery ?? 1, checkpointEverySteps: checkpointEverySteps,
      keepCheckpoints: keepCheckpoints ?? 2,
      onNan: onNan ?? .stop, objective: objective ?? .supervisedContrastive, optimizer: optimizer,
      momentum: optimizer == .adam ? nil : momentum ?? 0.9, weightDecay: optimizer == .adam ? nil : weightDecay ?? 0,
      headHidden: headHidden, headOut: headOut, predictors: predictors(for: method),
      predictorWeight: predictors(for: method) != nil && method == .scpl ? predictorWeight ?? 0.001 : nil,
      growAt: growAt, replicas: replicas ?? 1)
    try c.validate()
    return c
  }
}

extension TrainConfig {
  /// The largest value each count may take, checked before anything is allocated: past these a
  /// run cannot fit in any machine's memory or time, and arithmetic on the value could overflow.
  public enum Limits {
    /// The most `--epochs` and the most `--times`.
    public static let epochs = 100_000, times = 10_000
    /// Samples per batch (also evaluation's); a batch is one tensor, and 2²⁰ 28×28 images are 3 GiB.
    public static let batchSize = 1 << 20
    /// The most `--components`, `--hidden` (and head widths), `--heads`, `--vocab-size` and `--max-len`.
    public static let components = 64, hidden = 1 << 16, heads = 1 << 10, vocabSize = 1 << 24, maxLen = 1 << 20
    /// The most `--replicas`.
    public static let replicas = 64
    /// The most `--queue-depth`, `--checkpoint-every`, `--checkpoint-every-steps` and `--keep-checkpoints`.
    public static let queueDepth = 1 << 10, checkpointEvery = 1 << 20, checkpointEverySteps = 1 << 30,
      keepCheckpoints = 1 << 20
    /// Intra-op threads: four per core of this machine, and at least 64 so a config moves between
    /// machines (each thread is an OS thread with its own stack).
    public static var threads: Int { Swift.max(64, 4 * ProcessInfo.processInfo.activeProcessorCount) }
  }

  /// Refuses an image model on text or a text model on images (`name` names the data).
  static func checkFamilies(_ model: ModelKind, data: ModelFamily, named name: String) throws {
    guard let family = model.family else { return }  // a custom network reads what its data holds
    guard family == data else {
      throw ConfigError(
        "the \(family.rawValue) model '\(model)' cannot train on the \(data.rawValue) data set '\(name)'; \(model.family == .text ? "use lstm or transformer with a text data set" : "use vgg, resnet18 or convnet with an image data set")"
      )
    }
  }

  func validate() throws {
    func need(_ ok: Bool, _ message: @autoclosure () -> String) throws { if !ok { throw ConfigError(message()) } }
    func count(_ value: Int, _ option: String, _ range: ClosedRange<Int>, _ why: String = "") throws {
      try need(
        range.contains(value),
        "--\(option) must be \(range.lowerBound == 0 ? "at most \(range.upperBound)" : "between \(range.lowerBound) and \(range.upperBound)")\(why), got \(value)"
      )
    }
    try count(epochs, "epochs", 1...Limits.epochs)
    try count(batchSize, "batch-size", 2...Limits.batchSize, " (contrastive losses compare samples, so at least 2)")
    try count(testBatchSize, "test-batch-size", 1...Limits.batchSize)
    try need(lr > 0 && lr.isFinite, "--lr must be a positive number, got \(lr)")
    try need(endLr > 0 && endLr.isFinite, "--end-lr must be a positive number, got \(endLr)")
    try need(temperature > 0 && temperature.isFinite, "--temperature must be positive, got \(temperature)")
    try count(components, "components", 1...(model.family == .text ? TextModels.maxComponents : Limits.components))
    try need(width > 0 && width <= 8, "--width must be in (0, 8], got \(width)")
    try count(times, "times", 1...Limits.times)
    try count(hidden, "hidden", 1...Limits.hidden)
    try count(heads, "heads", 1...Limits.heads)
    try count(vocabSize, "vocab-size", 3...Limits.vocabSize, " (pad, unknown and one word, so at least 3)")
    try need((0...1).contains(labelNoise), "--label-noise must be in [0, 1], got \(labelNoise)")
    try need(out.map { !$0.isEmpty } ?? true, "--out must name a folder, got an empty path")
    try need(limitTrain.map { $0 >= 2 } ?? true, "--limit-train must be at least 2")
    try need(limitTest.map { $0 >= 1 } ?? true, "--limit-test must be at least 1")
    try count(threads, "threads", 1...Limits.threads, " (the larger of 64 and four per core of this machine)")
    try count(maxLen ?? 1, "max-len", 1...Limits.maxLen)
    try count(
      threadsPerDevice, "threads-per-device", 1...Limits.threads,
      " (the larger of 64 and four per core of this machine)")
    try count(queueDepth, "queue-depth", 1...Limits.queueDepth)
    try count(checkpointEvery, "checkpoint-every", 1...Limits.checkpointEvery)
    try count(keepCheckpoints, "keep-checkpoints", 1...Limits.keepCheckpoints)
    try count(checkpointEverySteps ?? 1, "checkpoint-every-steps", 1...Limits.checkpointEverySteps)
    try MicroBatches.check(microBatches, batchSize: batchSize)
    try need(momentum.map { (0...1).contains($0) } ?? true, "--momentum must be in [0, 1], got \(momentum ?? 0)")
    try need(
      weightDecay.map { $0 >= 0 && $0.isFinite } ?? true, "--weight-decay must be 0 or more, got \(weightDecay ?? 0)")
    try count(headHidden ?? 1, "head-hidden", 1...Limits.hidden)
    try count(headOut ?? 1, "head-out", 1...Limits.hidden)
    try need(
      predictorWeight.map { $0 >= 0 && $0 <= 1000 } ?? true,
      "--predictor-weight must be between 0 and 1000, got \(predictorWeight ?? 0)")
    try count(replicaCount, "replicas", 1...Limits.replicas)
    try need(
      growAt == nil || replicaCount == 1,
      "--grow-at changes which components train as the epochs go, in one pipeline; train with --replicas 1")
    if let growAt {
      try need(
        method == .earlyExit || (method == .scpl && predictors != nil),
        "--grow-at trains the first components alone, and the last one that has joined predicts: it needs a prediction per component, --method scpl with --predictors or --method early-exit"
      )
      try growAt.check(components: components, totalEpochs: epochs)
    }
    // A program's own data is checked against the model when it loads (`DataSource.load`).
    if dataset != .custom {
      try Self.checkFamilies(model, data: try DatasetCatalog.entry(dataset).family, named: dataset.rawValue)
    }
    try pipeline.check(method: method, deviceCount: devices.count)
    if let placement {
      try need(
        placement.componentCount == components,
        "--placement \(placement) places \(placement.componentCount) component(s), but --components is \(components)")
    }
    try need(
      devices.count <= components,
      "--devices \(devices) names \(devices.count) devices for \(components) components: every device needs at least one component; use at most \(components) devices"
    )
    if let v = chunksPerDevice {
      try need(
        pipeline == .interleaved1F1B, "--chunks-per-device applies to --pipeline interleaved-1f1b only, not \(pipeline)"
      )
      try count(v, "chunks-per-device", 1...Limits.components)
      try Interleaving.check(
        chunksPerDevice: v, devices: devices.count, microBatches: microBatches, components: components)
    }
  }

  /// The executor options these settings describe (placement checked against the model later).
  /// With `link` (a distributed run): `--devices` is each rank's, so the pipeline has ranks ×
  /// that many devices, rank r's numbered after rank r−1's (`DeviceSpec.acrossRanks`), and
  /// `--placement` places components on these devices.
  public func pipelineOptions(componentCount: Int, link: RankLink? = nil) throws -> PipelineOptions {
    var spec = devices
    if let link { spec = try .acrossRanks(spec, rank: link.rank, of: link.worldSize) }
    if let placement, let chunksPerDevice {
      try Interleaving.check(
        placement, components: componentCount, devices: spec.count, chunksPerDevice: chunksPerDevice)
    } else {
      try placement?.check(componentCount: componentCount, deviceCount: spec.count)
    }
    var o = PipelineOptions(kind: pipeline, devices: spec, placement: placement)
    o.threadsPerDevice = threadsPerDevice
    o.queueDepth = queueDepth
    o.microBatches = microBatches
    o.recompute = recompute
    if let chunksPerDevice { o.chunksPerDevice = chunksPerDevice }
    o.link = link
    return o
  }

  /// The learning method's options these settings describe: learning rate, temperature, projection, divisor,
  /// local objective, optimizer and projection-head widths.
  public var methodOptions: MethodOptions {
    var o = MethodOptions()
    o.learningRate = lr
    o.temperature = temperature
    o.projection = projection
    o.divisor = divisor
    o.objective = objective ?? .supervisedContrastive
    switch optimizer ?? .adam {
    case .adam: o.optimizer = .adam
    case .sgd: o.optimizer = .sgd(momentum: momentum ?? 0.9, weightDecay: weightDecay ?? 0)
    case .lars: o.optimizer = .lars(momentum: momentum ?? 0.9, weightDecay: weightDecay ?? 0, eta: 0.001)
    }
    o.projectionHidden = headHidden
    o.projectionOutput = headOut
    o.predictors = predictors
    if let predictorWeight { o.predictorWeight = predictorWeight }
    // The reference's ALComponent for its vanilla ConvNet is narrower than for VGG and ResNet.
    if model == .convnet { o.associatedLearning = .init(labelWidth: 300, bridgeHidden: 1500) }
    return o
  }

  /// The learning-rate schedule for `stepsPerEpoch` steps.
  public func schedule(stepsPerEpoch: Int) throws -> any LearningRateSchedule {
    switch lrSchedule {
    case .constant: return try ConstantSchedule(lr)
    case .cosineStep:
      return try CosineSchedule(
        base: lr, end: endLr, epochs: epochs, stepsPerEpoch: stepsPerEpoch, granularity: .perStep)
    case .cosine:
      return try CosineSchedule(
        base: lr, end: endLr, epochs: epochs, stepsPerEpoch: stepsPerEpoch, granularity: .perEpoch)
    }
  }
}
