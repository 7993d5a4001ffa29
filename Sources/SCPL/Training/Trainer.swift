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
    let stepsPerEpoch = (data.train.count + config.batchSize - 1) / config.batchSize
    let schedule = try config.schedule(stepsPerEpoch: stepsPerEpoch)
    if run == 0 {
      log("model: \(model.name), \(model.components.count) components, \(model.parameterCount) parameters; method: \(method.kind.rawValue)")
    }
    var records: [EpochRecord] = []
    var best = (accuracy: -1.0, epoch: 0)
    var step = 0
    for epoch in 1...config.epochs {
      var lossSums = Array(repeating: 0.0, count: method.lossNames.count)
      var seen = 0
      var stepSeconds = 0.0
      let lr = try schedule.learningRate(epoch: epoch, step: step)
      method.setLearningRate(lr)
      method.train(true)
      let wall = Stopwatch.now()
      let batches = loader.epoch(epoch)
      while let batch = try batches.next() {
        if config.lrSchedule == "cosine-step" { method.setLearningRate(try schedule.learningRate(epoch: epoch, step: step)) }
        let start = Stopwatch.now()
        let losses = try method.trainStep(inputs: batch.inputs, labels: batch.labels)
        stepSeconds += Stopwatch.now() - start
        guard losses.allSatisfy(\.isFinite) else {
          throw TorchError("training diverged at epoch \(epoch), step \(step + 1): losses \(losses); try a smaller --lr")
        }
        let n = batch.labels.shape[0]
        for (i, l) in losses.enumerated() { lossSums[i] += l * Double(n) }
        seen += n
        step += 1
        let done = Double(step - (epoch - 1) * stepsPerEpoch) / Double(stepsPerEpoch)
        progress.update(String(format: "run %d/%d epoch %d/%d  %3.0f%%  loss %@  %.0f samples/s  ETA %@", run + 1, config.times, epoch,
                               config.epochs, 100 * Swift.min(done, 1), Self.format(lossSums.map { $0 / Double(seen) }),
                               Double(seen) / stepSeconds, ProgressLine.duration((Stopwatch.now() - wall) * (1 / Swift.max(done, 1e-9) - 1))))
      }
      let test = try Evaluation.run(method, on: data.test, batchSize: config.testBatchSize)
      let train = try Evaluation.run(method, on: data.trainProbe, batchSize: config.testBatchSize)
      if test.accuracy > best.accuracy { best = (test.accuracy, epoch) }
      let record = EpochRecord(run: run, seed: seed, epoch: epoch, lr: lr,
                               losses: Dictionary(uniqueKeysWithValues: zip(method.lossNames, lossSums.map { $0 / Double(seen) })),
                               trainAccuracy: train.accuracy, testAccuracy: test.accuracy, componentTestAccuracy: test.headAccuracies,
                               epochSeconds: stepSeconds, trainSamplesPerSecond: Double(seen) / stepSeconds)
      records.append(record)
      try folder.appendMetrics(record)
      progress.finish(String(format: "run %d/%d epoch %d/%d  lr %.3g  loss %@  train acc %.2f%%  test acc %.2f%%%@  %.0f samples/s  %.1f s",
                             run + 1, config.times, epoch, config.epochs, lr, Self.format(lossSums.map { $0 / Double(seen) }),
                             100 * train.accuracy, 100 * test.accuracy,
                             test.headAccuracies.isEmpty ? "" : " (heads " + test.headAccuracies.map { String(format: "%.1f", 100 * $0) }.joined(separator: "/") + ")",
                             record.trainSamplesPerSecond, stepSeconds))
    }
    let last = records.last!
    let summary = RunSummary.Run(seed: seed, testAccuracy: last.testAccuracy, bestTestAccuracy: best.accuracy, bestEpoch: best.epoch,
                                 componentTestAccuracy: last.componentTestAccuracy, epochSeconds: records.map(\.epochSeconds),
                                 trainSamplesPerSecond: records.map(\.trainSamplesPerSecond).reduce(0, +) / Double(records.count))
    return (summary, records)
  }

  static func format(_ losses: [Double]) -> String { losses.map { String(format: "%.3f", $0) }.joined(separator: "/") }
}
