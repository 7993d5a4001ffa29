import Foundation
import Torch

/// A batch-by-batch schedule across the ranks of a c10d job. Before each step rank 0 sends the
/// step (its labels and learning rate) down the chain; each rank passes it on and runs its own
/// stages of it (the schedule's `boundary` carries what crosses between stages), then reports its
/// components' losses up. A step ends on rank 0 when every rank has reported, so steps do not
/// overlap, as in one process. A rank whose step fails reports the failure and leaves; rank 0's
/// waits then end with that failure's sentence.
extension BatchByBatchExecutor: RankedExecutor {
  /// Rank 0's epoch: the step's losses are rank 0's, then each other rank's in rank order (a
  /// rank's components follow the previous rank's).
  func trainEpochAcrossRanks<S: Sequence>(
    _ link: RankLink, _ batches: S, rates: EpochLearningRates?, onStep: (StepResult) throws -> Void
  ) throws -> EpochSummary
  where S.Element == (inputs: Tensor, labels: Tensor) {
    let schedule = self.schedule
    let reports = StepReports(ranks: link.worldSize - 1)
    try link.sendDown(.beginEpoch)
    let listener = ResultListener(link: link, isComplete: { reports.count == $0 }) { up in
      switch up {
      case .stepDone(let r, let t, let losses): reports.add(rank: r, batch: t, losses)
      case .dropped(_, let failure):
        let e = TorchError(failure ?? "a rank could not run its stages of a step")
        reports.fail(e)
        link.group.abandonReceives(because: e)  // rank 0's stages may wait for the failed rank
      case .epochEnded: return true
      default: throw PipelineError("rank 0 received a prediction or state during an epoch")
      }
      return false
    } lost: { e in
      reports.fail(e)
      link.group.abandonReceives(because: e)
    }
    var fed = 0
    var stepFailed = false
    /// Every step fed has been reported: the epoch's end follows them down the chain.
    func finishEpoch() throws {
      listener.expect(fed * (link.worldSize - 1))
      try link.sendDown(.endEpoch)
      listener.join()
      if let failure = reports.failure { throw failure }
    }
    do {
      let summary = try group.trainBatchByBatch(method, batches, onStep: onStep) { t, inputs, labels in
        do {
          try link.sendDown(.step(batch: t, labels: labels, rate: rates?.rate(batch: t)))
          fed += 1
          let own = try schedule.step(t, inputs, labels, rates)
          return own + (try reports.losses(batch: t))
        } catch {
          stepFailed = true
          throw error
        }
      }
      try finishEpoch()
      return summary
    } catch {
      guard stepFailed else {
        // A stop from `onStep`: every rank has finished the steps before it (a checkpoint follows).
        try finishEpoch()
        throw error
      }
      // The job is broken: stop listening, and say what broke it — a rank's own report of its
      // failure (recorded before rank 0's waits were ended with it) says it best.
      link.group.abandonReceives(because: error)
      listener.join()
      throw reports.failure ?? error
    }
  }

  func serveTraining(_ m: RankLink.Down) throws {
    guard let link = boundary?.link else {
      throw PipelineError("serveTraining runs on a rank of a distributed pipeline")
    }
    switch m {
    case .beginEpoch:
      group.beginEpoch(training: method)
      if !link.isLast { try link.sendDown(m) }
    case .step(let t, let labels, let rate):
      if !link.isLast { try link.sendDown(m) }  // the rank below starts its stages of the step now
      do {
        let rates = try rate.map { try EpochLearningRates(perBatch: [$0]) }
        // This rank has no inputs (rank 0's first stage reads them); the labels stand in.
        let losses = try schedule.step(t, labels, labels, rates)
        try link.sendUp(.stepDone(rank: link.rank, batch: t, losses: losses))
      } catch {
        try? link.sendUp(.dropped(batch: t, failure: "rank \(link.rank): \(error)"))
        throw error
      }
    case .endEpoch:
      group.timeline.finish()
      if link.isLast { try link.sendUp(.epochEnded) } else { try link.sendDown(.endEpoch) }
    default:
      throw PipelineError("--pipeline \(kind.rawValue) received a batch of the async pipeline")
    }
  }
}

/// Rank 0's record of the other ranks' reports of each step, filled by the results listener
/// and waited on by the epoch loop.
final class StepReports: @unchecked Sendable {
  private let condition = NSCondition()
  private var byBatch: [Int: [(rank: Int, losses: [Double])]] = [:]
  private var received = 0
  private var firstFailure: Error?
  /// How many ranks report each step.
  let ranks: Int

  init(ranks: Int) { self.ranks = ranks }

  /// Reports received so far.
  var count: Int { locked { received } }
  /// The first failure a rank reported, or the listener's loss of the other ranks.
  var failure: Error? { locked { firstFailure } }

  private func locked<T>(_ body: () throws -> T) rethrows -> T {
    condition.lock()
    defer { condition.unlock() }
    return try body()
  }

  func add(rank: Int, batch t: Int, _ losses: [Double]) {
    locked {
      byBatch[t, default: []].append((rank, losses))
      received += 1
      condition.broadcast()
    }
  }

  func fail(_ e: Error) {
    locked {
      if firstFailure == nil { firstFailure = e }
      condition.broadcast()
    }
  }

  /// Waits until every rank has reported step t; its losses in rank order.
  func losses(batch t: Int) throws -> [Double] {
    try locked {
      while (byBatch[t]?.count ?? 0) < ranks {
        if let firstFailure { throw firstFailure }
        condition.wait()
      }
      defer { byBatch[t] = nil }
      return byBatch[t]!.sorted { $0.rank < $1.rank }.flatMap(\.losses)
    }
  }
}
