import Foundation
import Torch

/// `--pipeline async`: a pipeline across batches for local methods (SCPL, Early Exit, AL).
///
/// Each device's worker loops over its bounded inbox. For a batch it runs its components in
/// order — forward, then `learn` (local loss, backward, update) — and hands the detached output,
/// moved to the next device, to the next worker's inbox. So device d works on batch t while
/// device d+1 works on batch t−1. The caller's thread only feeds batches and reports results.
///
/// Why the weights equal the sequential loop's without any weight stashing: component k sees
/// batches in order, and its forward for batch t runs after its own update for batch t−1 and
/// before its update for batch t — exactly as in the sequential loop. Its input is the detached
/// output of component k−1 for batch t, computed with the same weights in both schedules.
/// Nothing else is shared between components.
final class AsyncPipelineExecutor: DeviceGroupExecutor {
  let kind = PipelineKind.async
  let local: any LocalMethod
  let group: DeviceGroup
  var method: any TrainingMethod { local }
  /// Set when the pipeline's devices span the processes of a job: this process runs only its
  /// own devices' work, a batch for a device beyond it crosses the boundary, and the outcomes of
  /// the batches it handed on come back through it (`ProcessBoundary`, in
  /// `AsyncPipelineExecutor+Ranks.swift`). The schedule below is the same either way.
  let boundary: ProcessBoundary?
  var shutDown = false
  /// On a rank other than 0: the epoch being served (`serveTraining`).
  var servedEpoch: Epoch?

  init(_ local: any LocalMethod, _ group: DeviceGroup, boundary: ProcessBoundary? = nil, seed: UInt64 = 0) throws {
    self.local = local
    self.group = group
    self.boundary = boundary
    try group.place(local.stages)
    try boundary?.begin(group, seed: seed)
  }

  /// A batch between two devices: the activation for the next device's first component, the
  /// labels (on that device), the losses of the components it has passed, and its learning rate.
  struct Message: DeviceMovable {
    let batch: Int
    let activation: Activation
    let labels: Tensor
    let losses: [Double]
    let start: Double
    /// Applied to each optimizer just before its update (nil: the optimizers keep their rates).
    let rate: Double?

    func moved(to device: Device) throws -> Message {
      Message(
        batch: batch, activation: try activation.to(device), labels: try labels.to(device), losses: losses,
        start: start, rate: rate)
    }

    func copied() throws -> Message {
      Message(
        batch: batch, activation: try activation.copied(), labels: try labels.clone(), losses: losses, start: start,
        rate: rate)
    }

    var tensors: [Tensor] { activation.tensors + [labels] }
  }

  /// What leaves the pipeline for each batch fed: exactly one outcome, so the epoch can wait for
  /// all of them whatever fails. `aborted`: the other processes can no longer be heard (the epoch's
  /// failure says why); nothing more will come.
  enum Outcome {
    case done(batch: Int, losses: [Double], start: Double, end: Double)
    case dropped(batch: Int)
    case aborted

    var batch: Int {
      switch self {
      case .done(let b, _, _, _), .dropped(let b): return b
      case .aborted: return -1
      }
    }
  }

  /// Shared by the workers during one epoch.
  final class Epoch: @unchecked Sendable {
    let outcomes = BlockingQueue<Outcome>(capacity: Int.max)
    /// Where this process's outcomes go: nil, into `outcomes` (the process that feeds the
    /// batches); else sent to it (`ProcessBoundary.outcomeSender`), with the failure that
    /// dropped the batch, if it was the first.
    let sendOutcome: ((_ outcome: Outcome, _ failure: Error?) throws -> Void)?
    private let lock = NSLock()
    private var error: Error?
    private var settledCount = 0

    init(sendingOutcomes sendOutcome: ((_ outcome: Outcome, _ failure: Error?) throws -> Void)? = nil) {
      self.sendOutcome = sendOutcome
    }

    /// The first failure; once set, workers drop the batches that reach them.
    var failure: Error? {
      lock.lock(); defer { lock.unlock() }
      return error
    }

    /// Outcomes settled so far (those put in `outcomes`).
    var settled: Int {
      lock.lock(); defer { lock.unlock() }
      return settledCount
    }

    /// Records the first failure and drops the batch it hit.
    func fail(_ e: Error, batch: Int) {
      lock.lock()
      let first = error == nil
      if first { error = e }
      lock.unlock()
      // A send that fails here has no one to tell: the feeding process notices the loss itself.
      guard let sendOutcome else { return settle(.dropped(batch: batch)) }
      try? sendOutcome(.dropped(batch: batch), first ? e : nil)
    }

    func drop(_ batch: Int) {
      guard let sendOutcome else { return settle(.dropped(batch: batch)) }
      try? sendOutcome(.dropped(batch: batch), nil)
    }

    /// A batch through the last device.
    func done(_ batch: Int, losses: [Double], start: Double) {
      let outcome = Outcome.done(batch: batch, losses: losses, start: start, end: Stopwatch.now())
      guard let sendOutcome else { return settle(outcome) }
      do { try sendOutcome(outcome, nil) } catch { fail(error, batch: batch) }
    }

    func settle(_ outcome: Outcome) {
      lock.lock()
      settledCount += 1
      lock.unlock()
      try? outcomes.put(outcome)
    }

    /// Stops the waiting for outcomes: the other processes are lost (`e` says how).
    func abort(_ e: Error) {
      lock.lock()
      if error == nil { error = e }
      lock.unlock()
      try? outcomes.put(.aborted)
    }
  }

  func trainEpoch<S: Sequence>(_ batches: S, rates: EpochLearningRates?, onStep: (StepResult) throws -> Void) throws
    -> EpochSummary
  where S.Element == (inputs: Tensor, labels: Tensor) {
    group.beginEpoch(training: local)
    defer { group.timeline.finish() }
    let epoch = Epoch()
    let remote = try boundary?.outcomesFromBeyond(epoch, of: self)  // of the batches handed across the boundary
    var fed = 0
    var inOrder = InOrder<Outcome>()  // only dropped outcomes can overtake an earlier batch
    var previousEnd = group.timeline.window.start
    var stop: Error?  // from onStep: feed no more, finish what is in flight

    func receive(_ outcome: Outcome) {
      inOrder.add(outcome.batch, outcome) { _, next in
        guard case .done(let t, let losses, let start, let end) = next, stop == nil, epoch.failure == nil else {
          return
        }
        do {
          try onStep(StepResult(batch: t, losses: losses, start: start, end: end, interval: end - previousEnd))
        } catch {
          stop = error
        }
        previousEnd = end
      }
    }

    var iterator = batches.makeIterator()
    while stop == nil, epoch.failure == nil, let batch = iterator.next() {
      let t = fed
      do {
        // Blocks while device 0's inbox is full: the pipeline sets the pace.
        try group.workers[0].submit(onCancel: { epoch.fail($0, batch: t) }) { [self] in
          enter(t, batch.inputs, batch.labels, rate: rates?.rate(batch: t), epoch)
        }
      } catch {
        epoch.fail(error, batch: t)
      }
      fed += 1
      while let outcome = epoch.outcomes.tryTake() { receive(outcome) }
    }
    remote?.finishFeeding(fed)
    // Drain: every batch fed comes out, done or dropped (or the other processes are lost).
    while inOrder.delivered < fed, let outcome = epoch.outcomes.take() {
      if case .aborted = outcome { break }
      receive(outcome)
    }
    remote?.finish()
    if let error = epoch.failure { throw error }
    if let stop { throw stop }
    return EpochSummary(steps: fed, seconds: Stopwatch.now() - group.timeline.window.start)
  }

  /// Device 0's job for a fed batch: build the first activation, then process it.
  private func enter(_ t: Int, _ inputs: Tensor, _ labels: Tensor, rate: Double?, _ epoch: Epoch) {
    guard epoch.failure == nil else { return epoch.drop(t) }
    do {
      let message = try group.preparing(t) { here in
        let labels = try labels.to(here)
        return Message(
          batch: t, activation: try local.firstActivation(inputs: inputs.to(here), labels: labels),
          labels: labels, losses: [], start: Stopwatch.now(), rate: rate)
      }
      process(message, onDevice: 0, epoch)
    } catch {
      epoch.fail(error, batch: t)
    }
  }

  /// Device d's job for one batch: its components (forward, learn, detach), then the hand-off
  /// to the next device: its worker's inbox, or across the boundary to another process.
  func process(_ message: Message, onDevice d: Int, _ epoch: Epoch) {
    let t = message.batch
    // After a failure, later batches are dropped where they are: no device waits for a batch
    // that will never come, and no component learns from one its predecessors did not.
    guard epoch.failure == nil else { return epoch.drop(t) }
    let (share, stages) = (group.share(d, batch: t), local.stages)
    do {
      var losses = message.losses
      let output = try share.throughComponents(message.activation) { k, input in
        let y = try share.forward(component: k) { try stages[k].forward(input) }
        losses.append(
          try share.learn(component: k) {
            if let rate = message.rate { stages[k].optimizer.learningRate = rate }
            return try stages[k].learn(input: input, output: y, labels: message.labels)
          })
        return try y.detached()
      }
      guard !share.isLast else { return epoch.done(t, losses: losses, start: message.start) }
      let next = Message(
        batch: t, activation: output, labels: message.labels, losses: losses, start: message.start, rate: message.rate)
      // The next device is in another process: across the boundary (it blocks until the other
      // side takes the batch, so a full inbox there slows this side as a local one would).
      if let crossing = boundary?.crossing(after: d) { return try crossing(next, share) }
      let before = Stopwatch.now()
      let handoff = try share.handOff(next)
      try group.workers[d + 1].submit(onCancel: { epoch.fail($0, batch: t) }) { [self] in
        process(handoff, onDevice: d + 1, epoch)
      }
      let waited = Stopwatch.now() - before
      if waited > 50e-6 {  // blocked on a full inbox downstream: the next device is the bottleneck
        group.timeline.record(
          Span(device: d, kind: .wait, batch: t, component: nil, start: before, end: before + waited))
      }
    } catch {
      epoch.fail(error, batch: t)
    }
  }
}
