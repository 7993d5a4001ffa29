/// Symmetric label noise on a training set (the reference's `--noise_rate`, `utils/nlp.py`): for
/// each sample draw an integer uniform in 0…99; if it is ≥ 100·(1 − rate), replace the label by a
/// class drawn uniformly from *all* classes — possibly the old one — so the expected share of
/// changed labels is rate·(C − 1)/C. The test set is never touched.
///
/// The threshold is computed in Double exactly as the reference writes it, rounding included:
/// 100·(1 − 0.7) is 30.000000000000004, so a rate of 0.7 replaces 69 % of the labels, not 70 %
/// (`replacementProbability` says how many for any rate).
public enum LabelNoise {
  /// `labels` with noise applied; `rate` in [0, 1].
  public static func apply(to labels: [Int64], classCount: Int, rate: Double, seed: UInt64) throws -> [Int64] {
    guard rate >= 0 && rate <= 1 else { throw DataError("the label-noise rate must lie in [0, 1], got \(rate)") }
    guard classCount > 0 else { throw DataError("label noise needs at least one class") }
    guard rate > 0 else { return labels }
    let threshold = Self.threshold(rate)
    var rng = SplitMix64(seed: seed)
    return labels.map { label in
      let draw = rng.next() % 100
      guard Double(draw) >= threshold else { return label }
      return Int64(rng.next() % UInt64(classCount))
    }
  }

  static func threshold(_ rate: Double) -> Double { 100 * (1 - rate) }

  /// The share of training labels that are redrawn at `rate` (before a redraw may land on the old
  /// label): the share of draws 0…99 at or above the threshold.
  public static func replacementProbability(rate: Double) -> Double {
    Double((0..<100).filter { Double($0) >= threshold(rate) }.count) / 100
  }
}
