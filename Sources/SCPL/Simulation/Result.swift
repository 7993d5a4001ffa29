extension ScheduleSimulator {
  /// A device doing one kind of work, or idling, during [start, end).
  ///
  /// Times start at 0; a span [s, e) of unit-cost work covers the 1-based steps s+1 … e, which is
  /// how the paper's Figure 13 numbers its time steps.
  public struct Span: Codable, Equatable, Sendable {
    /// The device busy (or idle) during the span.
    public var device: Int
    /// The stage whose work this is (the device, for idle spans).
    public var stage: Int
    /// What the device is doing.
    public var kind: Kind
    /// 1-based; nil for whole-mini-batch work and for idle spans.
    public var microBatch: Int?
    /// 1-based mini-batch number (0 for idle spans).
    public var batch: Int
    /// When the span starts.
    public var start: Double
    /// When the span ends.
    public var end: Double

    /// A span of `kind` work for `stage` on `device` over [start, end).
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

    /// How long the span lasts.
    public var duration: Double { end - start }
  }

  /// A simulated schedule: its spans, device by device, and how long it took.
  public struct Result: Codable, Equatable, Sendable {
    /// The schedule simulated.
    public var schedule: Schedule
    /// The name of the costs it was fed.
    public var costsName: String
    /// How many devices the schedule used (1 for bp, else one per stage).
    public var devices: Int
    /// How many stages the costs describe.
    public var stages: Int
    /// Micro-batches per mini-batch.
    public var microBatches: Int
    /// Mini-batches simulated (more than 1 only for `async`).
    public var batches: Int
    /// When devices apply their updates.
    public var update: UpdatePolicy
    /// Replicas of the pipeline (`Setup.replicas`). With more than one, `spans` also holds each
    /// device's link, as device `devices + d` (its all-reduces, idle between them).
    public var replicas = 1
    /// When the last device finishes its last job.
    public var total: Double
    /// `total` for the one-batch schedules; for `async`, the steady-state time per batch.
    public var perBatch: Double
    /// The most micro-batches any stage holds the activations of at once (`peakInFlightPerStage`'s
    /// largest): what a schedule's activation memory grows with.
    public var peakInFlight: Int
    /// Per stage (virtual stage under interleaved-1f1b), the most micro-batches it holds at once.
    public var peakInFlightPerStage: [Int]
    /// Every device's time line from 0 to `total`, in order, gaps filled with idle spans
    /// (zero-length jobs, e.g. free transfers, are left out).
    public var spans: [Span]

    /// The spans that are not idle.
    public var workSpans: [Span] { spans.filter { $0.kind != .idle } }

    /// One device's time line.
    public func spans(device: Int) -> [Span] { spans.filter { $0.device == device } }
  }
}
