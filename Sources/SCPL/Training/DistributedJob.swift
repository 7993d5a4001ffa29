import Foundation
import NN
import Torch

/// Where this process stands in a distributed run, as torchrun tells it: `RANK`, `WORLD_SIZE`,
/// `MASTER_ADDR`, `MASTER_PORT` (`LOCAL_RANK` is not read: a rank's devices, GPUs included, are
/// its `--devices`).
public struct DistributedEnvironment: Sendable, Equatable {
  /// This process's rank, 0..<`worldSize` (`RANK`).
  public var rank: Int
  /// The number of processes in the job (`WORLD_SIZE`).
  public var worldSize: Int
  /// Rank 0's host (`MASTER_ADDR`, default 127.0.0.1).
  public var masterAddress: String
  /// The port of rank 0's store (`MASTER_PORT`, default 29500; the next one under torchrun's agent store).
  public var masterPort: Int
  /// `SCPL_STORE_FILE` (set by `scpl launch`): the ranks, all on this host, meet in this file
  /// (a c10d FileStore in a folder only this user can read) instead of on a TCP port.
  public var storeFile: String?
  /// Where this job's keys go in the store: torchrun's run id and restart count keep a restarted
  /// job's claims apart from the previous attempt's.
  public var storeKeyPrefix = "scpl/"

  /// Creates an environment from its values; `storeFile` nil meets over TCP.
  public init(rank: Int, worldSize: Int, masterAddress: String, masterPort: Int, storeFile: String? = nil) {
    self.rank = rank
    self.worldSize = worldSize
    self.masterAddress = masterAddress
    self.masterPort = masterPort
    self.storeFile = storeFile
  }

  /// From the environment; each missing or malformed variable is named.
  public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws
    -> DistributedEnvironment
  {
    func int(_ name: String, default d: Int? = nil) throws -> Int {
      guard let text = env[name], !text.isEmpty else {
        if let d { return d }
        throw ConfigError(
          "--distributed needs \(name) in the environment (as torchrun or `scpl launch` set it): RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT"
        )
      }
      guard let n = Int(text) else { throw ConfigError("\(name)=\(text) is not a whole number") }
      return n
    }
    var e = DistributedEnvironment(
      rank: try int("RANK"), worldSize: try int("WORLD_SIZE"),
      masterAddress: env["MASTER_ADDR"].flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1",
      masterPort: try int("MASTER_PORT", default: 29500),
      storeFile: env["SCPL_STORE_FILE"].flatMap { $0.isEmpty ? nil : $0 })
    // Under torchrun (TORCHELASTIC_USE_AGENT_STORE=True) its agent already holds MASTER_PORT
    // with a store of its own, whose protocol follows torchrun's PyTorch version, not the
    // libtorch scpl is built on; rank 0 hosts scpl's store on the next port instead.
    if env["TORCHELASTIC_USE_AGENT_STORE"]?.lowercased() == "true" { e.masterPort += 1 }
    if let run = env["TORCHELASTIC_RUN_ID"] {
      e.storeKeyPrefix = "scpl/\(run)/\(env["TORCHELASTIC_RESTART_COUNT"] ?? "0")/"
    }
    guard e.worldSize >= 1, (0..<e.worldSize).contains(e.rank) else {
      throw ConfigError("RANK=\(e.rank) is not a rank of WORLD_SIZE=\(e.worldSize) (0…\(e.worldSize - 1))")
    }
    return e
  }
}

/// What rank 0 tells the other ranks once it has read the data: the resolved configuration and
/// the facts of the data a model is built from, so the other ranks never open the data set. Or,
/// when rank 0 could not start, why.
public struct DistributedJob: Codable, Sendable {
  /// The resolved configuration; nil when rank 0 sends an error instead.
  public var config: TrainConfig?
  /// One sample's shape, as the model is built for it.
  public var sampleShape: [Int] = []
  /// Number of classes.
  public var classCount = 0
  /// Text models: the embedding's shape. The other ranks build the model with zeros of this
  /// shape (the embedding is component 1, on rank 0), so they draw the same initial weights.
  public var wordVectorsShape: [Int]?
  /// Why rank 0 could not start the run; nil when it could.
  public var error: String?

  /// The job of a run rank 0 is about to start with `config` on `data`.
  public init(config: TrainConfig, data: LoadedData) {
    self.config = config
    sampleShape = data.sampleShape
    classCount = data.classCount
    wordVectorsShape = data.wordVectors?.shape
  }

  /// A job that tells the other ranks rank 0 could not start, and why.
  public init(error: String) { self.error = error }

  /// Rank 0: sends the job to every rank. Others: receives it (throws rank 0's error if it had one).
  public static func share(_ job: DistributedJob?, over group: ProcessGroup) throws -> DistributedJob {
    let bytes = try group.broadcastBytes(group.rank == 0 ? Array(try JSONEncoder().encode(job)) : [], from: 0)
    let received = try JSONDecoder().decode(DistributedJob.self, from: Data(bytes))
    if let error = received.error, group.rank != 0 { throw ConfigError("rank 0 could not start the run: \(error)") }
    return received
  }

  /// Every rank's options (`partial`, as given on its command line or in its YAML) must be rank
  /// 0's: rank 0 compares them all and every rank fails with the same sentence, naming the first
  /// rank and option that differ. `out` and `data-dir` may differ (only rank 0 reads data and
  /// writes the run folder).
  public static func agree(on partial: PartialTrainConfig, over group: ProcessGroup) throws {
    let mine = try JSONEncoder().encode(partial)
    var verdict = ""
    if group.rank == 0 {
      let ours = try options(mine)
      for _ in 1..<group.worldSize {
        let (source, tensors) = try group.receiveTensors(from: nil, tag: 2)
        let theirs = try options(Data(try tensors.first??.toArray(UInt8.self) ?? []))
        if verdict.isEmpty,
          let key = Set(ours.keys).union(theirs.keys).sorted().first(where: { ours[$0] != theirs[$0] })
        {
          verdict =
            "rank \(source) was started with other options than rank 0: --\(key) is \(theirs[key] ?? "not given") there and \(ours[key] ?? "not given") on rank 0; give every rank the same options"
        }
      }
    } else {
      try group.sendTensors([try Tensor(Array(mine))], to: 0, tag: 2)
    }
    let told = String(decoding: try group.broadcastBytes(Array(verdict.utf8), from: 0), as: UTF8.self)
    if !told.isEmpty { throw ConfigError(told) }
  }

  /// An encoded partial config's options as text, without those that may differ between ranks.
  private static func options(_ json: Data) throws -> [String: String] {
    let object = try JSONSerialization.jsonObject(with: json) as? [String: Any] ?? [:]
    return object.filter { $0.key != "out" && $0.key != "data-dir" }.mapValues { "\($0)" }
  }
}

/// Ranks other than 0 of a distributed run: for each run rank 0 begins, build the same model
/// (same seed, same configuration, the data's shapes from the job) and serve this rank's
/// components through the run's schedule until rank 0 ends the run; leave when rank 0 ends the
/// job. Every wait is bounded by the group's timeout, so a lost rank 0 ends this one too.
public enum RankServer {
  /// Serves this rank's components for every run rank 0 begins, until rank 0 ends the job; `buildModel` and
  /// `adjustMethodOptions` must match rank 0's, and `log` receives progress lines. In a job of
  /// replicas, `link` is this rank's replica's chain and its components' gradients average with
  /// the other replicas' through `replicas`.
  public static func serve(
    _ link: RankLink, job: DistributedJob, buildModel: ModelBuilder = ModelFactory.build,
    adjustMethodOptions: (inout MethodOptions) -> Void = { _ in }, replicas: DistributedReplicas? = nil,
    log: (String) -> Void
  ) throws {
    guard let config = job.config else { throw ConfigError("the job rank 0 sent has no configuration") }
    while true {
      let m = try link.receiveFromAbove()
      if !link.isLast { try link.sendDown(m) }
      switch m {
      case .beginRun(let seed, let placementOfComponents):
        try Torch.manualSeed(seed)
        let model = try buildModel(
          config,
          ModelInput(
            sampleShape: job.sampleShape, classCount: job.classCount,
            wordVectors: try job.wordVectorsShape.map { try Tensor.zeros($0) }))
        var methodOptions = config.methodOptions
        adjustMethodOptions(&methodOptions)
        let averaging = try replicas.map { try ProcessReplicas(replicas: $0.replicas) }
        methodOptions.gradientAveraging = averaging
        let method = try Methods.make(config.method, model: model, options: methodOptions)
        var options = try config.pipelineOptions(componentCount: model.components.count, link: link)
        options.placement = try Placement(placementOfComponents, deviceCount: options.stageCount)
        options.seed = seed
        guard let executor = try Pipelines.make(method, options) as? any RankedExecutor else {
          throw PipelineError("--pipeline \(options.kind.rawValue) does not run across ranks")
        }
        defer { executor.shutdown() }
        if let replicas, let averaging {
          try replicas.addGroups(
            to: averaging, method: method, components: executor.components(ofRank: link.rank), run: seed)
        }
        log(
          "serving component(s) \(executor.components(ofRank: link.rank).map { String($0 + 1) }.joined(separator: ", ")) of \(model.name) as rank \(link.rank) of \(link.worldSize) (seed \(seed))"
        )
        try executor.serve()
      case .endJob:
        return
      default:
        throw PipelineError("rank \(link.rank) received work outside a run")
      }
    }
  }
}
