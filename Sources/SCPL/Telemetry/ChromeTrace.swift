import Foundation

/// Writes a `Timeline` in the Chrome trace-event format (chrome://tracing, ui.perfetto.dev):
/// one complete event ("ph":"X") per span, times in microseconds from the epoch's start, one
/// track per device ("tid" = device index), named by thread_name metadata events, under its
/// process ("pid": 0 in one process; the rank in a distributed run, one process row per rank).
public enum ChromeTrace {
  /// The trace's events: process and thread names and sort orders, then one complete event per span.
  public static func events(_ timeline: Timeline) -> [[String: Any]] {
    let origin = timeline.window.start
    let pid = timeline.processOfDevice
    var events: [[String: Any]] = timeline.processNames.enumerated().flatMap { p, name -> [[String: Any]] in
      [
        ["name": "process_name", "ph": "M", "pid": p, "tid": 0, "args": ["name": name]],
        ["name": "process_sort_index", "ph": "M", "pid": p, "tid": 0, "args": ["sort_index": p]]
      ]
    }
    for (d, name) in timeline.deviceNames.enumerated() {
      events.append(["name": "thread_name", "ph": "M", "pid": pid[d], "tid": d, "args": ["name": name]])
      events.append(["name": "thread_sort_index", "ph": "M", "pid": pid[d], "tid": d, "args": ["sort_index": d]])
    }
    for s in timeline.spans {
      var args: [String: Any] = ["batch": s.batch]
      var name = s.kind.rawValue
      if let k = s.component {
        args["component"] = k
        name += " c\(k + 1)"
      }
      if let m = s.microBatch {
        args["micro_batch"] = m
        name += " m\(m + 1)"
      }
      events.append([
        "name": name, "cat": s.kind.rawValue, "ph": "X", "pid": pid[s.device], "tid": s.device,
        "ts": ((s.start - origin) * 1e6).rounded(), "dur": Swift.max(0, (s.duration * 1e6).rounded()), "args": args
      ])
    }
    return events
  }

  /// The trace as JSON, `{"traceEvents": […], "displayTimeUnit": "ms"}`, ready to write to a file.
  public static func data(_ timeline: Timeline) throws -> Data {
    try JSONSerialization.data(
      withJSONObject: ["traceEvents": events(timeline), "displayTimeUnit": "ms"],
      options: [.sortedKeys])
  }

  /// Writes `trace.json`-style output atomically.
  public static func write(_ timeline: Timeline, to url: URL) throws {
    try data(timeline).write(to: url, options: .atomic)
  }
}
