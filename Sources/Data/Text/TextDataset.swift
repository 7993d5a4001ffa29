import Torch

/// Encoded documents held as ragged arrays (each document only as long as its tokens, at most
/// `maxLength`), so a 560 000-document set with max length 400 does not cost a dense N×400
/// int64 tensor. Batches are right-padded with `<pad>` (0) to the longest document *in the batch*,
/// as the reference's collate function does.
public struct TextDataset: BatchSource {
  /// The data set's name, used in error messages.
  public let name: String
  /// Number of classes the labels range over.
  public let classCount: Int
  /// The most ids a document may have, and so the widest a batch can be.
  public let maxLength: Int
  /// Every document's ids, concatenated.
  let tokens: [Int64]
  /// Document i is tokens[offsets[i] ..< offsets[i + 1]].
  let offsets: [Int]
  /// One int64 label per document, each in 0..<`classCount`.
  public let labels: [Int64]

  /// A data set `name` of encoded `documents` (each 1…`maxLength` ids) with one label each in
  /// 0..<`classCount`.
  public init(name: String, documents: [[Int64]], labels: [Int64], classCount: Int, maxLength: Int) throws {
    guard documents.count == labels.count else {
      throw DataError("\(name): \(documents.count) documents but \(labels.count) labels")
    }
    guard !documents.isEmpty else { throw DataError("\(name) is empty: no document is left to train or test on") }
    if let i = documents.firstIndex(where: { $0.isEmpty || $0.count > maxLength }) {
      throw DataError("\(name): document \(i) has \(documents[i].count) ids; each needs 1…\(maxLength)")
    }
    if let i = labels.firstIndex(where: { $0 < 0 || $0 >= Int64(classCount) }) {
      throw DataError("\(name): label \(labels[i]) of document \(i) is not a class 0–\(classCount - 1)")
    }
    var offsets = [0]
    offsets.reserveCapacity(documents.count + 1)
    for d in documents { offsets.append(offsets[offsets.count - 1] + d.count) }
    self.name = name
    self.classCount = classCount
    self.maxLength = maxLength
    self.tokens = documents.flatMap { $0 }
    self.offsets = offsets
    self.labels = labels
  }

  /// Number of documents.
  public var count: Int { labels.count }

  /// The ids of document `i` (no padding).
  public func ids(_ i: Int) -> ArraySlice<Int64> { tokens[offsets[i]..<offsets[i + 1]] }

  /// How many ids document `i` has.
  public func length(_ i: Int) -> Int { offsets[i + 1] - offsets[i] }

  /// The same documents with other labels (label noise).
  public func relabeled(_ newLabels: [Int64]) throws -> TextDataset {
    guard newLabels.count == labels.count else {
      throw DataError("\(name): \(newLabels.count) new labels for \(labels.count) documents")
    }
    if let i = newLabels.firstIndex(where: { $0 < 0 || $0 >= Int64(classCount) }) {
      throw DataError("\(name): new label \(newLabels[i]) of document \(i) is not a class 0–\(classCount - 1)")
    }
    return TextDataset(
      name: name, classCount: classCount, maxLength: maxLength, tokens: tokens, offsets: offsets, labels: newLabels)
  }

  private init(name: String, classCount: Int, maxLength: Int, tokens: [Int64], offsets: [Int], labels: [Int64]) {
    self.name = name
    self.classCount = classCount
    self.maxLength = maxLength
    self.tokens = tokens
    self.offsets = offsets
    self.labels = labels
  }

  /// The documents at `indices` as int64 ids B×T, right-padded with 0 to the longest of them
  /// (T ≤ maxLength), and their int64 labels B.
  public func batch(indices: [Int]) throws -> (inputs: Tensor, labels: Tensor) {
    guard !indices.isEmpty else { throw DataError("\(name): a batch needs at least one index") }
    if let bad = indices.first(where: { $0 < 0 || $0 >= count }) {
      throw DataError("\(name): index \(bad) is outside 0..<\(count)")
    }
    let width = indices.map(length).max() ?? 0
    var padded = [Int64](repeating: Vocabulary.padID, count: indices.count * width)
    var batchLabels: [Int64] = []
    batchLabels.reserveCapacity(indices.count)
    for (row, i) in indices.enumerated() {
      var column = row * width
      for id in ids(i) {
        padded[column] = id
        column += 1
      }
      batchLabels.append(labels[i])
    }
    return (try Tensor(padded, shape: [indices.count, width]), try Tensor(batchLabels))
  }

  /// `BatchSource`: text batches have no random augmentation, so `rng` is not used.
  public func batch(indices: [Int], rng: inout SplitMix64) throws -> (inputs: Tensor, labels: Tensor) {
    try batch(indices: indices)
  }
}
