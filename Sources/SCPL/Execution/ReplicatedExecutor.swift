import Data
import Foundation
import NN
import Torch

/// `--replicas R` in one process: R copies of a pipeline (data parallelism over pipelines), each
/// on its own devices and workers, each training on its own share of every global batch.
///
/// Every replica's method was built from the same seed, so the replicas start equal; each
/// optimizer averages its gradients with its replicas' before its update (`ThreadReplicas`, a
/// local method's per component, as soon as that component's backward ends), so they stay
/// equal, bit for bit. Each replica's epoch runs on a thread of its own; the caller's thread
/// splits each global batch (`ReplicaBatches.split`), feeds every replica the same number of
/// batches, and reports each step once every replica has finished it: the losses are the
/// replicas' mean, the span from the first start to the last end.
///
/// Replica 0 is the run's: its method, timeline, generators and predictions are the
/// executor's, its state is what checkpoints keep, and `scatterState` copies it to the others.
/// BatchNorm's running statistics are each replica's own, as under DDP; replica 0's are kept.
/// Dropout draws the same stream on every replica (the same seed), as every rank of a DDP job
/// seeded alike does.
final class ReplicatedExecutor: PipelineExecutor {
  /// The replicas' executors, replica 0 first.
  let replicas: [any PipelineExecutor]
  /// Where their gradients meet.
  let meeting: ThreadReplicas

  init(_ replicas: [any PipelineExecutor], meeting: ThreadReplicas) throws {
    guard replicas.count == meeting.count, replicas.count >= 1 else {
      throw PipelineError("\(replicas.count) replica executor(s) for a meeting of \(meeting.count)")
    }
    self.replicas = replicas
    self.meeting = meeting
  }

  var kind: PipelineKind { replicas[0].kind }
  var method: any TrainingMethod { replicas[0].method }
  /// Every replica's method, replica 0's first.
  var methods: [any TrainingMethod] { replicas.map(\.method) }
  var devices: DeviceSpec { replicas[0].devices }
  var placement: Placement { replicas[0].placement }
  var timeline: Timeline { replicas[0].timeline }
  var generators: [Generator] { replicas[0].generators }

  /// What a replica's thread reports to the caller's.
  private enum Report {
    case step(replica: Int, StepResult)
    case ended(replica: Int, Result<EpochSummary, Error>)
  }

  func trainEpoch<S: Sequence>(_ batches: S, rates: EpochLearningRates?, onStep: (StepResult) throws -> Void) throws
    -> EpochSummary
  where S.Element == (inputs: Tensor, labels: Tensor) {
    let count = replicas.count
    let started = Stopwatch.now()
    // Two batches ahead of each replica: the pipelines set the pace, not the feeding.
    let feeds = (0..<count).map { _ in BlockingQueue<(inputs: Tensor, labels: Tensor)>(capacity: 2) }
    let reports = BlockingQueue<Report>(capacity: Int.max)
    for r in 0..<count {
      let (replica, feed, meeting) = (replicas[r], feeds[r], meeting)
      Thread {
        let result = Result {
          try replica.trainEpoch(QueueBatches(queue: feed), rates: rates) { try reports.put(.step(replica: r, $0)) }
        }
        if case .failure(let error) = result {
          meeting.fail(error)  // the other replicas must not wait for this one's gradients
          for f in feeds { f.close() }  // and nothing more is fed
        }
        try? reports.put(.ended(replica: r, result))
      }.start()
    }

    var steps: [Int: [StepResult?]] = [:]  // batch → each replica's result, once it has come
    var delivered = 0
    var previousEnd = started
    var stop: Error?  // from onStep: feed no more, let every replica finish what it has
    var ended: [Result<EpochSummary, Error>?] = Array(repeating: nil, count: count)
    func take(_ report: Report) {
      switch report {
      case .step(let r, let result):
        steps[result.batch, default: Array(repeating: nil, count: count)][r] = result
        while stop == nil, let all = steps[delivered], case let done = all.compactMap({ $0 }), done.count == count {
          steps[delivered] = nil
          let (start, end) = (done.map(\.start).min()!, done.map(\.end).max()!)
          // Summed in replica order, times 1/R: the mean `ProcessReplicas` computes across processes.
          let losses = (0..<done[0].losses.count).map { i in
            done.map { $0.losses[i] }.reduce(0, +) * (1 / Double(count))
          }
          do {
            try onStep(
              StepResult(batch: delivered, losses: losses, start: start, end: end, interval: end - previousEnd))
          } catch {
            stop = error
          }
          previousEnd = end
          delivered += 1
        }
      case .ended(let r, let result):
        ended[r] = result
      }
    }

    var iterator = batches.makeIterator()
    feeding: while stop == nil, let batch = iterator.next() {
      do {
        for (feed, part) in zip(feeds, try ReplicaBatches.split(batch, replicas: count)) { try feed.put(part) }
      } catch is BlockingQueue<(inputs: Tensor, labels: Tensor)>.Closed {
        break feeding  // a replica failed; its error is reported below
      } catch {
        stop = error
        meeting.fail(error)
      }
      while let report = reports.tryTake() { take(report) }
    }
    for f in feeds { f.close() }
    while ended.contains(where: { $0 == nil }), let report = reports.take() { take(report) }
    for case .failure(let error) in ended.compactMap({ $0 }) { throw error }
    if let stop { throw stop }
    return EpochSummary(steps: delivered, seconds: Stopwatch.now() - started)
  }

  /// Replica 0's prediction (every replica holds the same weights).
  func predict<S: Sequence>(
    _ inputs: S, exiting: ExitPolicy?, onBatch: (_ batch: Int, _ prediction: Prediction) throws -> Void
  ) throws
  where S.Element == Tensor {
    try replicas[0].predict(inputs, exiting: exiting, onBatch: onBatch)
  }

  func shutdown() {
    meeting.fail(PipelineError("the replicas were shut down"))
    for r in replicas { r.shutdown() }
  }

  /// Replica 0's state, across its ranks.
  func gatherState() throws { try replicas[0].gatherState() }

  /// Copies replica 0's parameters, buffers, optimizer state and random state (as a checkpoint
  /// loaded into it left them) into every other replica.
  func scatterState() throws {
    try replicas[0].scatterState()
    let (first, generators) = (replicas[0].method, replicas[0].generators)
    let state = Dictionary(first.stateDict(), uniquingKeysWith: { a, _ in a })
    let optimizerStates = try first.optimizers.map { Dictionary(try $0.stateDict(), uniquingKeysWith: { a, _ in a }) }
    let randomStates = try generators.map { try $0.state() }
    for replica in replicas.dropFirst() {
      try replica.method.loadStateDict(state)
      for (o, s) in zip(replica.method.optimizers, optimizerStates) { try o.loadStateDict(s) }
      for (g, s) in zip(replica.generators, randomStates) { try g.setState(s) }
      try replica.scatterState()
    }
  }

  func gatherTimeline() throws { try replicas[0].gatherTimeline() }
}

/// A replica's batches: what the feeding thread puts in its queue, until the queue is closed.
private struct QueueBatches: Sequence, IteratorProtocol {
  let queue: BlockingQueue<(inputs: Tensor, labels: Tensor)>
  mutating func next() -> (inputs: Tensor, labels: Tensor)? { queue.take() }
}
