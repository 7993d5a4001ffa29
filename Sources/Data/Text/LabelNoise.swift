/// Symmetric label noise on a training set (spec 7.2.6): for each sample draw an integer
/// uniform in 0…99; if it is ≥ 100·(1 − rate), replace the label by a class drawn uniformly from
/// *all* classes — possibly the old one — so the expected share of changed labels is
/// rate·(C − 1)/C. The threshold is computed in Double exactly as the reference writes it. The
/// test set is never touched.
public enum LabelNoise {
  /// `labels` with noise applied; `rate` in [0, 1].
  public static func apply(to labels: [Int64], classCount: Int, rate: Double, seed: UInt64) throws -> [Int64] {
    guard rate >= 0 && rate <= 1 else { throw DataError("the label-noise rate must lie in [0, 1], got \(rate)") }
    guard classCount > 0 else { throw DataError("label noise needs at least one class") }
    guard rate > 0 else { return labels }
    let threshold = 100 * (1 - rate)
    var rng = SplitMix64(seed: seed)
    return labels.map { label in
      let draw = rng.next() % 100
      guard Double(draw) >= threshold else { return label }
      return Int64(rng.next() % UInt64(classCount))
    }
  }
}
