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

final class SoakVerdictTests: XCTestCase {
  func window(_ step: Int, _ mib: Double, _ ms: Double) -> Soak.Window {
    Soak.Window(step: step, residentMiB: mib, medianStepSeconds: ms / 1000)
  }

  /// Growth counts from the first window after warm-up to the largest after it; the ratio is the
  /// last window's median over that first one's.
  func testGrowthAndDriftAreMeasuredAfterWarmUp() throws {
    let windows = [
      window(100, 100, 50), window(200, 300, 20), window(300, 310, 20), window(400, 340, 21), window(500, 320, 30)
    ]
    let v = try Soak.Verdict(windows, warmup: 1)
    XCTAssertEqual(v.growthMiB, 40, accuracy: 1e-9)
    XCTAssertEqual(v.stepTimeRatio, 1.5, accuracy: 1e-9)
    XCTAssertEqual(v.failures(maxGrowthMiB: 64, maxStepTimeRatio: 1.5), [])
    let failures = v.failures(maxGrowthMiB: 32, maxStepTimeRatio: 1.25)
    XCTAssertEqual(failures.count, 2)
    XCTAssertTrue(failures[0].contains("grew by 40.0 MiB"), failures[0])
    XCTAssertTrue(failures[1].contains("1.50×"), failures[1])
    XCTAssertThrowsError(try Soak.Verdict(Array(windows.prefix(2)), warmup: 1)) {
      XCTAssertTrue("\($0)".contains("at least two windows"), "\($0)")
    }
  }
}
