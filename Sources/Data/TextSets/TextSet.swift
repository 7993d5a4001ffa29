import Foundation

/// The text data sets by name (the reference's `--dataset` names, plus our two offline
/// stand-ins), each with its default place in the data cache.
public enum TextSet: String, Sendable, CaseIterable {
  /// AG's News (4 news topics).
  case agNews = "ag_news"
  /// IMDB movie-review sentiment.
  case imdb
  /// SST-2 sentence sentiment (GLUE).
  case sst2
  /// DBpedia ontology classification (14 classes).
  case dbpedia = "dbpedia_14"
  /// Offline stand-in for AG's News.
  case bbcNews = "bbc_news"
  /// Offline stand-in for SST-2 and IMDB.
  case rottenTomatoes = "rotten_tomatoes"

  /// Whether `scripts/bootstrap.sh` installs and prepares it.
  public var preparedByBootstrap: Bool { self == .bbcNews || self == .rottenTomatoes }

  /// Whether it has no published split, so that `StratifiedSplit` cuts one (IMDB only in its
  /// single-CSV layout).
  public var usesSeededSplit: Bool { self == .bbcNews || self == .rottenTomatoes || self == .imdb }

  /// The set's folder in `cache`, where it is looked for when no directory is given.
  public func defaultDirectory(in cache: DataCache) -> URL {
    switch self {
    case .agNews: return cache.agNews
    case .imdb: return cache.imdb
    case .sst2: return cache.sst2
    case .dbpedia: return cache.dbpedia
    case .bbcNews: return cache.bbcNews
    case .rottenTomatoes: return cache.rottenTomatoes
    }
  }

  /// What the directory must hold, for error messages.
  public var expectedLayout: String {
    switch self {
    case .agNews, .dbpedia: return "train.csv and test.csv"
    case .imdb: return "aclImdb/ or \"IMDB Dataset.csv\""
    case .sst2: return "train.tsv and dev.tsv (GLUE)"
    case .bbcNews: return "<class>/NNN.txt"
    case .rottenTomatoes: return RottenTomatoes.fileName
    }
  }

  /// Loads the set from `directory`, or from its default place in `cache` when nil (with an error
  /// saying how to get it there when it is missing). `splitSeed` drives the 80/20 split of the
  /// sets without an official one and is ignored by the others.
  public func load(
    directory: URL? = nil, cache: DataCache = .default,
    splitSeed: UInt64 = StratifiedSplit.defaultSeed
  ) throws -> TextCorpus {
    let dir =
      try directory
      ?? cache.require(
        defaultDirectory(in: cache), "The \(rawValue) data set",
        preparedByBootstrap: preparedByBootstrap, expected: expectedLayout)
    switch self {
    case .agNews: return try AGNews.load(directory: dir)
    case .imdb: return try IMDB.load(directory: dir, splitSeed: splitSeed)
    case .sst2: return try SST2.load(directory: dir)
    case .dbpedia: return try DBpedia.load(directory: dir)
    case .bbcNews: return try BBCNews.load(directory: dir, splitSeed: splitSeed)
    case .rottenTomatoes: return try RottenTomatoes.load(directory: dir, splitSeed: splitSeed)
    }
  }
}
