import Foundation
import XCTest
@testable import SCPL

final class TelemetryTests: XCTestCase {
  func testMedian() {
    XCTAssertEqual([3.0, 1, 2].median, 2)
    XCTAssertEqual([4.0, 1, 3, 2].median, 2.5)
    XCTAssertTrue([Double]().median.isNaN, "no measurement is no number, not 0 seconds")
  }

  func testBenchReportWritesJSONArrayAndMarkdownTable() throws {
    var r = BenchReport(title: "T", columns: ["op", "threads", "gflops_median"])
    r.add(["op": .text("matmul"), "threads": .integer(2), "gflops_median": .number(177.46)])
    r.notes = ["a note"]
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID())")
    defer { try? FileManager.default.removeItem(at: dir) }
    let files = try r.save(to: dir, stem: "engine")
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: files[0])) as! [[String: Any]]
    XCTAssertEqual(json.count, 1)
    XCTAssertEqual(json[0]["op"] as? String, "matmul")
    XCTAssertEqual(json[0]["threads"] as? Int, 2)
    XCTAssertEqual(json[0]["gflops_median"] as? Double, 177.46)
    let md = try String(contentsOf: files[1], encoding: .utf8)
    XCTAssertTrue(md.contains("| op | threads | gflops_median |"), md)
    XCTAssertTrue(md.contains("| matmul | 2 | 177.5 |"), md)
    XCTAssertTrue(md.contains("- a note"), md)
  }
}
