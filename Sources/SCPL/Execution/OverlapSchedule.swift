import Torch

/// `--pipeline overlap`: the reference's multi-device step (`train_step` of its `*_SCPL_m` models)
/// for local methods. For each component k in order: its forward runs on its device's worker; the
/// detached output is handed to component k+1's device; component k's `learn` (local loss,
/// backward, update) is queued on device k's worker and so overlaps component k+1's forward on
/// device k+1. The step ends when every `learn` has finished; batches do not overlap each other.
final class OverlapSchedule: BatchSchedule {
  let kind = PipelineKind.overlap
  private let local: any LocalMethod
  let group: DeviceGroup
  var method: any TrainingMethod { local }

  init(_ local: any LocalMethod, _ group: DeviceGroup) throws {
    self.local = local
    self.group = group
    try group.place(local.stages)
  }

  /// One batch. Returns each component's loss once every component has learned.
  func step(_ t: Int, _ inputs: Tensor, _ labels: Tensor, _ rates: EpochLearningRates?) throws -> [Double] {
    let (local, group) = (self.local, self.group)
    let stages = local.stages
    let jobs = JobSet()
    defer { jobs.settle() }
    var x = try group.workers[0].run {
      try group.preparing(t) { try local.firstActivation(inputs: inputs.to($0), labels: labels.to($0)) }
    }
    var learning: [Pending<Double>] = []
    for (k, stage) in stages.enumerated() {
      let share = group.share(group.placement.deviceOfComponent[k], batch: t)  // component k's stage
      let input = x, stageLabels = try labels.to(share.tensorDevice)
      // Forward, then the hand-off to the next component's device, before this one learns.
      let (output, handoff) = try group.workers[share.device].run { () throws -> (Activation, Activation?) in
        let y = try share.forward(component: k) { try stage.forward(input) }
        guard k + 1 < stages.count else { return (y, nil) }
        return (y, try share.handOff(y.detached(), to: group.device(ofComponent: k + 1)))
      }
      learning.append(
        try jobs.submit(group.workers[share.device]) {
          try share.learn(component: k) {
            rates?.apply(batch: t, to: [stage.optimizer])
            return try stage.learn(input: input, output: output, labels: stageLabels)
          }
        })
      if let handoff { x = handoff }
    }
    return try learning.map { try $0.wait() }
  }
}
