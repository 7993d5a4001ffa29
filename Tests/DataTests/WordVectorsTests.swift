import XCTest
import Torch
@testable import Data

final class WordVectorsTests: XCTestCase {
  var dir: TextFixtureDirectory!
  override func setUpWithError() throws { dir = try TextFixtureDirectory() }
  override func tearDown() { dir.remove() }

  func testReadsTheGloVeTextFormat() throws {
    let file = try dir.write("g.txt", "the 0.418 0.24968 -0.41242\ncat 1 2 3\r\ndog -1e-3 0 5\n\n")
    let all = try WordVectors.read(file)
    XCTAssertEqual(all.dimension, 3)
    XCTAssertEqual(all.lineCount, 3)
    XCTAssertEqual(all.words, ["the", "cat", "dog"])
    XCTAssertEqual(all.vector("the").map(Array.init), [0.418, 0.24968, -0.41242])
    XCTAssertEqual(all.vector("dog").map(Array.init), [-0.001, 0, 5])
    XCTAssertNil(all.vector("bird"))
    let some = try WordVectors.read(file, keeping: ["cat", "bird"])
    XCTAssertEqual(some.words, ["cat"])
    XCTAssertEqual(some.lineCount, 3, "every line is counted and checked")
    XCTAssertEqual(some.values, [1, 2, 3])
  }

  func testAnyDimensionAndTheVecHeader() throws {
    let one = try WordVectors.read(try dir.write("one.txt", "a 1\nb 2\n"))
    XCTAssertEqual(one.dimension, 1)
    // fastText .vec: "count dimension" header, a trailing space on each line.
    let vec = try WordVectors.read(try dir.write("w.vec", "2 4\nx 1 2 3 4 \ny 5 6 7 8 \n"))
    XCTAssertEqual(vec.dimension, 4)
    XCTAssertEqual(vec.words, ["x", "y"])
    XCTAssertEqual(vec.vector("y").map(Array.init), [5, 6, 7, 8])
  }

  func testBadFilesNameTheFileAndLine() throws {
    let wrong = try dir.write("wrong.txt", "the 1 2 3\ncat 1 2 3\ndog 1 2\n")
    XCTAssertThrowsDataError(
      try WordVectors.read(wrong, keeping: ["the"]),
      "wrong.txt: line 3: the word \"dog\" has 2 values, but the file's vectors have 3 (from line 1)")
    let header = try dir.write("h.vec", "2 3\nx 1 2 3\ny 1 2 3 4\n")
    XCTAssertThrowsDataError(try WordVectors.read(header), "h.vec: line 3:", "has 4 values", "from line 1")
    let nan = try dir.write("nan.txt", "a 1 2\nb 1 x\n")
    XCTAssertThrowsDataError(
      try WordVectors.read(nan), "nan.txt: line 2: value 2 of the word \"b\", \"x\", is not a finite number")
    XCTAssertThrowsDataError(
      try WordVectors.read(try dir.write("lone.txt", "word\n")), "lone.txt: line 1:", "has no values")
    XCTAssertThrowsDataError(try WordVectors.read(try dir.write("empty.txt", "\n")), "empty.txt holds no word vectors")
    XCTAssertThrowsDataError(try WordVectors.read(dir.subdirectory("none.txt")), "none.txt does not exist")
  }

  // MARK: embedding matrix

  func fixture() throws -> (Vocabulary, WordVectors) {
    // Words by id: 2 c, 3 b, 4 a, 5 d, 6 e. Vectors (outside [0, 1), unlike random rows) for c, a, e.
    let v = try Vocabulary(documents: [["b", "a", "c"], ["a", "b", "d"], ["e", "c", "c"]])
    let w = try WordVectors.read(try dir.write("v.txt", "e 60 61\nzz 9 9\na 40 41\nc 20 21\n"))
    return (v, w)
  }

  func rows(_ t: Tensor) throws -> [[Float]] {
    let flat = try t.toArray(Float.self)
    return stride(from: 0, to: flat.count, by: t.shape[1]).map { Array(flat[$0..<($0 + t.shape[1])]) }
  }

  func isRandom(_ row: [Float]) -> Bool { row.allSatisfy { $0 >= 0 && $0 < 1 } }

  func testAlignedRowsMatchIDs() throws {
    let (v, w) = try fixture()
    let m = try EmbeddingMatrix(vocabulary: v, vectors: w, seed: 1)
    XCTAssertEqual(m.weights.shape, [7, 2])
    XCTAssertEqual(m.weights.dtype, .float32)
    XCTAssertEqual(m.foundWords, 3)
    XCTAssertEqual(m.vocabularyWords, 5)
    let r = try rows(m.weights)
    XCTAssertEqual(r[Int(v.id("c"))], [20, 21])
    XCTAssertEqual(r[Int(v.id("a"))], [40, 41])
    XCTAssertEqual(r[Int(v.id("e"))], [60, 61])
    for id in [0, 1, Int(v.id("b")), Int(v.id("d"))] { XCTAssertTrue(isRandom(r[id]), "row \(id): \(r[id])") }
    XCTAssertNotEqual(r[0], r[1])
    XCTAssertEqual(try rows(EmbeddingMatrix(vocabulary: v, vectors: w, seed: 1).weights), r, "seeded")
    XCTAssertNotEqual(try rows(EmbeddingMatrix(vocabulary: v, vectors: w, seed: 2).weights)[0], r[0])
  }

  func testReferenceLayoutShiftsRowsByTwo() throws {
    let (v, w) = try fixture()
    let r = try rows(EmbeddingMatrix(vocabulary: v, vectors: w, layout: .reference, seed: 1).weights)
    // Rank order c, b, a, d, e, then <pad>, <unk>: row i holds the word of id i + 2.
    XCTAssertEqual(r[0], [20, 21], "id 0 (<pad>) gets the most frequent word's vector")
    XCTAssertEqual(r[2], [40, 41], "id 2 (c) gets the vector of a, id 4")
    XCTAssertEqual(r[4], [60, 61])
    for i in [1, 3, 5, 6] { XCTAssertTrue(isRandom(r[i]), "row \(i)") }
  }

  // MARK: the converted GloVe 6B 50-d in the data cache

  func testConvertedGloVeFromTheCache() throws {
    let url = try DataCache.default.require(
      DataCache.default.glove6B50d, "GloVe 6B 50-d", preparedByBootstrap: true, expected: "")
    let g = try WordVectors.read(url, keeping: ["the", "king", ","])
    XCTAssertEqual(g.dimension, 50)
    XCTAssertEqual(g.lineCount, 400_000)
    XCTAssertEqual(g.words, ["the", ",", "king"], "file order: the, \",\" are the first two lines")
    let the = try XCTUnwrap(g.vector("the"))
    XCTAssertEqual(Array(the.prefix(3)), [0.418, 0.24968, -0.41242])
    XCTAssertEqual(try XCTUnwrap(g.vector(",")).first, 0.013441)
  }
}
