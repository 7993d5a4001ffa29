import Torch

/// The initial weights of a text model's embedding layer: vocabulary.size × D float32, built from
/// pre-trained word vectors (as the reference's `utils/nlp.py` loads GloVe or fastText).
///
/// Rows with no pre-trained vector — `<pad>`, `<unk>` and vocabulary words the vectors lack — get
/// the reference's initialisation: each component uniform in [0, 1) (seeded here).
public struct EmbeddingMatrix: Sendable {
  /// How rows of `weights` line up with word ids.
  public enum Layout: String, Sendable, CaseIterable {
    /// Row i is the vector of the word with id i (our default; the correct one).
    case aligned
    /// The reference's rows (`utils/nlp.py`): the words' vectors stacked in rank order, then the
    /// random `<pad>` and `<unk>` rows, while ids are rank + 2 — so id i ≥ 2 gets the vector of
    /// the word with id i + 2, ids 0 and 1 those of the two most frequent words, and the two
    /// least frequent words the random rows. For reproducing the reference only.
    case reference
  }

  /// vocabulary.size × dimension, float32.
  public let weights: Tensor
  /// Vocabulary words (not counting `<pad>`, `<unk>`) that have a pre-trained vector.
  public let foundWords: Int
  /// Vocabulary words in all.
  public let vocabularyWords: Int
  /// How the rows were laid out.
  public let layout: Layout

  /// Builds the matrix from `vectors` for every id of `vocabulary`; `seed` drives the random rows.
  public init(vocabulary: Vocabulary, vectors: WordVectors, layout: Layout = .aligned, seed: UInt64) throws {
    let d = vectors.dimension
    var rng = SplitMix64(seed: seed)
    // 24 random bits give every float32 in [0, 1) on the 2⁻²⁴ grid, as torch.rand does.
    func randomRow() -> [Float] { (0..<d).map { _ in Float(rng.next() >> 40) * 0x1p-24 } }
    func row(forWordRank r: Int) -> [Float] {
      if let v = vectors.vector(vocabulary.words[r]) { return Array(v) }
      return randomRow()
    }
    var rows: [[Float]] = []
    rows.reserveCapacity(vocabulary.size)
    switch layout {
    case .aligned:
      rows.append(randomRow())  // <pad>
      rows.append(randomRow())  // <unk>
      for r in vocabulary.words.indices { rows.append(row(forWordRank: r)) }
    case .reference:
      for r in vocabulary.words.indices { rows.append(row(forWordRank: r)) }
      rows.append(randomRow())  // <pad>, stacked after the words
      rows.append(randomRow())  // <unk>
    }
    weights = try Tensor(rows.flatMap { $0 }, shape: [vocabulary.size, d])
    foundWords = vocabulary.words.filter { vectors.vector($0) != nil }.count
    vocabularyWords = vocabulary.words.count
    self.layout = layout
  }
}
