import ArgumentParser
import Data
import Foundation
import NN
import SCPL
import Torch

struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Train a model. With no options: a small ConvNet with backpropagation on real Fashion-MNIST.")

  @Option(help: "Directory with the Fashion-MNIST IDX files.")
  var dataDir = FashionMNIST.defaultDirectory.path

  @Option(help: "Passes over the training set.")
  var epochs = 1

  @Option(help: "Training mini-batch size.")
  var batchSize = 128

  @Option(help: "Adam learning rate.")
  var lr = 1e-3

  @Option(help: "Seed for initialisation and shuffling.")
  var seed: UInt64 = 1

  @Option(help: "Intra-op threads (default: all cores).")
  var threads = ProcessInfo.processInfo.activeProcessorCount

  @Option(help: "Use only the first N training samples.")
  var limitTrain: Int?

  @Option(help: "Use only the first N test samples.")
  var limitTest: Int?

  func validate() throws {
    guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
    guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
    guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be a positive number, got \(lr)") }
    guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
  }

  func run() throws {
    try Threads.setThreadCount(threads)
    Torch.manualSeed(seed)
    let directory = URL(fileURLWithPath: dataDir)
    let train = try FashionMNIST.load(.train, directory: directory).prefix(limitTrain)
    let test = try FashionMNIST.load(.test, directory: directory).prefix(limitTest)
    print("data: \(train.name) \(train.count) samples, \(test.name) \(test.count) samples")

    let model = try SmallConvNet(inputShape: train.sampleShape, classes: train.classCount)
    let optimizer = try Adam(model.trainableParameters(), lr: lr)
    print("model: SmallConvNet, \(model.parameterCount) parameters; method: BP; Adam lr \(lr); batch \(batchSize); \(threads) thread(s)")

    let progress = ProgressLine()
    let started = Stopwatch.now()
    for epoch in 1...epochs {
      model.train()
      let batches = try Batches(train, batchSize: batchSize, shuffleSeed: seed &+ UInt64(epoch))
      var lossSum = 0.0, seen = 0, right = 0
      let epochStart = Stopwatch.now()
      for (step, batch) in batches.enumerated() {
        let logits = try model(batch.inputs)
        let loss = try crossEntropy(logits, batch.labels)
        try optimizer.zeroGrad()
        try loss.backward()
        try optimizer.step()
        let n = batch.labels.shape[0]
        lossSum += try loss.item() * Double(n)
        right += try withNoGrad { try Accuracy.correct(logits: logits, labels: batch.labels) }
        seen += n
        let elapsed = Stopwatch.now() - epochStart
        let eta = elapsed / Double(step + 1) * Double(batches.count - step - 1)
        progress.update(String(format: "epoch %d/%d  step %d/%d  loss %.4f  %.0f samples/s  ETA %@", epoch, epochs, step + 1,
                               batches.count, lossSum / Double(seen), Double(seen) / elapsed, ProgressLine.duration(eta)))
      }
      let seconds = Stopwatch.now() - epochStart
      let testAccuracy = try Accuracy.evaluate(model, on: test)
      progress.finish(String(format: "epoch %d/%d  loss %.4f  train acc %.2f%%  test acc %.2f%%  %.0f samples/s  %.1f s (elapsed %@)",
                             epoch, epochs, lossSum / Double(seen), 100 * Double(right) / Double(seen), 100 * testAccuracy,
                             Double(seen) / seconds, seconds, ProgressLine.duration(Stopwatch.now() - started)))
      if epoch == epochs {
        print(String(format: "final test accuracy: %.2f%% on %d test images", 100 * testAccuracy, test.count))
      }
    }
  }
}
