import NN
import Torch

/// `--pipeline nmp` (the reference's multi-device `*_BP_m` models), BP only: every component on its
/// device; the forward runs down the chain, each device's components on that device's worker, the
/// activation moved to the next device *without* detach; the cross-entropy, the one backward
/// through every device and the one Adam step run on the last device's worker. Nothing overlaps:
/// one device is busy at a time.
///
/// libtorch's autograd runs CPU backward work on the thread that calls `backward()`, so on CPU
/// workers the whole backward is computed by the last worker (with its thread count); on GPUs
/// libtorch runs each device's part of the backward on its own autograd thread for that device.
///
/// Across the ranks of a c10d job (`boundary`) the graph cannot cross a process: a rank's first
/// device takes the activation from the rank above as gradient leaves (as gpipe's stages do),
/// the last rank computes the loss and back-propagates to them, and each rank sends its leaves'
/// gradients up and back-propagates from its output with the gradients from below. Each rank then
/// steps the parameters it trained. The gradients, and so the weights, are one process's bit for
/// bit: the gradient that reaches a rank's output is the one one process's backward passes there.
final class NaiveModelParallelSchedule: BatchSchedule {
  let kind = PipelineKind.nmp
  private let bp: BackpropMethod
  let group: DeviceGroup
  /// Set when the devices span the ranks of a job: this rank runs only its own devices.
  let boundary: ProcessBoundary?
  var method: any TrainingMethod { bp }

  init(_ bp: BackpropMethod, _ group: DeviceGroup, boundary: ProcessBoundary? = nil) throws {
    self.bp = bp
    self.group = group
    self.boundary = boundary
    try group.place(bp.model)
  }

  func step(_ t: Int, _ inputs: Tensor, _ labels: Tensor, _ rates: EpochLearningRates?) throws -> [Double] {
    if let boundary { return try step(t, inputs, labels, rates, across: boundary) }
    return [try update(t, forward(t, inputs), labels, rates)]
  }

  /// Runs every device's components on that device's worker, one device after another, keeping
  /// the autograd graph across devices.
  private func forward(_ t: Int, _ inputs: Tensor) throws -> Activation {
    let (model, group) = (bp.model, self.group)
    var x = try group.workers[0].run { try group.preparing(t) { try model.firstActivation(inputs.to($0)) } }
    for d in 0..<group.count {
      let share = group.share(d, batch: t), input = x
      x = try group.workers[d].run {
        try share.handOff(
          share.throughComponents(input) { k, y in try share.forward(component: k) { try model.components[k](y) } })
      }
    }
    return x
  }

  /// Step t on this rank's devices: the forward from rank 0's inputs or the rank above's
  /// activation (as leaves) through them, then on the last rank the loss and backward, elsewhere
  /// the backward from the gradients of the rank below; the leaves' gradients go up, and the
  /// update steps this rank's parameters. Returns the loss on the last rank, nothing elsewhere.
  private func step(
    _ t: Int, _ inputs: Tensor, _ labels: Tensor, _ rates: EpochLearningRates?, across boundary: ProcessBoundary
  ) throws -> [Double] {
    let (model, optimizer, group) = (bp.model, bp.optimizer, self.group)
    let mine = boundary.devicesHere
    defer { boundary.abandonSends() }  // none left after `settleSends` below; a failed step's, without a wait
    let first = group.share(mine.lowerBound, batch: t)
    let entry = try group.workers[first.device].run { () throws -> Activation in
      if first.isFirst { return try group.preparing(t) { try model.firstActivation(inputs.to($0)) } }
      return try boundary.receiveForward(for: first).gradientLeaves()
    }
    var x = entry
    for d in mine {
      let share = group.share(d, batch: t), input = x
      x = try group.workers[d].run {
        let y = try share.throughComponents(input) { k, y in
          try share.forward(component: k) { try model.components[k](y) }
        }
        if boundary.handsOnAcross(share) { try boundary.sendForward(y.detached(), from: share) }
        return d + 1 < mine.upperBound ? try share.handOff(y) : y
      }
    }
    let output = x, share = group.share(mine.upperBound - 1, batch: t)
    let loss = try group.workers[share.device].run { () throws -> Double? in
      let gradients = try share.isLast ? [] : boundary.receiveBackward(for: share)
      return try share.learn(
        component: nil, share.isLast ? "loss, backward and update" : "backward and update", everyDevice: true
      ) {
        var loss: Double?
        try optimizer.zeroGrad()
        if share.isLast {
          let l = try crossEntropy(model.logits(lastOutput: output), labels.to(share.tensorDevice))
          try l.backward()
          loss = try l.item()
        } else {
          let (roots, given) = output.backwardRoots(gradients)
          try Tensor.backward(roots, gradients: given)
        }
        if !first.isFirst { try boundary.sendBackward(entry.gradientSlots.map { try $0?.grad }, from: first) }
        rates?.apply(batch: t, to: [optimizer])
        try optimizer.step()
        return loss
      }
    }
    try boundary.settleSends()
    return loss.map { [$0] } ?? []
  }

  /// BackpropMethod.trainStep's loss and update, on the last device's worker, with the forward
  /// above in place of `model(inputs)`.
  private func update(_ t: Int, _ output: Activation, _ labels: Tensor, _ rates: EpochLearningRates?) throws -> Double {
    let (model, optimizer) = (bp.model, bp.optimizer)
    let share = group.share(group.count - 1, batch: t)
    return try group.workers[share.device].run {
      try share.learn(component: nil, "loss, backward and update", everyDevice: true) {
        let loss = try crossEntropy(model.logits(lastOutput: output), labels.to(share.tensorDevice))
        try optimizer.zeroGrad()
        try loss.backward()
        rates?.apply(batch: t, to: [optimizer])
        try optimizer.step()
        return try loss.item()
      }
    }
  }
}
