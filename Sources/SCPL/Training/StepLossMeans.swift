import Foundation

/// A leader's exchange of each step's losses with the other replicas' leaders, on a thread of its
/// own, in batch order.
///
/// Why a thread: the leader's feeding thread also votes before each batch (another collective),
/// and when it hears of a finished step depends on timing. Were it to average a step's losses
/// itself, one leader could wait in the average of step t while another waits in the vote on
/// batch t + 2, each for the other. Here the feeding thread only posts a step's losses and picks
/// up the means that are ready, never waiting for one until the segment has drained; each
/// exchange thread depends only on its own leader's posts, which every leader makes for every
/// batch it fed, and the votes make that the same batches on every leader.
final class StepLossMeans: @unchecked Sendable {
  private let posted = BlockingQueue<StepResult>(capacity: Int.max)
  private let condition = NSCondition()
  private var means: [StepResult] = []
  private var failure: Error?
  private var running = true

  /// Starts the exchange thread over `replicas`' leaders.
  init(_ replicas: DistributedReplicas) {
    let thread = Thread { [posted, self] in
      while let step = posted.take() {
        do {
          let losses = try replicas.meanLosses(step.losses)
          let mean = StepResult(
            batch: step.batch, losses: losses, start: step.start, end: step.end, interval: step.interval)
          condition.lock()
          means.append(mean)
          condition.broadcast()
          condition.unlock()
        } catch {
          condition.lock()
          failure = error
          condition.unlock()
          break
        }
      }
      condition.lock()
      running = false
      condition.broadcast()
      condition.unlock()
    }
    thread.name = "scpl-loss-means"
    thread.start()
  }

  /// Hands a step's own losses to the exchange.
  func post(_ step: StepResult) { try? posted.put(step) }

  /// The steps whose means have come, in batch order, without waiting.
  func ready() -> [StepResult] {
    condition.lock()
    defer { condition.unlock() }
    let out = means
    means = []
    return out
  }

  /// Takes no more posts (after a failed segment): the thread ends once it has exchanged what it
  /// holds, or its exchange fails.
  func abandon() { posted.close() }

  /// Waits until every posted step's mean has come (or the exchange failed) and returns those
  /// not yet taken; throws the exchange's failure.
  func finish() throws -> [StepResult] {
    posted.close()
    condition.lock()
    while running { condition.wait() }
    let out = means
    means = []
    let failure = self.failure
    condition.unlock()
    if let failure { throw failure }
    return out
  }
}
