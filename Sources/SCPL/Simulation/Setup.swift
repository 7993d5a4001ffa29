import Foundation

extension ScheduleSimulator {
  /// Everything a schedule needs besides its name: the stages' costs and the batching.
  public struct Setup: Equatable, Sendable {
    /// One entry per stage; stage k runs on device k (bp puts them all on device 0).
    public var stages: [StageCosts]
    /// Micro-batches per mini-batch (1: the whole mini-batch at once).
    public var microBatches: Int
    /// Mini-batches simulated by `async` (the others simulate one).
    public var batches: Int
    /// When devices apply their updates in the one-mini-batch schedules.
    public var update: UpdatePolicy
    /// Chunks of the network each device holds under interleaved-1f1b (v; default 2).
    public var chunksPerDevice = 2
    /// Replicas of the whole pipeline, each on its own devices and its own share of the batch
    /// (data parallelism over pipelines): with more than one, each stage's gradients are
    /// all-reduced among the replicas after its backward, on its device's link, a ring
    /// all-reduce of 2(R−1)/R × its `allreduce` cost; its update waits for that. The replicas
    /// run the same schedule at the same time, so one of them is simulated.
    public var replicas = 1

    /// A setup of `stages`' costs, `microBatches` per mini-batch, `batches` for `async`, and `update`.
    public init(stages: [StageCosts], microBatches: Int = 1, batches: Int = 8, update: UpdatePolicy = .synchronous) {
      self.stages = stages
      self.microBatches = microBatches
      self.batches = batches
      self.update = update
    }

    /// `costs` with the model's micro-batch count unless `microBatches` overrides it.
    public init(_ costs: CostModel, microBatches: Int? = nil, batches: Int = 8, update: UpdatePolicy = .synchronous) {
      self.init(
        stages: costs.stages, microBatches: microBatches ?? costs.microBatches ?? 1,
        batches: batches, update: update)
    }

    /// Throws unless there is at least one stage, one micro-batch and one batch.
    public func validate() throws {
      guard !stages.isEmpty else { throw SimulationError.stagesOutOfRange(stages.count) }
      guard microBatches >= 1 else { throw SimulationError.microBatchesOutOfRange(microBatches) }
      guard batches >= 1 else { throw SimulationError.batchesOutOfRange(batches) }
      guard chunksPerDevice >= 1 else { throw SimulationError.chunksOutOfRange(chunksPerDevice) }
      guard replicas >= 1 else { throw SimulationError.replicasOutOfRange(replicas) }
    }

    /// Resolves command-line style inputs, checking each before anything runs: `stages` (K),
    /// `microBatches` (M), `batches`, the update policy's name, then the costs: `costs` (a
    /// built-in set's name or a JSON file), or `trace` (a Chrome trace, read by `TraceCosts` with
    /// its first `skipBatches` batches left out), never both; with neither, uniform unit costs on
    /// K stages, K defaulting to 4. Costs whose stage count differs from an explicit `stages` are
    /// an error. `batches` defaults to the trace's batch count for a trace, else 8.
    public static func resolve(
      costs: String?, trace: String? = nil, skipBatches: Int = 0, stages: Int?,
      microBatches: Int?, batches: Int? = nil,
      update: String = UpdatePolicy.synchronous.rawValue
    ) throws -> (CostModel, Setup) {
      if let k = stages, k < 1 { throw SimulationError.stagesOutOfRange(k) }
      if let m = microBatches, m < 1 { throw SimulationError.microBatchesOutOfRange(m) }
      if let n = batches, n < 1 { throw SimulationError.batchesOutOfRange(n) }
      let policy = try UpdatePolicy.parse(update)
      if let costs, let trace { throw SimulationError.costsAndTrace(costs: costs, trace: trace) }
      let model: CostModel
      var counted: Int?
      if let costs {
        model = try CostModel.load(costs)
      } else if let trace {
        let measured = try TraceCosts.read(
          URL(fileURLWithPath: trace), microBatches: microBatches, skipBatches: skipBatches)
        model = CostModel(
          name: URL(fileURLWithPath: trace).deletingPathExtension().lastPathComponent,
          stages: measured.stages, microBatches: measured.microBatches)
        counted = measured.batches
      } else {
        model = .uniform(stages: stages ?? 4)
      }
      if let source = costs ?? trace, let k = stages, k != model.stages.count {
        throw SimulationError.stageCountMismatch(path: source, inFile: model.stages.count, requested: k)
      }
      let batches = batches ?? counted ?? 8
      let setup = Setup(model, microBatches: microBatches, batches: batches, update: policy)
      try setup.validate()
      return (model, setup)
    }
  }
}
