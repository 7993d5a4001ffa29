/// How a method's components are scheduled over the devices (`--pipeline`).
public enum PipelineKind: String, CaseIterable, Sendable {
  /// The sequential reference on one device: the method's own `trainStep`.
  case off
  /// Naive model parallelism (BP only): components on their devices, activations moved without
  /// detach, one cross-entropy, one backward through every device, one update.
  case nmp
  /// The reference's multi-device schedule within one step (local methods): component k's
  /// learning overlaps component k+1's forward; the step ends when all are done.
  case overlap
  /// A pipeline across batches (local methods): device d works on batch t while d+1 works on
  /// batch t−1, each worker looping over its bounded inbox.
  case async
  /// GPipe (BP only): micro-batches pipelined through the forwards, their backwards back up,
  /// gradients accumulated, one update per mini-batch.
  case gpipe
  /// SCPL + GPipe (local methods): micro-batches pipelined through the forwards; each component
  /// then learns on the whole mini-batch without waiting for the others.
  case scplGPipe = "scpl-gpipe"
  /// One forward, one backward (BP only; PipeDream-Flush / DAPPLE): GPipe's micro-batches and
  /// flush, each device running its backward of a micro-batch as soon as it can (after K−1−d
  /// warm-up forwards), so device d holds at most K − d micro-batches' activations, not all M.
  case oneFOneB = "1f1b"
  /// Interleaved 1F1B (BP only; Megatron-LM's virtual pipeline): the network cut into K·v
  /// stages, stage s on device s mod K, so each device holds v non-contiguous chunks
  /// (`--chunks-per-device` v); 1F1B over the stages, which divides the bubble by about v for v
  /// times the hand-offs.
  case interleaved1F1B = "interleaved-1f1b"
  /// Zero bubble ZB-H1 (BP only; Qi et al., 2024): 1F1B with each backward split into the
  /// input-gradient pass, which the previous device waits for, and the weight-gradient pass,
  /// which device d holds back (up to d of them) to run where 1F1B would wait.
  case zbH1 = "zb-h1"

  /// BP's micro-batched schedules (gpipe, 1f1b, interleaved-1f1b, zb-h1): GPipe's work over
  /// micro-batches in their orders, which `--recompute` applies to.
  public var backPropagatesMicroBatches: Bool { [.gpipe, .oneFOneB, .interleaved1F1B, .zbH1].contains(self) }

  /// The schedules that cut a mini-batch into `--micro-batches`: BP's micro-batched ones and scpl-gpipe.
  public var takesMicroBatches: Bool { backPropagatesMicroBatches || self == .scplGPipe }

  /// Reads a `--pipeline` name, ignoring case; an unknown one is an error listing the known ones.
  public init(parsing text: String) throws {
    if let k = PipelineKind(rawValue: text.lowercased()) { self = k; return }
    let known = PipelineKind.allCases.map(\.rawValue).joined(separator: ", ")
    throw PipelineError("unknown pipeline '\(text)': expected one of \(known)")
  }

  /// The schedule a method runs when none is asked for: async for the local methods (SCPL,
  /// Early Exit, AL), and for BP nmp on several devices, off on one.
  public static func defaultKind(for method: MethodKind, deviceCount: Int) -> PipelineKind {
    if method.isLocal { return .async }
    return deviceCount > 1 ? .nmp : .off
  }

  /// Rejects a schedule that cannot run `method` on `deviceCount` devices, with the reason.
  public func check(method: MethodKind, deviceCount: Int) throws {
    switch self {
    case .off:
      guard deviceCount == 1 else {
        throw PipelineError(
          "--pipeline off runs the sequential reference on one device, but \(deviceCount) devices were given; use one device or --pipeline \(method.isLocal ? "async or overlap" : "nmp")"
        )
      }
    case .nmp:
      guard !method.isLocal else {
        throw PipelineError(
          "--pipeline nmp back-propagates through every device and serves BP only; \(method.rawValue) is a local method: use async or overlap"
        )
      }
    case .overlap, .async:
      guard method.isLocal else {
        throw PipelineError(
          "--pipeline \(rawValue) needs a local method (scpl, early-exit, al): BP's backward crosses every component; use nmp"
        )
      }
    case .gpipe, .oneFOneB, .interleaved1F1B, .zbH1:
      guard !method.isLocal else {
        throw PipelineError(
          "--pipeline \(rawValue) back-propagates micro-batches through every device and serves BP only; \(method.rawValue) is a local method: use scpl-gpipe (or async, overlap)"
        )
      }
    case .scplGPipe:
      guard method.isLocal else {
        throw PipelineError(
          "--pipeline scpl-gpipe needs a local method (scpl, early-exit, al): each component learns from its own loss; for BP use gpipe"
        )
      }
    }
  }
}
