extension ScheduleSimulator {
  /// What a device is doing during a span.
  public enum Kind: String, CaseIterable, Codable, Sendable {
    /// A forward, loss, backward, update or transfer, or nothing (idle). Under zb-h1 `backward` is
    /// the input-gradient pass B and `weight` the weight-gradient pass W. `allreduce` is a stage's
    /// gradients averaged among the replicas, on its device's link (`Setup.replicas`).
    case forward, loss, backward, update, transfer, idle, weight, allreduce

    /// The text chart's letter: F, L, B, U, T, W, A, and '.' for idle.
    public var letter: Character {
      switch self {
      case .forward: return "F"
      case .loss: return "L"
      case .backward: return "B"
      case .update: return "U"
      case .transfer: return "T"
      case .idle: return "."
      case .weight: return "W"
      case .allreduce: return "A"
      }
    }
  }

  /// One piece of work in a plan: a schedule is a list of these.
  ///
  /// A device runs its jobs in list order (one stream per device, like a CUDA stream), and a job
  /// also waits for the jobs named in `after`. `after` may only name jobs earlier in the list, so
  /// the list is always a valid order to time the jobs in (`ScheduleSimulator.time`).
  public struct Job: Equatable, Sendable {
    /// The device that runs the job.
    public var device: Int
    /// The stage whose work this is (bp runs every stage on device 0).
    public var stage: Int
    /// What kind of work the job is.
    public var kind: Kind
    /// 1-based; nil when the job covers the whole mini-batch.
    public var microBatch: Int?
    /// 1-based mini-batch number (only `async` has more than one).
    public var batch: Int
    /// How long the job takes, in the costs' time unit.
    public var duration: Double
    /// Indices (into the plan) of the jobs that must finish before this one starts.
    public var after: [Int]

    /// A job of `kind` for `stage` on `device`, lasting `duration`, that waits for the jobs in `after`.
    public init(
      device: Int, stage: Int, kind: Kind, microBatch: Int? = nil, batch: Int = 1,
      duration: Double, after: [Int] = []
    ) {
      self.device = device
      self.stage = stage
      self.kind = kind
      self.microBatch = microBatch
      self.batch = batch
      self.duration = duration
      self.after = after
    }
  }
}
