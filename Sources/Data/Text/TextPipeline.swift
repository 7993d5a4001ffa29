/// From raw documents to encoded data sets (as the reference's `utils/nlp.py`): clean every
/// document, drop those left empty (with their labels), build the vocabulary from the training
/// split, encode and truncate, and optionally add label noise to the training split.
///
/// Defaults fix the reference's text-data defects; each has a switch to restore it:
/// - stop words are removed for every set (the reference kept them for IMDB):
///   `removeStopWords = false` restores that;
/// - the vocabulary comes from the training split (the reference counted IMDB's whole corpus):
///   `vocabularyFromWholeCorpus = true` restores that;
/// - `vocabularySize` is honoured (the reference always used 30 000, which is the default).
public enum TextPipeline {
  /// The choices of `prepare`; each default fixes a defect of the reference.
  public struct Options: Sendable {
    /// Whether cleaning drops NLTK's English stop words (default true).
    public var removeStopWords = true
    /// Every id counts, `<pad>` and `<unk>` included.
    public var vocabularySize = Vocabulary.defaultSize
    /// nil: the corpus's `defaultMaxLength`.
    public var maxLength: Int? = nil
    /// Whether the vocabulary also counts the test split, as the reference did for IMDB (default false).
    public var vocabularyFromWholeCorpus = false
    /// 0 = none (the reference's `--noise_rate` default).
    public var labelNoiseRate = 0.0
    /// The seed of the label-noise draws.
    public var labelNoiseSeed: UInt64 = 0

    /// Creates options; the defaults are the fixed behaviour described on `TextPipeline`.
    public init(
      removeStopWords: Bool = true, vocabularySize: Int = Vocabulary.defaultSize, maxLength: Int? = nil,
      vocabularyFromWholeCorpus: Bool = false, labelNoiseRate: Double = 0, labelNoiseSeed: UInt64 = 0
    ) {
      self.removeStopWords = removeStopWords
      self.vocabularySize = vocabularySize
      self.maxLength = maxLength
      self.vocabularyFromWholeCorpus = vocabularyFromWholeCorpus
      self.labelNoiseRate = labelNoiseRate
      self.labelNoiseSeed = labelNoiseSeed
    }
  }

  /// Cleans, encodes and truncates `corpus` into training and test data sets, with a vocabulary built as
  /// `options` says; throws `DataError` if the maximum length is not positive or a split is left empty.
  public static func prepare(_ corpus: TextCorpus, options: Options = Options()) throws -> PreparedText {
    let maxLength = options.maxLength ?? corpus.defaultMaxLength
    guard maxLength > 0 else {
      throw DataError("\(corpus.name): the maximum length must be positive, got \(maxLength)")
    }
    let cleaner = TextCleaner(removeStopWords: options.removeStopWords)

    func cleaned(_ split: LabeledTexts) -> (tokens: [[String]], labels: [Int64], dropped: Int) {
      var tokens: [[String]] = [], labels: [Int64] = []
      for (text, label) in zip(split.texts, split.labels) {
        let t = cleaner.tokens(text)
        if t.isEmpty { continue }
        tokens.append(t)
        labels.append(Int64(label))
      }
      return (tokens, labels, split.count - tokens.count)
    }
    let train = cleaned(corpus.train)
    let test = cleaned(corpus.test)

    let vocabulary = try Vocabulary(
      documents: options.vocabularyFromWholeCorpus ? train.tokens + test.tokens : train.tokens,
      maxSize: options.vocabularySize)
    var trainSet = try TextDataset(
      name: "\(corpus.name)/train", documents: train.tokens.map { vocabulary.encode($0, maxLength: maxLength) },
      labels: train.labels, classCount: corpus.classCount, maxLength: maxLength)
    let testSet = try TextDataset(
      name: "\(corpus.name)/test", documents: test.tokens.map { vocabulary.encode($0, maxLength: maxLength) },
      labels: test.labels, classCount: corpus.classCount, maxLength: maxLength)
    var changed = 0
    if options.labelNoiseRate > 0 {
      let noisy = try LabelNoise.apply(
        to: trainSet.labels, classCount: corpus.classCount,
        rate: options.labelNoiseRate, seed: options.labelNoiseSeed)
      changed = zip(noisy, trainSet.labels).filter { $0 != $1 }.count
      trainSet = try trainSet.relabeled(noisy)
    }
    return PreparedText(
      corpus: corpus.name, classNames: corpus.classNames, train: trainSet, test: testSet,
      vocabulary: vocabulary, maxLength: maxLength,
      droppedEmptyTrain: train.dropped, droppedEmptyTest: test.dropped, noisyLabels: changed,
      splitSeed: corpus.splitSeed)
  }
}

/// The output of `TextPipeline.prepare`, with the facts a run should record.
public struct PreparedText: Sendable {
  /// The corpus's name.
  public let corpus: String
  /// The class names, indexed by label.
  public let classNames: [String]
  /// The encoded training split (with label noise, if any).
  public let train: TextDataset
  /// The encoded test split.
  public let test: TextDataset
  /// The vocabulary the documents were encoded with.
  public let vocabulary: Vocabulary
  /// The length documents were truncated to.
  public let maxLength: Int
  /// Documents removed because cleaning left nothing of them.
  public let droppedEmptyTrain: Int
  /// Test documents removed because cleaning left nothing of them.
  public let droppedEmptyTest: Int
  /// Training labels that label noise actually changed.
  public let noisyLabels: Int
  /// The seed of the corpus's stratified split; nil when the published split was used.
  public let splitSeed: UInt64?
}
