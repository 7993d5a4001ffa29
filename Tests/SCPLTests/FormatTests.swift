import Foundation
import XCTest

/// The sources keep one format: swift-format (from the toolchain) at 120 columns, configured in
/// `.swift-format` (its rules off: layout only). `make format` applies it. Lines it cannot break —
/// a long string literal, a URL in a comment — may stay longer.
final class FormatTests: XCTestCase {
  let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  /// `swift format lint --strict` over `paths`: its status and what it said.
  func lint(_ paths: [String], configuration: URL) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["swift", "format", "lint", "--strict", "--configuration", configuration.path] + paths
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    try p.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    return (p.terminationStatus, text)
  }

  func testSourcesKeepTheFormat() throws {
    let configuration = repository.appendingPathComponent(".swift-format")
    var files: [String] = []
    for folder in ["Sources", "Tests"] {
      let root = repository.appendingPathComponent(folder)
      let walker = FileManager.default.enumerator(atPath: root.path)
      while let name = walker?.nextObject() as? String {
        if name.hasSuffix(".swift"), !name.hasSuffix(".pb.swift") {
          files.append(root.appendingPathComponent(name).path)
        }
      }
    }
    XCTAssertGreaterThan(files.count, 200)
    let result = try lint(files, configuration: configuration)
    XCTAssertEqual(result.status, 0, "run `make format`: \(result.output.prefix(2000))")
    // The check can fail: a call written past 120 columns is reported.
    let bad = FileManager.default.temporaryDirectory.appendingPathComponent("format-\(UUID().uuidString).swift")
    defer { try? FileManager.default.removeItem(at: bad) }
    let call = "let total = [" + (1...40).map { "value\($0)" }.joined(separator: ", ") + "].count\n"
    try call.write(to: bad, atomically: true, encoding: .utf8)
    XCTAssertNotEqual(try lint([bad.path], configuration: configuration).status, 0)
  }
}
