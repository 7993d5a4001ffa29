import Foundation
import XCTest
import Torch
import Data
@testable import SCPL

final class BenchRecordTests: XCTestCase {
  func record(_ method: MethodKind, _ pipeline: PipelineKind, batch: Int, median: Double, predicted: Double? = nil)
    -> BenchRecord
  {
    BenchRecord(
      model: "vgg", method: method, pipeline: pipeline, batchSize: batch, devices: pipeline == .off ? 1 : 2,
      threadsPerDevice: pipeline == .off ? 2 : 1, stepSecondsMedian: median, stepSecondsMin: median * 0.9,
      samplesPerSecond: Double(batch) / median, busyFraction: pipeline == .off ? [1] : [0.9, 0.7],
      predictedStepSeconds: predicted, placement: "0,1,1,1", steps: 5)
  }

  func testJSONRecordsHaveTheIssuesKeysWithNullForNoPrediction() throws {
    var report = BenchReport(title: "t", columns: BenchRecord.columns)
    report.add(record(.scpl, .async, batch: 128, median: 0.5, predicted: 0.45).row)
    report.add(record(.bp, .nmp, batch: 128, median: 0.8).row)
    let rows = try XCTUnwrap(JSONSerialization.jsonObject(with: report.json()) as? [[String: Any]])
    XCTAssertEqual(rows.count, 2)
    for row in rows {
      XCTAssertTrue(
        Set(BenchRecord.requiredKeys).isSubset(of: Set(row.keys)),
        "missing \(Set(BenchRecord.requiredKeys).subtracting(row.keys))")
    }
    XCTAssertEqual(BenchRecord.requiredKeys.count, 11)
    let scpl = rows[0]
    XCTAssertEqual(scpl["model"] as? String, "vgg")
    XCTAssertEqual(scpl["method"] as? String, "scpl")
    XCTAssertEqual(scpl["pipeline"] as? String, "async")
    XCTAssertEqual(scpl["batch_size"] as? Int, 128)
    XCTAssertEqual(scpl["devices"] as? Int, 2)
    XCTAssertEqual(scpl["threads_per_device"] as? Int, 1)
    XCTAssertEqual(scpl["step_seconds_median"] as? Double, 0.5)
    XCTAssertEqual(scpl["step_seconds_min"] as? Double, 0.45)
    XCTAssertEqual(scpl["samples_per_second"] as? Double, 256)
    XCTAssertEqual(scpl["busy_fraction"] as? [Double], [0.9, 0.7])
    XCTAssertEqual(scpl["predicted_step_seconds"] as? Double, 0.45)
    // 50 000 samples in batches of 128 take 391 steps (the last one partial).
    XCTAssertEqual(try XCTUnwrap(scpl["epoch_seconds"] as? Double), 0.5 * 391, accuracy: 1e-9)
    XCTAssertTrue(
      rows[1]["predicted_step_seconds"] is NSNull, "\(String(describing: rows[1]["predicted_step_seconds"]))")
    XCTAssertTrue(report.markdown.contains("| bp | nmp | 128 | 2 | 1 |"), report.markdown)
  }

  func testRoundsAreSummarisedByTheirMedians() throws {
    var a = record(.scpl, .async, batch: 128, median: 0.5, predicted: 0.45)
    var b = record(.scpl, .async, batch: 128, median: 0.7, predicted: 0.6)
    var c = record(.scpl, .async, batch: 128, median: 0.4, predicted: 0.5)
    (a.busyFraction, b.busyFraction, c.busyFraction) = ([0.9, 0.5], [0.8, 0.7], [1.0, 0.6])
    (a.pageFaultsPerStep, b.pageFaultsPerStep, c.pageFaultsPerStep) = (10, 30, 20)
    let merged = try BenchRecord.medianOverRounds([a, b, c])
    XCTAssertEqual(merged.stepSecondsMedian, 0.5)
    XCTAssertEqual(merged.stepSecondsMin, 0.4 * 0.9, accuracy: 1e-12, "the fastest step of all rounds")
    XCTAssertEqual(merged.samplesPerSecond, 256)
    XCTAssertEqual(merged.busyFraction, [0.9, 0.6], "per device")
    XCTAssertEqual(merged.predictedStepSeconds, 0.5)
    XCTAssertEqual(merged.pageFaultsPerStep, 20)
    XCTAssertNil(merged.systemSecondsPerStep)
    XCTAssertEqual(merged.rounds, 3)
    XCTAssertEqual(merged.row["rounds"]?.description, "3")

    // A round without a prediction leaves none; different configurations are refused.
    XCTAssertNil(
      try BenchRecord.medianOverRounds([a, record(.scpl, .async, batch: 128, median: 0.5)]).predictedStepSeconds)
    XCTAssertThrowsError(try BenchRecord.medianOverRounds([a, record(.scpl, .async, batch: 64, median: 0.5)])) {
      XCTAssertTrue("\($0)".contains("cannot be summarised together"), "\($0)")
    }
    XCTAssertThrowsError(try BenchRecord.medianOverRounds([]))
  }

  func testEpochSecondsRoundTheStepsUp() {
    XCTAssertEqual(BenchRecord.epochSeconds(stepSeconds: 2, batchSize: 100, epochSamples: 1000), 20)
    XCTAssertEqual(BenchRecord.epochSeconds(stepSeconds: 2, batchSize: 300, epochSamples: 1000), 8)
    XCTAssertEqual(BenchRecord.epochSeconds(stepSeconds: 2, batchSize: 5000, epochSamples: 1000), 2)
  }

  /// A real run's record: the device count is the run's, with one busy fraction per device.
  func testARealRunsRecordCountsItsDevices() throws {
    var setup = TrainingBenchmark.Setup(
      method: .scpl, pipeline: PipelineOptions(kind: .async, devices: try .cpuWorkers(2)), batchSize: 4)
    setup.steps = 2
    let result = try TrainingBenchmark.run(setup) { try tinyModel("vgg") }
    let r = BenchRecord(model: "vgg", method: .scpl, threadsPerDevice: 1, result: result, epochSamples: 40)
    XCTAssertEqual(r.devices, 2)
    XCTAssertEqual(r.busyFraction.count, 2)
    XCTAssertEqual(r.pipeline, .async)
    XCTAssertEqual(r.steps, 2)
    XCTAssertEqual(r.epochSeconds, r.stepSecondsMedian * 10, accuracy: 1e-12)
    XCTAssertNotNil(r.predictedStepSeconds)
    // The counters over the timed window, per timed step, reach the record and its JSON row.
    XCTAssertEqual(r.pageFaultsPerStep, Double(result.timedUsage.minorPageFaults) / 2)
    XCTAssertEqual(r.systemSecondsPerStep, result.timedUsage.systemSeconds / 2)
    var known = r
    known.pageFaultsPerStep = 1234.5
    known.systemSecondsPerStep = nil
    let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(known.row)) as! [String: Any]
    XCTAssertEqual(json["page_faults_per_step"] as? Double, 1234.5)
    XCTAssertTrue(json["system_seconds_per_step"] is NSNull, "a missing counter is null, not 0")
  }

  /// The counters the benchmark reports per step see pages being mapped in: touching 40 MB of
  /// freshly mapped memory (straight from mmap, not from malloc, which may hand back pages it
  /// already holds) faults at least its 9 766 pages.
  func testProcessUsageCountsThePagesAFreshBufferFaultsIn() throws {
    let bytes = 40_000_000
    let before = ProcessUsage.now()
    let mapped = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
    let buffer = try XCTUnwrap(mapped == MAP_FAILED ? nil : mapped)
    defer { munmap(buffer, bytes) }
    for offset in stride(from: 0, to: bytes, by: 4096) {
      buffer.storeBytes(of: 1, toByteOffset: offset, as: UInt8.self)
    }
    let used = ProcessUsage.now().since(before)
    XCTAssertGreaterThanOrEqual(used.minorPageFaults, bytes / 4096)
  }

  /// `since` is the difference of two readings, counter by counter.
  func testProcessUsageSinceSubtractsEachCounter() {
    let earlier = ProcessUsage(minorPageFaults: 3, systemSeconds: 0.25)
    let later = ProcessUsage(minorPageFaults: 10, systemSeconds: 0.75)
    XCTAssertEqual(later.since(earlier), ProcessUsage(minorPageFaults: 7, systemSeconds: 0.5))
  }

  /// `--real`: the timed batches come from a loader, full batches only, and a data set too small
  /// for the warm-up and timed steps is refused before anything runs.
  func testLoaderBatchesFeedTheBenchmark() throws {
    let model = try tinyModel("vgg")
    let data = try TensorDataset(
      name: "random", inputs: Tensor.randn([30] + model.sampleShape),
      labels: Tensor((0..<30).map { Int64($0 % 3) }), classCount: 3)
    var setup = TrainingBenchmark.Setup(
      method: .bp, pipeline: PipelineOptions(kind: .off, devices: try .cpuWorkers(1)), batchSize: 4)
    setup.steps = 3
    setup.warmup = 2
    setup.batches = .loader(try DataLoader(data, batchSize: 4, seed: 1, dropLast: true))
    let result = try TrainingBenchmark.run(setup) { try tinyModel("vgg") }
    XCTAssertEqual(result.stepSeconds.count, 3)
    XCTAssertEqual(Set(result.timeline.spans.map(\.batch)), [0, 1, 2, 3, 4])

    setup.steps = 6  // 2 + 6 > the 7 full batches of 4 in 30 samples
    XCTAssertThrowsError(try TrainingBenchmark.run(setup) { try tinyModel("vgg") }) {
      XCTAssertEqual("\($0)", "the data set has 7 full batch(es) of 4, fewer than the 2 warm-up and 6 timed steps")
    }
    setup.batches = .loader(try DataLoader(data, batchSize: 4, seed: 1, dropLast: false))
    XCTAssertThrowsError(try TrainingBenchmark.run(setup) { try tinyModel("vgg") })
  }
}
