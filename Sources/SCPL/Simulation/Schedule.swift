import Foundation

extension ScheduleSimulator {
  /// The schedules the simulator knows, by their command-line names.
  public enum Schedule: String, CaseIterable, Codable, Sendable {
    /// Backpropagation on one device: every stage's forward, the last stage's loss, every backward
    /// (last stage first) and every update, one after another.
    case bp
    /// Naive model parallelism (NMP in the paper's appendix A.2; the reference's `*_BP_m` models):
    /// the whole mini-batch goes forward down the chain of devices, the last one computes the loss,
    /// the gradient comes back up one device at a time, then the updates.
    case nmp
    /// The reference's SCPL schedule (its `*_SCPL_m` models; the paper's Figure 13, "SCPL" row):
    /// forwards down the chain; each device computes its local loss and backward right after
    /// its own forward, while the next devices are still going forward; then the updates.
    case overlap
    /// SCPL pipelined across mini-batches: each device loops forward → loss → backward → update,
    /// working on batch t+1 while the next device works on batch t. The interesting figure is the
    /// steady-state time per batch.
    case async
    /// GPipe: micro-batches flow forward through the devices; only the last device has a loss (on
    /// the whole mini-batch, after its last forward); backwards of micro-batches M…1, each waiting
    /// for the later device's backward of the same micro-batch; then the updates.
    case gpipe
    /// GPipe's forward with SCPL's local losses: each device computes its loss on the whole
    /// mini-batch right after its last micro-batch's forward, then its own backwards M…1 without
    /// waiting for any other device; then the updates.
    case scplGPipe = "scpl-gpipe"
    /// One forward, one backward (PipeDream-Flush / DAPPLE): BP over micro-batches, each device
    /// running K−1−k warm-up forwards, then alternating one forward and one backward, then the
    /// remaining backwards; the loss is computed per micro-batch on the last device. The same work
    /// as GPipe, with at most K − k micro-batches held on device k instead of M.
    case oneFOneB = "1f1b"
    /// Megatron's interleaved 1F1B: each device holds `chunksPerDevice` (v) non-contiguous chunks
    /// of the network (chunk c of device d is virtual stage c·K + d, costing 1/v of the device's
    /// stage), which divides the pipeline bubble by about v at the price of v times the transfers.
    /// M must be a multiple of K, as Megatron requires.
    case interleaved1F1B = "interleaved-1f1b"
    /// Zero bubble ZB-H1 (Qi et al., 2024): 1F1B with each backward split into the input-gradient
    /// pass B (half the backward's cost), which the previous device waits for, and the
    /// weight-gradient pass W (the other half), which nothing waits for: device k keeps up to k
    /// W passes waiting (`OneFOneBOrder`), so the gradients go back sooner and the W passes fill
    /// the tail; every device holds at most K micro-batches, 1F1B's peak.
    case zbH1 = "zb-h1"

    /// The simulated form of an executor's schedule: the one mapping between the two enums (the
    /// simulator's `bp` is the sequential loop's `off`).
    public init(simulating kind: PipelineKind) {
      switch kind {
      case .off: self = .bp
      case .nmp: self = .nmp
      case .overlap: self = .overlap
      case .async: self = .async
      case .gpipe: self = .gpipe
      case .scplGPipe: self = .scplGPipe
      case .oneFOneB: self = .oneFOneB
      case .interleaved1F1B: self = .interleaved1F1B
      case .zbH1: self = .zbH1
      }
    }

    /// A schedule by name; "all" is not a schedule (see `parseList`).
    public static func parse(_ name: String) throws -> Schedule {
      guard let s = Schedule(rawValue: name.lowercased()) else { throw SimulationError.unknownSchedule(name) }
      return s
    }

    /// "all" → every schedule in declaration order; otherwise the comma-separated names given.
    public static func parseList(_ names: String) throws -> [Schedule] {
      if names.lowercased() == "all" { return allCases }
      return try names.split(separator: ",", omittingEmptySubsequences: false).map {
        try parse($0.trimmingCharacters(in: .whitespaces))
      }
    }

    /// Whether this schedule can run `setup`: interleaved-1f1b needs a micro-batch count that is a
    /// multiple of the device count.
    public func applies(to setup: Setup) -> Bool {
      self != .interleaved1F1B || setup.microBatches % setup.stages.count == 0
    }

    /// Whether this schedule splits a mini-batch into micro-batches (the others run it whole).
    public var usesMicroBatches: Bool { [.gpipe, .scplGPipe, .oneFOneB, .interleaved1F1B, .zbH1].contains(self) }
  }

  /// When a device applies its update in the one-mini-batch schedules (bp and async ignore it).
  public enum UpdatePolicy: String, CaseIterable, Codable, Sendable {
    /// Every device updates once every device has finished its backward (Figure 13).
    case synchronous
    /// Each device updates as soon as its own backward is done.
    case perStage = "per-stage"

    /// An update policy by name, ignoring case.
    public static func parse(_ name: String) throws -> UpdatePolicy {
      guard let p = UpdatePolicy(rawValue: name.lowercased()) else { throw SimulationError.unknownUpdatePolicy(name) }
      return p
    }
  }
}
