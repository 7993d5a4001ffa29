import Torch

/// `--pipeline off`: the sequential reference. Each batch is one call of the method's own
/// `trainStep` (LocalMethod's stage loop, or BackpropMethod's step) on the one device's worker,
/// so it computes with that worker's intra-op thread count like every other executor.
final class SequentialExecutor: DeviceGroupExecutor {
  let kind = PipelineKind.off
  let method: any TrainingMethod
  let group: DeviceGroup

  init(_ method: any TrainingMethod, _ group: DeviceGroup) throws {
    self.method = method
    self.group = group
    try group.place(method.modules.map(\.1), onDevice: 0)
  }

  func trainEpoch<S: Sequence>(_ batches: S, rates: EpochLearningRates?, onStep: (StepResult) throws -> Void) throws -> EpochSummary
  where S.Element == (inputs: Tensor, labels: Tensor) {
    let method = self.method
    return try group.trainBatchByBatch(method, batches, onStep: onStep) { t, inputs, labels in
      let share = group.share(0, batch: t)
      return try group.workers[0].run {
        try share.run("training step") {
          try share.measure(.step) {
            rates?.apply(batch: t, to: method.optimizers)
            return try method.trainStep(inputs: inputs.to(share.tensorDevice), labels: labels.to(share.tensorDevice))
          }
        }
      }
    }
  }
}
