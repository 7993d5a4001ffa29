import Data
import Foundation
import NN
import Torch

/// Runs a resolved config: `times` runs (seeds seed, seed+1, …), each for `epochs` epochs,
/// writing metrics as it goes and the summary at the end. The whole loop fits on one screen.
public final class Trainer {
  public let config: TrainConfig
  public let data: LoadedData
  public let folder: RunFolder
  /// Receives human-readable progress (the CLI prints it).
  public var log: (String) -> Void = { print($0) }
  public var progress = ProgressLine()
  /// Background threads preparing batches (each with one intra-op thread).
  public var loaderThreads = 1

  public init(config: TrainConfig, data: LoadedData, folder: RunFolder) {
    self.config = config
    self.data = data
    self.folder = folder
  }

  public func run() throws -> RunSummary {
    var runs: [RunSummary.Run] = []
    var curves: [EpochRecord] = []
    for r in 0..<config.times {
      let seed = config.seed &+ UInt64(r)
      let (run, records) = try trainOnce(run: r, seed: seed)
      runs.append(run)
      curves += records
      try folder.write("curves.svg", Data(Curves.svg(records: curves, title: "\(config.model) · \(config.method) · \(config.dataset)").utf8))
    }
    let summary = RunSummary(model: config.model, method: config.method, dataset: config.dataset, epochs: config.epochs,
                             components: config.components, runs: runs)
    try folder.writeJSON("summary.json", summary)
    return summary
  }

  func trainOnce(run: Int, seed: UInt64) throws -> (RunSummary.Run, [EpochRecord]) {
    Torch.manualSeed(seed)
    let model = try ModelFactory.build(config, sampleShape: data.sampleShape, classCount: data.classCount, wordVectors: data.wordVectors)
    let method = try Methods.make(config.methodKind, model: model, options: config.methodOptions)
    let loader = try DataLoader(data.train, batchSize: config.batchSize, seed: seed, shuffle: true,
                                workerThreads: loaderThreads, prefetch: 4)
    // The executor is built before the first step: on GPUs it moves the modules first, so the
    // optimizers' state is created on the right device.
    let executor = try Pipelines.make(method, try config.pipelineOptions(componentCount: model.components.count),
                                      probe: try loader.batch(epoch: 1, index: 0).inputs)
    defer { executor.shutdown() }
    let stepsPerEpoch = loader.batchCount
    let schedule = try config.schedule(stepsPerEpoch: stepsPerEpoch)
    if run == 0 {
      log("model: \(model.name), \(model.components.count) components, \(model.parameterCount) parameters; method: \(method.kind.rawValue); pipeline: \(executor.kind.rawValue) on \(executor.devices) (placement \(executor.placement), \(config.threadsPerDevice) thread(s) per device)")
    }
    var records: [EpochRecord] = []
    var best = (accuracy: -1.0, epoch: 0)
    var step = 0
    var busy: [Double] = []
    for epoch in 1...config.epochs {
      var lossSums = Array(repeating: 0.0, count: method.lossNames.count)
      var seen = 0
      let lr = try schedule.learningRate(epoch: epoch, step: step)
      method.setLearningRate(lr)
      method.train(true)
      let feed = BatchFeed(loader.epoch(epoch))
      let wall = Stopwatch.now()
      let epochRun = try executor.trainEpoch(feed) { result in
        guard result.losses.allSatisfy(\.isFinite) else {
          throw TorchError("training diverged at epoch \(epoch), step \(result.batch + 1): losses \(result.losses); try a smaller --lr")
        }
        let n = feed.sizes[result.batch]
        for (i, l) in result.losses.enumerated() { lossSums[i] += l * Double(n) }
        seen += n
        step += 1
        if config.lrSchedule == "cosine-step" { method.setLearningRate(try schedule.learningRate(epoch: epoch, step: step)) }
        let done = Double(result.batch + 1) / Double(stepsPerEpoch)
        let elapsed = Stopwatch.now() - wall
        progress.update(String(format: "run %d/%d epoch %d/%d  %3.0f%%  loss %@  lr %.3g  %.0f samples/s  elapsed %@  ETA %@", run + 1, config.times,
                               epoch, config.epochs, 100 * done, Self.format(lossSums.map { $0 / Double(seen) }), lr,
                               Double(seen) / elapsed, ProgressLine.duration(elapsed), ProgressLine.duration(elapsed * (1 / done - 1))))
      }
      try feed.rethrow()
      let stepSeconds = epochRun.seconds
      busy = executor.timeline.busyFractions()
      if config.profile && epoch == config.epochs && run == 0 {
        try ChromeTrace.write(executor.timeline, to: folder.url.appendingPathComponent("trace.json"))
        try folder.write("timeline.svg", Data(TimelineSVG.svg(executor.timeline, title: "\(config.model) · \(config.method) · \(executor.kind.rawValue), epoch \(epoch)").utf8))
      }
      let test = try Evaluation.run(method, on: data.test, batchSize: config.testBatchSize)
      let train = try Evaluation.run(method, on: data.trainProbe, batchSize: config.testBatchSize)
      if test.accuracy > best.accuracy { best = (test.accuracy, epoch) }
      let record = EpochRecord(run: run, seed: seed, epoch: epoch, lr: lr,
                               losses: Dictionary(uniqueKeysWithValues: zip(method.lossNames, lossSums.map { $0 / Double(Swift.max(seen, 1)) })),
                               trainAccuracy: train.accuracy, testAccuracy: test.accuracy, componentTestAccuracy: test.headAccuracies,
                               epochSeconds: stepSeconds, trainSamplesPerSecond: Double(seen) / stepSeconds)
      records.append(record)
      try folder.appendMetrics(record)
      progress.finish(String(format: "run %d/%d epoch %d/%d  lr %.3g  loss %@  train acc %.2f%%  test acc %.2f%%%@  %.0f samples/s  %.1f s",
                             run + 1, config.times, epoch, config.epochs, lr, Self.format(lossSums.map { $0 / Double(Swift.max(seen, 1)) }),
                             100 * train.accuracy, 100 * test.accuracy,
                             test.headAccuracies.isEmpty ? "" : " (heads " + test.headAccuracies.map { String(format: "%.1f", 100 * $0) }.joined(separator: "/") + ")",
                             record.trainSamplesPerSecond, stepSeconds))
    }
    let last = records.last!
    let summary = RunSummary.Run(seed: seed, testAccuracy: last.testAccuracy, bestTestAccuracy: best.accuracy, bestEpoch: best.epoch,
                                 componentTestAccuracy: last.componentTestAccuracy, epochSeconds: records.map(\.epochSeconds),
                                 trainSamplesPerSecond: records.map(\.trainSamplesPerSecond).reduce(0, +) / Double(records.count),
                                 deviceBusyFraction: busy)
    return (summary, records)
  }

  static func format(_ losses: [Double]) -> String { losses.map { String(format: "%.3f", $0) }.joined(separator: "/") }
}
