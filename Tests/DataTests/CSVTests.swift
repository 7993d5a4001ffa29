import XCTest
@testable import Data

final class CSVTests: XCTestCase {
  func parse(_ text: String, separator: UInt8 = UInt8(ascii: ",")) throws -> [[String]] {
    try CSV.parse(text, source: "t.csv", separator: separator).map(\.fields)
  }

  func testPlainFieldsAndLineEndings() throws {
    XCTAssertEqual(try parse("a,b,c\n1,2,3\n"), [["a", "b", "c"], ["1", "2", "3"]])
    XCTAssertEqual(try parse("a,b\r\n1,2\r\n"), [["a", "b"], ["1", "2"]])
    XCTAssertEqual(try parse("a,b\n1,2"), [["a", "b"], ["1", "2"]], "no final newline")
    XCTAssertEqual(try parse("a,,c,\n"), [["a", "", "c", ""]], "empty fields, also the last")
    XCTAssertEqual(try parse("a,b,"), [["a", "b", ""]])
    XCTAssertEqual(try parse(""), [])
    XCTAssertEqual(try parse("a\n\n\nb\n"), [["a"], ["b"]], "blank lines are skipped")
    XCTAssertEqual(try parse("a\tb\n", separator: UInt8(ascii: "\t")), [["a", "b"]])
  }

  func testQuotedFields() throws {
    XCTAssertEqual(try parse("\"a,b\",c\n"), [["a,b", "c"]], "separator inside quotes")
    XCTAssertEqual(try parse("\"say \"\"hi\"\"\",x\n"), [["say \"hi\"", "x"]], "doubled quotes")
    XCTAssertEqual(try parse("1,\"two\nlines\",3\n4,5,6\n"), [["1", "two\nlines", "3"], ["4", "5", "6"]])
    XCTAssertEqual(try parse("\"\",\"\"\n"), [["", ""]], "empty quoted fields")
    XCTAssertEqual(try parse("\"\"\n"), [[""]], "a quoted empty field is a record")
    XCTAssertEqual(try parse("\"a\"\r\n\"b\""), [["a"], ["b"]])
    XCTAssertEqual(
      try parse("ab\"c,d\n"), [["ab\"c", "d"]], "a quote inside an unquoted field is a character, as in Python")
    XCTAssertEqual(try parse("\"é, ü\",日本\n"), [["é, ü", "日本"]])
  }

  func testRecordsKnowTheirFirstLine() throws {
    let records = try CSV.parse("h1,h2\n\"x\ny\nz\",1\nlast,2\n", source: "t.csv")
    XCTAssertEqual(records.map(\.line), [1, 2, 5])
  }

  func testMalformedQuotingNamesFileAndLine() throws {
    XCTAssertThrowsDataError(
      try CSV.parse("a,b\n1,\"open\nstill open\n", source: "bad.csv"),
      "bad.csv: line 2:", "never closed")
    XCTAssertThrowsDataError(
      try CSV.parse("a,b\n\n\"x\"y,2\n", source: "bad.csv"),
      "bad.csv: line 3:", "after the closing quote of field 1")
    XCTAssertThrowsDataError(
      try CSV.parse("a,\"multi\nline\" z\n", source: "bad.csv"),
      "bad.csv: line 2:", "\" \"", "field 2")
  }

  func testReadsFilesLeniently() throws {
    let dir = try TextFixtureDirectory()
    defer { dir.remove() }
    // A BOM, valid UTF-8, and a stray Latin-1 byte (0xA3, "£").
    let file = try dir.write(
      "x.csv", bytes: [0xEF, 0xBB, 0xBF] + Array("a,\"é\"\n".utf8) + [0xA3] + Array("5,b\n".utf8))
    XCTAssertEqual(try CSV.read(file).map(\.fields), [["a", "é"], ["£5", "b"]])
    XCTAssertThrowsDataError(try CSV.read(dir.subdirectory("missing.csv")), "missing.csv does not exist")
  }
}
