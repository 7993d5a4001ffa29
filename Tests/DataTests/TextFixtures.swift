import Foundation
import XCTest
@testable import Data

/// A temporary directory for the text tests' fixture files, removed by `tearDown`.
final class TextFixtureDirectory {
  let url: URL

  init() throws {
    url = FileManager.default.temporaryDirectory.appendingPathComponent("text-\(UUID())")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  func remove() { try? FileManager.default.removeItem(at: url) }

  /// Writes `text` (or raw bytes) at `path` under the directory, creating folders.
  @discardableResult
  func write(_ path: String, _ text: String) throws -> URL { try write(path, bytes: Array(text.utf8)) }

  @discardableResult
  func write(_ path: String, bytes: [UInt8]) throws -> URL {
    let file = url.appendingPathComponent(path)
    try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(bytes).write(to: file)
    return file
  }

  func subdirectory(_ path: String) -> URL { url.appendingPathComponent(path) }
}

/// Asserts that `body` throws an error whose sentence contains every one of `parts`.
func XCTAssertThrowsDataError<T>(
  _ body: @autoclosure () throws -> T, _ parts: String..., file: StaticString = #filePath, line: UInt = #line
) {
  XCTAssertThrowsError(try body(), file: file, line: line) { error in
    XCTAssertTrue(error is DataError, "\(type(of: error)): \(error)", file: file, line: line)
    for part in parts {
      XCTAssertTrue("\(error)".contains(part), "\"\(error)\" lacks \"\(part)\"", file: file, line: line)
    }
  }
}
