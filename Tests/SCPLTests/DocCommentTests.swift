import Foundation
import XCTest

/// Every public declaration of the library carries a `///` doc comment (above its attributes),
/// so the DocC documentation `make docs` builds has no blank entries; `make docs` separately fails
/// on a doc comment that does not match its declaration.
final class DocCommentTests: XCTestCase {
  let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Sources")

  /// `file:line: declaration` of each public or open declaration in `text` without a doc comment.
  static func undocumented(_ text: String, file: String) -> [String] {
    let lines = text.components(separatedBy: "\n")
    let declaration = try! NSRegularExpression(pattern: #"^\s*(@[\w.]+(\([^)]*\))?\s+)*(public|open)\s"#)
    var found: [String] = []
    for (i, line) in lines.enumerated() {
      let range = NSRange(line.startIndex..., in: line)
      guard declaration.firstMatch(in: line, range: range) != nil else { continue }
      // Codable's two requirements say nothing a reader needs.
      if line.contains("init(from decoder") || line.contains("func encode(to") { continue }
      var above = i - 1
      while above >= 0, lines[above].trimmingCharacters(in: .whitespaces).hasPrefix("@") { above -= 1 }
      if above < 0 || !lines[above].trimmingCharacters(in: .whitespaces).hasPrefix("///") {
        found.append("\(file):\(i + 1): \(line.trimmingCharacters(in: .whitespaces).prefix(90))")
      }
    }
    return found
  }

  func testEveryPublicDeclarationHasADocComment() throws {
    var missing: [String] = []
    var files = 0
    let walker = FileManager.default.enumerator(atPath: sources.path)
    while let name = walker?.nextObject() as? String {
      guard name.hasSuffix(".swift"), !name.hasSuffix(".pb.swift") else { continue }
      files += 1
      let text = try String(contentsOf: sources.appendingPathComponent(name), encoding: .utf8)
      missing += Self.undocumented(text, file: "Sources/\(name)")
    }
    XCTAssertGreaterThan(files, 200)
    XCTAssertTrue(
      missing.isEmpty,
      "\(missing.count) public declarations lack a /// comment:\n" + missing.prefix(40).joined(separator: "\n"))
  }

  /// The check can fail: a bare public declaration and one under an attribute are found; a
  /// documented one, with or without attributes, is not.
  func testTheCheckFindsABareDeclaration() {
    let text = """
      /// Documented.
      public struct A {}
      public struct B {}
      /// Documented, under an attribute.
      @discardableResult
      public func c() -> Int { 1 }
      @inlinable public func d() {}
      """
    XCTAssertEqual(
      Self.undocumented(text, file: "t.swift").map { String($0.prefix(9)) }, ["t.swift:3", "t.swift:7"])
  }
}
