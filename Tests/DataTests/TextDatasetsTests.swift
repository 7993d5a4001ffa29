import XCTest
import Torch
@testable import Data

/// Every text loader on tiny fixtures in the published layouts (and corrupt variants), the data
/// cache, and the two offline sets the bootstrap installs.
final class TextDatasetsTests: XCTestCase {
  var dir: TextFixtureDirectory!
  override func setUpWithError() throws { dir = try TextFixtureDirectory() }
  override func tearDown() { dir.remove() }

  // MARK: AG's News and DBpedia

  func testAGNewsLayout() throws {
    try dir.write(
      "ag/train.csv",
      """
      "3","Wall St. Bears Claw Back","Reuters - Short-sellers, Wall Street's ""dwindling"" band"
      "4","Title, with comma","Two
      lines"
      "1","World","news"

      """)
    try dir.write("ag/test.csv", "\"2\",\"Sports\",\"A game\"\n")
    let c = try AGNews.load(directory: dir.subdirectory("ag"))
    XCTAssertEqual(c.name, "ag_news")
    XCTAssertEqual(c.train.labels, [2, 3, 0])
    XCTAssertEqual(
      c.train.texts[0], "Wall St. Bears Claw Back Reuters - Short-sellers, Wall Street's \"dwindling\" band")
    XCTAssertEqual(c.train.texts[1], "Title, with comma Two\nlines")
    XCTAssertEqual(c.test.labels, [1])
    XCTAssertEqual(c.classNames[1], "Sports")
    XCTAssertNil(c.splitSeed)
    XCTAssertEqual(c.defaultMaxLength, 60)
  }

  func testAGNewsSkipsAHeaderRow() throws {
    try dir.write("ag/train.csv", "Class Index,Title,Description\n3,a,b\n")
    try dir.write("ag/test.csv", "1,c,d\n")
    XCTAssertEqual(try AGNews.load(directory: dir.subdirectory("ag")).train.labels, [2])
  }

  func testAGNewsErrorsNameFileAndLine() throws {
    let ag = dir.subdirectory("ag")
    XCTAssertThrowsDataError(try AGNews.load(directory: ag), "the AG's News directory", ag.path, "does not exist")
    try dir.write("ag/test.csv", "1,c,d\n")
    XCTAssertThrowsDataError(try AGNews.load(directory: ag), "ag/train.csv does not exist")
    try dir.write("ag/train.csv", "1,a,b\n\"2\",\"multi\nline\",\"x\"\n3,only two\n")
    XCTAssertThrowsDataError(
      try AGNews.load(directory: ag), "train.csv: line 4: 2 fields, expected 3 (class, title, description)")
    try dir.write("ag/train.csv", "1,a,b\n5,c,d\n")
    XCTAssertThrowsDataError(try AGNews.load(directory: ag), "train.csv: line 2: the class \"5\" is not a number 1–4")
    try dir.write("ag/train.csv", "x1,a,b\n")
    XCTAssertThrowsDataError(try AGNews.load(directory: ag), "train.csv: line 1: the class \"x1\"")
    try dir.write("ag/train.csv", "\n")
    XCTAssertThrowsDataError(try AGNews.load(directory: ag), "train.csv holds no documents")
    try dir.write("ag/train.csv", "1,\"a,b\n")
    XCTAssertThrowsDataError(
      try AGNews.load(directory: ag), "train.csv: line 1: a quoted field opened on this line is never closed")
  }

  func testDBpediaLayout() throws {
    try dir.write(
      "db/train.csv",
      "1,E. D. Abbott Ltd,\" Abbott of Farnham E D Abbott Limited was a British coachbuilding business\"\n14,Book,\"A novel, in print\"\n"
    )
    try dir.write("db/test.csv", "9,Village,\"A village\"\n")
    let c = try DBpedia.load(directory: dir.subdirectory("db"))
    XCTAssertEqual(c.classCount, 14)
    XCTAssertEqual(c.train.labels, [0, 13])
    XCTAssertEqual(c.train.texts[1], "A novel, in print", "the content field alone")
    XCTAssertEqual(c.test.labels, [8])
    XCTAssertEqual(c.classNames[8], "Village")
    XCTAssertEqual(c.defaultMaxLength, 400)
    try dir.write("db/test.csv", "15,x,y\n")
    XCTAssertThrowsDataError(
      try DBpedia.load(directory: dir.subdirectory("db")), "test.csv: line 1: the class \"15\" is not a number 1–14")
  }

  // MARK: IMDB

  func testIMDBFolderLayout() throws {
    try dir.write("imdb/aclImdb/train/pos/10_9.txt", "Great<br /><br />film")
    try dir.write("imdb/aclImdb/train/pos/2_8.txt", "Loved it")
    try dir.write("imdb/aclImdb/train/neg/0_1.txt", "Awful")
    try dir.write("imdb/aclImdb/train/unsup/0_0.txt", "ignored")
    try dir.write("imdb/aclImdb/test/pos/0_10.txt", "Fine")
    try dir.write("imdb/aclImdb/test/neg/0_2.txt", "Bad")
    let c = try IMDB.load(directory: dir.subdirectory("imdb"))
    XCTAssertEqual(c.train.texts, ["Loved it", "Great<br /><br />film", "Awful"], "numeric file order, pos then neg")
    XCTAssertEqual(c.train.labels, [0, 0, 1], "positive → 0, negative → 1, as the reference")
    XCTAssertEqual(c.test.labels, [0, 1])
    XCTAssertNil(c.splitSeed)
    XCTAssertEqual(c.defaultMaxLength, 350)
    try FileManager.default.removeItem(at: dir.subdirectory("imdb/aclImdb/test/neg/0_2.txt"))
    XCTAssertThrowsDataError(try IMDB.load(directory: dir.subdirectory("imdb")), "aclImdb/test/neg holds no .txt files")
    try FileManager.default.removeItem(at: dir.subdirectory("imdb/aclImdb/test/neg"))
    XCTAssertThrowsDataError(
      try IMDB.load(directory: dir.subdirectory("imdb")), "IMDB test/neg directory", "does not exist")
  }

  func testIMDBCSVLayoutWithASeededSplit() throws {
    var csv = "review,sentiment\n"
    for i in 0..<10 { csv += "\"Review \(i), \"\"quoted\"\"\nsecond line\",\(i % 2 == 0 ? "positive" : "negative")\n" }
    try dir.write("imdb/IMDB Dataset.csv", csv)
    let c = try IMDB.load(directory: dir.subdirectory("imdb"), splitSeed: 7)
    XCTAssertEqual(c.splitSeed, 7)
    XCTAssertEqual(c.train.count, 8)
    XCTAssertEqual(c.test.count, 2)
    XCTAssertEqual(c.test.classCounts(classCount: 2), [1, 1], "stratified")
    XCTAssertEqual(Set(c.train.texts + c.test.texts).count, 10, "disjoint and complete")
    XCTAssertTrue(c.train.texts[0].hasPrefix("Review"))
    XCTAssertEqual(try IMDB.load(directory: dir.subdirectory("imdb"), splitSeed: 7).test.texts, c.test.texts)

    try dir.write("imdb/IMDB Dataset.csv", "review,sentiment\n\"a\nb\",positive\nc,neutral\n")
    XCTAssertThrowsDataError(
      try IMDB.load(directory: dir.subdirectory("imdb")),
      "IMDB Dataset.csv: line 4: the sentiment \"neutral\" is neither positive nor negative")
    try dir.write("imdb/IMDB Dataset.csv", "text,label\n")
    XCTAssertThrowsDataError(
      try IMDB.load(directory: dir.subdirectory("imdb")), "line 1: the header is", "expected review,sentiment")
    try dir.write("imdb/IMDB Dataset.csv", "review,sentiment\na,positive,extra\n")
    XCTAssertThrowsDataError(try IMDB.load(directory: dir.subdirectory("imdb")), "line 2: 3 fields, expected 2")
    try dir.write("imdb/IMDB Dataset.csv", "review,sentiment\n")
    XCTAssertThrowsDataError(try IMDB.load(directory: dir.subdirectory("imdb")), "holds no reviews")
    try FileManager.default.removeItem(at: dir.subdirectory("imdb/IMDB Dataset.csv"))
    XCTAssertThrowsDataError(try IMDB.load(directory: dir.subdirectory("imdb")), "holds neither aclImdb/")
  }

  // MARK: SST-2

  func testSST2Layout() throws {
    try dir.write(
      "sst2/train.tsv",
      "sentence\tlabel\r\nhide new secretions from the parental units \t0\r\nthe \"greatest\" film \t1\r\n")
    try dir.write("sst2/dev.tsv", "sentence\tlabel\nit 's a charming journey . \t1\n")
    let c = try SST2.load(directory: dir.subdirectory("sst2"))
    XCTAssertEqual(c.train.labels, [0, 1])
    XCTAssertEqual(c.train.texts[1], "the \"greatest\" film ", "quotes are ordinary characters in GLUE's TSV")
    XCTAssertEqual(c.test.labels, [1], "dev.tsv is the test split")
    XCTAssertEqual(c.defaultMaxLength, 15)
    let sst = dir.subdirectory("sst2")
    try dir.write("sst2/dev.tsv", "sentence\tlabel\na\t1\nb\t2\n")
    XCTAssertThrowsDataError(try SST2.load(directory: sst), "dev.tsv: line 3: the label \"2\" is not 0 or 1")
    try dir.write("sst2/dev.tsv", "sentence\tlabel\na\tb\t1\n")
    XCTAssertThrowsDataError(try SST2.load(directory: sst), "dev.tsv: line 2: 3 tab-separated fields, expected 2")
    try dir.write("sst2/dev.tsv", "idx\tsentence\n")
    XCTAssertThrowsDataError(try SST2.load(directory: sst), "dev.tsv: line 1: the header is")
    try dir.write("sst2/dev.tsv", "sentence\tlabel\n")
    XCTAssertThrowsDataError(try SST2.load(directory: sst), "dev.tsv holds no sentences")
    try FileManager.default.removeItem(at: dir.subdirectory("sst2/dev.tsv"))
    XCTAssertThrowsDataError(try SST2.load(directory: sst), "sst2/dev.tsv does not exist")
  }

  // MARK: BBC News and Rotten Tomatoes layouts

  func testBBCNewsLayout() throws {
    for i in 1...5 {
      try dir.write("bbc/tech/\(String(format: "%03d", i)).txt", "Title \(i)\n\nBody about chips \(i).\n")
    }
    try dir.write("bbc/sport/001.txt", bytes: Array("Transfer\n\nA ".utf8) + [0xA3] + Array("15.8m signing".utf8))
    for i in 2...5 { try dir.write("bbc/sport/\(String(format: "%03d", i)).txt", "Match \(i)\n\nGoal.\n") }
    let c = try BBCNews.load(directory: dir.subdirectory("bbc"), splitSeed: 3)
    XCTAssertEqual(c.classNames, ["sport", "tech"], "sorted folder names")
    XCTAssertEqual(c.train.count + c.test.count, 10)
    XCTAssertEqual(c.test.classCounts(classCount: 2), [1, 1])
    XCTAssertEqual(c.splitSeed, 3)
    let all = c.train.texts + c.test.texts
    XCTAssertTrue(all.contains("Transfer\n\nA £15.8m signing"), "Latin-1 byte decoded leniently")
    XCTAssertTrue(all.contains("Title 1\n\nBody about chips 1.\n"), "title and body")
    try dir.write("bbc/empty/readme.md", "x")
    XCTAssertThrowsDataError(try BBCNews.load(directory: dir.subdirectory("bbc")), "bbc/empty holds no .txt files")
    XCTAssertThrowsDataError(
      try BBCNews.load(directory: dir.subdirectory("nothing")), "the BBC News directory", "does not exist")
  }

  func testRottenTomatoesLayout() throws {
    var csv = "category,text,movie_name,has_plot_and_reviews\n"
    csv += "plot,\"A plot,\nover lines\",m,False\n"
    for i in 0..<5 { csv += "fresh,\"Fresh take \(i)\",m\(i),True\nrotten,Rotten \(i),m\(i),True\n" }
    try dir.write("rt/rotten_tomatoes_corpus_full.csv", csv)
    let c = try RottenTomatoes.load(directory: dir.subdirectory("rt"), splitSeed: 1)
    XCTAssertEqual(c.classNames, ["negative", "positive"])
    XCTAssertEqual(c.train.count + c.test.count, 10, "plot rows dropped")
    XCTAssertEqual(c.test.classCounts(classCount: 2), [1, 1])
    XCTAssertTrue(c.train.texts.allSatisfy { !$0.contains("plot") })
    XCTAssertEqual(zip(c.train.texts, c.train.labels).filter { $0.0.hasPrefix("Fresh") }.map(\.1), [1, 1, 1, 1])
    try dir.write("rt/rotten_tomatoes_corpus_full.csv", csv + "spoiled,x,m,True\n")
    XCTAssertThrowsDataError(
      try RottenTomatoes.load(directory: dir.subdirectory("rt")),
      "rotten_tomatoes_corpus_full.csv: line 14: the category \"spoiled\"")
    try dir.write("rt/rotten_tomatoes_corpus_full.csv", csv + "fresh,x\n")
    XCTAssertThrowsDataError(
      try RottenTomatoes.load(directory: dir.subdirectory("rt")), "line 14: 2 fields, expected 4")
    try dir.write("rt/rotten_tomatoes_corpus_full.csv", "name,body\n")
    XCTAssertThrowsDataError(
      try RottenTomatoes.load(directory: dir.subdirectory("rt")), "line 1: the header",
      "lacks a category or a text column")
  }

  // MARK: the data cache

  func testDataCacheLocationsAndErrors() throws {
    XCTAssertEqual(DataCache.resolve(environment: ["SCPL_DATA": "/data/x", "HOME": "/home/u"]).root.path, "/data/x")
    XCTAssertEqual(DataCache.resolve(environment: ["HOME": "/home/u"]).root.path, "/home/u/.cache/scpl")
    let cache = DataCache(root: dir.subdirectory("cache"))
    XCTAssertEqual(cache.bbcNews.path, dir.subdirectory("cache/bbc-news").path)
    XCTAssertEqual(TextSet.rottenTomatoes.defaultDirectory(in: cache).lastPathComponent, "rotten-tomatoes")
    XCTAssertThrowsDataError(
      try TextSet.bbcNews.load(cache: cache), "bbc-news does not exist", "Run `make` (or `bash scripts/bootstrap.sh`)",
      "SCPL_DATA")
    XCTAssertThrowsDataError(
      try TextSet.agNews.load(cache: cache), "ag_news does not exist", "put train.csv and test.csv there")
    try dir.write("cache/sst2/train.tsv", "sentence\tlabel\nok\t1\n")
    try dir.write("cache/sst2/dev.tsv", "sentence\tlabel\nfine\t1\n")
    XCTAssertEqual(try TextSet.sst2.load(cache: cache).train.count, 1, "found in the cache by default")
    XCTAssertEqual(TextSet(rawValue: "dbpedia_14"), .dbpedia)
  }

  // MARK: the real offline sets (installed by scripts/bootstrap.sh)

  func testBBCNewsFromTheCache() throws {
    let c = try TextSet.bbcNews.load()
    XCTAssertEqual(c.classNames, ["business", "entertainment", "politics", "sports", "tech"])
    XCTAssertEqual(c.train.count + c.test.count, 2225)
    let all = zip(c.train.classCounts(classCount: 5), c.test.classCounts(classCount: 5)).map { $0 + $1 }
    XCTAssertEqual(all, [510, 386, 417, 511, 401])
    XCTAssertEqual(c.test.classCounts(classCount: 5), [102, 77, 83, 102, 80], "round(0.2 · n) per class")
    XCTAssertEqual(c.train.count, 1781)
    XCTAssertEqual(c.splitSeed, StratifiedSplit.defaultSeed)
    // The split is disjoint by document (TextPipelineTests), but the published set holds 98
    // exact copies of other articles, so equal texts can fall on both sides.
    XCTAssertEqual(Set(c.train.texts + c.test.texts).count, 2127)
    XCTAssertTrue(
      (c.train.texts + c.test.texts).contains { $0.contains("Mutu, a £15.8m signing") }, "sports/199.txt's Latin-1 £")
    let again = try TextSet.bbcNews.load()
    XCTAssertEqual(again.test.texts, c.test.texts, "fixed under the seed")
    XCTAssertNotEqual(try TextSet.bbcNews.load(splitSeed: 43).test.texts, c.test.texts)

    let p = try TextPipeline.prepare(c)
    XCTAssertEqual(p.droppedEmptyTrain + p.droppedEmptyTest, 0)
    XCTAssertEqual(p.maxLength, 400)
    XCTAssertEqual(p.vocabulary.size, 30_000, "more than 29 998 distinct training words")
    XCTAssertEqual(p.train.count, 1781)
  }

  func testRottenTomatoesFromTheCache() throws {
    let c = try TextSet.rottenTomatoes.load()
    XCTAssertEqual(c.train.count + c.test.count, 12_808)
    let all = zip(c.train.classCounts(classCount: 2), c.test.classCounts(classCount: 2)).map { $0 + $1 }
    XCTAssertEqual(all, [5405, 7403], "rotten (negative), fresh (positive)")
    XCTAssertEqual(c.test.classCounts(classCount: 2), [1081, 1481])
    XCTAssertEqual(c.train.count, 10_246)
    XCTAssertEqual(Set(c.train.texts + c.test.texts).count, 12_752, "56 snippets repeat others, as published")

    let p = try TextPipeline.prepare(c)
    XCTAssertEqual(p.droppedEmptyTrain + p.droppedEmptyTest, 0)
    XCTAssertEqual(p.maxLength, 30)
    let (x, y) = try p.train.batch(indices: Array(0..<64))
    XCTAssertEqual(x.shape[0], 64)
    XCTAssertLessThanOrEqual(x.shape[1], 30)
    XCTAssertEqual(y.shape, [64])

    let glove = try WordVectors.read(DataCache.default.glove6B50d, keeping: Set(p.vocabulary.words))
    let m = try EmbeddingMatrix(vocabulary: p.vocabulary, vectors: glove, seed: 0)
    XCTAssertEqual(m.weights.shape, [p.vocabulary.size, 50])
    print(
      "rotten_tomatoes: vocabulary \(p.vocabulary.size) ids, \(m.foundWords) of \(m.vocabularyWords) words in GloVe 6B")
    XCTAssertGreaterThan(Double(m.foundWords) / Double(m.vocabularyWords), 0.8)
    let film = try m.weights.select(axis: 0, index: Int(p.vocabulary.id("film"))).toArray(Float.self)
    XCTAssertEqual(film, try XCTUnwrap(glove.vector("film")).map { $0 })
  }
}
