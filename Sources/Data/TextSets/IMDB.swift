import Foundation

/// IMDB movie-review sentiment (Maas et al. 2011) in either published layout:
///
/// - the `aclImdb/` folders: `train|test/pos|neg/*.txt`, one review per file, with the official
///   25 000 / 25 000 split (`train/unsup` is ignored);
/// - the single CSV the reference read (`IMDB Dataset.csv`, 50 000 rows, header `review,sentiment`,
///   sentiment `positive`/`negative`), which has no split: we cut a seeded, stratified 80/20 one
///   (the reference's random split had no fixed seed).
///
/// Labels follow the reference: positive → 0, negative → 1. Reviews hold `<br />` tags, which
/// cleaning deletes. The reference kept IMDB's stop words and built its vocabulary before the
/// split; `TextPipeline.Options` has the switches to do so.
public enum IMDB {
  /// The class names by label: positive is 0, negative 1, as in the reference.
  public static let classNames = ["positive", "negative"]
  /// The reference README's max_len.
  public static let defaultMaxLength = 350
  /// File names the CSV layout is looked for under.
  public static let csvNames = ["IMDB Dataset.csv", "IMDB_Dataset.csv"]

  /// Reads `directory`: `aclImdb/` inside it, or the folders `train/` and `test/` directly, or
  /// one of `csvNames`.
  public static func load(directory: URL, splitSeed: UInt64 = StratifiedSplit.defaultSeed) throws -> TextCorpus {
    try TextSetFiles.requireDirectory(directory, "IMDB")
    let acl = directory.appendingPathComponent("aclImdb")
    if TextSetFiles.isDirectory(acl) { return try loadFolders(acl) }
    if TextSetFiles.isDirectory(directory.appendingPathComponent("train")) { return try loadFolders(directory) }
    for name in csvNames {
      let url = directory.appendingPathComponent(name)
      if FileManager.default.fileExists(atPath: url.path) { return try loadCSV(url, splitSeed: splitSeed) }
    }
    throw DataError(
      "\(directory.path) holds neither aclImdb/ (train|test/pos|neg/*.txt) nor \(csvNames.map { "\"\($0)\"" }.joined(separator: " or ")): no IMDB data found"
    )
  }

  /// The `aclImdb` folder layout with its official split.
  public static func loadFolders(_ root: URL) throws -> TextCorpus {
    try TextSetFiles.requireDirectory(root, "IMDB (aclImdb)")
    func split(_ name: String) throws -> LabeledTexts {
      var texts = LabeledTexts()
      for (label, folder) in ["pos", "neg"].enumerated() {
        for file in try TextSetFiles.textFiles(
          root.appendingPathComponent("\(name)/\(folder)"), "IMDB \(name)/\(folder)")
        {
          texts.append(try TextDecoding.readFile(file), label: label)
        }
      }
      return texts
    }
    return TextCorpus(
      name: "imdb", classNames: classNames, train: try split("train"), test: try split("test"),
      splitSeed: nil, defaultMaxLength: defaultMaxLength)
  }

  /// The single-CSV layout, split 80/20 by `StratifiedSplit` with `splitSeed`.
  public static func loadCSV(_ url: URL, splitSeed: UInt64 = StratifiedSplit.defaultSeed) throws -> TextCorpus {
    try TextSetFiles.requireFile(url, "IMDB CSV")
    let records = try CSV.read(url)
    guard let header = records.first else {
      throw DataError("\(url.path) is empty: expected the header review,sentiment and 50 000 reviews")
    }
    guard header.fields.map({ $0.lowercased() }) == ["review", "sentiment"] else {
      throw DataError("\(url.path): line \(header.line): the header is \(header.fields), expected review,sentiment")
    }
    var all = LabeledTexts()
    for record in records.dropFirst() {
      guard record.fields.count == 2 else {
        throw DataError(
          "\(url.path): line \(record.line): \(record.fields.count) fields, expected 2 (review, sentiment)")
      }
      guard let label = classNames.firstIndex(of: record.fields[1].trimmingCharacters(in: .whitespaces).lowercased())
      else {
        throw DataError(
          "\(url.path): line \(record.line): the sentiment \"\(record.fields[1])\" is neither positive nor negative")
      }
      all.append(record.fields[0], label: label)
    }
    guard all.count > 0 else { throw DataError("\(url.path) holds no reviews") }
    return try TextCorpus(
      name: "imdb", classNames: classNames, all: all, splitSeed: splitSeed, defaultMaxLength: defaultMaxLength)
  }
}
