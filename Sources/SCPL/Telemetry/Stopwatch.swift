import Foundation

/// Wall-clock timing helpers for benchmarks and training logs.
public enum Stopwatch {
  /// Seconds since an arbitrary monotonic origin.
  public static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

  /// Runs `body` `repeats` times after `warmup` untimed runs; returns each run's seconds.
  public static func measure(repeats: Int, warmup: Int = 1, _ body: () throws -> Void) rethrows -> [Double] {
    for _ in 0..<warmup { try body() }
    var times: [Double] = []
    for _ in 0..<repeats {
      let start = now()
      try body()
      times.append(now() - start)
    }
    return times
  }
}

extension Array where Element == Double {
  /// The median (mean of the middle two for even counts); NaN for an empty array.
  public var median: Double {
    guard !isEmpty else { return .nan }  // no measurement: not a time of 0
    let s = sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
  }
}
