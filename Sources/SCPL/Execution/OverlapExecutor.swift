import Torch

/// `--pipeline overlap`: the reference's multi-device step (spec 6.5) for local methods. For
/// each component k in order: its forward runs on its device's worker; the detached output is
/// handed to component k+1's device; component k's `learn` (local loss, backward, update) is
/// queued on device k's worker and so overlaps component k+1's forward on device k+1. The step
/// ends when every `learn` has finished; batches do not overlap each other.
final class OverlapExecutor: DeviceGroupExecutor {
  let kind = PipelineKind.overlap
  private let local: any LocalMethod
  let group: DeviceGroup
  var method: any TrainingMethod { local }

  init(_ local: any LocalMethod, _ group: DeviceGroup) throws {
    self.local = local
    self.group = group
    try group.place(local.stages)
  }

  func trainEpoch<S: Sequence>(_ batches: S, onStep: (StepResult) throws -> Void) throws -> EpochSummary
  where S.Element == (inputs: Tensor, labels: Tensor) {
    local.train()
    return try group.trainBatchByBatch(batches, onStep: onStep, step: step)
  }

  /// One batch. Returns each component's loss once every component has learned.
  private func step(_ t: Int, _ inputs: Tensor, _ labels: Tensor) throws -> [Double] {
    let (local, group, timeline) = (self.local, self.group, self.group.timeline)
    let stages = local.stages
    var learning: [Pending<Double>] = []
    // Whatever fails, no job of this step may still run when the step returns.
    defer { for job in learning { _ = job.outcome() } }
    var x = try group.workers[0].run {
      try inContext("preparing batch \(t) on device 0") {
        try local.firstActivation(inputs: inputs.to(group.tensorDevice(0)), labels: labels.to(group.tensorDevice(0)))
      }
    }
    for (k, stage) in stages.enumerated() {
      let d = group.placement.deviceOfComponent[k]
      let here = group.tensorDevice(d)
      let input = x
      let stageLabels = try labels.to(here)
      let context = "component \(k + 1) on device \(d) (\(group.devices.devices[d])), batch \(t)"
      // Forward, then the hand-off to the next component's device, before this one learns.
      let (output, handoff) = try group.workers[d].run { () throws -> (Activation, Activation?) in
        try inContext(context) {
          let y = try timeline.measure(device: d, .forward, batch: t, component: k) { try stage.forward(input) }
          guard k + 1 < stages.count else { return (y, nil) }
          let next = group.tensorDevice(ofComponent: k + 1)
          if next == here { return (y, try y.detached()) }
          return (y, try timeline.measure(device: d, .transfer, batch: t, component: k) { try y.detached().to(next) })
        }
      }
      learning.append(try group.workers[d].submit {
        try inContext(context) {
          try timeline.measure(device: d, .learn, batch: t, component: k) {
            try stage.learn(input: input, output: output, labels: stageLabels)
          }
        }
      })
      if let handoff { x = handoff }
    }
    return try learning.map { try $0.wait() }
  }
}
