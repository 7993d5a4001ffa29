import Data
import Torch

/// What one run trains with, built the way every run builds it (`Trainer`, `Soak`): libtorch
/// seeded, the model and method, the shuffling loader, and the executor. The executor is made
/// before the first step (on GPUs it moves the modules first, so optimizer state is born on the
/// right device); the caller shuts it down.
struct RunSetup {
  let model: StagedModel
  let method: any TrainingMethod
  let loader: DataLoader
  let executor: any PipelineExecutor

  /// With `link` (rank 0 of `--distributed`), the pipeline's devices are all ranks' (`--devices`
  /// each), in rank order.
  init(
    _ config: TrainConfig, data: LoadedData, seed: UInt64, loaderThreads: Int, link: RankLink? = nil,
    buildModel: ModelBuilder = ModelFactory.build, methodOptions: MethodOptions? = nil
  ) throws {
    try Torch.manualSeed(seed)
    model = try buildModel(config, data.modelInput)
    method = try Methods.make(config.method, model: model, options: methodOptions ?? config.methodOptions)
    loader = try DataLoader(
      data.train, batchSize: config.batchSize, seed: seed, shuffle: true, workerThreads: loaderThreads, prefetch: 4)
    var options = try config.pipelineOptions(componentCount: model.components.count, link: link)
    options.seed = seed
    // Only a balanced placement over several devices measures its step-time costs on a real batch.
    let needsProbe = options.devices.count > 1 && options.placement == nil
    executor = try Pipelines.make(
      method, options, probe: needsProbe ? try loader.batch(epoch: 1, index: 0).inputs : nil)
  }
}
