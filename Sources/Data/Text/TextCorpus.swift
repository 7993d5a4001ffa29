/// Raw labelled documents, before cleaning.
public struct LabeledTexts: Sendable {
  /// The raw documents.
  public var texts: [String]
  /// Class ids 0 ..< classCount, one per text.
  public var labels: [Int]

  /// Creates a set of documents with one label per text (empty by default).
  public init(texts: [String] = [], labels: [Int] = []) {
    self.texts = texts
    self.labels = labels
  }

  /// Number of documents.
  public var count: Int { texts.count }

  /// Adds one document with its label.
  public mutating func append(_ text: String, label: Int) {
    texts.append(text)
    labels.append(label)
  }

  /// The documents at `indices`, in that order.
  public func subset(_ indices: [Int]) -> LabeledTexts {
    LabeledTexts(texts: indices.map { texts[$0] }, labels: indices.map { labels[$0] })
  }

  /// How many documents each class has.
  public func classCounts(classCount: Int) -> [Int] {
    var counts = [Int](repeating: 0, count: classCount)
    for l in labels where l >= 0 && l < classCount { counts[l] += 1 }
    return counts
  }
}

/// A text classification data set as read from its files: a training and a test split of raw
/// documents, the class names (index = label), and where it came from.
public struct TextCorpus: Sendable {
  /// The data set's name, e.g. `ag_news`.
  public let name: String
  /// The class names, indexed by label.
  public let classNames: [String]
  /// The training documents.
  public var train: LabeledTexts
  /// The test documents.
  public var test: LabeledTexts
  /// The seed of our stratified 80/20 split for sets without an official split (record it with
  /// the run); nil when the published split is used.
  public let splitSeed: UInt64?
  /// The truncation length used unless a run sets its own (the reference README's max_len, or ours).
  public let defaultMaxLength: Int

  /// Creates a corpus from its published training and test splits.
  public init(
    name: String, classNames: [String], train: LabeledTexts, test: LabeledTexts,
    splitSeed: UInt64?, defaultMaxLength: Int
  ) {
    self.name = name
    self.classNames = classNames
    self.train = train
    self.test = test
    self.splitSeed = splitSeed
    self.defaultMaxLength = defaultMaxLength
  }

  /// Number of classes.
  public var classCount: Int { classNames.count }

  /// A corpus without an official split, cut by `StratifiedSplit`.
  public init(
    name: String, classNames: [String], all: LabeledTexts, splitSeed: UInt64,
    testFraction: Double = StratifiedSplit.defaultTestFraction, defaultMaxLength: Int
  ) throws {
    let split = try StratifiedSplit.indices(
      labels: all.labels, classCount: classNames.count,
      testFraction: testFraction, seed: splitSeed)
    self.init(
      name: name, classNames: classNames, train: all.subset(split.train), test: all.subset(split.test),
      splitSeed: splitSeed, defaultMaxLength: defaultMaxLength)
  }
}
