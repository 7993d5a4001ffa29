extension ScheduleSimulator {
  /// Everything a schedule needs besides its name: the stages' costs and the batching.
  public struct Setup: Equatable, Sendable {
    /// One entry per stage; stage k runs on device k (bp puts them all on device 0).
    public var stages: [StageCosts]
    /// Micro-batches per mini-batch (1: the whole mini-batch at once).
    public var microBatches: Int
    /// Mini-batches simulated by `async` (the others simulate one).
    public var batches: Int
    public var update: UpdatePolicy

    public init(stages: [StageCosts], microBatches: Int = 1, batches: Int = 8, update: UpdatePolicy = .synchronous) {
      self.stages = stages
      self.microBatches = microBatches
      self.batches = batches
      self.update = update
    }

    /// `costs` with the model's micro-batch count unless `microBatches` overrides it.
    public init(_ costs: CostModel, microBatches: Int? = nil, batches: Int = 8, update: UpdatePolicy = .synchronous) {
      self.init(stages: costs.stages, microBatches: microBatches ?? costs.microBatches ?? 1,
                batches: batches, update: update)
    }

    public func validate() throws {
      guard !stages.isEmpty else { throw SimulationError.stagesOutOfRange(stages.count) }
      guard microBatches >= 1 else { throw SimulationError.microBatchesOutOfRange(microBatches) }
      guard batches >= 1 else { throw SimulationError.batchesOutOfRange(batches) }
    }

    /// Resolves command-line style inputs, checking each before anything runs: `stages` (K),
    /// `microBatches` (M), `batches`, the update policy's name, then `costs` (a built-in set's
    /// name or a JSON file; nil: uniform unit costs on K stages, K defaulting to 4). A costs file
    /// whose stage count differs from an explicit `stages` is an error.
    public static func resolve(costs: String?, stages: Int?, microBatches: Int?, batches: Int = 8,
                               update: String = UpdatePolicy.synchronous.rawValue) throws -> (CostModel, Setup) {
      if let k = stages, k < 1 { throw SimulationError.stagesOutOfRange(k) }
      if let m = microBatches, m < 1 { throw SimulationError.microBatchesOutOfRange(m) }
      guard batches >= 1 else { throw SimulationError.batchesOutOfRange(batches) }
      let policy = try UpdatePolicy.parse(update)
      let model: CostModel
      if let costs {
        model = try CostModel.load(costs)
        if let k = stages, k != model.stages.count {
          throw SimulationError.stageCountMismatch(path: costs, inFile: model.stages.count, requested: k)
        }
      } else {
        model = .uniform(stages: stages ?? 4)
      }
      let setup = Setup(model, microBatches: microBatches, batches: batches, update: policy)
      try setup.validate()
      return (model, setup)
    }
  }
}
