/// Word ids for a text data set (as the reference's `utils/nlp.py` assigns them): `<pad>` = 0,
/// `<unk>` = 1, and the word of frequency rank r (0-based; ties keep the order in which the words
/// were first seen) = r + 2.
///
/// Built from the training split only. The reference built IMDB's from the whole corpus, so test
/// text leaked into it; `TextPipeline.Options.vocabularyFromWholeCorpus` restores that.
/// `size` counts every id, so a vocabulary of size N holds N − 2 words; the reference ignored its
/// `--vocab_size` option and always used 30 000 — which is our default.
public struct Vocabulary: Sendable {
  /// The id of `<pad>`, which pads batches: 0.
  public static let padID: Int64 = 0
  /// The id of `<unk>`, given to words outside the vocabulary: 1.
  public static let unknownID: Int64 = 1
  /// The default size, every id included: 30 000 (the reference's value).
  public static let defaultSize = 30_000

  /// The words by id minus 2 (most frequent first).
  public let words: [String]
  /// How often each word of `words` occurred in the documents it was built from.
  public let counts: [Int]
  let ids: [String: Int64]

  /// Every id: the words plus `<pad>` and `<unk>`.
  public var size: Int { words.count + 2 }

  /// Counts the tokens of `documents` and keeps the `maxSize − 2` most frequent words.
  public init<S: Sequence>(documents: S, maxSize: Int = Vocabulary.defaultSize) throws where S.Element == [String] {
    guard maxSize >= 2 else {
      throw DataError(
        "a vocabulary size of \(maxSize) leaves no room for <pad> and <unk>; it counts every id, so use at least 3")
    }
    // Tokens in first-seen order with their counts.
    var position: [String: Int] = [:]
    var seen: [String] = []
    var seenCounts: [Int] = []
    for document in documents {
      for token in document {
        if let p = position[token] {
          seenCounts[p] += 1
        } else {
          position[token] = seen.count
          seen.append(token)
          seenCounts.append(1)
        }
      }
    }
    // Ties keep first-seen order, as Python's stable `sorted(..., reverse=True)` over an
    // insertion-ordered Counter does.
    let ranked = seen.indices.sorted { a, b in
      seenCounts[a] != seenCounts[b] ? seenCounts[a] > seenCounts[b] : a < b
    }.prefix(maxSize - 2)
    words = ranked.map { seen[$0] }
    counts = ranked.map { seenCounts[$0] }
    var ids: [String: Int64] = [:]
    for (rank, word) in words.enumerated() { ids[word] = Int64(rank + 2) }
    self.ids = ids
  }

  /// The id of `word`, or `unknownID`.
  public func id(_ word: String) -> Int64 { ids[word] ?? Vocabulary.unknownID }

  /// The word of `id` (`<pad>`, `<unk>` for 0 and 1); nil outside the vocabulary.
  public func word(_ id: Int64) -> String? {
    switch id {
    case Vocabulary.padID: return "<pad>"
    case Vocabulary.unknownID: return "<unk>"
    case 2..<Int64(size): return words[Int(id) - 2]
    default: return nil
    }
  }

  /// The first `maxLength` tokens of a document as ids (unknown words → 1).
  public func encode(_ tokens: [String], maxLength: Int) -> [Int64] {
    tokens.prefix(maxLength).map(id)
  }
}
