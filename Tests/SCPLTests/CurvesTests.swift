import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import SCPL

/// curves.svg and `scpl report --plot`: axes a reader can read numbers off, every series named
/// in a legend outside the plot, and well-formed SVG.
final class CurvesTests: XCTestCase {
  func record(run: Int = 0, epoch: Int, loss: Double, test: Double, train: Double, heads: [Double] = []) -> EpochRecord
  {
    EpochRecord(
      run: run, seed: 1, epoch: epoch, lr: 1e-3, losses: ["component1": loss, "component2": loss / 2],
      trainAccuracy: train, testAccuracy: test, componentTestAccuracy: heads, epochSeconds: 1, trainSamplesPerSecond: 1)
  }

  func testTicksAreRoundAndCoverTheRange() {
    XCTAssertEqual(LineChart.ticks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1.0])
    XCTAssertEqual(LineChart.ticks(0.8, 1), [0.8, 0.85, 0.9, 0.95, 1.0])
    XCTAssertEqual(LineChart.ticks(1, 10, integers: true), [0, 2, 4, 6, 8, 10])
    XCTAssertEqual(LineChart.ticks(1, 3, integers: true), [1, 2, 3])
    XCTAssertEqual(LineChart.ticks(0, 4.05), [0, 1, 2, 3, 4, 5])
  }

  func testCurvesShowLossesAccuraciesAndEveryHead() throws {
    let records = (1...3).map {
      record(
        epoch: $0, loss: 4.0 - Double($0) * 0.3, test: 0.8 + 0.03 * Double($0), train: 0.82 + 0.03 * Double($0),
        heads: [0.7 + 0.01 * Double($0), 0.75])
    }
    let svg = Curves.svg(records: records, title: "vgg · early-exit · fashion-mnist")
    for text in [
      "training loss", "accuracy", ">component1<", ">component2<", ">test<", ">train<", ">head 1 test<",
      ">head 2 test<",
      ">epoch<", ">100%<", ">70%<", ">90%<"
    ] {
      XCTAssertTrue(svg.contains(text), "curves.svg lacks \(text)")
    }
    #if canImport(FoundationXML) || os(macOS)
    let doc = try XMLDocument(data: Data(svg.utf8))
    XCTAssertEqual(doc.rootElement()?.name, "svg")
    let lines = try doc.nodes(forXPath: "//*[local-name()='polyline']")
    XCTAssertEqual(lines.count, 2 + 4, "two losses; test, train and two heads")
    #endif
  }

  func testAComparisonDrawsOneLinePerFolder() throws {
    let bp = (1...2).map { record(epoch: $0, loss: 1.0 / Double($0), test: 0.85 + 0.02 * Double($0), train: 0.9) }
    let scpl = (1...2).flatMap { e in
      (0..<2).map {
        record(run: $0, epoch: e, loss: 3.0, test: 0.84 + 0.02 * Double(e) + 0.01 * Double($0), train: 0.9)
      }
    }
    let svg = Curves.comparison([("bp · vgg · fashion-mnist", bp), ("scpl · vgg · fashion-mnist", scpl)], title: "t")
    XCTAssertTrue(svg.contains(">bp · vgg · fashion-mnist<") && svg.contains(">scpl · vgg · fashion-mnist<"))
    // SCPL's epoch-1 accuracy is the mean of its two runs, 0.865.
    XCTAssertTrue(svg.contains("<title>scpl · vgg · fashion-mnist</title>"))
  }

  /// A run folder whose metrics are missing cannot be summarised: an error, not a trap.
  func testSummarisingNoEpochsIsAnError() {
    XCTAssertThrowsError(try Trainer.summarise([], seed: 3)) {
      XCTAssertTrue("\($0)".contains("metrics.jsonl is missing or empty"), "\($0)")
    }
  }
}
