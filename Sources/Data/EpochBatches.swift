import Foundation
import Torch

/// One epoch of a `DataLoader`: hands out batches in order, made on the caller's thread or by
/// the loader's worker threads.
///
/// - An error while making batch t is rethrown by the `next()` call that would have returned
///   batch t (earlier batches are delivered first); the epoch then stops its workers and later
///   calls return nil.
/// - Leaving early is safe: `cancel()` — called by deinit when the iterator goes out of scope,
///   e.g. after `break` — wakes every worker, lets each finish the batch it is making, and waits
///   for them to exit, so no thread outlives the iterator.
public final class EpochBatches {
  /// The epoch's index.
  public let epoch: Int
  /// Batches in the epoch, including any skipped at a resumed start.
  public let count: Int
  private let loader: DataLoader
  private let order: [Int]
  private let state: PrefetchState
  private var delivered = 0
  private var finished = false

  /// `first`: the epoch starts at batch `first` (a run resumed in the middle of an epoch); each
  /// batch is the same whatever the start, as every batch is made from (seed, epoch, index).
  init(loader: DataLoader, epoch: Int, first: Int = 0) {
    self.loader = loader
    self.epoch = epoch
    self.count = loader.batchCount
    let order = loader.servedOrder(epoch)
    self.order = order
    delivered = min(max(first, 0), count)
    state = PrefetchState(total: count, window: loader.prefetch, first: delivered)
    guard loader.workerThreads > 0 else { return }
    let state = self.state
    for k in 0..<min(loader.workerThreads, count - delivered) {
      state.workerStarted()
      let thread = Thread {
        // A worker's intra-op count is its own (docs/threads.md): one, so it takes one core.
        try? Threads.setThreadCount(1)
        while let t = state.claim() {
          let result = Result { try loader.makeBatch(order: order, epoch: epoch, index: t) }
          state.store(t, result)
        }
        state.workerExited()
      }
      thread.name = "scpl-loader-\(k)"
      thread.start()
    }
  }

  deinit { cancel() }

  /// The next batch in order, nil after the last one (or after an error or `cancel()`).
  public func next() throws -> (inputs: Tensor, labels: Tensor)? {
    guard !finished, delivered < count else { return nil }
    let t = delivered
    delivered += 1
    let result: Result<(inputs: Tensor, labels: Tensor), Error>
    if loader.workerThreads == 0 {
      result = Result { try loader.makeBatch(order: order, epoch: epoch, index: t) }
    } else {
      result = state.take(t)
    }
    switch result {
    case .success(let batch):
      if delivered == count { cancel() }
      return batch
    case .failure(let error):
      cancel()
      throw error
    }
  }

  /// Stops the workers and waits until they have exited. Idempotent.
  public func cancel() {
    finished = true
    state.cancelAndJoin()
  }
}

/// The state shared by an epoch's consumer and its workers, guarded by one condition variable.
final class PrefetchState: @unchecked Sendable {
  private let condition = NSCondition()
  private let total: Int
  private let window: Int
  private var nextToClaim = 0
  private var nextToTake = 0
  private var ready: [Int: Result<(inputs: Tensor, labels: Tensor), Error>] = [:]
  private var cancelled = false
  private var running = 0

  init(total: Int, window: Int, first: Int = 0) {
    self.total = total
    self.window = window
    nextToClaim = first
    nextToTake = first
  }

  func workerStarted() {
    condition.lock()
    running += 1
    condition.unlock()
    WorkerCensus.shared.add(1)
  }

  func workerExited() {
    // Leave the census before `running` drops, so a joined epoch is never still counted.
    WorkerCensus.shared.add(-1)
    condition.lock()
    running -= 1
    condition.broadcast()
    condition.unlock()
  }

  /// The next batch index for a worker to make, waiting while `window` batches are already ready
  /// or in progress ahead of the consumer; nil when the epoch is done or cancelled.
  func claim() -> Int? {
    condition.lock()
    defer { condition.unlock() }
    while !cancelled && nextToClaim < total && nextToClaim >= nextToTake + window { condition.wait() }
    guard !cancelled, nextToClaim < total else { return nil }
    defer { nextToClaim += 1 }
    return nextToClaim
  }

  func store(_ t: Int, _ result: Result<(inputs: Tensor, labels: Tensor), Error>) {
    condition.lock()
    if !cancelled { ready[t] = result }
    condition.broadcast()
    condition.unlock()
  }

  /// Waits for batch `t` and removes it; this also opens the window for one more claim.
  func take(_ t: Int) -> Result<(inputs: Tensor, labels: Tensor), Error> {
    condition.lock()
    defer { condition.unlock() }
    while ready[t] == nil {
      if cancelled { return .failure(DataError("the epoch's loader was cancelled")) }
      condition.wait()
    }
    nextToTake = t + 1
    condition.broadcast()
    return ready.removeValue(forKey: t)!
  }

  func cancelAndJoin() {
    condition.lock()
    cancelled = true
    ready.removeAll()
    condition.broadcast()
    while running > 0 { condition.wait() }
    condition.unlock()
  }
}

/// Counts live loader threads process-wide, so tests can prove none is leaked.
final class WorkerCensus: @unchecked Sendable {
  static let shared = WorkerCensus()
  private let lock = NSLock()
  private var live = 0
  var count: Int {
    lock.lock()
    defer { lock.unlock() }
    return live
  }
  func add(_ delta: Int) {
    lock.lock()
    live += delta
    lock.unlock()
  }
}
