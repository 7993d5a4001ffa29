import Torch

/// What a network is built for: the shape of one sample, the number of classes, and for text the
/// word vectors (nil for images).
public struct ModelInput {
  /// One sample's shape: C×H×W for images, [maxLen] for text.
  public var sampleShape: [Int]
  /// Number of classes.
  public var classCount: Int
  /// Text: the embedding matrix, one row per token id; nil for images.
  public var wordVectors: Tensor?

  /// Creates the input description of a network.
  public init(sampleShape: [Int], classCount: Int, wordVectors: Tensor? = nil) {
    self.sampleShape = sampleShape
    self.classCount = classCount
    self.wordVectors = wordVectors
  }
}

extension LoadedData {
  /// What a network for this data is built for.
  public var modelInput: ModelInput {
    ModelInput(sampleShape: sampleShape, classCount: classCount, wordVectors: wordVectors)
  }
}

/// Builds a run's network, from its resolved options and its data. A run calls it once per run
/// (`--times` runs build fresh networks), after seeding libtorch with the run's seed, so the
/// initial weights follow the seed; each rank of a distributed run calls it too. `ModelFactory.
/// build` is the built-in models'; a program with a network of its own passes its own
/// (`Trainer.buildModel`, `TrainOptions.train(model:)`).
public typealias ModelBuilder = (_ config: TrainConfig, _ input: ModelInput) throws -> StagedModel

/// Builds the model a config names for the data it will see.
public enum ModelFactory {
  /// The built-in model `config.model` names (a `ModelBuilder`).
  public static func build(_ config: TrainConfig, _ input: ModelInput) throws -> StagedModel {
    try build(config, sampleShape: input.sampleShape, classCount: input.classCount, wordVectors: input.wordVectors)
  }

  /// The built-in model `config.model` names, for samples of `sampleShape` and `classCount` classes; throws
  /// `ConfigError` for `custom`, or for a text model without `wordVectors`.
  public static func build(_ config: TrainConfig, sampleShape: [Int], classCount: Int, wordVectors: Tensor?) throws
    -> StagedModel
  {
    switch config.model {
    case .vgg:
      return try VGG.build(
        sampleShape: sampleShape, classes: classCount, components: config.components, width: config.width)
    case .resnet18:
      return try ResNet18.build(
        sampleShape: sampleShape, classes: classCount, components: config.components, width: config.width,
        shortcut: config.shortcut)
    case .convnet:
      return try ConvNet.build(
        sampleShape: sampleShape, classes: classCount, components: config.components, width: config.width)
    case .custom:
      throw ConfigError(
        "this run trains a network of its own program's (--model custom): only that program can build it; scpl builds vgg, resnet18, convnet, lstm and transformer"
      )
    case .lstm, .transformer:
      guard let vectors = wordVectors else {
        throw ConfigError("the \(config.model) model needs word vectors, and the data set provided none")
      }
      return try TextModels.build(
        config.model == .lstm ? .lstm : .transformer, vectors: vectors, classes: classCount,
        components: config.components, hidden: config.hidden, heads: config.heads)
    }
  }
}
