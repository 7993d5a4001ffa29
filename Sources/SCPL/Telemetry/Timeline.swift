import Foundation

/// What a device was doing during a span.
public enum SpanKind: String, Sendable, CaseIterable {
  /// A component's forward pass.
  case forward
  /// Loss, backward and optimizer update (a local stage's `learn`, or BP's whole backward); under
  /// gpipe, one micro-batch's loss (last device) and backward through the device's components.
  case learn
  /// A whole sequential training step (the `off` executor runs the method's own `trainStep`);
  /// under gpipe, the one optimizer update after every micro-batch's backward.
  case step
  /// Moving an activation to the next device (only recorded when the tensor device changes).
  case transfer
  /// Blocked: handing work to a next device whose inbox is full.
  case wait
  /// Averaging a component's gradients with its replicas' (`--replicas`): inside the component's
  /// learn span, from the end of its backward to its update.
  case allreduce

  /// Whether the device computes during this kind of span (an all-reduce lies inside a learn span).
  public var isBusy: Bool { self != .wait && self != .allreduce }
}

/// One interval on one device, on the shared monotonic clock (`Stopwatch.now()`, seconds).
public struct Span: Sendable, Equatable {
  /// The device whose worker recorded the span.
  public var device: Int
  /// What the device was doing.
  public var kind: SpanKind
  /// The batch's index within the epoch (0-based).
  public var batch: Int
  /// The component the span belongs to, if one.
  public var component: Int?
  /// The micro-batch (0-based) under gpipe and scpl-gpipe; nil for whole-batch work.
  public var microBatch: Int? = nil
  /// When the span started.
  public var start: Double
  /// When the span ended.
  public var end: Double
  /// How long the span lasted, in seconds.
  public var duration: Double { end - start }
}

/// Spans recorded by every worker of an executor during the last epoch, plus the epoch's window.
/// Workers record concurrently; reading is safe at any time and returns a snapshot.
public final class Timeline: @unchecked Sendable {
  /// Display names, one per device ("device 0 (cpu:0)").
  public private(set) var deviceNames: [String]
  private let lock = NSLock()
  private var recorded: [Span] = []
  private var windowStart: Double?
  private var windowEnd: Double?

  /// The processes the devices belong to (a trace's process rows): one, "scpl pipeline", unless
  /// the pipeline spans the ranks of a c10d job, then one per rank.
  public private(set) var processNames = ["scpl pipeline"]
  /// Per device, the index of its process in `processNames`.
  public private(set) var processOfDevice: [Int]

  /// An empty timeline for devices with these display names, all in one process.
  public init(deviceNames: [String]) {
    self.deviceNames = deviceNames
    processOfDevice = Array(repeating: 0, count: deviceNames.count)
  }

  /// Groups the devices into processes: `ofDevice[d]` indexes `names`; `deviceNames`, if given,
  /// renames the devices (another process's device as that process knows it).
  func assignProcesses(names: [String], ofDevice: [Int], deviceNames: [String]? = nil) {
    precondition(ofDevice.count == deviceCount && ofDevice.allSatisfy(names.indices.contains))
    processNames = names
    processOfDevice = ofDevice
    if let deviceNames, deviceNames.count == deviceCount { self.deviceNames = deviceNames }
  }

  /// How many devices the timeline has.
  public var deviceCount: Int { deviceNames.count }

  /// Forgets earlier spans and opens a new window now.
  func begin() {
    lock.lock(); defer { lock.unlock() }
    recorded.removeAll()
    windowStart = Stopwatch.now()
    windowEnd = nil
  }

  /// Closes the window now.
  func finish() {
    lock.lock(); defer { lock.unlock() }
    windowEnd = Stopwatch.now()
  }

  func record(_ span: Span) {
    lock.lock(); defer { lock.unlock() }
    recorded.append(span)
  }

  /// Adds spans recorded elsewhere (another rank's devices), already on this timeline's clock.
  func record(_ spans: [Span]) {
    lock.lock(); defer { lock.unlock() }
    recorded += spans
  }

  /// Runs `body` and records it as a span.
  func measure<T>(
    device: Int, _ kind: SpanKind, batch: Int, component: Int? = nil, microBatch: Int? = nil,
    _ body: () throws -> T
  ) rethrows -> T {
    let start = Stopwatch.now()
    defer {
      record(
        Span(
          device: device, kind: kind, batch: batch, component: component, microBatch: microBatch, start: start,
          end: Stopwatch.now()))
    }
    return try body()
  }

  /// Every span, sorted by start time.
  public var spans: [Span] {
    lock.lock(); defer { lock.unlock() }
    return recorded.sorted { $0.start < $1.start }
  }

  /// The epoch's start and end (the spans' extent where the executor did not mark them).
  public var window: (start: Double, end: Double) {
    lock.lock(); defer { lock.unlock() }
    let start = windowStart ?? recorded.map(\.start).min() ?? 0
    let end = windowEnd ?? recorded.map(\.end).max() ?? start
    return (start, Swift.max(start, end))
  }

  /// Per device, the fraction of the window (or of `interval`, e.g. the timed steps of a
  /// benchmark) spent computing: every span kind but `wait`. The rest is idle or waiting.
  public func busyFractions(in interval: ClosedRange<Double>? = nil) -> [Double] { fractions(interval) { $0.isBusy } }

  /// Per device, the fraction spent blocked on a full downstream inbox.
  public func waitFractions(in interval: ClosedRange<Double>? = nil) -> [Double] { fractions(interval) { $0 == .wait } }

  private func fractions(_ interval: ClosedRange<Double>?, _ counts: (SpanKind) -> Bool) -> [Double] {
    let (start, end) = interval.map { ($0.lowerBound, $0.upperBound) } ?? window
    let length = end - start
    var total = Array(repeating: 0.0, count: deviceCount)
    for s in spans where counts(s.kind) && total.indices.contains(s.device) {
      // Clip to the window; one worker's spans never overlap one another.
      total[s.device] += Swift.max(0, Swift.min(s.end, end) - Swift.max(s.start, start))
    }
    return total.map { length > 0 ? Swift.min(1, Swift.max(0, $0 / length)) : 0 }
  }
}
