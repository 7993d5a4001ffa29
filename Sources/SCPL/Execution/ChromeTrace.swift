import Foundation

/// Writes a `Timeline` in the Chrome trace-event format (chrome://tracing, ui.perfetto.dev):
/// one complete event ("ph":"X") per span, times in microseconds from the epoch's start, one
/// track per device ("tid" = device index), named by thread_name metadata events.
public enum ChromeTrace {
  public static func events(_ timeline: Timeline) -> [[String: Any]] {
    let origin = timeline.window.start
    var events: [[String: Any]] = [
      ["name": "process_name", "ph": "M", "pid": 0, "tid": 0, "args": ["name": "scpl pipeline"]],
    ]
    for (d, name) in timeline.deviceNames.enumerated() {
      events.append(["name": "thread_name", "ph": "M", "pid": 0, "tid": d, "args": ["name": name]])
      events.append(["name": "thread_sort_index", "ph": "M", "pid": 0, "tid": d, "args": ["sort_index": d]])
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
        "name": name, "cat": s.kind.rawValue, "ph": "X", "pid": 0, "tid": s.device,
        "ts": ((s.start - origin) * 1e6).rounded(), "dur": Swift.max(0, (s.duration * 1e6).rounded()), "args": args,
      ])
    }
    return events
  }

  public static func data(_ timeline: Timeline) throws -> Data {
    try JSONSerialization.data(withJSONObject: ["traceEvents": events(timeline), "displayTimeUnit": "ms"],
                               options: [.sortedKeys])
  }

  /// Writes `trace.json`-style output atomically.
  public static func write(_ timeline: Timeline, to url: URL) throws {
    try data(timeline).write(to: url, options: .atomic)
  }
}
