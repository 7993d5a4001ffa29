import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import SCPL

final class EpochTimeChartTests: XCTestCase {
  let runs: [(MethodKind, PipelineKind)] = [(.bp, .nmp), (.scpl, .async)]
  let sizes = [32, 64, 128]

  func records() -> [BenchRecord] {
    sizes.flatMap { b in
      runs.map { m, p in
        BenchRecord(
          model: "vgg", method: m, pipeline: p, batchSize: b, devices: 2, threadsPerDevice: 1,
          stepSecondsMedian: (m == .bp ? 0.02 : 0.01) * Double(b) / 32, stepSecondsMin: 0, samplesPerSecond: 0,
          busyFraction: [1, 1], predictedStepSeconds: nil, epochSamples: 1000)
      }
    }
  }

  func testOneBarPerRunAndBatchSizeWithHeightProportionalToEpochTime() throws {
    let bars = EpochTimeChart.bars(records())
    let svg = EpochTimeChart.svg(title: "VGG <test>", bars: bars, epochSamples: 1000)
    XCTAssertTrue(svg.hasPrefix("<?xml"))
    XCTAssertTrue(svg.contains("<svg "))
    XCTAssertTrue(svg.hasSuffix("</svg>\n"))
    XCTAssertTrue(svg.contains("VGG &lt;test&gt;"), "the title is escaped")
    XCTAssertTrue(svg.contains(">batch size<") && svg.contains("seconds per epoch (1000 samples)"), "axis labels")

    #if canImport(FoundationXML) || os(macOS)
    let doc = try XMLDocument(data: Data(svg.utf8))
    XCTAssertEqual(doc.rootElement()?.name, "svg")
    let rects = try doc.nodes(forXPath: "//*[local-name()='rect'][@class='bar']").compactMap { $0 as? XMLElement }
    XCTAssertEqual(rects.count, sizes.count * runs.count)
    // attribute(forName:) misses attributes under a default namespace on Linux; search the list.
    func attribute(_ e: XMLElement, _ name: String) -> String {
      e.attributes?.first { $0.name == name }?.stringValue ?? ""
    }
    func number(_ e: XMLElement, _ name: String) throws -> Double { try XCTUnwrap(Double(attribute(e, name)), name) }
    var ratios: [Double] = []
    for rect in rects {
      let seconds = try number(rect, "data-seconds")
      let batch = Int(try number(rect, "data-batch-size"))
      let series = attribute(rect, "data-series")
      let expected = try XCTUnwrap(bars.first { $0.batchSize == batch && $0.series == series }).seconds
      XCTAssertEqual(seconds, expected, accuracy: 1e-12)
      ratios.append(try number(rect, "height") / seconds)
    }
    // One scale for every bar: height / seconds is the same up to the SVG's rounding.
    let (lo, hi) = (ratios.min()!, ratios.max()!)
    XCTAssertEqual(lo, hi, accuracy: hi * 1e-3, "\(ratios)")
    let legend = try doc.nodes(forXPath: "//*[local-name()='g'][@class='legend']/*[local-name()='text']").map {
      $0.stringValue ?? ""
    }
    XCTAssertEqual(legend, ["bp:nmp", "scpl:async"])
    let labels = try doc.nodes(forXPath: "//*[local-name()='text'][@class='batch-size']").map { $0.stringValue ?? "" }
    XCTAssertEqual(labels, ["32", "64", "128"])
    #else
    XCTAssertEqual(svg.components(separatedBy: "class=\"bar\"").count - 1, sizes.count * runs.count)
    #endif
    // Epoch time: bp at 32 = 0.02 s × ⌈1000 / 32⌉ = 0.64 s; scpl at 128 = 0.04 s × 8 = 0.32 s.
    XCTAssertEqual(bars.first { $0.series == "bp:nmp" && $0.batchSize == 32 }!.seconds, 0.64, accuracy: 1e-12)
    XCTAssertEqual(bars.first { $0.series == "scpl:async" && $0.batchSize == 128 }!.seconds, 0.32, accuracy: 1e-12)
  }

  func testTallerEpochTimeDrawsATallerBar() throws {
    let svg = EpochTimeChart.svg(
      title: "t",
      bars: [
        EpochTimeChart.Bar(series: "a", batchSize: 8, seconds: 1),
        EpochTimeChart.Bar(series: "b", batchSize: 8, seconds: 3)
      ], epochSamples: 10)
    let heights = svg.split(separator: "\n").filter { $0.contains("class=\"bar\"") }.map { line -> Double in
      let after = line.components(separatedBy: "height=\"")[1]
      return Double(after.prefix { $0 != "\"" })!
    }
    XCTAssertEqual(heights.count, 2)
    XCTAssertEqual(heights[1], 3 * heights[0], accuracy: 0.01)
  }
}
