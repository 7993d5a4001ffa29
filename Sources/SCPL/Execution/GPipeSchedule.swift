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
final class GPipeSchedule: BatchSchedule {
  let kind = PipelineKind.gpipe
  private let bp: BackpropMethod
  let group: DeviceGroup
  let microBatches: Int
  let recompute: Bool
  var method: any TrainingMethod { bp }

  init(_ bp: BackpropMethod, _ group: DeviceGroup, microBatches: Int, recompute: Bool) throws {
    self.bp = bp
    self.group = group
    self.microBatches = microBatches
    self.recompute = recompute
    try group.place(bp.model)
  }

  func step(_ t: Int, _ inputs: Tensor, _ labels: Tensor, _ rates: EpochLearningRates?) throws -> [Double] {
    let loss = try backpropagate(t, inputs, labels)
    try update(t, rates)
    return [loss]
  }

  /// A mini-batch cut into micro-batches on device 0, labels on the last device.
  private struct Prepared {
    let inputs: [Activation]
    let labels: [Tensor]
    /// Each micro-batch's share of the rows: its loss weight.
    let shares: [Double]
  }

  /// What device d keeps of micro-batch m between its forward and its backward.
  private struct Forward: MicroBatchForward {
    /// The device's input: on devices after the first, with gradient leaves (`gradientLeaves`),
    /// except under `recompute`, where the leaves are made at the recomputation.
    let input: Activation
    /// The device's output with its graph (nil under `recompute`).
    let output: Activation?
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
    let jobs = JobSet()
    defer { jobs.settle() }

    let prepared = try jobs.submit(group.workers[0]) { () throws -> Prepared in
      try group.preparing(t) { here in
        try optimizer.zeroGrad()
        let x = try model.firstActivation(inputs.to(here))
        let sizes = MicroBatches.sizes(rows: x.batchSize, count: microBatches)
        return Prepared(
          inputs: try x.split(sizes: sizes), labels: try labels.to(group.tensorDevice(last)).split(sizes: sizes),
          shares: sizes.map { Double($0) / Double(x.batchSize) })
      }
    }
    let count = MicroBatches.sizes(rows: inputs.shape.first ?? 0, count: microBatches).count
    let forwards = try group.pipelinedForwards(
      jobs, batch: t, microBatches: count, input: { try prepared.wait().inputs[$0] }
    ) {
      [self] share, x in try forward(share, x)
    }

    // Backwards in reverse micro-batch order, from the last device up; device d's job for m
    // waits for device d+1's gradients.
    var backwards: [[Pending<Backward>?]] = Array(repeating: Array(repeating: nil, count: group.count), count: count)
    for m in (0..<count).reversed() {
      for d in (0...last).reversed() {
        let stored = forwards[m][d], later = d < last ? backwards[m][d + 1] : nil
        let share = group.share(d, batch: t, microBatch: m, of: count)
        backwards[m][d] = try jobs.submit(group.workers[d]) { [self] () throws -> Backward in
          try backward(share, stored.wait(), from: later?.wait(), prepared: prepared.wait())
        }
      }
    }

    _ = try prepared.wait()
    for row in forwards { for job in row { _ = try job.wait() } }
    var losses: [Double] = []
    for m in 0..<count {
      for d in (0...last).reversed() {
        if let loss = try backwards[m][d]!.wait().loss { losses.append(loss) }
      }
    }
    return losses.reduce(0, +)
  }

  /// The one optimizer step of a mini-batch, on device 0's worker (whose backward finishes last).
  func update(_ t: Int, _ rates: EpochLearningRates?) throws {
    let (optimizer, share) = (bp.optimizer, group.share(0, batch: t))
    try group.workers[0].run {
      try share.run("update") {
        try share.measure(.step) {
          rates?.apply(batch: t, to: [optimizer])
          try optimizer.step()
        }
      }
    }
  }

  /// The share's components on its micro-batch, in order, keeping the graph.
  private func components(_ share: DeviceShare, _ x: Activation) throws -> Activation {
    let model = bp.model
    return try share.throughComponents(x) { k, y in try share.forward(component: k) { try model.components[k](y) } }
  }

  /// Device d's forward of micro-batch m, and the hand-off to the next device.
  private func forward(_ share: DeviceShare, _ received: Activation) throws -> Forward {
    let input = share.isFirst || recompute ? received : try received.gradientLeaves()
    let output = recompute ? try withNoGrad { try components(share, input) } : try components(share, input)
    return Forward(
      input: input, output: recompute ? nil : output, handoff: share.isLast ? nil : try share.handOff(output.detached())
    )
  }

  /// Device d's backward of micro-batch m: on the last device from the micro-batch's weighted
  /// cross-entropy, elsewhere from the gradients device d+1 computed for this device's output.
  private func backward(_ share: DeviceShare, _ stored: Forward, from later: Backward?, prepared: Prepared) throws
    -> Backward
  {
    let model = bp.model
    var input = stored.input
    let output: Activation
    if let o = stored.output {
      output = o
    } else {  // recompute: the forward again, now recording the graph
      if !share.isFirst { input = try input.gradientLeaves() }
      output = try components(share, input)
    }
    var loss: Double?
    try share.learn(component: nil, share.isLast ? "loss and backward" : "backward") {
      if share.isLast {
        let m = share.microBatch!
        let l = try crossEntropy(model.logits(lastOutput: output), prepared.labels[m]) * prepared.shares[m]
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
    guard !share.isFirst else { return Backward(inputGradients: [], loss: loss) }
    // The hand-back: gradients go up to the previous device.
    return Backward(
      inputGradients: try input.gradientSlots.map { try $0?.grad.map { try share.handOff($0, to: share.device - 1) } },
      loss: loss)
  }
}
