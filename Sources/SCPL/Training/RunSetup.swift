import Data
import NN
import Torch

/// What one run trains with, built the way every run builds it (`Trainer`, `Soak`): libtorch
/// seeded, the model and method, the shuffling loader, and the executor. The executor is made
/// before the first step (on GPUs it moves the modules first, so optimizer state is born on the
/// right device); the caller shuts it down.
///
/// With `--replicas R` (R > 1), R models and methods are built from the same seed, each
/// averaging its gradients through one `ThreadReplicas`, each with an executor of its own on the
/// same devices (its own workers) and replica 0's placement; `executor` is the
/// `ReplicatedExecutor` over them, `model` and `method` are replica 0's, and the loader serves
/// every replica's shard at once.
///
/// A leader of a distributed job of replicas (`replicas`) builds only its own replica: its
/// shard of the data, its optimizers averaging through process groups, replica 0's placement.
struct RunSetup {
  let model: StagedModel
  let method: any TrainingMethod
  let loader: DataLoader
  let executor: any PipelineExecutor

  /// With `link` (rank 0 of `--distributed`), the pipeline's devices are all ranks' (`--devices`
  /// each), in rank order.
  init(
    _ config: TrainConfig, data: LoadedData, seed: UInt64, loaderThreads: Int, link: RankLink? = nil,
    buildModel: ModelBuilder = ModelFactory.build, methodOptions: MethodOptions? = nil,
    replicas distributed: DistributedReplicas? = nil
  ) throws {
    if let distributed {
      self = try Self.leading(
        distributed, config, data: data, seed: seed, loaderThreads: loaderThreads, link: link, buildModel: buildModel,
        methodOptions: methodOptions)
      return
    }
    let count = config.replicaCount
    let loader = try DataLoader(
      data.train, batchSize: config.batchSize, seed: seed, shuffle: true, workerThreads: loaderThreads, prefetch: 4,
      replicas: count, everyReplica: count > 1)
    let meeting = count > 1 ? try ThreadReplicas(count: count) : nil
    var replicas: [Replica] = []
    for r in 0..<count {
      replicas.append(
        try Self.replica(
          config, data: data, seed: seed, link: link, buildModel: buildModel, methodOptions: methodOptions,
          averaging: meeting?.averaging(replica: r), placement: replicas.first?.executor.placement,
          // One replica's share of the first batch.
          firstBatch: { try ReplicaBatches.split(loader.batch(epoch: 1, index: 0), replicas: count)[0].inputs }))
    }
    self.init(
      model: replicas[0].model, method: replicas[0].method, loader: loader,
      executor: try meeting.map { try ReplicatedExecutor(replicas.map(\.executor), meeting: $0) }
        ?? replicas[0].executor)
  }

  private init(model: StagedModel, method: any TrainingMethod, loader: DataLoader, executor: any PipelineExecutor) {
    (self.model, self.method, self.loader, self.executor) = (model, method, loader, executor)
  }

  typealias Replica = (model: StagedModel, method: any TrainingMethod, executor: any PipelineExecutor)

  /// One copy of the run: libtorch seeded, the model, its method (averaging its gradients
  /// through `averaging`, if given) and its executor on `placement`; without one, a balanced
  /// placement over several devices measures its step-time costs on `firstBatch()`.
  private static func replica(
    _ config: TrainConfig, data: LoadedData, seed: UInt64, link: RankLink?, buildModel: ModelBuilder,
    methodOptions: MethodOptions?, averaging: (any GradientAveraging)?, placement: Placement?,
    firstBatch: () throws -> Tensor
  ) throws -> Replica {
    try Torch.manualSeed(seed)
    let model = try buildModel(config, data.modelInput)
    var options = methodOptions ?? config.methodOptions
    options.gradientAveraging = averaging
    let method = try Methods.make(config.method, model: model, options: options)
    var pipeline = try config.pipelineOptions(componentCount: model.components.count, link: link)
    pipeline.seed = seed
    if let placement { pipeline.placement = placement }
    let needsProbe = pipeline.devices.count > 1 && pipeline.placement == nil
    return (model, method, try Pipelines.make(method, pipeline, probe: needsProbe ? try firstBatch() : nil))
  }

  /// The leader of replica r of a distributed job: replica r's shard, its method averaging
  /// through process groups (one per component this rank trains), replica 0's placement.
  private static func leading(
    _ replicas: DistributedReplicas, _ config: TrainConfig, data: LoadedData, seed: UInt64, loaderThreads: Int,
    link: RankLink?, buildModel: ModelBuilder, methodOptions: MethodOptions?
  ) throws -> RunSetup {
    let loader = try DataLoader(
      data.train, batchSize: config.batchSize, seed: seed, shuffle: true, workerThreads: loaderThreads, prefetch: 4,
      replica: replicas.replica, replicas: replicas.replicas)
    let averaging = try ProcessReplicas(replicas: replicas.replicas)
    // Replica 0 places the components (measuring, unless --placement says); the others take its placement.
    let placement = replicas.replica == 0 ? nil : try replicas.agreePlacement(nil)
    let (model, method, executor) = try replica(
      config, data: data, seed: seed, link: link, buildModel: buildModel, methodOptions: methodOptions,
      averaging: averaging, placement: placement, firstBatch: { try loader.batch(epoch: 1, index: 0).inputs })
    if replicas.replica == 0 { _ = try replicas.agreePlacement(executor.placement) }
    let mine = (executor as? any RankedExecutor)?.components(ofRank: 0) ?? Array(0..<model.components.count)
    try replicas.addGroups(to: averaging, method: method, components: mine, run: seed)
    return RunSetup(model: model, method: method, loader: loader, executor: executor)
  }
}
