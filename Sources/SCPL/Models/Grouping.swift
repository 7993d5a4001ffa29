/// How a model's layers ("units") are grouped into K components.
public enum Grouping {
  /// Splits `units` into `k` contiguous groups whose sizes differ by at most one, larger first.
  public static func even<T>(_ units: [T], into k: Int) -> [[T]] {
    precondition(k >= 1 && k <= units.count)
    var groups: [[T]] = []
    var start = 0
    for g in 0..<k {
      let size = units.count / k + (g < units.count % k ? 1 : 0)
      groups.append(Array(units[start..<(start + size)]))
      start += size
    }
    return groups
  }
}
