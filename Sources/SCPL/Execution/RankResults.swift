import Foundation
import Torch

extension AsyncPipelineExecutor {
  /// Rank 0's side of an epoch's results from the other ranks: tells them the epoch begins,
  /// hears their outcomes on a thread of its own (so a rank sending a result never waits on
  /// rank 0's feeding), and ends the epoch after the last batch.
  final class RemoteResults {
    private let link: RankLink
    private let epoch: Epoch
    private let workers: [DeviceWorker]
    private let listener: ResultListener

    /// `workers`: rank 0's devices', in pipeline order. nil when the job has one rank.
    init?(link: RankLink, epoch: Epoch, workers: [DeviceWorker]) throws {
      guard !link.isLast else { return nil }
      self.link = link
      self.epoch = epoch
      self.workers = workers
      try link.sendDown(.beginEpoch)
      listener = ResultListener(link: link, isComplete: { epoch.settled == $0 }) { up in
        switch up {
        case .done(let t, let losses, let start):
          epoch.settle(.done(batch: t, losses: losses, start: start, end: Stopwatch.now()))
        case .dropped(let t, let failure):
          if let failure { epoch.fail(TorchError(failure), batch: t) } else { epoch.drop(t) }
        case .epochEnded: return true
        default: throw PipelineError("rank 0 received a prediction or state during an epoch")
        }
        return false
      } lost: {
        epoch.abort($0)
      }
    }

    /// Every batch is fed: once rank 0's devices have handed on every batch, the end of the
    /// epoch follows them down the chain.
    func finishFeeding(_ fed: Int) {
      listener.expect(fed)
      do {
        for w in workers { try w.run {} }  // in pipeline order: each is drained after its feeders
        try link.sendDown(.endEpoch)
      } catch {
        epoch.abort(error)
      }
    }

    func finish() { listener.join() }
  }
}

/// Rank 0's listener on the results stream, on a thread of its own: hands each result to
/// `handle` (which returns true for the end marker), and stops once the end marker has come and
/// `isComplete(expected)` holds — results of other ranks can overtake the end marker, which
/// comes from the last rank. A lost rank or a timeout goes to `lost`, and the listener stops.
final class ResultListener: @unchecked Sendable {
  private let done = DispatchSemaphore(value: 0)
  private let lock = NSLock()
  private var expected: Int?

  init(
    link: RankLink, isComplete: @escaping (Int) -> Bool, handle: @escaping (RankLink.Up) throws -> Bool,
    lost: @escaping (Error) -> Void
  ) {
    let thread = Thread { [self] in
      defer { done.signal() }
      var ended = false
      do {
        while true {
          if ended, let n = expectedCount, isComplete(n) { return }
          if try handle(try link.receiveUp()) { ended = true }
        }
      } catch {
        lost(error)
      }
    }
    thread.name = "rank 0 results"
    thread.start()
  }

  private var expectedCount: Int? { lock.lock(); defer { lock.unlock() }; return expected }

  /// How many results complete the stream (known once every batch is fed).
  func expect(_ n: Int) { lock.lock(); expected = n; lock.unlock() }

  func join() { done.wait() }
}
