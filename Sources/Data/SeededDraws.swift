/// Draws from SplitMix64 whose results are fixed by this file alone. The standard library's
/// `shuffle(using:)` and `random(in:using:)` may change their algorithm between Swift releases;
/// the loader promises the same batches for the same seed, so it uses these instead.
extension SplitMix64 {
  /// A double uniform in [0, 1): the top 53 bits of one draw.
  public mutating func uniformUnit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

  /// A double uniform in [low, high).
  public mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * uniformUnit() }

  /// An integer uniform in 0 ..< bound (bound > 0), by rejection so no value is favoured.
  public mutating func index(below bound: Int) -> Int {
    precondition(bound > 0, "index(below:) needs a positive bound")
    let b = UInt64(bound)
    let limit = UInt64.max - UInt64.max % b
    while true {
      let x = next()
      if x < limit { return Int(x % b) }
    }
  }

  /// Fisher–Yates shuffle of `values`.
  public mutating func shuffled<T>(_ values: [T]) -> [T] {
    var a = values
    if a.count < 2 { return a }
    for i in stride(from: a.count - 1, to: 0, by: -1) {
      a.swapAt(i, index(below: i + 1))
    }
    return a
  }

  /// A seed derived from `seed` and `parts` such that nearby inputs (epoch 3 vs 4, batch 7 vs 8)
  /// give unrelated streams: each part goes through SplitMix64's finaliser before it is folded in.
  public static func derive(_ seed: UInt64, _ parts: UInt64...) -> UInt64 {
    var h = finalize(seed)
    for p in parts { h = finalize(h ^ finalize(p &+ 0x9E37_79B9_7F4A_7C15)) }
    return h
  }

  static func finalize(_ value: UInt64) -> UInt64 {
    var z = value
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
