import NN

/// The learning rate of every batch of one epoch, handed to `trainEpoch`: the executor applies
/// batch t's rate to each optimizer on the worker that runs that optimizer's update, just before
/// the update. No other thread writes an optimizer's rate, so a per-step schedule (`cosine-step`)
/// runs under every pipeline and gives the sequential loop's weights.
public struct EpochLearningRates: Sendable {
  /// The rate of batch t (0-based within the epoch); batches past the end take the last one.
  public let perBatch: [Double]

  /// Takes the rates as given; throws if there are none or one is negative or not finite.
  public init(perBatch: [Double]) throws {
    guard !perBatch.isEmpty else { throw PipelineError("an epoch's learning rates need at least one batch's rate") }
    if let bad = perBatch.firstIndex(where: { !($0 >= 0 && $0.isFinite) }) {
      throw PipelineError("the learning rate of batch \(bad) is \(perBatch[bad]); rates must be finite numbers ≥ 0")
    }
    self.perBatch = perBatch
  }

  /// Batch t's rate for every one of `batches` steps of an epoch, from a schedule: batch t is
  /// global step `firstStep + t`.
  public init(_ schedule: some LearningRateSchedule, epoch: Int, firstStep: Int, batches: Int) throws {
    try self.init(
      perBatch: try (0..<Swift.max(batches, 1)).map { try schedule.learningRate(epoch: epoch, step: firstStep + $0) })
  }

  /// The rate of batch t, clamped to the list (batches past the end take the last rate).
  public func rate(batch t: Int) -> Double { perBatch[Swift.min(Swift.max(t, 0), perBatch.count - 1)] }

  /// Sets batch t's rate on `optimizers`. Call on the worker about to run their update.
  func apply(batch t: Int, to optimizers: [any Optimizer]) {
    for o in optimizers { o.learningRate = rate(batch: t) }
  }
}
