import Torch

/// Builds the model a config names for the data it will see.
public enum ModelFactory {
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
