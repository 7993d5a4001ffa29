import XCTest
import Torch
@testable import Data

final class TextPipelineTests: XCTestCase {
  let keep = TextCleaner(removeStopWords: false)
  let drop = TextCleaner(removeStopWords: true)

  // MARK: cleaning (spec 7.2.2)

  func testCleaningHandExamples() {
    // <br /> deleted, apostrophe and hyphen deleted (not replaced), "!" deleted.
    XCTAssertEqual(keep.clean("Don't <br />stop e-mail!"), "dont stop email")
    // "dont" is not an NLTK stop word ("don" and "don't" are), nor are "stop" and "email".
    XCTAssertEqual(drop.clean("Don't <br />stop e-mail!"), "dont stop email")
    XCTAssertEqual(drop.clean("I don't know, don t"), "dont know")
    XCTAssertEqual(drop.clean("The cat is on the mat."), "cat mat")
    XCTAssertEqual(keep.clean("The cat is on the mat."), "the cat is on the mat")
    XCTAssertEqual(keep.tokens("  many   spaces\tand\nlines  "), ["many", "spaces", "and", "lines"])
    XCTAssertEqual(keep.tokens("!!! ... ---"), [], "a document of punctuation becomes empty")
    XCTAssertEqual(drop.tokens("It is what it is."), [], "a document of stop words becomes empty")
  }

  func testTagDeletionIsNonGreedyAndStaysOnItsLine() {
    XCTAssertEqual(keep.clean("a<b>c</b>d"), "acd", "each <…> span ends at its first > (greedy would give \"ad\")")
    XCTAssertEqual(keep.clean("x <not closed\ny> z"), "x not closed y z", "a span does not cross a newline")
    XCTAssertEqual(keep.clean("1 < 2 and 3 > 2"), "1 2", "as re.sub(r'<.*?>', '', …) does")
    XCTAssertEqual(keep.clean("a <<b> c"), "a c", "the first < starts the span")
  }

  func testUnicodeCaseAndPythonWhitespace() {
    XCTAssertEqual(keep.clean("ÉCOLE Straße"), "école straße")
    XCTAssertEqual(keep.tokens("a\u{00A0}b\u{1F}c\u{2003}d"), ["a", "b", "c", "d"], "Python's str.split separators")
    XCTAssertEqual(keep.tokens("£15.8m café’s"), ["£158m", "café’s"], "only ASCII punctuation is deleted")
  }

  func testNLTKStopWordList() {
    let list = StopWords.englishNLTK
    XCTAssertEqual(list.count, 179)
    XCTAssertEqual(Set(list).count, 179)
    XCTAssertEqual(Array(list.prefix(6)), ["i", "me", "my", "myself", "we", "our"])
    XCTAssertEqual(list.last, "wouldn't")
    for w in ["the", "don", "don't", "t", "s", "ll", "ain", "ma", "should've", "that'll"] {
      XCTAssertTrue(StopWords.englishNLTKSet.contains(w), w)
    }
    for w in ["dont", "email", "not_a_word", "would", "could"] {
      XCTAssertFalse(StopWords.englishNLTKSet.contains(w), w)
    }
  }

  // MARK: vocabulary (spec 7.2.3)

  func testVocabularyOrderTiesAndReservedIDs() throws {
    let v = try Vocabulary(documents: [["b", "a", "c"], ["a", "b", "d"], ["e", "c", "c"]])
    // Counts: c 3, b 2, a 2, d 1, e 1; ties keep first-seen order (b before a, d before e).
    XCTAssertEqual(v.words, ["c", "b", "a", "d", "e"])
    XCTAssertEqual(v.counts, [3, 2, 2, 1, 1])
    XCTAssertEqual(v.size, 7)
    XCTAssertEqual(["c", "b", "a", "d", "e", "zzz"].map(v.id), [2, 3, 4, 5, 6, 1])
    XCTAssertEqual(v.word(0), "<pad>")
    XCTAssertEqual(v.word(1), "<unk>")
    XCTAssertEqual(v.word(4), "a")
    XCTAssertNil(v.word(7))
    XCTAssertEqual(Vocabulary.padID, 0)
    XCTAssertEqual(Vocabulary.unknownID, 1)
  }

  func testVocabularySizeIsHonouredAndCountsPadAndUnk() throws {
    let docs = [["w1", "w2", "w3", "w4", "w5"], ["w1", "w2", "w3"], ["w1"]]
    let v = try Vocabulary(documents: docs, maxSize: 4)
    XCTAssertEqual(v.size, 4)
    XCTAssertEqual(v.words, ["w1", "w2"])
    XCTAssertEqual(v.id("w3"), Vocabulary.unknownID)
    XCTAssertEqual(try Vocabulary(documents: docs, maxSize: 2).words, [])
    XCTAssertEqual(try Vocabulary(documents: docs, maxSize: 100).size, 7, "fewer words than allowed: all of them")
    XCTAssertThrowsDataError(try Vocabulary(documents: docs, maxSize: 1), "vocabulary size of 1")
  }

  func testEncodingTruncatesToTheFirstTokens() throws {
    let v = try Vocabulary(documents: [["a", "b", "c"]])
    XCTAssertEqual(v.encode(["a", "x", "b", "c", "a"], maxLength: 3), [2, 1, 3])
    XCTAssertEqual(v.encode(["c"], maxLength: 3), [4])
  }

  // MARK: data set and batches (spec 7.2.4)

  func testBatchesPadToTheLongestInTheBatch() throws {
    let ds = try TextDataset(
      name: "t", documents: [[2, 3, 4], [5], [6, 7]], labels: [0, 1, 1], classCount: 2, maxLength: 3)
    XCTAssertEqual(ds.count, 3)
    XCTAssertEqual(ds.length(0), 3)
    XCTAssertEqual(Array(ds.ids(2)), [6, 7])
    let (x, y) = try ds.batch(indices: [1, 2])
    XCTAssertEqual(x.shape, [2, 2])
    XCTAssertEqual(x.dtype, .int64)
    XCTAssertEqual(try x.toArray(Int64.self), [5, 0, 6, 7])
    XCTAssertEqual(try y.toArray(Int64.self), [1, 1])
    let (x2, _) = try ds.batch(indices: [2, 0, 1])
    XCTAssertEqual(x2.shape, [3, 3])
    XCTAssertEqual(try x2.toArray(Int64.self), [6, 7, 0, 2, 3, 4, 5, 0, 0])
    XCTAssertThrowsDataError(try ds.batch(indices: [3]), "index 3 is outside 0..<3")
    XCTAssertThrowsDataError(try ds.batch(indices: []), "at least one index")
  }

  func testTextDatasetIsABatchSource() throws {
    func viaProtocol<S: BatchSource>(_ s: S) throws -> [Int] {
      var rng = SplitMix64(seed: 1)
      return try s.batch(indices: [0], rng: &rng).inputs.shape
    }
    let ds = try TextDataset(name: "t", documents: [[2, 3]], labels: [1], classCount: 2, maxLength: 5)
    XCTAssertEqual(try viaProtocol(ds), [1, 2])
    XCTAssertEqual(ds.classCount, 2)
  }

  func testDatasetRejectsBadDocuments() {
    XCTAssertThrowsDataError(
      try TextDataset(name: "t", documents: [], labels: [], classCount: 2, maxLength: 3), "t is empty")
    XCTAssertThrowsDataError(
      try TextDataset(name: "t", documents: [[2, 3, 4, 5]], labels: [0], classCount: 2, maxLength: 3),
      "document 0 has 4 ids")
    XCTAssertThrowsDataError(
      try TextDataset(name: "t", documents: [[2]], labels: [2], classCount: 2, maxLength: 3), "label 2 of document 0")
  }

  // MARK: the whole pipeline

  func corpus() -> TextCorpus {
    TextCorpus(
      name: "toy", classNames: ["neg", "pos"],
      train: LabeledTexts(
        texts: ["Good good movie!", "The of and!!", "bad <br />film", "good film, bad actor"], labels: [1, 0, 0, 1]),
      test: LabeledTexts(texts: ["zebra film", "it is", "good"], labels: [0, 1, 1]),
      splitSeed: nil, defaultMaxLength: 2)
  }

  func testPipelineDropsEmptyDocumentsAndBuildsTheVocabularyFromTraining() throws {
    let p = try TextPipeline.prepare(corpus())
    XCTAssertEqual(p.droppedEmptyTrain, 1)
    XCTAssertEqual(p.droppedEmptyTest, 1)
    XCTAssertEqual(p.train.labels, [1, 0, 1], "the empty document's label went with it")
    XCTAssertEqual(p.test.labels, [0, 1])
    // good 3, film 2, bad 2, movie 1, actor 1 (first-seen: good, movie, bad, film, actor).
    XCTAssertEqual(p.vocabulary.words, ["good", "bad", "film", "movie", "actor"])
    XCTAssertEqual(p.vocabulary.id("zebra"), Vocabulary.unknownID, "test words do not enter the vocabulary")
    XCTAssertEqual(p.maxLength, 2)
    XCTAssertEqual(Array(p.train.ids(0)), [2, 2], "\"good good movie\" truncated to 2")
    XCTAssertEqual(Array(p.test.ids(0)), [1, 4], "zebra → <unk>")
  }

  func testPipelineSwitchesRestoreTheReference() throws {
    let p = try TextPipeline.prepare(
      corpus(),
      options: .init(
        removeStopWords: false, vocabularySize: 4, maxLength: 10,
        vocabularyFromWholeCorpus: true))
    XCTAssertEqual(p.droppedEmptyTrain, 0)
    XCTAssertEqual(p.vocabulary.size, 4)
    XCTAssertEqual(p.vocabulary.words, ["good", "film"], "whole corpus: film 3 beats bad 2")
    let q = try TextPipeline.prepare(corpus(), options: .init(vocabularyFromWholeCorpus: true))
    XCTAssertNotEqual(q.vocabulary.id("zebra"), Vocabulary.unknownID)
  }

  // MARK: split and noise

  func testStratifiedSplitIsFixedDisjointAndProportional() throws {
    let labels = Array(repeating: 0, count: 100) + Array(repeating: 1, count: 50) + Array(repeating: 2, count: 7)
    var rng = SplitMix64(seed: 9)
    let shuffled = labels.shuffled(using: &rng)
    let a = try StratifiedSplit.indices(labels: shuffled, classCount: 3, seed: 5)
    XCTAssertEqual(a.train.count + a.test.count, labels.count)
    XCTAssertTrue(Set(a.train).isDisjoint(with: a.test))
    XCTAssertEqual(Set(a.train + a.test), Set(0..<labels.count))
    let testCounts = (0..<3).map { c in a.test.filter { shuffled[$0] == c }.count }
    XCTAssertEqual(testCounts, [20, 10, 1], "round(0.2 · n) of each class")
    let b = try StratifiedSplit.indices(labels: shuffled, classCount: 3, seed: 5)
    XCTAssertEqual(a.test, b.test, "same seed, same split")
    let c = try StratifiedSplit.indices(labels: shuffled, classCount: 3, seed: 6)
    XCTAssertNotEqual(a.test, c.test)
    XCTAssertThrowsDataError(try StratifiedSplit.indices(labels: [0, 3], classCount: 2), "label 3 of document 1")
  }

  func testLabelNoiseRateStatistics() throws {
    let n = 100_000, classes = 4
    let labels = (0..<n).map { Int64($0 % classes) }
    for rate in [0.1, 0.2, 0.5, 1.0] {
      let noisy = try LabelNoise.apply(to: labels, classCount: classes, rate: rate, seed: 3)
      XCTAssertTrue(noisy.allSatisfy { $0 >= 0 && $0 < Int64(classes) })
      let changed = Double(zip(noisy, labels).filter { $0 != $1 }.count) / Double(n)
      let expected = rate * Double(classes - 1) / Double(classes)
      // Four standard deviations of a binomial share at n = 100 000 are at most 0.0064.
      XCTAssertEqual(changed, expected, accuracy: 0.0064, "rate \(rate)")
    }
    XCTAssertEqual(try LabelNoise.apply(to: labels, classCount: classes, rate: 0, seed: 3), labels)
    // The reference's floating-point threshold, kept: 100·(1 − 0.7) = 30.000000000000004.
    XCTAssertEqual(LabelNoise.replacementProbability(rate: 0.2), 0.2)
    XCTAssertEqual(LabelNoise.replacementProbability(rate: 0.7), 0.69)
    XCTAssertEqual(LabelNoise.replacementProbability(rate: 0.9), 0.9)
    XCTAssertEqual(
      try LabelNoise.apply(to: labels, classCount: classes, rate: 0.3, seed: 3),
      try LabelNoise.apply(to: labels, classCount: classes, rate: 0.3, seed: 3), "seeded")
    XCTAssertThrowsDataError(try LabelNoise.apply(to: labels, classCount: classes, rate: 1.5, seed: 3), "[0, 1]")
  }

  func testPipelineNoiseTouchesOnlyTraining() throws {
    let texts = (0..<2000).map { "word\($0 % 50) other\($0 % 7)" }
    let labels = (0..<2000).map { $0 % 2 }
    let corpus = TextCorpus(
      name: "n", classNames: ["a", "b"], train: LabeledTexts(texts: texts, labels: labels),
      test: LabeledTexts(texts: texts, labels: labels), splitSeed: nil, defaultMaxLength: 5)
    let p = try TextPipeline.prepare(corpus, options: .init(labelNoiseRate: 0.4, labelNoiseSeed: 11))
    XCTAssertEqual(p.test.labels, labels.map(Int64.init))
    XCTAssertEqual(p.noisyLabels, zip(p.train.labels, labels).filter { $0 != Int64($1) }.count)
    XCTAssertEqual(Double(p.noisyLabels) / 2000, 0.2, accuracy: 0.04)
  }
}
