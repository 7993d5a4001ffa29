import Data
import Foundation
import Torch

/// A data set of a program's own, for a run (`TrainOptions.train(data:)`, `Trainer`): a name, the
/// kind of samples it holds (which picks the run's defaults: augmentation, projection heads,
/// learning-rate schedule), and how to read it for a run's resolved options. The run reads it on
/// rank 0 only, and again when it is resumed, so `read` must give the same samples in the same
/// order each time (seed any shuffling or split with `config.seed`).
///
/// Ready sources: `imageFolder` (torchvision's ImageFolder layout, JPEG and PNG), `textFile` (a
/// CSV or TSV file with a text and a label column, through the vocabulary, GloVe vectors and
/// encoding `scpl`'s text sets use) and `tensors` (samples already in memory). Anything else: any
/// `BatchSource` through `LoadedData(train:test:family:sampleShape:)`.
public struct DataSource: @unchecked Sendable {
  /// What the run calls the data (config.json, the default run folder's name).
  public let name: String
  /// Float samples of a fixed shape (`.vision`: images or any float tensor) or token ids (`.text`).
  public let family: ModelFamily
  private let read: (TrainConfig) throws -> LoadedData

  /// A source that `read` loads. `read` gets the run's resolved options (`--data-dir`, `--seed`,
  /// `--aug`, `--max-len`, …); the run applies `--limit-train` and `--limit-test` itself.
  public init(name: String, family: ModelFamily, read: @escaping (TrainConfig) throws -> LoadedData) {
    self.name = name
    self.family = family
    self.read = read
  }

  /// The data for a run: read, checked against the source's family and the run's model, and cut
  /// to `--limit-train` and `--limit-test`.
  public func load(_ config: TrainConfig) throws -> LoadedData {
    var data = try read(config)
    guard data.family == family else {
      throw DataError(
        "the data source \(name) says it holds \(family.rawValue) data but read \(data.family.rawValue) data")
    }
    try TrainConfig.checkFamilies(config.model, data: family, named: name)
    data = data.limited(train: config.limitTrain, test: config.limitTest)
    data.facts["data_source"] = name
    return data
  }

  /// Images in torchvision's ImageFolder layout (`<root>/<split>/<class>/…/<image>`, JPEG or PNG),
  /// resized to `height`×`width`. `root` nil: the run's `--data-dir`. The test split is
  /// `testSplit`, or without it `test`, else `val`. `normalization` nil: the per-channel mean and
  /// standard deviation of the training images, measured at load. `--aug` applies to training.
  public static func imageFolder(
    name: String = "image-folder", root: URL? = nil, trainSplit: String = "train", testSplit: String? = nil,
    height: Int = 32, width: Int = 32, normalization: ImageNormalization? = nil
  ) -> DataSource {
    DataSource(name: name, family: .vision) { config in
      guard let root = root ?? config.dataDir.map({ URL(fileURLWithPath: $0) }) else {
        throw ConfigError(
          "the image folder \(name) needs a root folder: pass --data-dir DIR (DIR/\(trainSplit)/<class>/…)")
      }
      let test =
        testSplit
        ?? (FileManager.default.fileExists(atPath: root.appendingPathComponent("test").path) ? "test" : "val")
      let load = { (split: String, norm: ImageNormalization) in
        try ImageFolder.load(
          root: root, split: split, trainSplit: trainSplit, name: "\(name)/\(split)", height: height, width: width,
          normalization: norm)
      }
      var train = try load(trainSplit, normalization ?? ImageNormalization(mean: [0, 0, 0], std: [1, 1, 1]))
      let measured = try normalization ?? ImageNormalization.measured(train.images)
      train = try ImageDataset(
        name: train.name, images: train.images, labels: train.labels, classCount: train.classCount,
        normalization: measured)
      return try LoadedData.images(
        train: train, test: try load(test, measured), config: config,
        facts: ["data_dir": root.path, "normalization_mean": "\(measured.mean)", "normalization_std": "\(measured.std)"]
      )
    }
  }

  /// A CSV (comma) or TSV (`.tsv`: tab) file with a header row, one document per row, read by the
  /// columns `columns` names. `train` nil: `train.csv` (or `train.tsv`) in the run's `--data-dir`,
  /// and `test.csv`/`test.tsv` there if present. Without a test file, a stratified 80/20 split of
  /// the training file seeded by `--seed`. Documents are cleaned, cut to `--max-len` tokens
  /// (`defaultMaxLength` without it) and embedded with the GloVe vectors, as `scpl`'s text sets.
  public static func textFile(
    name: String = "text-file", train: URL? = nil, test: URL? = nil, columns: LabeledTextFile = LabeledTextFile(),
    defaultMaxLength: Int = 128
  ) -> DataSource {
    DataSource(name: name, family: .text) { config in
      let dir = config.dataDir.map { URL(fileURLWithPath: $0) }
      func inDataDir(_ stem: String) -> URL? {
        guard let dir else { return nil }
        return ["csv", "tsv"].map { dir.appendingPathComponent("\(stem).\($0)") }.first {
          FileManager.default.fileExists(atPath: $0.path)
        }
      }
      guard let trainFile = train ?? inDataDir("train") else {
        throw ConfigError(
          "the text file \(name) needs its training file: pass --data-dir DIR with DIR/train.csv (or train.tsv)\(dir.map { "; \($0.path) has neither" } ?? "")"
        )
      }
      let corpus = try columns.corpus(
        train: trainFile, test: test ?? (train == nil ? inDataDir("test") : nil), name: name,
        splitSeed: config.seed, defaultMaxLength: defaultMaxLength)
      return try LoadedData.text(corpus, config: config, facts: ["train_file": trainFile.path])
    }
  }

  /// Samples already in memory: float inputs N×… (family `.vision`, any sample shape) or int64
  /// token ids N×T (family `.text`; the program's network embeds them), with int64 labels.
  public static func tensors(name: String, train: TensorDataset, test: TensorDataset) throws -> DataSource {
    let family: ModelFamily = train.inputs.dtype == .int64 ? .text : .vision
    guard train.sampleShape == test.sampleShape, train.classCount == test.classCount else {
      throw DataError(
        "\(name): the training samples are \(train.sampleShape) in \(train.classCount) classes, the test samples \(test.sampleShape) in \(test.classCount)"
      )
    }
    return DataSource(name: name, family: family) { _ in
      LoadedData(train: train, test: test, family: family, sampleShape: train.sampleShape, name: name)
    }
  }
}

extension LoadedData {
  /// Data a program assembled itself: two batch sources with the same classes. `trainProbe` (the
  /// samples the per-epoch training accuracy is measured on) defaults to the first 2 000 training
  /// samples; give an unaugmented view of them if `train` augments. `wordVectors`: for text, the
  /// embedding matrix a built-in text model starts from.
  public init(
    train: any BatchSource, test: any BatchSource, family: ModelFamily, sampleShape: [Int],
    trainProbe: (any BatchSource)? = nil, wordVectors: Tensor? = nil, name: String, facts: [String: String] = [:]
  ) {
    self.init(
      train: train, test: test, trainProbe: trainProbe ?? LimitedSource(train, 2000), trainName: "\(name)/train",
      testName: "\(name)/test", family: family, classCount: train.classCount, sampleShape: sampleShape,
      wordVectors: wordVectors, facts: facts)
  }

  /// The first `train` training and `test` test samples (nil: all); the probe stays within them.
  public func limited(train trainLimit: Int?, test testLimit: Int?) -> LoadedData {
    var copy = self
    if let trainLimit, trainLimit < train.count {
      copy.train = LimitedSource(train, trainLimit)
      copy.trainProbe = LimitedSource(trainProbe, Swift.min(trainLimit, trainProbe.count))
    }
    if let testLimit, testLimit < test.count { copy.test = LimitedSource(test, testLimit) }
    return copy
  }

  /// Two image splits as a run reads them: `--aug` on the training images, the training accuracy
  /// measured on up to 2 000 of them without augmentation, `--limit-train`/`--limit-test` applied.
  public static func images(
    train: ImageDataset, test: ImageDataset, config: TrainConfig, facts: [String: String] = [:]
  ) throws -> LoadedData {
    let augmented = try train.with(augmentation: config.aug).prefix(config.limitTrain)
    return LoadedData(
      train: augmented, test: try test.prefix(config.limitTest),
      trainProbe: try augmented.with(augmentation: .none).prefix(2000),
      trainName: train.name, testName: test.name, family: .vision, classCount: train.classCount,
      sampleShape: train.sampleShape, facts: facts.merging(["augmentation": config.aug.rawValue]) { a, _ in a })
  }

  /// A text corpus as a run reads it: cleaned and encoded with a vocabulary of `--vocab-size`
  /// words, cut to `--max-len` tokens, `--label-noise` applied, embedded with the GloVe vectors
  /// (`--word-vectors`, default the 50-d ones the bootstrap prepares), limits applied.
  /// `name` names the splits in the records (default: the corpus's name).
  public static func text(
    _ corpus: TextCorpus, config c: TrainConfig, name: String? = nil, facts extra: [String: String] = [:]
  ) throws -> LoadedData {
    var options = TextPipeline.Options()
    options.vocabularySize = c.vocabSize
    options.maxLength = c.maxLen
    options.labelNoiseRate = c.labelNoise
    options.labelNoiseSeed = c.seed
    let prepared = try TextPipeline.prepare(corpus, options: options)
    let vectorsURL = c.wordVectors.map { URL(fileURLWithPath: $0) } ?? DataCache.default.glove6B50d
    guard FileManager.default.fileExists(atPath: vectorsURL.path) else {
      throw DataError(
        "the word vectors \(vectorsURL.path) do not exist; run `make` (scripts/bootstrap.sh prepares GloVe 6B 50-d there) or pass --word-vectors FILE"
      )
    }
    let vectors = try WordVectors.read(vectorsURL, keeping: Set(prepared.vocabulary.words))
    let matrix = try EmbeddingMatrix(vocabulary: prepared.vocabulary, vectors: vectors, seed: c.seed)
    var facts = [
      "word_vectors": vectorsURL.path, "vocabulary_size": String(prepared.vocabulary.size),
      "words_with_vectors": String(matrix.foundWords), "max_len": String(prepared.maxLength),
      "noisy_labels": String(prepared.noisyLabels)
    ]
    if let seed = prepared.splitSeed { facts["split_seed"] = String(seed); facts["split"] = "stratified 80/20" }
    let train = LimitedSource(prepared.train, c.limitTrain)
    return LoadedData(
      train: train, test: LimitedSource(prepared.test, c.limitTest), trainProbe: LimitedSource(train, 2000),
      trainName: "\(name ?? corpus.name)/train", testName: "\(name ?? corpus.name)/test", family: .text,
      classCount: prepared.train.classCount, sampleShape: [prepared.maxLength], wordVectors: matrix.weights,
      facts: facts.merging(extra) { a, _ in a })
  }
}
