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
    /// The full network's accuracy, a fraction in [0, 1].
    public var accuracy: Double
    /// Its wall-clock seconds per sample, through the same placement as the adaptive passes.
    public var secondsPerSample: Double
    /// Each component's forward seconds per sample, on the calling thread.
    public var componentSeconds: [Double]
  }

  /// Each sample's class and the component (1-based) it exited at, for one batch of `inputs`
  /// (`TrainingMethod.predict(inputs:exiting:)`). Call in eval mode under `withNoGrad`.
  public static func predict(_ method: any TrainingMethod, inputs: Tensor, rule: ExitRule, perBatch: Bool = false)
    throws -> (classes: [Int], exits: [Int])
  {
    let p = try method.predict(inputs: inputs, exiting: ExitPolicy(rule, perBatch: perBatch))
    return (try p.final.argmax(axis: 1).toArray(Int64.self).map(Int.init), p.exits ?? [])
  }

  /// The full network on every batch of `source`: accuracy and seconds per sample (through
  /// `executor`'s placement when given, else on the calling thread), and each component's
  /// forward seconds per sample, timed component by component on the calling thread.
  public static func full(
    _ method: any TrainingMethod, executor: (any PipelineExecutor)? = nil, on source: any BatchSource,
    batchSize: Int
  ) throws -> Full {
    var componentSeconds = Array(repeating: 0.0, count: method.model.components.count)
    var seen = 0
    try evaluating(method, source, batchSize) { inputs, _ in
      var x = PartialPrediction(try method.model.firstActivation(inputs))
      for k in method.model.components.indices {
        let t = Stopwatch.now()
        x = try method.predict(component: k, x, via: .sameDevice)
        componentSeconds[k] += Stopwatch.now() - t
      }
      seen += inputs.shape[0]
    }
    let (tally, seconds) = try predictions(method, executor, source, batchSize, exiting: nil)
    let n = Double(Swift.max(tally.seen, 1))
    return Full(
      accuracy: Double(tally.right) / n, secondsPerSample: seconds / n,
      componentSeconds: componentSeconds.map { $0 / Double(Swift.max(seen, 1)) })
  }

  /// `rule` on every batch of `source`, timed, through `executor`'s placement when given (a
  /// pipelined model stops each sample on the device of the component it leaves at), else on
  /// the calling thread; `full` weighs the components for `computeFraction`. `perBatch`: decided
  /// per batch (`ExitPolicy`).
  public static func run(
    _ method: any TrainingMethod, executor: (any PipelineExecutor)? = nil, on source: any BatchSource,
    batchSize: Int, rule: ExitRule, full: Full, perBatch: Bool = false
  ) throws -> Result {
    let (tally, seconds) = try predictions(
      method, executor, source, batchSize, exiting: ExitPolicy(rule, perBatch: perBatch))
    let n = Double(Swift.max(tally.seen, 1))
    // A sample that exits at component k ran components 1…k.
    let total = full.componentSeconds.reduce(0, +)
    let prefix = full.componentSeconds.indices.map { full.componentSeconds[0...$0].reduce(0, +) }
    let used = tally.exits.enumerated().map { Double($1) * prefix[$0] }.reduce(0, +)
    return Result(
      rule: rule, perBatch: perBatch, accuracy: Double(tally.right) / n,
      meanComponents: Double(tally.exits.enumerated().map { ($0 + 1) * $1 }.reduce(0, +)) / n,
      exitsPerComponent: tally.exits, secondsPerSample: seconds / n,
      computeFraction: total > 0 ? used / (n * total) : 1, samples: tally.seen)
  }

  /// Right answers and exits per component so far.
  private struct Tally {
    var right = 0, seen = 0
    var exits: [Int]

    mutating func add(_ p: Prediction, labels: Tensor, components: Int) throws {
      right += try Accuracy.correct(logits: p.final, labels: labels)
      seen += labels.shape[0]
      for e in p.exits ?? Array(repeating: components, count: labels.shape[0]) { exits[e - 1] += 1 }
    }
  }

  /// Every batch of `source` predicted (with `exiting`'s exits), tallied, and the seconds the
  /// predictions took.
  private static func predictions(
    _ method: any TrainingMethod, _ executor: (any PipelineExecutor)?, _ source: any BatchSource, _ batchSize: Int,
    exiting: ExitPolicy?
  ) throws -> (Tally, Double) {
    let count = method.model.components.count
    var tally = Tally(exits: Array(repeating: 0, count: count))
    var seconds = 0.0
    if let executor {
      let epoch = try loader(source, batchSize)
      var inputs: [Tensor] = [], labels: [Tensor] = []
      while let batch = try epoch.next() {
        inputs.append(batch.inputs)
        labels.append(batch.labels)
      }
      let start = Stopwatch.now()
      try executor.predict(inputs, exiting: exiting) { t, p in try tally.add(p, labels: labels[t], components: count) }
      seconds = Stopwatch.now() - start
      return (tally, seconds)
    }
    try evaluating(method, source, batchSize) { inputs, labels in
      let start = Stopwatch.now()
      let p =
        try exiting.map { try method.predict(inputs: inputs, exiting: $0) } ?? method.predict(inputs: inputs)
      seconds += Stopwatch.now() - start
      try tally.add(p, labels: labels, components: count)
    }
    return (tally, seconds)
  }

  private static func loader(_ source: any BatchSource, _ batchSize: Int) throws -> EpochBatches {
    try DataLoader(source, batchSize: batchSize, seed: 0, shuffle: false, workerThreads: 0).epoch(1)
  }

  /// Runs `body` on every batch of `source` in order, in eval mode without gradients.
  private static func evaluating(
    _ method: any TrainingMethod, _ source: any BatchSource, _ batchSize: Int,
    _ body: (_ inputs: Tensor, _ labels: Tensor) throws -> Void
  ) throws {
    let batches = try loader(source, batchSize)
    try method.inMode(training: false) {
      try withNoGrad {
        while let batch = try batches.next() { try body(batch.inputs, batch.labels) }
      }
    }
  }
}
