/// DASCPL's dynamic layer accumulation (`--grow-at E1,E2,…`): training starts with the first
/// component alone, and after epoch E_i component i+1 joins; the components that joined earlier
/// keep training (DASCPL's `*_DASCPL_da_m` models train every block that has joined; nothing is
/// frozen). Until a component joins it neither runs nor learns, and the last component that has
/// joined makes the network's prediction through its predictor.
public struct GrowthSchedule: Equatable, Sendable, CodableAsText {
  /// The epochs after which components 2, 3, … join, increasing.
  public let epochs: [Int]

  /// Parses "1,2,3"; the fit to a run (its component and epoch counts) is `check`.
  public init(parsing text: String) throws {
    let items = text.split(separator: ",", omittingEmptySubsequences: false).map {
      $0.trimmingCharacters(in: .whitespaces)
    }
    epochs = try items.map { item in
      guard let e = Int(item), e >= 1 else {
        throw ConfigError("--grow-at \(text): '\(item)' is not an epoch (a whole number of at least 1)")
      }
      return e
    }
    guard zip(epochs, epochs.dropFirst()).allSatisfy({ $0 < $1 }) else {
      throw ConfigError("--grow-at \(text): the epochs must increase (each component joins after the one before)")
    }
  }

  /// "1,2,3", as `--grow-at` takes it.
  public var description: String { epochs.map(String.init).joined(separator: ",") }

  /// How many components train in epoch `epoch` (1-based): the first, and one more after each
  /// listed epoch before it.
  public func activeComponents(inEpoch epoch: Int) -> Int { 1 + epochs.filter { $0 < epoch }.count }

  /// Refuses a schedule that does not add every one of `components` components, one by one,
  /// before the last of `totalEpochs` epochs.
  public func check(components: Int, totalEpochs: Int) throws {
    guard epochs.count == components - 1 else {
      throw ConfigError(
        "--grow-at \(self) adds \(epochs.count) component(s) to the first, but the network has \(components): give \(components - 1) epoch(s), one per component after the first"
      )
    }
    if let last = epochs.last, last >= totalEpochs {
      throw ConfigError(
        "--grow-at \(self): the last component would join after epoch \(last), but the run has \(totalEpochs) epoch(s); every component must join before the last"
      )
    }
  }
}
