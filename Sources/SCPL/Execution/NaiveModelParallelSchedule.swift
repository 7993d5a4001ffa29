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
final class NaiveModelParallelSchedule: BatchSchedule {
  let kind = PipelineKind.nmp
  private let bp: BackpropMethod
  let group: DeviceGroup
  var method: any TrainingMethod { bp }

  init(_ bp: BackpropMethod, _ group: DeviceGroup) throws {
    self.bp = bp
    self.group = group
    try group.place(bp.model)
  }

  func step(_ t: Int, _ inputs: Tensor, _ labels: Tensor, _ rates: EpochLearningRates?) throws -> [Double] {
    [try update(t, forward(t, inputs), labels, rates)]
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
