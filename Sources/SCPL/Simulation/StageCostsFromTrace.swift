import Foundation

extension StageCosts {
  /// Per-stage costs measured from a Chrome trace (the entry point for feeding real timings into
  /// the simulator).
  ///
  /// Reads `{"traceEvents": [...]}` (or a bare event array) and uses the complete events
  /// (`"ph": "X"`) named forward, loss, backward, update or transfer; `"tid"` is the device index
  /// (a number or a numeric string) and `"dur"` the duration in microseconds. Other events are
  /// ignored. Stage k's costs come from device k's events, averaged per batch and returned in
  /// **milliseconds**:
  ///
  /// - the number of batches on a device is its count of update events, or of loss events when it
  ///   has no updates, or 1;
  /// - loss and update: total duration / batches;
  /// - forward, backward and transfer: total duration / (batches × `microBatches`), i.e. per
  ///   micro-batch when the trace was recorded with `microBatches` micro-batches per batch.
  ///
  /// Every device from 0 to the highest tid must have at least one event.
  public static func fromChromeTrace(_ url: URL, microBatches: Int = 1) throws -> [StageCosts] {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw SimulationError.badTrace(path: url.path, reason: "the file cannot be read")
    }
    return try fromChromeTrace(data: data, path: url.path, microBatches: microBatches)
  }

  /// `fromChromeTrace(_:microBatches:)` on data already in memory; `path` names it in errors.
  public static func fromChromeTrace(data: Data, path: String = "(trace)", microBatches: Int = 1) throws -> [StageCosts] {
    func fail(_ reason: String) -> SimulationError { .badTrace(path: path, reason: reason) }
    guard microBatches >= 1 else { throw SimulationError.microBatchesOutOfRange(microBatches) }
    guard let top = try? JSONSerialization.jsonObject(with: data) else { throw fail("it is not valid JSON") }
    guard let events = (top as? [String: Any])?["traceEvents"] as? [Any] ?? top as? [Any] else {
      throw fail("there is no \"traceEvents\" array")
    }
    var sums: [Int: [String: (total: Double, count: Int)]] = [:]
    for case let event as [String: Any] in events {
      guard event["ph"] as? String == "X", let name = (event["name"] as? String)?.lowercased(),
            StageCosts.keys.contains(name) else { continue }
      let tid = (event["tid"] as? Int) ?? (event["tid"] as? String).flatMap { Int($0) }
      guard let device = tid, device >= 0 else { throw fail("a \(name) event has no usable device index in \"tid\"") }
      guard let dur = (event["dur"] as? NSNumber)?.doubleValue, dur.isFinite, dur >= 0 else {
        throw fail("a \(name) event on device \(device) has no usable \"dur\"")
      }
      let old = sums[device, default: [:]][name] ?? (0, 0)
      sums[device, default: [:]][name] = (old.total + dur, old.count + 1)
    }
    guard let highest = sums.keys.max() else {
      throw fail("it has no complete (\"ph\": \"X\") events named \(StageCosts.keys.joined(separator: ", "))")
    }
    return try (0...highest).map { device in
      guard let mine = sums[device] else { throw fail("device \(device) has no events") }
      let batches = Double([mine["update"]?.count ?? 0, mine["loss"]?.count ?? 0].first { $0 > 0 } ?? 1)
      func perBatch(_ name: String) -> Double { (mine[name]?.total ?? 0) / batches / 1000 }
      func perMicro(_ name: String) -> Double { perBatch(name) / Double(microBatches) }
      return StageCosts(forward: perMicro("forward"), loss: perBatch("loss"), backward: perMicro("backward"),
                        update: perBatch("update"), transfer: perMicro("transfer"))
    }
  }
}
