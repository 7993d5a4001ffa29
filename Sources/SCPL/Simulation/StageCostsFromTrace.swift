import Foundation

/// Per-stage costs read from a Chrome trace, with what they were averaged over: the input of
/// `scpl simulate --from-trace`. Times are in **milliseconds**.
///
/// Two kinds of trace are understood:
///
/// - **Our executors' traces** (`ChromeTrace`, written by `scpl train --profile` and
///   `scpl bench --trace`): complete events whose `"cat"` is a span kind (forward, learn, step,
///   transfer, wait) and whose `"args"` carry `"batch"`. Device d (`"tid"`) becomes stage d, its
///   spans mapped to costs by `StageCosts.fromSpans` (learn → backward, step → update) — the
///   mapping `TrainingBenchmark`'s prediction uses — and averaged over the distinct batches.
///   `skipBatches` leaves out batches 0..<skipBatches (a benchmark's untimed warm-up); the
///   micro-batch count defaults to the highest `"micro_batch"` + 1 (1 when there is none).
/// - **Generic traces**, used only when none of the events is ours: complete events named
///   forward, loss, backward, update or transfer. A device's batch count is its number of update
///   events, else of loss events, else 1; loss and update are per batch, forward, backward and
///   transfer per micro-batch (`microBatches`, default 1).
///
/// Either way `"dur"` is in microseconds, `"tid"` the device index (a number or a numeric string),
/// other events are ignored, and every device from 0 to the highest one must have events.
public struct TraceCosts: Equatable, Sendable {
  /// Which kind of trace the costs came from: our executors' or a generic one.
  public enum Format: String, Sendable { case executor, generic }

  /// One entry per device of the trace, in device order, in milliseconds.
  public var stages: [StageCosts]
  /// Batches the costs are averaged over (generic traces: the most any device had).
  public var batches: Int
  /// Micro-batches per batch that forward, backward and transfer were divided by.
  public var microBatches: Int
  /// Which kind of trace it was.
  public var format: Format

  /// Reads the Chrome trace file at `url`; see `read(data:path:microBatches:skipBatches:)`.
  public static func read(_ url: URL, microBatches: Int? = nil, skipBatches: Int = 0) throws -> TraceCosts {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw SimulationError.badTrace(path: url.path, reason: "the file cannot be read")
    }
    return try read(data: data, path: url.path, microBatches: microBatches, skipBatches: skipBatches)
  }

  /// `read(_:microBatches:skipBatches:)` on data already in memory; `path` names it in errors.
  public static func read(data: Data, path: String = "(trace)", microBatches: Int? = nil, skipBatches: Int = 0) throws
    -> TraceCosts
  {
    func fail(_ reason: String) -> SimulationError { .badTrace(path: path, reason: reason) }
    if let m = microBatches, m < 1 { throw SimulationError.microBatchesOutOfRange(m) }
    guard skipBatches >= 0 else { throw fail("the number of batches to skip cannot be negative, got \(skipBatches)") }
    guard let top = try? JSONSerialization.jsonObject(with: data) else { throw fail("it is not valid JSON") }
    guard let list = (top as? [String: Any])?["traceEvents"] as? [Any] ?? top as? [Any] else {
      throw fail("there is no \"traceEvents\" array")
    }
    let events = list.compactMap { $0 as? [String: Any] }.filter { $0["ph"] as? String == "X" }
    let ours = events.filter { isExecutorEvent($0) }
    if !ours.isEmpty {
      return try readExecutorEvents(ours, microBatches: microBatches, skipBatches: skipBatches, fail: fail)
    }
    guard skipBatches == 0 else {
      throw fail(
        "skipping batches needs our executors' spans (a \"cat\" such as forward or learn and \"args\": {\"batch\": …}), and it has none"
      )
    }
    return try readGenericEvents(events, microBatches: microBatches ?? 1, fail: fail)
  }

  static func isExecutorEvent(_ event: [String: Any]) -> Bool {
    guard let cat = event["cat"] as? String, SpanKind(rawValue: cat) != nil else { return false }
    return (event["args"] as? [String: Any])?["batch"] is NSNumber
  }

  static func device(_ event: [String: Any]) -> Int? {
    let tid = (event["tid"] as? Int) ?? (event["tid"] as? String).flatMap { Int($0) }
    return tid.flatMap { $0 >= 0 ? $0 : nil }
  }

  static func duration(_ event: [String: Any]) -> Double? {
    guard let dur = (event["dur"] as? NSNumber)?.doubleValue, dur.isFinite, dur >= 0 else { return nil }
    return dur
  }

  static func readExecutorEvents(
    _ events: [[String: Any]], microBatches: Int?, skipBatches: Int,
    fail: (String) -> SimulationError
  ) throws -> TraceCosts {
    var spans: [Span] = []
    for event in events {
      let kind = SpanKind(rawValue: event["cat"] as! String)!
      let args = event["args"] as! [String: Any]
      let what = (event["name"] as? String) ?? kind.rawValue
      guard let device = device(event) else { throw fail("the \(what) event has no usable device index in \"tid\"") }
      guard let dur = duration(event), let ts = (event["ts"] as? NSNumber)?.doubleValue, ts.isFinite else {
        throw fail("the \(what) event on device \(device) has no usable \"ts\" and \"dur\"")
      }
      let batch = (args["batch"] as! NSNumber).intValue
      guard batch >= skipBatches else { continue }
      // Milliseconds, the unit of the generic reader and of the costs files.
      spans.append(
        Span(
          device: device, kind: kind, batch: batch, component: (args["component"] as? NSNumber)?.intValue,
          microBatch: (args["micro_batch"] as? NSNumber)?.intValue, start: ts / 1000, end: (ts + dur) / 1000))
    }
    guard let highest = spans.map(\.device).max() else {
      throw fail("it has no spans after skipping the first \(skipBatches) batch(es)")
    }
    let present = Set(spans.map(\.device))
    if let missing = (0...highest).first(where: { !present.contains($0) }) {
      throw fail("device \(missing) has no events")
    }
    let batches = Set(spans.map(\.batch)).count
    let m = microBatches ?? ((spans.compactMap(\.microBatch).max() ?? 0) + 1)
    return TraceCosts(
      stages: StageCosts.fromSpans(spans, devices: highest + 1, batches: batches, microBatches: m),
      batches: batches, microBatches: m, format: .executor)
  }

  static func readGenericEvents(_ events: [[String: Any]], microBatches: Int, fail: (String) -> SimulationError) throws
    -> TraceCosts
  {
    var sums: [Int: [String: (total: Double, count: Int)]] = [:]
    for event in events {
      guard let name = (event["name"] as? String)?.lowercased(), StageCosts.keys.contains(name) else { continue }
      guard let device = device(event) else { throw fail("a \(name) event has no usable device index in \"tid\"") }
      guard let dur = duration(event) else { throw fail("a \(name) event on device \(device) has no usable \"dur\"") }
      let old = sums[device, default: [:]][name] ?? (0, 0)
      sums[device, default: [:]][name] = (old.total + dur, old.count + 1)
    }
    guard let highest = sums.keys.max() else {
      throw fail(
        "it has neither our executors' spans nor complete (\"ph\": \"X\") events named \(StageCosts.keys.joined(separator: ", "))"
      )
    }
    var mostBatches = 1
    let stages = try (0...highest).map { device -> StageCosts in
      guard let mine = sums[device] else { throw fail("device \(device) has no events") }
      let count = [mine["update"]?.count ?? 0, mine["loss"]?.count ?? 0].first { $0 > 0 } ?? 1
      mostBatches = Swift.max(mostBatches, count)
      func perBatch(_ name: String) -> Double { (mine[name]?.total ?? 0) / Double(count) / 1000 }
      func perMicro(_ name: String) -> Double { perBatch(name) / Double(microBatches) }
      return StageCosts(
        forward: perMicro("forward"), loss: perBatch("loss"), backward: perMicro("backward"),
        update: perBatch("update"), transfer: perMicro("transfer"))
    }
    return TraceCosts(stages: stages, batches: mostBatches, microBatches: microBatches, format: .generic)
  }
}

extension StageCosts {
  /// The stages of `TraceCosts.read(_:microBatches:)`: per-stage costs in milliseconds measured
  /// from a Chrome trace (ours or one with generic event names; see `TraceCosts`).
  public static func fromChromeTrace(_ url: URL, microBatches: Int? = nil) throws -> [StageCosts] {
    try TraceCosts.read(url, microBatches: microBatches).stages
  }

  /// `fromChromeTrace(_:microBatches:)` on data already in memory; `path` names it in errors.
  public static func fromChromeTrace(data: Data, path: String = "(trace)", microBatches: Int? = nil) throws
    -> [StageCosts]
  {
    try TraceCosts.read(data: data, path: path, microBatches: microBatches).stages
  }
}
