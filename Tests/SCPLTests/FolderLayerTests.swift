import Foundation
import TestSupport
import XCTest

/// The folders of Sources/SCPL are layers: no two use each other's types (docs/design.md).
/// `scripts/folder-layers.py` reads the sources; it is checked on a tree made to fail too.
final class FolderLayerTests: XCTestCase {
  let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  func testNoTwoFoldersOfSCPLUseEachOther() throws {
    let script = repository.appendingPathComponent("scripts/folder-layers.py").path
    let graph = try runPython([script, repository.appendingPathComponent("Sources/SCPL").path])
    XCTAssertTrue(graph.contains("folder pairs referencing each other: 0"), graph)
    XCTAssertTrue(graph.contains("Training -> ") && graph.contains("Benchmarks -> "), graph)

    let tree = FileManager.default.temporaryDirectory.appendingPathComponent("layers-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: tree) }
    for (folder, text) in [
      ("Low", "public struct Clock { let user: Runner? }"), ("High", "final class Runner { let clock = Clock() }")
    ] {
      try FileManager.default.createDirectory(
        at: tree.appendingPathComponent(folder), withIntermediateDirectories: true)
      try text.write(to: tree.appendingPathComponent("\(folder)/\(folder).swift"), atomically: true, encoding: .utf8)
    }
    XCTAssertThrowsError(try runPython([script, tree.path])) {
      XCTAssertTrue("\($0)".contains("High <-> Low"), "\($0)")
    }
  }
}
