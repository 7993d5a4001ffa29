import Data
import NN
import Torch

/// What each component has learned, read off its features alone: a linear classifier (softmax
/// regression on standardised features, Adam) trained on the frozen features of the first
/// training samples and scored on the test set. SCPL's components have no classifier of their
/// own except the last, so this is how a run shows every component's share (`scpl train
/// --probe`). The model runs in eval mode without gradients; nothing of the method changes.
public enum LinearProbe {
  /// How the probe trains.
  public struct Options: Sendable {
    /// Training samples whose features train the probe, the first ones of the set (default 5000).
    public var trainSamples = 5000
    /// Passes over those samples (default 15).
    public var epochs = 15
    /// Samples per probe batch (default 250).
    public var batchSize = 250
    /// Adam's learning rate (default 0.01).
    public var learningRate = 1e-2
    /// The default options.
    public init() {}
  }

  /// The test accuracy of a linear probe on each component's features, in component order.
  public static func accuracies(
    _ method: any TrainingMethod, train: any BatchSource, test: any BatchSource,
    options: Options = Options()
  ) throws -> [Double] {
    let model = method.model
    let (trainFeatures, trainLabels) = try features(model, LimitedSource(train, options.trainSamples))
    let (testFeatures, testLabels) = try features(model, test)
    return try model.components.indices.map { k in
      try probe(trainFeatures[k], trainLabels, testFeatures[k], testLabels, classes: model.classCount, options: options)
    }
  }

  /// Every component's flattened features for every sample of `source` (on the CPU), and the labels.
  static func features(_ model: StagedModel, _ source: any BatchSource) throws -> (
    perComponent: [Tensor], labels: Tensor
  ) {
    let batches = try DataLoader(source, batchSize: 500, seed: 0, shuffle: false, workerThreads: 0).epoch(1)
    var pieces: [[Tensor]] = Array(repeating: [], count: model.components.count), labels: [Tensor] = []
    try model.inMode(training: false) {
      try withNoGrad {
        while let batch = try batches.next() {
          var x = try model.firstActivation(batch.inputs.to(model.components[0].parameters().first?.device ?? .cpu))
          for (k, c) in model.components.enumerated() {
            x = try c(x)
            pieces[k].append(try c.features(x).flattened(startAxis: 1).to(.cpu))
          }
          labels.append(batch.labels)
        }
      }
    }
    return (try pieces.map { try Tensor.cat($0) }, try Tensor.cat(labels))
  }

  /// Softmax regression on `x` (standardised with the training features' mean and spread), its
  /// accuracy on the test features.
  static func probe(_ x: Tensor, _ y: Tensor, _ testX: Tensor, _ testY: Tensor, classes: Int, options: Options) throws
    -> Double
  {
    let mean = try x.mean(axes: [0], keepDims: true), spread = try x.std(axes: [0], keepDims: true) + 1e-6
    let (train, test) = (try (x - mean) / spread, try (testX - mean) / spread)
    let classifier = try Linear(x.shape[1], classes)
    let adam = try Adam(classifier.trainableParameters(), lr: options.learningRate)
    let n = x.shape[0]
    for _ in 0..<options.epochs {
      let order = try Tensor.randperm(n)
      for start in stride(from: 0, to: n, by: options.batchSize) {
        let rows = try order.slice(axis: 0, start: start, end: Swift.min(n, start + options.batchSize))
        _ = try adam.minimize(crossEntropy(classifier(train.indexSelect(axis: 0, rows)), y.indexSelect(axis: 0, rows)))
      }
    }
    let right = try withNoGrad { try Accuracy.correct(logits: classifier(test), labels: testY) }
    return Double(right) / Double(Swift.max(testY.shape[0], 1))
  }
}
