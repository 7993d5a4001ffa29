import Torch

/// `--pipeline off`: the sequential reference. Each batch is the method's own step on the one
/// device's worker (so it computes with that worker's intra-op thread count like every other
/// executor): BackpropMethod's `trainStep`, or LocalMethod's stage loop with each component
/// drawing from its own generator.
final class SequentialSchedule: BatchSchedule {
  let kind = PipelineKind.off
  let method: any TrainingMethod
  let group: DeviceGroup

  init(_ method: any TrainingMethod, _ group: DeviceGroup) throws {
    self.method = method
    self.group = group
    try group.place(method.modules.map(\.1), onDevice: 0)
  }

  func step(_ t: Int, _ inputs: Tensor, _ labels: Tensor, _ rates: EpochLearningRates?) throws -> [Double] {
    let (method, share) = (self.method, group.share(0, batch: t))
    return try group.workers[0].run {
      try share.run("training step") {
        try share.measure(.step) {
          rates?.apply(batch: t, to: method.optimizers)
          let (inputs, labels) = (try inputs.to(share.tensorDevice), try labels.to(share.tensorDevice))
          guard let local = method as? any LocalMethod else {
            return try method.trainStep(inputs: inputs, labels: labels)
          }
          // Each component draws its dropout from its own generator (`DeviceShare.drawing`), as
          // under every pipeline: the draws, and so the weights, are those of any placement and
          // schedule, in one process or several.
          return try local.trainStep(inputs: inputs, labels: labels) { k, work in try share.drawing(for: k, work) }
        }
      }
    }
  }
}
