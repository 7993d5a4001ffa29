extension ScheduleSimulator {
  /// A device doing one kind of work, or idling, during [start, end).
  ///
  /// Times start at 0; a span [s, e) of unit-cost work covers the 1-based steps s+1 … e, which is
  /// how the paper's Figure 13 numbers its time steps.
  public struct Span: Codable, Equatable, Sendable {
    public var device: Int
    public var stage: Int
    public var kind: Kind
    /// 1-based; nil for whole-mini-batch work and for idle spans.
    public var microBatch: Int?
    public var batch: Int
    public var start: Double
    public var end: Double

    public init(
      device: Int, stage: Int, kind: Kind, microBatch: Int? = nil, batch: Int = 1,
      start: Double, end: Double
    ) {
      self.device = device
      self.stage = stage
      self.kind = kind
      self.microBatch = microBatch
      self.batch = batch
      self.start = start
      self.end = end
    }

    static func idle(device: Int, from start: Double, to end: Double) -> Span {
      Span(device: device, stage: device, kind: .idle, batch: 0, start: start, end: end)
    }

    public var duration: Double { end - start }
  }

  /// A simulated schedule: its spans, device by device, and how long it took.
  public struct Result: Codable, Equatable, Sendable {
    public var schedule: Schedule
    public var costsName: String
    public var devices: Int
    public var stages: Int
    public var microBatches: Int
    public var batches: Int
    public var update: UpdatePolicy
    /// When the last device finishes its last job.
    public var total: Double
    /// `total` for the one-batch schedules; for `async`, the steady-state time per batch.
    public var perBatch: Double
    /// Every device's time line from 0 to `total`, in order, gaps filled with idle spans
    /// (zero-length jobs, e.g. free transfers, are left out).
    public var spans: [Span]

    /// The spans that are not idle.
    public var workSpans: [Span] { spans.filter { $0.kind != .idle } }

    /// One device's time line.
    public func spans(device: Int) -> [Span] { spans.filter { $0.device == device } }
  }
}
