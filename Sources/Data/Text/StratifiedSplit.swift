/// A fixed, seeded, stratified train/test split for data sets that publish none (BBC News,
/// Rotten Tomatoes, the single-CSV IMDB). Every class gives `round(testFraction · n_c)` of its
/// documents to the test split, chosen by a seeded shuffle of that class's documents, so the
/// class proportions match in both splits and the same seed always gives the same split on every
/// platform (SplitMix64 and a Fisher–Yates shuffle we write out ourselves).
public enum StratifiedSplit {
  /// The split seed used unless a run sets another: 42.
  public static let defaultSeed: UInt64 = 42
  /// The share of each class that goes to the test split unless set otherwise: 0.2.
  public static let defaultTestFraction = 0.2

  /// Indices into `labels` of the training and the test documents, each in ascending order.
  public static func indices(
    labels: [Int], classCount: Int, testFraction: Double = defaultTestFraction,
    seed: UInt64 = defaultSeed
  ) throws -> (train: [Int], test: [Int]) {
    guard testFraction >= 0 && testFraction < 1 else {
      throw DataError("a test fraction must lie in [0, 1), got \(testFraction)")
    }
    var byClass = [[Int]](repeating: [], count: classCount)
    for (i, l) in labels.enumerated() {
      guard l >= 0 && l < classCount else {
        throw DataError("label \(l) of document \(i) is not a class 0–\(classCount - 1)")
      }
      byClass[l].append(i)
    }
    var rng = SplitMix64(seed: seed)
    var train: [Int] = [], test: [Int] = []
    for var members in byClass {
      shuffle(&members, &rng)
      let testCount = Int((Double(members.count) * testFraction).rounded())
      test += members.prefix(testCount)
      train += members.dropFirst(testCount)
    }
    return (train.sorted(), test.sorted())
  }

  /// Fisher–Yates with `UInt64 % n` draws (the bias is below 2⁻⁴⁰ for any realistic n), spelled
  /// out so the split does not depend on the standard library's shuffle algorithm.
  static func shuffle(_ a: inout [Int], _ rng: inout SplitMix64) {
    guard a.count > 1 else { return }
    for i in stride(from: a.count - 1, to: 0, by: -1) {
      let j = Int(rng.next() % UInt64(i + 1))
      a.swapAt(i, j)
    }
  }
}
