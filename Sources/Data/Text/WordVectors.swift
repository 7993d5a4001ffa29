import Foundation

/// Pre-trained word vectors in the GloVe text format: one word per line, then its D values, all
/// separated by spaces (`the 0.418 0.24968 -0.41242 …`), any D. The word2vec/fastText `.vec`
/// variant — a first line `count D` and a trailing space on each line — is read too.
///
/// Like the reference, only the vectors of the words asked for are parsed (a GloVe file has
/// 400 000 lines, a vocabulary 30 000 words), but every line's dimension is checked, so a
/// damaged file is reported wherever the damage is.
public struct WordVectors: Sendable {
  /// Number of values per word, D.
  public let dimension: Int
  /// The words read, in file order.
  public let words: [String]
  /// words.count × dimension values, row-major.
  public let values: [Float]
  /// How many vector lines the file has (read or not).
  public let lineCount: Int
  let index: [String: Int]

  /// The vector of `word`, if it was read.
  public func vector(_ word: String) -> ArraySlice<Float>? {
    guard let i = index[word] else { return nil }
    return values[(i * dimension)..<((i + 1) * dimension)]
  }

  /// Reads `url`, keeping the words in `keeping` (all when nil). A word listed twice keeps its
  /// first vector.
  public static func read(_ url: URL, keeping: Set<String>? = nil) throws -> WordVectors {
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw DataError("the word-vector file \(url.path) does not exist")
    }
    let data: Data
    do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
      throw DataError("cannot read \(url.path): \(error.localizedDescription)")
    }
    return try data.withUnsafeBytes { try parse(UnsafeRawBufferPointer($0), source: url.path, keeping: keeping) }
  }

  /// Parses GloVe text held in memory; `source` names the file in errors.
  public static func parse(_ bytes: UnsafeRawBufferPointer, source: String, keeping: Set<String>? = nil) throws
    -> WordVectors
  {
    let space = UInt8(ascii: " "), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r"), tab = UInt8(ascii: "\t")
    var dimension: Int? = nil
    var dimensionLine = 0
    var words: [String] = []
    var values: [Float] = []
    var index: [String: Int] = [:]
    var lineCount = 0
    var lineNumber = 0
    var start = 0
    let n = bytes.count

    while start < n {
      lineNumber += 1
      var end = start
      while end < n && bytes[end] != lf { end += 1 }
      let next = end + 1
      var stop = end
      if stop > start && bytes[stop - 1] == cr { stop -= 1 }
      defer { start = next }
      // Fields: runs of non-separator bytes. Tabs count as separators for robustness.
      var fields: [Range<Int>] = []
      var i = start
      while i < stop {
        while i < stop && (bytes[i] == space || bytes[i] == tab) { i += 1 }
        if i == stop { break }
        let f = i
        while i < stop && bytes[i] != space && bytes[i] != tab { i += 1 }
        fields.append(f..<i)
      }
      if fields.isEmpty { continue }  // blank line
      func text(_ r: Range<Int>) -> String { TextDecoding.lenient(UnsafeRawBufferPointer(rebasing: bytes[r])) }
      // word2vec/fastText header: "count dimension".
      if lineNumber == 1 && fields.count == 2, let _ = Int(text(fields[0])), let d = Int(text(fields[1])), d > 0 {
        dimension = d
        dimensionLine = 1
        continue
      }
      let word = text(fields[0])
      let found = fields.count - 1
      if let d = dimension {
        guard found == d else {
          throw DataError(
            "\(source): line \(lineNumber): the word \"\(word)\" has \(found) values, but the file's vectors have \(d) (from line \(dimensionLine))"
          )
        }
      } else {
        guard found > 0 else { throw DataError("\(source): line \(lineNumber): the word \"\(word)\" has no values") }
        dimension = found
        dimensionLine = lineNumber
      }
      lineCount += 1
      if let keeping, !keeping.contains(word) { continue }
      if index[word] != nil { continue }
      index[word] = words.count
      words.append(word)
      for (k, r) in fields.dropFirst().enumerated() {
        let s = text(r)
        guard let v = Float(s), v.isFinite else {
          throw DataError(
            "\(source): line \(lineNumber): value \(k + 1) of the word \"\(word)\", \"\(s)\", is not a finite number")
        }
        values.append(v)
      }
    }
    guard let dimension, lineCount > 0 else { throw DataError("\(source) holds no word vectors") }
    return WordVectors(dimension: dimension, words: words, values: values, lineCount: lineCount, index: index)
  }
}
