import NN
import Torch

/// `--pipeline gpipe` (BP only; spec 11.3, paper A.5): GPipe's schedule. Each mini-batch is cut
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
final class GPipeExecutor: DeviceGroupExecutor {
  let kind = PipelineKind.gpipe
  private let bp: BackpropMethod
  let group: DeviceGroup
  let microBatches: Int
  let recompute: Bool
  var method: any TrainingMethod { bp }

  init(_ bp: BackpropMethod, _ group: DeviceGroup, microBatches: Int, recompute: Bool) throws {
    guard microBatches >= 1 else { throw PipelineError("--micro-batches must be at least 1, got \(microBatches)") }
    self.bp = bp
    self.group = group
    self.microBatches = microBatches
    self.recompute = recompute
    try group.place(bp.model)
  }

  func trainEpoch<S: Sequence>(_ batches: S, onStep: (StepResult) throws -> Void) throws -> EpochSummary
  where S.Element == (inputs: Tensor, labels: Tensor) {
    bp.train()
    return try group.trainBatchByBatch(batches, onStep: onStep) { t, inputs, labels in
      let loss = try backpropagate(t, inputs, labels)
      try update(t)
      return [loss]
    }
  }

  /// A mini-batch cut into micro-batches on device 0, labels on the last device.
  private struct Prepared {
    let inputs: [Activation]
    let labels: [Tensor]
    /// Each micro-batch's share of the rows: its loss weight.
    let shares: [Double]
  }

  /// What device d keeps of micro-batch m between its forward and its backward.
  private struct Forward {
    /// The device's input: on devices after the first, with gradient leaves (`gradientLeaves`),
    /// except under `recompute`, where the leaves are made at the recomputation.
    let input: Activation
    /// The device's output with its graph (nil under `recompute`).
    let output: Activation?
    /// The detached output on the next device (nil on the last device).
    let handoff: Activation?
  }

  /// What device d's backward of micro-batch m hands up: the gradient of each of its input's
  /// `gradientSlots`, on device d−1 (empty on device 0), and, on the last device, the loss.
  private struct Backward {
    let inputGradients: [Tensor?]
    let loss: Double?
  }

  /// Zeroes the gradients, then runs every micro-batch's forward and backward as GPipe schedules
  /// them; returns the mini-batch's cross-entropy. Leaves the accumulated gradients for `update`.
  /// No job of this batch is still running when it returns, whatever failed.
  func backpropagate(_ t: Int, _ inputs: Tensor, _ labels: Tensor) throws -> Double {
    let (model, optimizer, group, microBatches) = (bp.model, bp.optimizer, self.group, self.microBatches)
    let last = group.count - 1
    var settle: [() -> Void] = []
    defer { for s in settle { s() } }

    let prepared = try group.workers[0].submit { () throws -> Prepared in
      try inContext("preparing batch \(t) on device 0") {
        try optimizer.zeroGrad()
        let x = try model.firstActivation(inputs.to(group.tensorDevice(0)))
        let sizes = MicroBatches.sizes(rows: x.batchSize, count: microBatches)
        return Prepared(inputs: try x.split(sizes: sizes), labels: try labels.to(group.tensorDevice(last)).split(sizes: sizes),
                        shares: sizes.map { Double($0) / Double(x.batchSize) })
      }
    }
    settle.append { _ = prepared.outcome() }
    let rows = inputs.shape.first ?? 0
    let count = MicroBatches.sizes(rows: rows, count: microBatches).count

    // Forwards in micro-batch order; device d's job for m waits for device d−1's.
    var forwards: [[Pending<Forward>]] = []
    for m in 0..<count {
      var row: [Pending<Forward>] = []
      for d in 0...last {
        let previous = row.last
        let job = try group.workers[d].submit { [self] () throws -> Forward in
          let x = try previous.map { try $0.wait().handoff! } ?? prepared.wait().inputs[m]
          return try forward(t, m, of: count, onDevice: d, x)
        }
        settle.append { _ = job.outcome() }
        row.append(job)
      }
      forwards.append(row)
    }

    // Backwards in reverse micro-batch order, from the last device up; device d's job for m
    // waits for device d+1's gradients.
    var backwards: [[Pending<Backward>?]] = Array(repeating: Array(repeating: nil, count: group.count), count: count)
    for m in (0..<count).reversed() {
      for d in (0...last).reversed() {
        let stored = forwards[m][d], later = d < last ? backwards[m][d + 1] : nil
        let job = try group.workers[d].submit { [self] () throws -> Backward in
          try backward(t, m, of: count, onDevice: d, stored.wait(), from: later?.wait(), prepared: prepared.wait())
        }
        settle.append { _ = job.outcome() }
        backwards[m][d] = job
      }
    }

    _ = try prepared.wait()
    for row in forwards { for job in row { _ = try job.wait() } }
    var losses: [Double] = []
    for m in 0..<count {
      for d in (0...last).reversed() {
        let b = try backwards[m][d]!.wait()
        if let loss = b.loss { losses.append(loss) }
      }
    }
    return losses.reduce(0, +)
  }

  /// The one optimizer step of a mini-batch, on device 0's worker (whose backward finishes last).
  func update(_ t: Int) throws {
    let (optimizer, group, timeline) = (bp.optimizer, self.group, self.group.timeline)
    try group.workers[0].run {
      try inContext("update on device 0 (\(group.devices.devices[0])), batch \(t)") {
        try timeline.measure(device: 0, .step, batch: t) { try optimizer.step() }
      }
    }
  }

  /// Device d's components on micro-batch m, in order.
  private func components(_ t: Int, _ m: Int, of count: Int, onDevice d: Int, _ x: Activation) throws -> Activation {
    let (model, group, timeline) = (bp.model, self.group, self.group.timeline)
    var y = x
    for k in group.placement.components[d] {
      let input = y
      y = try inContext("component \(k + 1) on device \(d) (\(group.devices.devices[d])), batch \(t), micro-batch \(m + 1) of \(count)") {
        try timeline.measure(device: d, .forward, batch: t, component: k, microBatch: m) { try model.components[k](input) }
      }
    }
    return y
  }

  /// Device d's forward of micro-batch m, and the hand-off to the next device.
  private func forward(_ t: Int, _ m: Int, of count: Int, onDevice d: Int, _ received: Activation) throws -> Forward {
    let (group, timeline) = (self.group, self.group.timeline)
    let input = d == 0 || recompute ? received : try received.gradientLeaves()
    let output = recompute
      ? try withNoGrad { try components(t, m, of: count, onDevice: d, input) }
      : try components(t, m, of: count, onDevice: d, input)
    var handoff: Activation?
    if d + 1 < group.count {
      handoff = try output.detached()
      let next = group.tensorDevice(d + 1)
      if next != group.tensorDevice(d), let h = handoff {
        handoff = try timeline.measure(device: d, .transfer, batch: t, microBatch: m) { try h.to(next) }
      }
    }
    return Forward(input: input, output: recompute ? nil : output, handoff: handoff)
  }

  /// Device d's backward of micro-batch m: on the last device from the micro-batch's weighted
  /// cross-entropy, elsewhere from the gradients device d+1 computed for this device's output.
  private func backward(_ t: Int, _ m: Int, of count: Int, onDevice d: Int, _ stored: Forward, from later: Backward?,
                        prepared: Prepared) throws -> Backward {
    let (model, group, timeline) = (bp.model, self.group, self.group.timeline)
    let last = group.count - 1
    var input = stored.input
    let output: Activation
    if let o = stored.output {
      output = o
    } else {  // recompute: the forward again, now recording the graph
      if d > 0 { input = try input.gradientLeaves() }
      output = try components(t, m, of: count, onDevice: d, input)
    }
    let context = "\(d == last ? "loss and backward" : "backward") on device \(d) (\(group.devices.devices[d])), batch \(t), micro-batch \(m + 1) of \(count)"
    var loss: Double?
    try inContext(context) {
      try timeline.measure(device: d, .learn, batch: t, microBatch: m) {
        if d == last {
          let logits = try model.classifier(model.components.last!.features(output))
          let l = try crossEntropy(logits, prepared.labels[m]) * prepared.shares[m]
          try l.backward()
          loss = try l.item()
        } else {
          var roots: [Tensor] = [], gradients: [Tensor] = []
          for (root, gradient) in zip(output.gradientSlots, later?.inputGradients ?? []) {
            guard let root, root.requiresGrad, let gradient else { continue }
            roots.append(root)
            gradients.append(gradient)
          }
          try Tensor.backward(roots, gradients: gradients)
        }
      }
    }
    guard d > 0 else { return Backward(inputGradients: [], loss: loss) }
    let previous = group.tensorDevice(d - 1)
    return Backward(inputGradients: try input.gradientSlots.map { try $0?.grad?.to(previous) }, loss: loss)
  }
}
