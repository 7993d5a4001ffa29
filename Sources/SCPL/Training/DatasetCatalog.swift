import Data
import Foundation
import Torch

/// A data set ready for training: both splits, and what the model needs to know about them.
public struct LoadedData {
  public var train: TensorDataset
  public var test: TensorDataset
  public var family: ModelFamily
  public var classCount: Int { train.classCount }
  public var sampleShape: [Int] { train.sampleShape }
  /// Text: the embedding matrix, one row per token id.
  public var wordVectors: Tensor?
  /// Facts to record in config.json (split seed, vocabulary size, files read).
  public var facts: [String: String] = [:]
}

/// The data sets `scpl train --dataset` knows, with where each one is read from.
public enum DatasetCatalog {
  public struct Entry: Sendable {
    public let name: String
    public let family: ModelFamily
    public let summary: String
    let load: @Sendable (TrainConfig) throws -> LoadedData
  }

  public static var entries: [Entry] = [
    Entry(name: "fashion-mnist", family: .vision,
          summary: "Fashion-MNIST, 60 000 + 10 000 grey 28×28 images, 10 classes (Debian dataset-fashion-mnist)") { config in
      let dir = URL(fileURLWithPath: config.dataDir ?? FashionMNIST.defaultDirectory.path)
      let train = try FashionMNIST.load(.train, directory: dir).prefix(config.limitTrain)
      let test = try FashionMNIST.load(.test, directory: dir).prefix(config.limitTest)
      return LoadedData(train: train, test: test, family: .vision, facts: ["data_dir": dir.path])
    },
  ]

  public static func entry(_ name: String) throws -> Entry {
    guard let e = entries.first(where: { $0.name == name.lowercased() }) else {
      throw TorchError("unknown data set '\(name)': expected one of \(entries.map(\.name).joined(separator: ", "))")
    }
    return e
  }

  public static func load(_ config: TrainConfig) throws -> LoadedData { try entry(config.dataset).load(config) }
}
