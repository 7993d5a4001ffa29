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
  /// Set when the devices belong to the ranks of a c10d job: rank r has devices
  /// r·L … r·L + L − 1 (L devices per rank) and only its own work here; a hand-off to another
  /// rank's device is a send over the link, and the other ranks' results come back over it
  /// (`AsyncPipelineExecutor+Ranks.swift`).
  let link: RankLink?
  /// Devices per rank (all of them without a link).
  var devicesPerRank: Int { group.count / (link?.worldSize ?? 1) }
  /// The rank device d belongs to.
  func rank(ofDevice d: Int) -> Int { d / devicesPerRank }
  /// The devices of rank r, in pipeline order.
  func devices(ofRank r: Int) -> Range<Int> { r * devicesPerRank ..< (r + 1) * devicesPerRank }
  /// Whether device d works in this process: every device without a link, this rank's with one.
  func isHere(_ d: Int) -> Bool { link.map { $0.rank == rank(ofDevice: d) } ?? true }
  var shutDown = false

  init(_ local: any LocalMethod, _ group: DeviceGroup, link: RankLink? = nil, seed: UInt64 = 0) throws {
    self.local = local
    self.group = group
    self.link = link
    try group.place(local.stages)
    if let link {
      // Every rank has the same --devices: with GPUs, another rank's device d (a CPU stand-in
      // here) is, there, the GPU this rank has at the same position (DeviceSpec.acrossRanks).
      let l = devicesPerRank, mine = group.devices.devices[devices(ofRank: link.rank)]
      let gpus = mine.contains { $0.gpu != nil }
      group.timeline.assignProcesses(names: (0..<link.worldSize).map { "rank \($0)" }, ofDevice: (0..<group.count).map(rank(ofDevice:)),
                                     deviceNames: gpus ? (0..<group.count).map { "device \($0) (\(mine[mine.startIndex + $0 % l]))" } : nil)
    }
    if let link, link.isFirst, !link.isLast {
      // The other ranks build the same model with this seed and placement, then serve it.
      try link.sendDown(.beginRun(seed: seed, placement: group.placement.deviceOfComponent))
    }
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
      Message(batch: batch, activation: try activation.to(device), labels: try labels.to(device), losses: losses, start: start, rate: rate)
    }

    func copied() throws -> Message {
      Message(batch: batch, activation: try activation.copied(), labels: try labels.clone(), losses: losses, start: start, rate: rate)
    }

    var tensors: [Tensor] { activation.tensors + [labels] }
  }

  /// What leaves the pipeline for each batch fed: exactly one outcome, so the epoch can wait for
  /// all of them whatever fails. `aborted`: the other ranks can no longer be heard (the epoch's
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
    /// On a rank other than 0: outcomes go to rank 0 instead of `outcomes`.
    let link: RankLink?
    private let lock = NSLock()
    private var error: Error?
    private var settledCount = 0

    init(link: RankLink? = nil) { self.link = link.flatMap { $0.isFirst ? nil : $0 } }

    /// The first failure; once set, workers drop the batches that reach them.
    var failure: Error? {
      lock.lock(); defer { lock.unlock() }
      return error
    }

    /// Outcomes settled so far (rank 0: those put in `outcomes`).
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
      if let link {
        try? link.sendUp(.dropped(batch: batch, failure: first ? "rank \(link.rank): \(e)" : nil))
      } else {
        settle(.dropped(batch: batch))
      }
    }

    func drop(_ batch: Int) {
      if let link { try? link.sendUp(.dropped(batch: batch, failure: nil)) } else { settle(.dropped(batch: batch)) }
    }

    /// A batch through the last device.
    func done(_ batch: Int, losses: [Double], start: Double) {
      if let link { do { try link.sendUp(.done(batch: batch, losses: losses, start: start)) } catch { fail(error, batch: batch) } }
      else { settle(.done(batch: batch, losses: losses, start: start, end: Stopwatch.now())) }
    }

    func settle(_ outcome: Outcome) {
      lock.lock()
      settledCount += 1
      lock.unlock()
      try? outcomes.put(outcome)
    }

    /// Stops the waiting for outcomes: the other ranks are lost (`e` says how).
    func abort(_ e: Error) {
      lock.lock()
      if error == nil { error = e }
      lock.unlock()
      try? outcomes.put(.aborted)
    }
  }

  func trainEpoch<S: Sequence>(_ batches: S, rates: EpochLearningRates?, onStep: (StepResult) throws -> Void) throws -> EpochSummary
  where S.Element == (inputs: Tensor, labels: Tensor) {
    group.beginEpoch(training: local)
    defer { group.timeline.finish() }
    let epoch = Epoch()
    let remote = try link.flatMap { try RemoteResults(link: $0, epoch: epoch, workers: devices(ofRank: 0).map { group.workers[$0] }) }  // other ranks' outcomes
    var fed = 0
    var inOrder = InOrder<Outcome>()  // only dropped outcomes can overtake an earlier batch
    var previousEnd = group.timeline.window.start
    var stop: Error?  // from onStep: feed no more, finish what is in flight

    func receive(_ outcome: Outcome) {
      inOrder.add(outcome.batch, outcome) { _, next in
        guard case .done(let t, let losses, let start, let end) = next, stop == nil, epoch.failure == nil else { return }
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
    // Drain: every batch fed comes out, done or dropped (or the other ranks are lost).
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
        return Message(batch: t, activation: try local.firstActivation(inputs: inputs.to(here), labels: labels),
                       labels: labels, losses: [], start: Stopwatch.now(), rate: rate)
      }
      process(message, onDevice: 0, epoch)
    } catch {
      epoch.fail(error, batch: t)
    }
  }

  /// Device d's job for one batch: its components (forward, learn, detach), then the hand-off
  /// to the next device: its worker's inbox, or the next rank.
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
        losses.append(try share.learn(component: k) {
          if let rate = message.rate { stages[k].optimizer.learningRate = rate }
          return try stages[k].learn(input: input, output: y, labels: message.labels)
        })
        return try y.detached()
      }
      guard !share.isLast else { return epoch.done(t, losses: losses, start: message.start) }
      let next = Message(batch: t, activation: output, labels: message.labels, losses: losses, start: message.start, rate: message.rate)
      let before = Stopwatch.now()
      if let link, !isHere(d + 1) {
        // Blocks until the next rank takes it: its inbox being full slows this rank as a local one would.
        try share.run("sending the activation to rank \(rank(ofDevice: d + 1))") {
          try share.measure(.transfer) { try link.sendDown(.batch(next)) }
        }
        return
      }
      let handoff = try share.handOff(next)
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
