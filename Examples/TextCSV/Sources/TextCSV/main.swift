import ArgumentParser
import Data
import Foundation
import NN
import SCPL
import SCPLCLI
import Torch

/// Our own layer: a position-wise feed-forward block with a residual connection. Its features are
/// the mean over the real words (the padding mask travels with the activation).
final class FeedForward: Module, Component, @unchecked Sendable {
  let layers: Sequential
  init(_ width: Int) throws {
    layers = try Sequential {
      try Linear(width, 2 * width); ReLU(); try Linear(2 * width, width)
    }
  }
  func callAsFunction(_ x: Activation) throws -> Activation { x.replacing(try x.tensor + layers(x.tensor)) }
  func features(_ y: Activation) throws -> Tensor {
    let words = try y.mask!.to(y.tensor.dtype).unsqueezed(axis: 2)
    return try (y.tensor * words).sum(axis: 1) / words.sum(axis: 1).clamp(min: 1)
  }
}

/// Our network: the word vectors, then two feed-forward components, then a linear classifier.
func feedForwardModel(_ config: TrainConfig, _ input: ModelInput) throws -> StagedModel {
  let vectors = input.wordVectors!  // the data source's GloVe table, one row per vocabulary word
  return try StagedModel(
    name: "feed-forward", family: .text,
    components: [
      try EmbeddingComponent(vectors: vectors), try FeedForward(vectors.shape[1]), try FeedForward(vectors.shape[1])
    ],
    classifier: try Sequential { try Linear(vectors.shape[1], input.classCount) },
    classCount: input.classCount, sampleShape: input.sampleShape)
}

struct TextCSV: ParsableCommand {
  @OptionGroup var options: TrainOptions
  @Option(help: "The CSV or TSV file (a header row naming its columns).") var file: String
  @Option(help: "The column holding the documents.") var textColumn = "text"
  @Option(help: "The column holding the labels.") var labelColumn = "label"

  func run() throws {
    let columns = LabeledTextFile(textColumn: textColumn, labelColumn: labelColumn)
    let data = DataSource.textFile(name: "my-texts", train: URL(fileURLWithPath: file), columns: columns)
    var defaults = PartialTrainConfig()
    defaults.objective = .deInfoReg  // DeInfoReg's objective unless --objective says otherwise
    try options.train(name: "feed-forward", model: feedForwardModel, data: data, defaults: defaults)
  }
}

Engine.prepareProcess()
TextCSV.main()
