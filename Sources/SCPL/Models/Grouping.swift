import Torch

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

  /// Splits indices 0..<costs.count into `k` contiguous groups whose largest total cost is as
  /// small as possible (ties go to the split with more items early). With equal costs this is
  /// the even split, larger groups first. `Placement.balanced` places components with it, and
  /// `LayerCut.measuredTime` cuts layers into components.
  public static func balanced(costs: [Double], into k: Int) throws -> [[Int]] {
    let n = costs.count
    guard k >= 1, k <= n else {
      throw TorchError("\(k) groups of \(n) item(s): every group needs at least one; use 1…\(n) groups")
    }
    guard costs.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
      throw TorchError("costs must be finite and non-negative: \(costs)")
    }
    // best[g][i]: the smallest possible maximum load putting items 0..<i into groups 0..<g.
    let prefix = costs.reduce(into: [0.0]) { $0.append($0.last! + $1) }
    var best = Array(repeating: Array(repeating: Double.infinity, count: n + 1), count: k + 1)
    var cut = Array(repeating: Array(repeating: 0, count: n + 1), count: k + 1)
    best[0][0] = 0
    for g in 1...k {
      for i in g...n {
        for j in (g - 1)..<i where best[g - 1][j].isFinite {  // group g−1 takes items j..<i
          let load = Swift.max(best[g - 1][j], prefix[i] - prefix[j])
          // `<=` with a little slack: on a tie the later cut wins, giving earlier groups more.
          if load <= best[g][i] + 1e-12 * Swift.max(1, load) { best[g][i] = load; cut[g][i] = j }
        }
      }
    }
    var groups: [[Int]] = []
    var end = n
    for g in stride(from: k, through: 1, by: -1) {
      let start = cut[g][end]
      groups.insert(Array(start..<end), at: 0)
      end = start
    }
    return groups
  }
}
