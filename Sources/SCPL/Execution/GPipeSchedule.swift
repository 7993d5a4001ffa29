import NN
import Torch

/// `--pipeline gpipe` (BP only; the paper's appendix A.5): GPipe's schedule. Each mini-batch is cut
/// into `--micro-batches` M pieces along the batch axis (`MicroBatches`). The forwards are
/// pipelined: device d runs its components on micro-batch m as soon as device d−1 has produced it,
/// while d−1 goes on with m+1. Then the backwards run back up, micro-batches M…1: on the last
/// device the cross-entropy of micro-batch m (its mean times its share of the rows, so the M
/// losses add up to the whole batch's mean) and its backward; each earlier device back-propagates
/// micro-batch m from the gradient the next device computed for its input. Gradients accumulate
/// over the micro-batches; one Adam step per mini-batch after every backward (GPipe's flush:
/// mini-batches do not overlap).
///
/// libtorch's CPU autograd runs a whole `backward()` on the calling thread, so the per-device
/// backward is made explicit: at each device boundary the activation is detached and its
/// floating-point tensors become leaves that record gradients; device d's backward ends in those
/// leaves' `grad`s, from which device d−1 runs one backward through its own components.
///
/// With `recompute` (GPipe's re-materialisation) the forward runs without autograd and each
/// device keeps only its input per micro-batch; just before a micro-batch's backward the device
/// recomputes its forward with autograd. That costs one more forward per micro-batch and device,
/// and saves holding every micro-batch's graph between the two phases.
///
/// The gradients, and so the weights, are whole-batch BP's up to floating-point rounding — except
/// with BatchNorm, whose batch statistics are per micro-batch (and whose running averages, under
/// `recompute`, see every micro-batch twice).
///
/// `--pipeline 1f1b` is the same work in another order (`OneFOneBOrder`): device d runs K−1−d
/// warm-up forwards, then alternates one forward and one backward, micro-batches 1…M, so it holds
/// at most K − d micro-batches' graphs where GPipe holds all M. A backward lets go of its
/// micro-batch's graph and hand-offs as it ends. Each device adds its micro-batches' gradients in
/// the order 1…M where GPipe adds M…1, so the two agree up to rounding, not bit for bit.
///
/// `--pipeline interleaved-1f1b` runs 1F1B over K·v stages (`DeviceGroup.placement`), stage s on
/// device s mod K, in Megatron's interleaved order (`OneFOneBOrder` with v chunks): each
/// device's idle time shrinks by about v, for v times the hand-offs and v−1 more warm-up
/// micro-batches held on device 0. The stages are what the other schedules call devices: a
/// stage hands its output to the next stage's device (device 0 again after the last device) and
/// its input's gradients back to the previous stage's.
///
/// Across the ranks of a c10d job (`boundary`) every rank runs its own stages' jobs of the same
/// order; a hand-off or hand-back between stages of two ranks is a message
/// (`ProcessBoundary+Stages.swift`), and each rank's update steps the parameters it trained (Adam
/// and SGD update each parameter from its own gradient and state, so the ranks' steps together
/// are the one step of one process).
final class GPipeSchedule: BatchSchedule {
  /// GPipe's order (every forward, then every backward, M…1), 1F1B's, interleaved 1F1B's, or
  /// ZB-H1's (1F1B's with each backward split into its input-gradient and weight-gradient passes).
  enum Order { case gpipe, oneFOneB, interleaved, zeroBubble }

  let kind: PipelineKind
  private let bp: BackpropMethod
  let group: DeviceGroup
  let microBatches: Int
  let recompute: Bool
  let order: Order
  /// Set when the stages span the ranks of a job: this rank runs only its own stages.
  let boundary: ProcessBoundary?
  var method: any TrainingMethod { bp }
  /// Per device, the most micro-batches whose forward had run and whose backward had not, over
  /// the batches trained so far: GPipe's M, 1F1B's at most K − d. Under interleaved-1f1b each
  /// chunk's forward counts (a micro-batch in two chunks of a device counts twice, each holding
  /// a chunk's share of the layers): compare the schedules by `peakHeldActivationBytes`.
  var peakHeldMicroBatches: [Int] { held.withLock { $0.peak } }
  /// Per device, the most bytes of held micro-batches' component outputs at once (each component's
  /// output activation, the part of a graph's saved tensors the schedule can count; the layers
  /// inside a component save more): what the schedules' activation memory differs by.
  var peakHeldActivationBytes: [Int] { held.withLock { $0.peakBytes } }
  private let held: LockedValue<(now: [Int], peak: [Int], bytes: [Int], peakBytes: [Int])>

  init(
    _ bp: BackpropMethod, _ group: DeviceGroup, microBatches: Int, recompute: Bool, order: Order = .gpipe,
    boundary: ProcessBoundary? = nil
  ) throws {
    self.bp = bp
    self.boundary = boundary
    self.group = group
    self.microBatches = microBatches
    self.recompute = recompute
    self.order = order
    switch order {
    case .gpipe: kind = .gpipe
    case .oneFOneB: kind = .oneFOneB
    case .interleaved: kind = .interleaved1F1B
    case .zeroBubble: kind = .zbH1
    }
    let zeros = Array(repeating: 0, count: group.count)
    held = LockedValue((zeros, zeros, zeros, zeros))
    try group.place(bp.model)
  }

  /// Counts micro-batch graphs held on device `d`, and their component outputs' bytes (`change`
  /// +1 after a forward, −1 after the backward that lets go of it).
  private func hold(_ d: Int, _ change: Int, bytes: Int) {
    held.withLock {
      $0.now[d] += change
      $0.peak[d] = max($0.peak[d], $0.now[d])
      $0.bytes[d] += change * bytes
      $0.peakBytes[d] = max($0.peakBytes[d], $0.bytes[d])
    }
  }

  func step(_ t: Int, _ inputs: Tensor, _ labels: Tensor, _ rates: EpochLearningRates?) throws -> [Double] {
    let loss = try backpropagate(t, inputs, labels)
    try update(t, rates)
    return loss.map { [$0] } ?? []
  }

  /// Whether stage s runs in this process (every stage without a boundary).
  private func isHere(_ s: Int) -> Bool { boundary?.isHere(stage: s, in: group) ?? true }

  /// The device whose worker zeroes the gradients and steps this process's optimizer: device 0,
  /// or this rank's first.
  private var home: Int { boundary?.devicesHere.lowerBound ?? 0 }

  /// A mini-batch cut into micro-batches on device 0, labels on the last device.
  private struct Prepared {
    let inputs: [Activation]
    let labels: [Tensor]
    /// Each micro-batch's share of the rows: its loss weight.
    let shares: [Double]
  }

  /// What device d keeps of micro-batch m between its forward and its backward, in a box the
  /// backward empties, so a graph lives no longer than the schedule needs it.
  private final class Forward: MicroBatchForward, @unchecked Sendable {
    /// The device's input: on devices after the first, with gradient leaves (`gradientLeaves`),
    /// except under `recompute`, where the leaves are made at the recomputation.
    var input: Activation?
    /// The device's output with its graph (nil under `recompute`).
    var output: Activation?
    /// The detached output on the next device (nil on the last device), which its forward reads.
    var handoff: Activation?
    /// The bytes of the device's component outputs for this micro-batch (`peakHeldActivationBytes`).
    let activationBytes: Int
    /// zb-h1: the roots of the backward and their gradients, kept from the input-gradient pass
    /// for the weight-gradient pass.
    var roots: [Tensor] = []
    var rootGradients: [Tensor] = []

    init(input: Activation, output: Activation?, handoff: Activation?, activationBytes: Int) {
      self.input = input
      self.output = output
      self.handoff = handoff
      self.activationBytes = activationBytes
    }

    /// Lets go of everything: the backward has run.
    func release() {
      input = nil
      output = nil
      handoff = nil
      roots = []
      rootGradients = []
    }
  }

  /// What device d's backward of micro-batch m hands up: the gradient of each of its input's
  /// `gradientSlots`, on device d−1 (empty on device 0), which device d−1's backward lets go of,
  /// and, on the last device, the loss.
  private final class Backward: @unchecked Sendable {
    private(set) var inputGradients: [Tensor?]
    let loss: Double?

    init(inputGradients: [Tensor?], loss: Double?) {
      self.inputGradients = inputGradients
      self.loss = loss
    }

    /// Lets go of the gradients: the previous device's backward has used them.
    func release() { inputGradients = [] }
  }

  /// Zeroes the gradients, then runs every micro-batch's forward and backward in the schedule's
  /// order; returns the mini-batch's cross-entropy (nil on a rank without the last stage).
  /// Leaves the accumulated gradients for `update`. No job of this batch is still running, and
  /// no message of it is on its way, when it returns, whatever failed.
  func backpropagate(_ t: Int, _ inputs: Tensor, _ labels: Tensor) throws -> Double? {
    let (model, optimizer, group, microBatches) = (bp.model, bp.optimizer, self.group, self.microBatches)
    let last = group.stageCount - 1
    let jobs = JobSet()
    defer {
      jobs.settle()
      boundary?.abandonSends()  // none left after `settleSends` below; a failed step's, without a wait
    }

    // The row count from the labels: a rank other than 0 has the labels only.
    let rows = labels.shape.first ?? 0
    let sizes = MicroBatches.sizes(rows: rows, count: microBatches)
    let prepared = try jobs.submit(group.workers[home]) { [self] () throws -> Prepared in
      try group.preparing(t) { here in
        try optimizer.zeroGrad()
        let labels =
          isHere(last) ? try labels.to(group.tensorDevice(group.device(ofStage: last))).split(sizes: sizes) : []
        let shares = sizes.map { Double($0) / Double(rows) }
        guard isHere(0) else { return Prepared(inputs: [], labels: labels, shares: shares) }
        let x = try model.firstActivation(inputs.to(here))
        return Prepared(inputs: try x.split(sizes: sizes), labels: labels, shares: shares)
      }
    }
    let count = sizes.count
    let empty: [[Pending<Forward>?]] = Array(repeating: Array(repeating: nil, count: group.stageCount), count: count)
    var forwards = empty
    var backwards: [[Pending<Backward>?]] = empty.map { $0.map { _ in nil } }
    var weights: [Pending<Void>] = []
    // Every stage's steps, queued in an order where each job comes after the jobs it waits for
    // (a worker runs its jobs in the order they are queued).
    for (m, s, step) in steps(microBatches: count) where isHere(s) {
      let share = group.share(s, batch: t, microBatch: m, of: count)
      let worker = group.workers[share.device]
      switch step {
      case .forward:
        let previous = s > 0 ? forwards[m][s - 1] : nil
        forwards[m][s] = try jobs.submit(worker) { [self] () throws -> Forward in
          let input =
            try s == 0
            ? prepared.wait().inputs[m]
            : previous.map { try $0.wait().handoff! } ?? boundary!.receiveForward(for: share)
          return try forward(share, input)
        }
      case .backward:
        // Under zb-h1 the input-gradient pass; it waits for the next stage's gradients.
        let stored = forwards[m][s]!, later = s < last ? backwards[m][s + 1] : nil
        let pass: BackwardPass = order == .zeroBubble ? .inputs : .whole
        backwards[m][s] = try jobs.submit(worker) { [self] () throws -> Backward in
          // The next stage's gradients: from its job here, or from its rank.
          let fromLater =
            try s == last
            ? nil : later?.wait() ?? Backward(inputGradients: boundary!.receiveBackward(for: share), loss: nil)
          let result = try backward(share, stored.wait(), from: fromLater, prepared: prepared.wait(), pass: pass)
          fromLater?.release()
          if pass == .whole { try letGo(share, stored.wait()) }
          return result
        }
      case .weight:  // zb-h1's weight-gradient pass, after the input pass
        let stored = forwards[m][s]!, inputPass = backwards[m][s]!
        weights.append(
          try jobs.submit(worker) { [self] in
            _ = try inputPass.wait()
            try weightPass(share, stored.wait())
            try letGo(share, stored.wait())
          })
      }
    }

    _ = try prepared.wait()
    for row in forwards { for job in row { _ = try job?.wait() } }
    for job in weights { try job.wait() }
    var losses: [Double] = []
    for m in 0..<count {
      for s in (0...last).reversed() {
        if let loss = try backwards[m][s]?.wait().loss { losses.append(loss) }
      }
    }
    jobs.settle()
    try boundary?.settleSends()
    return isHere(last) ? losses.reduce(0, +) : nil
  }

  /// What a stage does when: (micro-batch, stage, step) in an order where each step comes after
  /// those it waits for. GPipe: every forward, micro-batches 1…M each through every stage, then
  /// every backward, M…1 each from the last stage up. The 1F1B family: `OneFOneBOrder`'s.
  /// Interleaved 1F1B goes round the devices in groups of K micro-batches; a batch cut into a
  /// count that is not a multiple of K (a short last batch: one row per micro-batch) runs in
  /// GPipe's order instead, which computes the same gradients.
  private func steps(microBatches count: Int) -> [(micro: Int, stage: Int, step: OneFOneBOrder.Step)] {
    let (K, S) = (group.count, group.stageCount)
    func placed(_ list: [(device: Int, step: OneFOneBOrder.Step)]) -> [(Int, Int, OneFOneBOrder.Step)] {
      list.map { ($0.step.micro, $0.step.stage(device: $0.device, devices: K), $0.step) }
    }
    switch order {
    case .oneFOneB, .zeroBubble:
      return placed(OneFOneBOrder.merged(devices: K, microBatches: count, splitBackward: order == .zeroBubble))
    case .interleaved where count % K == 0:
      return placed(OneFOneBOrder.merged(devices: K, microBatches: count, chunks: S / K))
    case .gpipe, .interleaved:
      let forwards = (0..<count).flatMap { m in
        (0..<S).map { s in (m, s, OneFOneBOrder.Step.forward(micro: m, chunk: s / K)) }
      }
      let backwards = (0..<count).reversed().flatMap { m in
        (0..<S).reversed().map { s in (m, s, OneFOneBOrder.Step.backward(micro: m, chunk: s / K)) }
      }
      return forwards + backwards
    }
  }

  /// The backward is done with stage `share`'s micro-batch: its graph and hand-offs go.
  private func letGo(_ share: DeviceShare, _ kept: Forward) {
    hold(share.device, -1, bytes: kept.activationBytes)
    kept.release()
  }

  /// The one optimizer step of a mini-batch, on device 0's worker (whose backward finishes last),
  /// or across ranks each rank's step of its own parameters on its first device's worker.
  func update(_ t: Int, _ rates: EpochLearningRates?) throws {
    let (optimizer, share) = (bp.optimizer, group.share(home, batch: t))
    try group.workers[home].run {
      try share.run("update") {
        try share.measure(.step) {
          rates?.apply(batch: t, to: [optimizer])
          try optimizer.step()
        }
      }
    }
  }

  /// The share's components on its micro-batch, in order, keeping the graph, and the bytes of
  /// their outputs (each component's output activation: what `peakHeldActivationBytes` counts).
  private func components(_ share: DeviceShare, _ x: Activation) throws -> (output: Activation, bytes: Int) {
    let model = bp.model
    var bytes = 0
    let output = try share.throughComponents(x) { k, y in
      let out = try share.forward(component: k) { try model.components[k](y) }
      bytes += out.tensors.map { $0.count * $0.dtype.byteSize }.reduce(0, +)
      return out
    }
    return (output, bytes)
  }

  /// Device d's forward of micro-batch m, and the hand-off to the next device.
  private func forward(_ share: DeviceShare, _ received: Activation) throws -> Forward {
    let input = share.isFirst || recompute ? received : try received.gradientLeaves()
    // Under recompute no graph is kept until the backward recomputes it: nothing is held but the input.
    let (output, bytes) = recompute ? try withNoGrad { try components(share, input) } : try components(share, input)
    var handoff: Activation?
    if boundary?.handsOnAcross(share) == true {
      try boundary!.sendForward(output.detached(), from: share)
    } else if !share.isLast {
      handoff = try share.handOff(output.detached())
    }
    let kept = Forward(
      input: input, output: recompute ? nil : output, handoff: handoff, activationBytes: recompute ? 0 : bytes)
    hold(share.device, 1, bytes: kept.activationBytes)
    return kept
  }

  /// Which gradients a backward computes: all (gpipe, 1f1b), or under zb-h1 first those of the
  /// device's input only, keeping the graph (B), then, later, those of its weights (W).
  enum BackwardPass { case whole, inputs }

  /// Device d's backward of micro-batch m: on the last device from the micro-batch's weighted
  /// cross-entropy, elsewhere from the gradients device d+1 computed for this device's output.
  /// Under `.inputs` only the input's gradients are computed, and the roots are kept in `stored`
  /// for `weightPass`.
  private func backward(
    _ share: DeviceShare, _ stored: Forward, from later: Backward?, prepared: Prepared, pass: BackwardPass
  ) throws -> Backward {
    let model = bp.model
    guard var input = stored.input else {
      throw PipelineError("micro-batch \(share.microBatch ?? 0) was released before its backward")
    }
    let output: Activation
    if let o = stored.output {
      output = o
    } else {  // recompute: the forward again, now recording the graph
      if !share.isFirst { input = try input.gradientLeaves() }
      output = try components(share, input).output
    }
    var loss: Double?
    let what = pass == .inputs ? "input gradients" : share.isLast ? "loss and backward" : "backward"
    try share.learn(component: nil, what) {
      var roots: [Tensor] = [], gradients: [Tensor] = []
      if share.isLast {
        let m = share.microBatch!
        let l = try crossEntropy(model.logits(lastOutput: output), prepared.labels[m]) * prepared.shares[m]
        loss = try l.item()
        roots = [l]
        gradients = [try Tensor.ones([], dtype: l.dtype, device: l.device)]
      } else {
        (roots, gradients) = output.backwardRoots(later?.inputGradients ?? [])
      }
      switch pass {
      case .whole:
        try Tensor.backward(roots, gradients: gradients)
      case .inputs:
        let leaves = input.gradientSlots.compactMap { $0 }.filter(\.requiresGrad)
        try Tensor.backward(roots, gradients: gradients, inputs: leaves, retainGraph: true)
        stored.roots = roots
        stored.rootGradients = gradients
      }
    }
    guard !share.isFirst else { return Backward(inputGradients: [], loss: loss) }
    if boundary?.handsBackAcross(share) == true {  // the previous stage is another rank's
      try boundary!.sendBackward(input.gradientSlots.map { try $0?.grad }, from: share)
      return Backward(inputGradients: [], loss: loss)
    }
    // The hand-back: gradients go up to the previous device.
    return Backward(
      inputGradients: try input.gradientSlots.map { try $0?.grad.map { try share.handBack($0) } },
      loss: loss)
  }

  /// zb-h1's W pass: the gradients of the device's weights (its components', and on the last
  /// device the classifier's) from the roots its input pass kept, accumulated as a whole backward
  /// would; the graph is freed.
  private func weightPass(_ share: DeviceShare, _ stored: Forward) throws {
    let model = bp.model
    try share.learn(component: nil, "weight gradients") {
      let weights = share.components.flatMap { model.parameters(ofComponent: $0) }
      try Tensor.backward(stored.roots, gradients: stored.rootGradients, inputs: weights, retainGraph: false)
    }
  }
}
