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

  func trainEpoch<S: Sequence>(_ batches: S, onStep: (StepResult) throws -> Void) throws -> EpochSummary
  where S.Element == (inputs: Tensor, labels: Tensor) {
    let (method, timeline, device) = (self.method, group.timeline, group.tensorDevice(0))
    method.train()
    timeline.begin()
    defer { timeline.finish() }
    var previousEnd = timeline.window.start
    var steps = 0
    for (t, batch) in batches.enumerated() {
      let (losses, start, end) = try group.workers[0].run { () throws -> ([Double], Double, Double) in
        let start = Stopwatch.now()
        let losses = try inContext("batch \(t) on device 0") {
          try timeline.measure(device: 0, .step, batch: t) {
            try method.trainStep(inputs: batch.inputs.to(device), labels: batch.labels.to(device))
          }
        }
        return (losses, start, Stopwatch.now())
      }
      steps += 1
      try onStep(StepResult(batch: t, losses: losses, start: start, end: end, interval: end - previousEnd))
      previousEnd = end
    }
    return EpochSummary(steps: steps, seconds: Stopwatch.now() - timeline.window.start)
  }
}
