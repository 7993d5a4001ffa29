import Torch

/// How a batch's samples may leave the network before its last component (`scpl eval
/// --adaptive`): a rule, decided per sample, or per batch (DecoupleFlow's granularity, to compare).
public struct ExitPolicy: Sendable, Equatable {
  /// When a sample may stop.
  public var rule: ExitRule
  /// Decide for the whole batch: it goes on until every sample in it may stop.
  public var perBatch: Bool

  /// `rule`, per sample unless `perBatch`.
  public init(_ rule: ExitRule, perBatch: Bool = false) {
    self.rule = rule
    self.perBatch = perBatch
  }
}

/// Where an adaptive prediction of one batch stands between components
/// (`PartialPrediction.progress`): the samples still going (their rows in the batch), and for
/// those that have left, the logits and the component they left at. After each component's
/// share, `step` decides who leaves and keeps only the others' rows, so the next component runs
/// a smaller batch; the last component's prediction takes everyone still going.
public struct ExitProgress: @unchecked Sendable {
  /// The rule and its granularity.
  public let policy: ExitPolicy
  /// The batch's rows of the samples still going, in order.
  public private(set) var going: [Int]
  /// Each sample's logits once it has left (empty while it goes on).
  public private(set) var logits: [[Float]]
  /// The component (1-based) each sample left at (0 while it goes on).
  public private(set) var exits: [Int]
  private var state: ExitRule.State

  /// A batch of `rows` samples, all going.
  public init(_ policy: ExitPolicy, rows: Int) {
    self.policy = policy
    going = Array(0..<rows)
    logits = Array(repeating: [], count: rows)
    exits = Array(repeating: 0, count: rows)
    state = ExitRule.State(rows: rows)
  }

  /// Every sample has left.
  public var finished: Bool { going.isEmpty }

  /// After component k's share of `x` (`last`: the network's last component): who leaves at its
  /// prediction (the last component's, its final logits; an earlier one's, the one head it
  /// added), and `x` with only the others' rows.
  mutating func step(after k: Int, last: Bool, _ x: inout PartialPrediction, method: String) throws {
    guard let produced = last ? x.final : x.heads.last, last || x.heads.count == 1 else {
      throw AdaptiveError(
        "adaptive inference needs a prediction per component; \(method) makes none for component \(k + 1): train SCPL with --predictors, or Early Exit or AL"
      )
    }
    let c = produced.shape[1]
    let flat = try produced.to(.cpu).to(.float32).toArray(Float.self)
    let table = stride(from: 0, to: flat.count, by: c).map { Array(flat[$0..<($0 + c)]) }
    var leaving = last ? Array(repeating: true, count: going.count) : policy.rule.exits(table, &state)
    if policy.perBatch { leaving = Array(repeating: leaving.allSatisfy { $0 }, count: leaving.count) }
    var kept: [Int] = []
    for (r, leaves) in leaving.enumerated() {
      guard leaves else { kept.append(r); continue }
      logits[going[r]] = table[r]
      exits[going[r]] = k + 1
    }
    x.heads = []
    guard kept.count < going.count else { return }
    going = kept.map { going[$0] }
    state.keep(kept)
    if !kept.isEmpty { x.activation = try x.activation.rows(kept) }
  }

  /// The samples' logits as one rows × classes tensor on the CPU, in the batch's order.
  func finalLogits() throws -> Tensor {
    guard finished, let c = logits.first?.count else {
      throw AdaptiveError("an adaptive prediction ended with \(going.count) sample(s) still going")
    }
    return try Tensor(logits.flatMap { $0 }, shape: [logits.count, c])
  }
}

extension Activation {
  /// The rows (samples) at `indices`, in that order: the tensor, the mask, the label path and the
  /// extras along axis 0, the LSTM state (2×B×H) along axis 1.
  public func rows(_ indices: [Int]) throws -> Activation {
    let index = try Tensor(indices.map(Int64.init)).to(tensor.device)
    func pick(_ t: Tensor, axis: Int = 0) throws -> Tensor { try t.indexSelect(axis: axis, index) }
    return Activation(
      try pick(tensor), mask: try mask.map { try pick($0) },
      state: try state.map { (try pick($0.h, axis: 1), try pick($0.c, axis: 1)) },
      labelPath: try labelPath.map { try pick($0) }, extras: try extras.mapValues { try pick($0) })
  }
}

extension TrainingMethod {
  /// Component k's share of the prediction, then, for an adaptive prediction (`x.progress`), the
  /// exits after it; once every sample of the batch has left, the later shares do nothing. What
  /// every loop over the components calls: one device's, or a pipeline's workers'.
  public func predictAndExit(component k: Int, _ x: PartialPrediction, via handOff: ComponentHandOff) throws
    -> PartialPrediction
  {
    guard var progress = x.progress else { return try predict(component: k, x, via: handOff) }
    guard !progress.finished else { return x }
    var y = try predict(component: k, x, via: handOff)
    try progress.step(after: k, last: k == model.components.count - 1, &y, method: kind.rawValue)
    y.progress = progress
    return y
  }

  /// The prediction of a batch on one device (`predict(inputs:)`), each sample leaving where
  /// `policy` says: `Prediction.final` holds each sample's logits from the component it left at,
  /// `Prediction.exits` that component. Call in eval mode under `withNoGrad`.
  public func predict(inputs: Tensor, exiting policy: ExitPolicy) throws -> Prediction {
    var x = PartialPrediction(try model.firstActivation(inputs))
    x.progress = ExitProgress(policy, rows: x.activation.batchSize)
    for k in model.components.indices { x = try predictAndExit(component: k, x, via: .sameDevice) }
    return try x.finished()
  }
}
