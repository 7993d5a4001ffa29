/// How many of a method's components train and predict now (`GrowthSchedule`): shared by the
/// method and its stages. Written only between epochs, on the thread that trains, while no job
/// is in flight (as modules' training mode is; `DeviceGroup.beginEpoch`).
public final class ActiveComponents: @unchecked Sendable {
  /// The first `count` components are active.
  public var count: Int

  init(_ count: Int) { self.count = count }

  /// Whether component k is active.
  public func contains(_ k: Int) -> Bool { k < count }
}

/// A method whose components can join one by one (SCPL with predictors, Early Exit).
public protocol GrowingMethod: LocalMethod {
  /// The components active now; all of them unless a growth schedule says otherwise.
  var active: ActiveComponents { get }
}
