import Torch

/// `--pipeline scpl-gpipe` (local methods: SCPL, Early Exit, AL; paper A.5, Figure 13 bottom):
/// GPipe's pipelined forward with local learning. Each mini-batch is cut into `--micro-batches`
/// M pieces along the batch axis (`MicroBatches`). Component k runs its forward on micro-batch m
/// as soon as component k−1 has produced it (detached, as always between local components), on
/// its device's worker. Once a component has all M outputs it learns on the whole mini-batch: the
/// micro-batches' outputs, each keeping its graph, are concatenated along the batch axis (and
/// their inputs, the LSTM state and AL's label path with them) and the stage's own `learn` — the
/// local loss, one backward into every micro-batch's forward, one optimizer step — runs on the
/// concatenation, without waiting for any other component. The step ends when every component
/// has learned (mini-batches do not overlap; `async` pipelines across them).
///
/// Every micro-batch's forward uses the component's weights from before its step, and the loss is
/// the whole batch's, so the weights match `off` up to floating-point rounding — except with
/// BatchNorm, whose batch statistics are per micro-batch.
final class SCPLGPipeExecutor: DeviceGroupExecutor {
  let kind = PipelineKind.scplGPipe
  private let local: any LocalMethod
  let group: DeviceGroup
  let microBatches: Int
  var method: any TrainingMethod { local }

  init(_ local: any LocalMethod, _ group: DeviceGroup, microBatches: Int) throws {
    guard microBatches >= 1 else { throw PipelineError("--micro-batches must be at least 1, got \(microBatches)") }
    self.local = local
    self.group = group
    self.microBatches = microBatches
    try group.place(local.stages)
  }

  func trainEpoch<S: Sequence>(_ batches: S, onStep: (StepResult) throws -> Void) throws -> EpochSummary
  where S.Element == (inputs: Tensor, labels: Tensor) {
    local.train()
    return try group.trainBatchByBatch(batches, onStep: onStep, step: step)
  }

  /// Device d's forward of one micro-batch: per component of the device, its input and its
  /// output (with graph), and the detached output handed to the next device.
  private struct Forward {
    let inputs: [Activation]
    let outputs: [Activation]
    let handoff: Activation?
  }

  /// One mini-batch. Returns each component's loss once every component has learned; no job of
  /// this batch is still running when it returns, whatever failed.
  private func step(_ t: Int, _ inputs: Tensor, _ labels: Tensor) throws -> [Double] {
    let (local, group, microBatches) = (self.local, self.group, self.microBatches)
    var settle: [() -> Void] = []
    defer { for s in settle { s() } }

    let prepared = try group.workers[0].submit { () throws -> [Activation] in
      try inContext("preparing batch \(t) on device 0") {
        let here = group.tensorDevice(0)
        let x = try local.firstActivation(inputs: inputs.to(here), labels: labels.to(here))
        return try x.split(sizes: MicroBatches.sizes(rows: x.batchSize, count: microBatches))
      }
    }
    settle.append { _ = prepared.outcome() }
    let count = MicroBatches.sizes(rows: inputs.shape.first ?? 0, count: microBatches).count

    var forwards: [[Pending<Forward>]] = []
    var learning: [Pending<Double>] = []
    for m in 0..<count {
      var row: [Pending<Forward>] = []
      for d in 0..<group.count {
        let previous = row.last
        let job = try group.workers[d].submit { [self] () throws -> Forward in
          let x = try previous.map { try $0.wait().handoff! } ?? prepared.wait()[m]
          return try forward(t, m, of: count, onDevice: d, x)
        }
        settle.append { _ = job.outcome() }
        row.append(job)
        guard m == count - 1 else { continue }
        // Device d has every micro-batch queued: its components' learns follow at once.
        let mine = forwards.map { $0[d] } + [job]
        let stageLabels = try labels.to(group.tensorDevice(d))
        for (j, k) in group.placement.components[d].enumerated() {
          let learn = try group.workers[d].submit { [self] () throws -> Double in
            try self.learn(t, component: k, onDevice: d, mine.map { try $0.wait() }.map { ($0.inputs[j], $0.outputs[j]) }, stageLabels)
          }
          settle.append { _ = learn.outcome() }
          learning.append(learn)
        }
      }
      forwards.append(row)
    }
    return try learning.map { try $0.wait() }
  }

  /// Device d's components on micro-batch m (forward, detach), and the hand-off to the next device.
  private func forward(_ t: Int, _ m: Int, of count: Int, onDevice d: Int, _ received: Activation) throws -> Forward {
    let (stages, group, timeline) = (local.stages, self.group, self.group.timeline)
    var x = received
    var inputs: [Activation] = [], outputs: [Activation] = []
    for k in group.placement.components[d] {
      let input = x
      let y = try inContext("component \(k + 1) on device \(d) (\(group.devices.devices[d])), batch \(t), micro-batch \(m + 1) of \(count)") {
        try timeline.measure(device: d, .forward, batch: t, component: k, microBatch: m) { try stages[k].forward(input) }
      }
      inputs.append(input)
      outputs.append(y)
      x = try y.detached()
    }
    guard d + 1 < group.count else { return Forward(inputs: inputs, outputs: outputs, handoff: nil) }
    let next = group.tensorDevice(d + 1)
    if next != group.tensorDevice(d) {
      let here = x
      x = try timeline.measure(device: d, .transfer, batch: t, microBatch: m) { try here.to(next) }
    }
    return Forward(inputs: inputs, outputs: outputs, handoff: x)
  }

  /// Component k's learning on the whole mini-batch: its micro-batches' inputs and outputs
  /// concatenated, then the stage's own `learn`.
  private func learn(_ t: Int, component k: Int, onDevice d: Int, _ pieces: [(input: Activation, output: Activation)],
                     _ labels: Tensor) throws -> Double {
    let (stage, group, timeline) = (local.stages[k], self.group, self.group.timeline)
    return try inContext("component \(k + 1) on device \(d) (\(group.devices.devices[d])), batch \(t)") {
      try timeline.measure(device: d, .learn, batch: t, component: k) {
        try stage.learn(input: Activation.concatenated(pieces.map(\.input)), output: Activation.concatenated(pieces.map(\.output)),
                        labels: labels)
      }
    }
  }
}
