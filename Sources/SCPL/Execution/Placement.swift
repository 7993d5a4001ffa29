import Foundation

/// Which device each component runs on: `deviceOfComponent[k]` indexes the run's `DeviceSpec`.
///
/// Placements are **contiguous**: the components of a device form one run (0,0,1,1, never
/// 0,1,0,1), so activations flow one way, device d → d+1, and the bounded queues between
/// workers can never wait on each other in a cycle. Every device gets at least one component.
public struct Placement: Equatable, Sendable, CustomStringConvertible {
  /// For each component, in order, the index of its device.
  public let deviceOfComponent: [Int]
  /// How many devices the placement uses.
  public let deviceCount: Int

  /// Checks an explicit placement against the model and the devices.
  public init(_ deviceOfComponent: [Int], deviceCount: Int) throws {
    let k = deviceOfComponent.count
    let text = deviceOfComponent.map(String.init).joined(separator: ",")
    guard k >= 1 else { throw PipelineError("a placement needs at least one component") }
    guard deviceCount >= 1 else { throw PipelineError("a placement needs at least one device") }
    guard deviceCount <= k else {
      throw PipelineError(
        "\(deviceCount) devices for \(k) component(s): every device needs at least one component; use at most \(k) devices"
      )
    }
    if let bad = deviceOfComponent.first(where: { !(0..<deviceCount).contains($0) }) {
      throw PipelineError(
        "placement \(text) names device \(bad), but there are \(deviceCount) devices (0…\(deviceCount - 1))")
    }
    guard deviceOfComponent.first == 0,
      zip(deviceOfComponent, deviceOfComponent.dropFirst()).allSatisfy({ $1 == $0 || $1 == $0 + 1 })
    else {
      throw PipelineError(
        "placement \(text) is not contiguous: it must start at device 0 and each component must stay on the previous one's device or move to the next (e.g. 0,0,1,1)"
      )
    }
    guard deviceOfComponent.last == deviceCount - 1 else {
      throw PipelineError(
        "placement \(text) leaves device(s) \(deviceOfComponent.last! + 1)…\(deviceCount - 1) without a component")
    }
    self.deviceOfComponent = deviceOfComponent
    self.deviceCount = deviceCount
  }

  /// Parses `--placement 0,0,1,1`: one device index per component, on the devices it names
  /// (0 … its highest). Whether it fits a model and a device list is `check(componentCount:deviceCount:)`.
  public init(parsing text: String) throws {
    let items = text.split(separator: ",", omittingEmptySubsequences: false).map {
      $0.trimmingCharacters(in: .whitespaces)
    }
    let indices = try items.map { item -> Int in
      guard let i = Int(item) else { throw PipelineError("--placement \(text): '\(item)' is not a device index") }
      return i
    }
    if let bad = indices.first(where: { !(0..<indices.count).contains($0) }) {
      throw PipelineError(
        "--placement \(text) names device \(bad), but \(indices.count) component(s) can use devices 0…\(indices.count - 1) at most"
      )
    }
    try self.init(indices, deviceCount: indices.max()! + 1)
  }

  /// Parses `--placement` and checks it against the model and the devices.
  public init(parsing text: String, componentCount: Int, deviceCount: Int) throws {
    try self.init(parsing: text)
    try check(componentCount: componentCount, deviceCount: deviceCount)
  }

  /// Refuses a placement made for another model or another device list: the one check of both,
  /// wherever a placement meets them (the config, the executor, a rank's orders).
  public func check(componentCount: Int, deviceCount: Int) throws {
    guard self.componentCount == componentCount else {
      throw PipelineError(
        "--placement \(self) places \(self.componentCount) component(s), but the model has \(componentCount)")
    }
    guard self.deviceCount == deviceCount else {
      throw PipelineError(
        "--placement \(self) is for \(self.deviceCount) device(s) (0…\(self.deviceCount - 1)), but there are \(deviceCount)"
      )
    }
  }

  /// The contiguous placement whose most loaded device carries the least total cost (ties go to
  /// the split with more components early). With equal costs this is the even split, larger
  /// groups first.
  public static func balanced(costs: [Double], deviceCount: Int) throws -> Placement {
    let k = costs.count
    guard deviceCount >= 1, deviceCount <= k else {
      throw PipelineError(
        "\(deviceCount) devices for \(k) component(s): every device needs at least one component; use 1…\(k) devices")
    }
    let groups = try Grouping.balanced(costs: costs, into: deviceCount)
    let owner = groups.enumerated().flatMap { d, group in group.map { _ in d } }
    return try Placement(owner, deviceCount: deviceCount)
  }

  /// How many components the placement places.
  public var componentCount: Int { deviceOfComponent.count }

  /// The components of each device, in order.
  public var components: [[Int]] {
    (0..<deviceCount).map { d in deviceOfComponent.indices.filter { deviceOfComponent[$0] == d } }
  }

  /// The placement as `--placement` writes it, e.g. "0,0,1,1".
  public var description: String { deviceOfComponent.map(String.init).joined(separator: ",") }
}

/// A placement is written as its text ("0,0,1,1") and read back through `init(parsing:)`.
extension Placement: CodableAsText {}
