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
  private let local: any LocalMethod
  let group: DeviceGroup
  var method: any TrainingMethod { local }

  init(_ local: any LocalMethod, _ group: DeviceGroup) throws {
    self.local = local
    self.group = group
    try group.place(local.stages)
  }

  /// A batch between two devices: the activation for the next device's first component, the
  /// labels (on that device) and the losses of the components it has passed.
  private struct Message: DeviceMovable {
    let batch: Int
    let activation: Activation
    let labels: Tensor
    let losses: [Double]
    let start: Double

    func moved(to device: Device) throws -> Message {
      Message(batch: batch, activation: try activation.to(device), labels: try labels.to(device), losses: losses, start: start)
    }

    func copied() throws -> Message {
      Message(batch: batch, activation: try activation.copied(), labels: try labels.clone(), losses: losses, start: start)
    }
  }

  /// What leaves the pipeline for each batch fed: exactly one outcome, so the epoch can wait for
  /// all of them whatever fails.
  private enum Outcome {
    case done(batch: Int, losses: [Double], start: Double, end: Double)
    case dropped(batch: Int)

    var batch: Int {
      switch self {
      case .done(let b, _, _, _), .dropped(let b): return b
      }
    }
  }

  /// Shared by the workers during one epoch.
  private final class Epoch: @unchecked Sendable {
    let rates: EpochLearningRates?
    let outcomes = BlockingQueue<Outcome>(capacity: Int.max)
    private let lock = NSLock()
    private var error: Error?

    init(rates: EpochLearningRates?) { self.rates = rates }

    /// The first failure; once set, workers drop the batches that reach them.
    var failure: Error? {
      lock.lock(); defer { lock.unlock() }
      return error
    }

    /// Records the first failure and drops the batch it hit.
    func fail(_ e: Error, batch: Int) {
      lock.lock()
      if error == nil { error = e }
      lock.unlock()
      drop(batch)
    }

    func drop(_ batch: Int) { try? outcomes.put(.dropped(batch: batch)) }
  }

  func trainEpoch<S: Sequence>(_ batches: S, rates: EpochLearningRates?, onStep: (StepResult) throws -> Void) throws -> EpochSummary
  where S.Element == (inputs: Tensor, labels: Tensor) {
    group.beginEpoch(training: local)
    defer { group.timeline.finish() }
    let epoch = Epoch(rates: rates)
    var fed = 0, delivered = 0
    var early: [Int: Outcome] = [:]  // outcomes that overtook an earlier batch (only dropped ones can)
    var previousEnd = group.timeline.window.start
    var stop: Error?  // from onStep: feed no more, finish what is in flight

    func receive(_ outcome: Outcome) {
      early[outcome.batch] = outcome
      while let next = early.removeValue(forKey: delivered) {
        delivered += 1
        guard case .done(let t, let losses, let start, let end) = next, stop == nil, epoch.failure == nil else { continue }
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
          enter(t, batch.inputs, batch.labels, epoch)
        }
      } catch {
        epoch.fail(error, batch: t)
      }
      fed += 1
      while let outcome = epoch.outcomes.tryTake() { receive(outcome) }
    }
    // Drain: every batch fed comes out, done or dropped.
    while delivered < fed, let outcome = epoch.outcomes.take() { receive(outcome) }
    if let error = epoch.failure { throw error }
    if let stop { throw stop }
    return EpochSummary(steps: fed, seconds: Stopwatch.now() - group.timeline.window.start)
  }

  /// Device 0's job for a fed batch: build the first activation, then process it.
  private func enter(_ t: Int, _ inputs: Tensor, _ labels: Tensor, _ epoch: Epoch) {
    guard epoch.failure == nil else { return epoch.drop(t) }
    do {
      let message = try group.preparing(t) { here in
        let labels = try labels.to(here)
        return Message(batch: t, activation: try local.firstActivation(inputs: inputs.to(here), labels: labels),
                       labels: labels, losses: [], start: Stopwatch.now())
      }
      process(message, onDevice: 0, epoch)
    } catch {
      epoch.fail(error, batch: t)
    }
  }

  /// Device d's job for one batch: its components (forward, learn, detach), then the hand-off.
  private func process(_ message: Message, onDevice d: Int, _ epoch: Epoch) {
    let t = message.batch
    // After a failure, later batches are dropped where they are: no device waits for a batch
    // that will never come, and no component learns from one its predecessors did not.
    guard epoch.failure == nil else { return epoch.drop(t) }
    let (share, stages) = (group.share(d, batch: t), local.stages)
    do {
      var losses = message.losses
      let output = try share.throughComponents(message.activation) { k, input in
        let y = try share.forward(component: k) { try stages[k].forward(input) }
        losses.append(try share.learn(component: k) {
          epoch.rates?.apply(batch: t, to: [stages[k].optimizer])
          return try stages[k].learn(input: input, output: y, labels: message.labels)
        })
        return try y.detached()
      }
      guard !share.isLast else {
        try? epoch.outcomes.put(.done(batch: t, losses: losses, start: message.start, end: Stopwatch.now()))
        return
      }
      let handoff = try share.handOff(Message(batch: t, activation: output, labels: message.labels, losses: losses, start: message.start))
      let before = Stopwatch.now()
      try group.workers[d + 1].submit(onCancel: { epoch.fail($0, batch: t) }) { [self] in
        process(handoff, onDevice: d + 1, epoch)
      }
      let waited = Stopwatch.now() - before
      if waited > 50e-6 {  // blocked on a full inbox downstream: the next device is the bottleneck
        group.timeline.record(Span(device: d, kind: .wait, batch: t, component: nil, start: before, end: before + waited))
      }
    } catch {
      epoch.fail(error, batch: t)
    }
  }
}
