import Data
import NN
import Torch

/// Adaptive inference, per sample: each sample stops at the first component whose predictor
/// satisfies an `ExitRule`, and only the samples still going run the next component, as a
/// smaller batch. What it saves is measured, not assumed: components used per sample, and the
/// wall time per sample against the full network on the same batches.
///
/// It needs a prediction per component: SCPL trained with `--predictors`, Early Exit (its heads)
/// or AL. The network runs component by component through the method's own prediction shares
/// (`TrainingMethod.predict(component:_:via:)`), so what a component predicts is what
/// evaluation reports as its head's accuracy.
public enum AdaptiveInference {
  /// One evaluation under one rule.
  public struct Result: Sendable {
    /// The rule evaluated.
    public var rule: ExitRule
    /// Whether the rule was decided per batch (DecoupleFlow's way) instead of per sample.
    public var perBatch: Bool
    /// The fraction of samples whose exit's class is their label.
    public var accuracy: Double
    /// Components run per sample, on average (1 … the component count).
    public var meanComponents: Double
    /// How many samples exited at each component (index 0: the first).
    public var exitsPerComponent: [Int]
    /// Wall-clock seconds per sample of the adaptive pass.
    public var secondsPerSample: Double
    /// The fraction of the full network's compute the samples used, weighing each component by
    /// its measured forward time on a full batch (`componentSeconds`).
    public var computeFraction: Double
    /// The samples evaluated.
    public var samples: Int
  }

  /// The full network on the same batches: its accuracy, its time and each component's forward
  /// time per sample (what `computeFraction` weighs components by).
  public struct Full: Sendable {
    public var accuracy: Double
    public var secondsPerSample: Double
    public var componentSeconds: [Double]
  }

  /// Each sample's class and the component (1-based) it exited at, for one batch of `inputs`.
  /// `perBatch`: the batch goes on as a whole until every sample in it may exit (DecoupleFlow's
  /// batch-level exit), for comparison. Call in eval mode under `withNoGrad`.
  public static func predict(_ method: any TrainingMethod, inputs: Tensor, rule: ExitRule, perBatch: Bool = false)
    throws -> (
      classes: [Int], exits: [Int]
    )
  {
    let count = method.model.components.count
    var x = PartialPrediction(try method.model.firstActivation(inputs))
    let rows = x.activation.batchSize
    var going = Array(0..<rows)  // the original rows of the samples still going
    var classes = Array(repeating: -1, count: rows), exits = Array(repeating: 0, count: rows)
    var state = ExitRule.State(rows: rows)
    for k in 0..<count where !going.isEmpty {
      x.heads = []
      x = try method.predict(component: k, x, via: .sameDevice)
      let last = k == count - 1
      guard let logits = last ? x.final : x.heads.last, last || x.heads.count == 1 else {
        throw ConfigError(
          "adaptive inference needs a prediction per component; \(method.kind.rawValue) makes none for component \(k + 1): train SCPL with --predictors, or Early Exit or AL"
        )
      }
      let table = try Self.rows(logits)
      var leaving = last ? Array(repeating: true, count: going.count) : rule.exits(table, &state)
      if perBatch { leaving = Array(repeating: leaving.allSatisfy { $0 }, count: leaving.count) }
      var kept: [Int] = []
      for (r, leaves) in leaving.enumerated() {
        guard leaves else { kept.append(r); continue }
        let row = table[r]
        classes[going[r]] = row.indices.max { row[$0] < row[$1] } ?? 0
        exits[going[r]] = k + 1
      }
      guard !kept.isEmpty, kept.count < going.count else { going = kept.map { going[$0] }; continue }
      x.activation = try x.activation.rows(kept)
      state.keep(kept)
      going = kept.map { going[$0] }
    }
    return (classes, exits)
  }

  /// A B×C logits tensor as B rows of floats, on the CPU.
  static func rows(_ logits: Tensor) throws -> [[Float]] {
    let c = logits.shape[1]
    let flat = try logits.to(.cpu).to(.float32).toArray(Float.self)
    return stride(from: 0, to: flat.count, by: c).map { Array(flat[$0..<($0 + c)]) }
  }

  /// The full network on every batch of `source`: accuracy, seconds per sample, and each
  /// component's forward seconds per sample (timed component by component).
  public static func full(_ method: any TrainingMethod, on source: any BatchSource, batchSize: Int) throws -> Full {
    var right = 0, seen = 0
    var seconds = 0.0
    var componentSeconds = Array(repeating: 0.0, count: method.model.components.count)
    try evaluating(method, source, batchSize) { inputs, labels in
      let start = Stopwatch.now()
      var x = PartialPrediction(try method.model.firstActivation(inputs))
      for k in method.model.components.indices {
        let t = Stopwatch.now()
        x = try method.predict(component: k, x, via: .sameDevice)
        componentSeconds[k] += Stopwatch.now() - t
      }
      let logits = try x.finished().final
      seconds += Stopwatch.now() - start
      right += try Accuracy.correct(logits: logits, labels: labels)
      seen += labels.shape[0]
    }
    let n = Double(Swift.max(seen, 1))
    return Full(
      accuracy: Double(right) / n, secondsPerSample: seconds / n, componentSeconds: componentSeconds.map { $0 / n })
  }

  /// `rule` on every batch of `source`, timed; `full` weighs the components for `computeFraction`.
  /// `perBatch`: decided per batch (see `predict`).
  public static func run(
    _ method: any TrainingMethod, on source: any BatchSource, batchSize: Int, rule: ExitRule, full: Full,
    perBatch: Bool = false
  ) throws -> Result {
    let count = method.model.components.count
    var right = 0, seen = 0, seconds = 0.0
    var exitsPerComponent = Array(repeating: 0, count: count)
    try evaluating(method, source, batchSize) { inputs, labels in
      let start = Stopwatch.now()
      let (classes, exits) = try predict(method, inputs: inputs, rule: rule, perBatch: perBatch)
      seconds += Stopwatch.now() - start
      let truth = try labels.to(.cpu).to(.int64).toArray(Int64.self)
      right += zip(classes, truth).filter { Int64($0) == $1 }.count
      for e in exits { exitsPerComponent[e - 1] += 1 }
      seen += truth.count
    }
    let n = Double(Swift.max(seen, 1))
    // A sample that exits at component k ran components 1…k.
    let total = full.componentSeconds.reduce(0, +)
    let prefix = full.componentSeconds.indices.map { full.componentSeconds[0...$0].reduce(0, +) }
    let used = exitsPerComponent.enumerated().map { Double($1) * prefix[$0] }.reduce(0, +)
    return Result(
      rule: rule, perBatch: perBatch, accuracy: Double(right) / n,
      meanComponents: Double(exitsPerComponent.enumerated().map { ($0 + 1) * $1 }.reduce(0, +)) / n,
      exitsPerComponent: exitsPerComponent, secondsPerSample: seconds / n,
      computeFraction: total > 0 ? used / (n * total) : 1, samples: seen)
  }

  /// Runs `body` on every batch of `source` in order, in eval mode without gradients.
  private static func evaluating(
    _ method: any TrainingMethod, _ source: any BatchSource, _ batchSize: Int,
    _ body: (_ inputs: Tensor, _ labels: Tensor) throws -> Void
  ) throws {
    let batches = try DataLoader(source, batchSize: batchSize, seed: 0, shuffle: false, workerThreads: 0).epoch(1)
    try method.inMode(training: false) {
      try withNoGrad {
        while let batch = try batches.next() { try body(batch.inputs, batch.labels) }
      }
    }
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
