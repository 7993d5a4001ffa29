import Foundation
import Torch

/// Where a pipeline crosses processes: this process's rank in a c10d job, and the messages the
/// ranks exchange over it. Rank r holds the pipeline's devices r·L … r·L+L−1 (L per rank); rank
/// 0 reads the data.
///
/// Four streams, each a c10d tag:
/// - **the chain** (rank r → r+1): the async pipeline's batches with their activations and
///   labels, a batch-by-batch schedule's steps, predictions on their way, and rank 0's commands
///   (begin or end an epoch or an evaluation, send or load state, stop), in the order rank 0
///   issued them. A rank forwards a command after it has finished everything before it (a step
///   before it runs it), so every rank sees the same sequence.
/// - **the results** (any rank → rank 0): a batch's losses from the last rank, a rank's losses of
///   a step, a batch dropped after a failure (with the failure's sentence), a finished
///   prediction, the end of an epoch or an evaluation, and a rank's state for a checkpoint.
/// - **the stages' activations and gradients** (`StageStream`, between the ranks of two stages
///   of a batch-by-batch schedule, either way): posted, so neither side waits in its send.
/// Each message is one `ProcessGroup.sendTensors` (or `postTensors`): a header of ints, a tensor
/// of doubles or the stage's key, then the tensors it carries. Nothing else crosses.
public final class RankLink: @unchecked Sendable {
  /// The c10d process group the ranks talk over.
  public let group: ProcessGroup
  /// This process's rank.
  public var rank: Int { group.rank }
  /// How many ranks the job has.
  public var worldSize: Int { group.worldSize }
  /// Whether this is rank 0, which reads the data.
  public var isFirst: Bool { rank == 0 }
  /// Whether this is the last rank, which holds the pipeline's last devices.
  public var isLast: Bool { rank == worldSize - 1 }

  /// A link over `group`.
  public init(_ group: ProcessGroup) { self.group = group }

  /// The chain and the results; the stages' two streams (`StageStream`) are tags 3 and 4 (tag 2
  /// is `DistributedJob.agree`'s, before any run).
  private enum Tag: Int { case chain = 0, results = 1 }

  /// The streams between the stages of a batch-by-batch schedule across ranks (nmp, gpipe and
  /// its 1F1B family, scpl-gpipe): activations on their way forward, gradients on their way back.
  /// Each has a c10d tag of its own, so a rank's forward hand-offs and its gradients' hand-backs
  /// never interleave on the wire, whichever workers send them.
  enum StageStream: Int { case activations = 3, gradients = 4 }

  /// Which piece of a step a stage message carries: the batch, its micro-batch (0 for nmp) and
  /// the stage that receives it. The receiver checks it, so a message out of order is an error
  /// that says so, never another micro-batch's tensors used in silence.
  struct StageKey: Equatable, CustomStringConvertible {
    let batch: Int
    let microBatch: Int
    let stage: Int

    var description: String { "batch \(batch), micro-batch \(microBatch + 1), stage \(stage + 1)" }
  }

  /// What travels down the chain.
  enum Down {
    /// A run begins: the ranks build their model with this seed and serve their components of
    /// this placement (component → device).
    case beginRun(seed: UInt64, placement: [Int])
    case beginEpoch
    /// A batch-by-batch schedule's step t: every rank runs its stages of it. The labels go to
    /// every rank (the last stage's loss, a local method's every component), the inputs only
    /// to rank 0's first device; `rate` is batch t's learning rate (nil: keep the optimizers').
    case step(batch: Int, labels: Tensor, rate: Double?)
    /// A batch for the receiving rank's first device, as the async pipeline hands it on.
    case batch(AsyncPipelineExecutor.Message)
    case endEpoch
    /// A prediction begins: `shared` is the state, by checkpoint name, of the modules of earlier
    /// ranks' components that this rank's prediction shares apply (`TrainingMethod.
    /// readByLaterPredictions`); each rank loads it and adds its own before passing it on.
    case beginPrediction(shared: [(String, Tensor)])
    case prediction(batch: Int, PartialPrediction)
    case endPrediction
    /// Every rank sends its components' state to rank 0 (`Up.state`).
    case sendState
    /// Every rank loads these tensors (a checkpoint's, by name) into its components.
    case loadState([(String, Tensor)])
    /// Every rank sends the spans its devices recorded in the last epoch to rank 0 (`Up.timeline`).
    case sendTimeline
    /// The run is over: the ranks leave their serving loop.
    case endRun
    /// The job is over: the ranks exit.
    case endJob
  }

  /// What comes back to rank 0.
  enum Up {
    case done(batch: Int, losses: [Double], start: Double)
    /// A rank has run its stages of a batch-by-batch step: the losses of its components (BP's
    /// cross-entropy from the last rank; none from a rank with nothing to report).
    case stepDone(rank: Int, batch: Int, losses: [Double])
    /// A batch a rank did not train because the epoch had failed; `failure` is the first
    /// failure's sentence, on the batch that hit it.
    case dropped(batch: Int, failure: String?)
    case epochEnded
    case prediction(batch: Int, Prediction)
    case predictionEnded
    case state(rank: Int, [(String, Tensor)])
    /// A rank's spans of the last epoch, on its own clock, and that clock's reading when sent.
    case timeline(rank: Int, [Span], clock: Double)
  }

  /// Rank 0, when the job is over (finished or failed): the other ranks leave.
  public func endJob() {
    guard isFirst, !isLast else { return }
    try? sendDown(.endJob)
  }

  // MARK: Sending

  /// On rank 0 a failed send means the chain below is broken: nothing in flight there will come
  /// back, so rank 0 stops waiting for results now, with this send's error, rather than at the
  /// timeout. (A later rank goes on serving: it reports its failure up to rank 0.)
  func sendDown(_ m: Down) throws {
    do {
      try inContext("rank \(rank) could not send to rank \(rank + 1)") {
        try send(encode(m), to: rank + 1, tag: .chain)
      }
    } catch {
      if isFirst { group.abandonReceives(because: error) }
      throw error
    }
  }

  func sendUp(_ m: Up) throws {
    try inContext("rank \(rank) could not send to rank 0") { try send(encode(m), to: 0, tag: .results) }
  }

  private struct Wire {
    var ints: [Int64]
    var doubles: [Double] = []
    var tensors: [Tensor?] = []
    var names: [String]? = nil
  }

  private func send(_ w: Wire, to dst: Int, tag: Tag) throws {
    // Named tensors (state) go as messages of at most maxTensors − 3 tensors, their names as
    // UTF-8 bytes in the message that announces them.
    let perMessage = ProcessGroup.maxTensors - 3
    let chunks = stride(from: 0, to: Swift.max(w.tensors.count, 1), by: perMessage).map {
      Array(w.tensors[$0..<Swift.min($0 + perMessage, w.tensors.count)])
    }
    let names = try w.names.map { try Tensor(Array((try JSONEncoder().encode($0))), shape: nil) }
    for (i, chunk) in chunks.enumerated() {
      let header = try Tensor(w.ints + [Int64(chunks.count), Int64(i)])
      let doubles = w.doubles.isEmpty ? try Tensor.zeros([0], dtype: .float64) : try Tensor(w.doubles)
      // Gloo carries CPU tensors: a GPU rank's go through its CPU (a no-op for CPU tensors).
      try group.sendTensors(
        [header, doubles, i == 0 ? names : nil] + chunk.map { try $0?.to(.cpu) }, to: dst, tag: tag.rawValue)
    }
  }

  private func receive(from src: Int?, tag: Tag) throws -> (source: Int, wire: Wire) {
    var (source, first) = try group.receiveTensors(from: src, tag: tag.rawValue)
    guard first.count >= 3, let header = first[0], let doubles = first[1] else {
      throw TorchError("a malformed message from rank \(source)")
    }
    var ints: [Int64] = try header.toArray()
    let chunks = Int(ints[ints.count - 2])
    ints.removeLast(2)
    var w = Wire(ints: ints, doubles: try doubles.toArray(), tensors: Array(first.dropFirst(3)))
    if let names = first[2] {
      w.names = try JSONDecoder().decode([String].self, from: Data(try names.toArray(UInt8.self)))
    }
    for _ in 1..<Swift.max(chunks, 1) {
      let next = try group.receiveTensors(from: source, tag: tag.rawValue)
      w.tensors += next.tensors.dropFirst(3)
      source = next.source
    }
    return (source, w)
  }

  func receiveFromAbove() throws -> Down {
    try inContext("rank \(rank) heard nothing from rank \(rank - 1)") {
      try decodeDown(receive(from: rank - 1, tag: .chain).wire)
    }
  }

  /// The next result from any rank (rank 0 only).
  func receiveUp() throws -> Up {
    try inContext("rank 0 heard no results from \(worldSize == 2 ? "rank 1" : "ranks 1–\(worldSize - 1)")") {
      let (source, w) = try receive(from: nil, tag: .results)
      return try decodeUp(w, source: source)
    }
  }

  // MARK: Between stages

  /// Starts sending `tensors` (with the names of an activation's extras) for stage `key.stage`
  /// on rank `dst`, and returns at once (`ProcessGroup.postTensors`): wait for the works before
  /// the tensors change. One message, so at most `ProcessGroup.maxTensors` − 3 tensors.
  func postStage(
    _ tensors: [Tensor?], names: [String]? = nil, key: StageKey, on stream: StageStream, to dst: Int
  ) throws -> [ProcessGroup.Work] {
    guard tensors.count <= ProcessGroup.maxTensors - 3 else {
      throw PipelineError("a stage hands on at most \(ProcessGroup.maxTensors - 3) tensors, not \(tensors.count)")
    }
    return try inContext("rank \(rank) could not send to rank \(dst)") {
      let header = try Tensor([Int64(key.batch), Int64(key.microBatch), Int64(key.stage)])
      let encodedNames = try names.map { try Tensor(Array((try JSONEncoder().encode($0))), shape: nil) }
      return try group.postTensors(
        [header, encodedNames] + tensors.map { try $0?.to(.cpu) }, to: dst, tag: stream.rawValue)
    }
  }

  /// The next stage message from rank `src` on `stream`, which must be `key`'s: its tensors and
  /// the activation extras' names.
  func receiveStage(_ key: StageKey, on stream: StageStream, from src: Int) throws -> (
    tensors: [Tensor?], names: [String]
  ) {
    try inContext("rank \(rank) heard nothing from rank \(src) for \(key)") {
      let (_, message) = try group.receiveTensors(from: src, tag: stream.rawValue)
      guard message.count >= 2, let header = message[0], header.count == 3 else {
        throw TorchError("a malformed stage message from rank \(src)")
      }
      let got: [Int64] = try header.toArray()
      let received = StageKey(batch: Int(got[0]), microBatch: Int(got[1]), stage: Int(got[2]))
      guard received == key else {
        throw PipelineError("rank \(src) sent \(received) where \(key) was due: the ranks' schedules differ")
      }
      let names = try message[1].map {
        try JSONDecoder().decode([String].self, from: Data(try $0.toArray(UInt8.self)))
      }
      return (Array(message.dropFirst(2)), names ?? [])
    }
  }

  // MARK: Encoding

  /// The activation of a message: its five slots, then its extras' tensors named by `names`.
  private static func activation(_ t: ArraySlice<Tensor?>, extras: ArraySlice<Tensor?> = [], names: [String] = [])
    throws -> Activation
  {
    guard let a = Activation(slots: Array(t), extras: extras.compactMap { $0 }, named: names) else {
      throw TorchError("a message without its activation")
    }
    return a
  }

  private func encode(_ m: Down) throws -> Wire {
    switch m {
    case .beginRun(let seed, let placement): return Wire(ints: [0, Int64(bitPattern: seed)] + placement.map(Int64.init))
    case .beginEpoch: return Wire(ints: [1])
    case .batch(let m):
      return Wire(
        ints: [2, Int64(m.batch), m.rate == nil ? 0 : 1], doubles: [m.start, m.rate ?? 0] + m.losses,
        tensors: m.activation.slots + [m.labels] + m.activation.extraTensors, names: m.activation.wireNames)
    case .endEpoch: return Wire(ints: [3])
    case .beginPrediction(let shared): return Wire(ints: [4], tensors: shared.map(\.1), names: shared.map(\.0))
    case .prediction(let b, let p):
      return Wire(
        ints: [5, Int64(b), p.final == nil ? 0 : 1, Int64(p.heads.count)],
        tensors: p.activation.slots + [p.final] + p.heads + p.activation.extraTensors, names: p.activation.wireNames)
    case .endPrediction: return Wire(ints: [6])
    case .sendState: return Wire(ints: [7])
    case .loadState(let named): return Wire(ints: [8], tensors: named.map(\.1), names: named.map(\.0))
    case .endRun: return Wire(ints: [9])
    case .endJob: return Wire(ints: [10])
    case .sendTimeline: return Wire(ints: [11])
    case .step(let b, let labels, let rate):
      return Wire(ints: [12, Int64(b), rate == nil ? 0 : 1], doubles: [rate ?? 0], tensors: [labels])
    }
  }

  private func decodeDown(_ w: Wire) throws -> Down {
    switch w.ints.first {
    case 0: return .beginRun(seed: UInt64(bitPattern: w.ints[1]), placement: w.ints.dropFirst(2).map(Int.init))
    case 1: return .beginEpoch
    case 2:
      let names = w.names ?? []
      guard w.tensors.count == 6 + names.count, let labels = w.tensors[5], w.doubles.count >= 2 else {
        throw TorchError("a malformed batch message")
      }
      return .batch(
        .init(
          batch: Int(w.ints[1]),
          activation: try Self.activation(w.tensors[0..<5], extras: w.tensors[6...], names: names), labels: labels,
          losses: Array(w.doubles.dropFirst(2)), start: w.doubles[0], rate: w.ints[2] == 1 ? w.doubles[1] : nil))
    case 3: return .endEpoch
    case 4: return .beginPrediction(shared: Array(zip(w.names ?? [], w.tensors.compactMap { $0 })))
    case 5:
      let names = w.names ?? [], heads = Int(w.ints[3])
      guard w.ints.count == 4, w.tensors.count == 6 + heads + names.count else {
        throw TorchError("a malformed prediction message")
      }
      var p = PartialPrediction(
        try Self.activation(w.tensors[0..<5], extras: w.tensors[(6 + heads)...], names: names))
      p.final = w.ints[2] == 1 ? w.tensors[5] : nil
      p.heads = w.tensors[6..<(6 + heads)].compactMap { $0 }
      return .prediction(batch: Int(w.ints[1]), p)
    case 6: return .endPrediction
    case 7: return .sendState
    case 8: return .loadState(Array(zip(w.names ?? [], w.tensors.compactMap { $0 })))
    case 9: return .endRun
    case 10: return .endJob
    case 11: return .sendTimeline
    case 12:
      guard w.ints.count == 3, w.doubles.count == 1, w.tensors.count == 1, let labels = w.tensors[0] else {
        throw TorchError("a malformed step message")
      }
      return .step(batch: Int(w.ints[1]), labels: labels, rate: w.ints[2] == 1 ? w.doubles[0] : nil)
    default: throw TorchError("an unknown message on the chain (kind \(w.ints.first.map(String.init) ?? "none"))")
    }
  }

  private func encode(_ m: Up) throws -> Wire {
    switch m {
    case .done(let b, let losses, let start): return Wire(ints: [0, Int64(b)], doubles: [start] + losses)
    case .stepDone(_, let b, let losses): return Wire(ints: [7, Int64(b)], doubles: losses)
    case .dropped(let b, let failure):
      return Wire(ints: [1, Int64(b)], tensors: [try failure.map { try Tensor(Array($0.utf8)) }])
    case .epochEnded: return Wire(ints: [2])
    case .prediction(let b, let p): return Wire(ints: [3, Int64(b)], tensors: [p.final] + p.heads)
    case .predictionEnded: return Wire(ints: [4])
    case .state(_, let named): return Wire(ints: [5], tensors: named.map(\.1), names: named.map(\.0))
    case .timeline(_, let spans, let clock):
      // Seven numbers a span, after the clock: device, kind, batch, component, micro-batch (−1: none), start, end.
      let kinds = SpanKind.allCases
      return Wire(
        ints: [6],
        doubles: [clock]
          + spans.flatMap { s in
            [
              Double(s.device), Double(kinds.firstIndex(of: s.kind)!), Double(s.batch), Double(s.component ?? -1),
              Double(s.microBatch ?? -1), s.start, s.end
            ]
          })
    }
  }

  private func decodeUp(_ w: Wire, source: Int) throws -> Up {
    switch w.ints.first {
    case 0: return .done(batch: Int(w.ints[1]), losses: Array(w.doubles.dropFirst()), start: w.doubles[0])
    case 1:
      let text = try w.tensors.first??.toArray(UInt8.self)
      return .dropped(batch: Int(w.ints[1]), failure: text.map { String(decoding: $0, as: UTF8.self) })
    case 2: return .epochEnded
    case 3:
      guard let final = w.tensors.first ?? nil else {
        throw TorchError("a prediction without logits from rank \(source)")
      }
      return .prediction(
        batch: Int(w.ints[1]), Prediction(final: final, heads: w.tensors.dropFirst().compactMap { $0 }))
    case 4: return .predictionEnded
    case 7:
      guard w.ints.count == 2 else { throw TorchError("a malformed step result from rank \(source)") }
      return .stepDone(rank: source, batch: Int(w.ints[1]), losses: w.doubles)
    case 5: return .state(rank: source, Array(zip(w.names ?? [], w.tensors.compactMap { $0 })))
    case 6:
      let kinds = SpanKind.allCases, numbers = Array(w.doubles.dropFirst())
      guard !w.doubles.isEmpty, numbers.count % 7 == 0 else {
        throw TorchError("a malformed timeline from rank \(source)")
      }
      let spans = try stride(from: 0, to: numbers.count, by: 7).map { i -> Span in
        let n = numbers[i..<i + 7].map { $0 }
        guard kinds.indices.contains(Int(n[1])) else {
          throw TorchError("a timeline from rank \(source) with an unknown span kind")
        }
        return Span(
          device: Int(n[0]), kind: kinds[Int(n[1])], batch: Int(n[2]), component: n[3] < 0 ? nil : Int(n[3]),
          microBatch: n[4] < 0 ? nil : Int(n[4]), start: n[5], end: n[6])
      }
      return .timeline(rank: source, spans, clock: w.doubles[0])
    default: throw TorchError("an unknown result from rank \(source) (kind \(w.ints.first.map(String.init) ?? "none"))")
    }
  }
}

extension Activation {
  /// The extras' names for a message: none at all (no names tensor sent) when there are none.
  fileprivate var wireNames: [String]? { extras.isEmpty ? nil : extraNames }
}
