import XCTest
import Torch
@testable import Data

/// A user's own CSV and TSV files with a text and a label column: columns found by their header
/// names, class indices in sorted (numeric where possible) order, the test file held to the
/// training file's classes, a seeded split without one, and errors that name the file and row.
final class LabeledTextFileTests: XCTestCase {
  var dir: TextFixtureDirectory!
  override func setUpWithError() throws { dir = try TextFixtureDirectory() }
  override func tearDown() { dir.remove() }

  func url(_ path: String) -> URL { dir.subdirectory(path) }

  func testCSVColumnsByNameAndClassesSorted() throws {
    try dir.write(
      "train.csv",
      """
      id,label,text
      1,sports,"A match, won"
      2,world,"Two
      lines"
      3,business,markets
      4,sports,goal

      """)
    try dir.write("test.csv", "text,label,id\nrates,business,9\n")
    let corpus = try LabeledTextFile().corpus(train: url("train.csv"), test: url("test.csv"), name: "mine")
    XCTAssertEqual(corpus.classNames, ["business", "sports", "world"])
    XCTAssertEqual(corpus.train.labels, [1, 2, 0, 1])
    XCTAssertEqual(corpus.train.texts[0], "A match, won")
    XCTAssertEqual(corpus.train.texts[1], "Two\nlines")
    XCTAssertEqual(corpus.test.texts, ["rates"])
    XCTAssertEqual(corpus.test.labels, [0])
    XCTAssertNil(corpus.splitSeed)
  }

  func testTSVAndIntegerLabelsSortNumerically() throws {
    try dir.write("a.tsv", "label\tbody\n10\tten\n2\ttwo\n1\tone\n2\tdeux\n")
    let rows = try LabeledTextFile(textColumn: "body").rows(of: url("a.tsv"))
    XCTAssertEqual(rows.texts, ["ten", "two", "one", "deux"])
    XCTAssertEqual(LabeledTextFile.classNames(rows.labels), ["1", "2", "10"])
    let corpus = try LabeledTextFile(textColumn: "body").corpus(train: url("a.tsv"), test: url("a.tsv"), name: "t")
    XCTAssertEqual(corpus.train.labels, [2, 1, 0, 1])
  }

  /// Without a test file: the stratified split of `StratifiedSplit` with the given seed, every
  /// document in exactly one split.
  func testNoTestFileSplitsBySeed() throws {
    let lines = (0..<50).map { "doc \($0),\($0 % 2 == 0 ? "even" : "odd")" }
    try dir.write("all.csv", "text,label\n" + lines.joined(separator: "\n") + "\n")
    let corpus = try LabeledTextFile().corpus(train: url("all.csv"), name: "s", splitSeed: 7)
    XCTAssertEqual(corpus.splitSeed, 7)
    XCTAssertEqual(corpus.train.count + corpus.test.count, 50)
    XCTAssertEqual(Set(corpus.train.texts + corpus.test.texts).count, 50)
    XCTAssertEqual(corpus.test.classCounts(classCount: 2), [5, 5])
    let again = try LabeledTextFile().corpus(train: url("all.csv"), name: "s", splitSeed: 7)
    XCTAssertEqual(again.test.texts, corpus.test.texts)
  }

  func testErrorsNameTheFileAndRow() throws {
    try dir.write("train.csv", "text,label\na,x\nb,y\n")
    try dir.write("test.csv", "text,label\nc,x\nd,z\n")
    func assertError(_ body: () throws -> Any, _ parts: [String], line: UInt = #line) {
      XCTAssertThrowsError(try body(), line: line) { error in
        for p in parts { XCTAssertTrue("\(error)".contains(p), "'\(error)' lacks '\(p)'", line: line) }
      }
    }
    assertError(
      { try LabeledTextFile().corpus(train: self.url("train.csv"), test: self.url("test.csv"), name: "e") },
      ["test.csv", "row 2", "'z'", "2 classes"])
    assertError({ try LabeledTextFile(labelColumn: "class").rows(of: self.url("train.csv")) }, ["'class'", "header"])
    try dir.write("one.csv", "text,label\na,x\nb,x\n")
    assertError({ try LabeledTextFile().corpus(train: self.url("one.csv"), name: "e") }, ["one.csv", "at least 2"])
    try dir.write("ragged.csv", "text,label\na,x,extra\n")
    assertError({ try LabeledTextFile().rows(of: self.url("ragged.csv")) }, ["ragged.csv", "line 2", "3 fields"])
    try dir.write("empty-label.csv", "text,label\na, \n")
    assertError({ try LabeledTextFile().rows(of: self.url("empty-label.csv")) }, ["line 2", "label is empty"])
    try dir.write("header-only.csv", "text,label\n")
    assertError({ try LabeledTextFile().rows(of: self.url("header-only.csv")) }, ["no rows"])
    assertError({ try LabeledTextFile().rows(of: self.url("missing.csv")) }, ["missing.csv", "does not exist"])
  }

  /// The measured normalisation of two 1×1 RGB images against hand arithmetic: channel 0 holds
  /// 0 and 255 (mean ½, std ½), channel 1 is constant (std 1 rather than 0), channel 2 51 and 102.
  func testMeasuredNormalisation() throws {
    let images = try Tensor([0, 10, 51, 255, 10, 102] as [UInt8], shape: [2, 1, 1, 3]).permuted([0, 3, 1, 2])
      .contiguous()
    let n = try ImageNormalization.measured(images)
    XCTAssertEqual(n.mean[0], 0.5, accuracy: 1e-12)
    XCTAssertEqual(n.std[0], 0.5, accuracy: 1e-12)
    XCTAssertEqual(n.mean[1], 10 / 255, accuracy: 1e-12)
    XCTAssertEqual(n.std[1], 1)
    XCTAssertEqual(n.mean[2], 76.5 / 255, accuracy: 1e-12)
    XCTAssertEqual(n.std[2], 25.5 / 255, accuracy: 1e-12)
  }
}
