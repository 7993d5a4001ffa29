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
final class SCPLGPipeSchedule: BatchSchedule {
  let kind = PipelineKind.scplGPipe
  private let local: any LocalMethod
  let group: DeviceGroup
  let microBatches: Int
  var method: any TrainingMethod { local }

  init(_ local: any LocalMethod, _ group: DeviceGroup, microBatches: Int) throws {
    self.local = local
    self.group = group
    self.microBatches = microBatches
    try group.place(local.stages)
  }

  /// Device d's forward of one micro-batch: per component of the device, its input and its
  /// output (with graph), and the detached output handed to the next device.
  private struct Forward: MicroBatchForward {
    let inputs: [Activation]
    let outputs: [Activation]
    let handoff: Activation?
  }

  /// One mini-batch. Returns each component's loss once every component has learned; no job of
  /// this batch is still running when it returns, whatever failed.
  func step(_ t: Int, _ inputs: Tensor, _ labels: Tensor, _ rates: EpochLearningRates?) throws -> [Double] {
    let (local, group, microBatches) = (self.local, self.group, self.microBatches)
    let jobs = JobSet()
    defer { jobs.settle() }

    let prepared = try jobs.submit(group.workers[0]) { () throws -> [Activation] in
      try group.preparing(t) { here in
        let x = try local.firstActivation(inputs: inputs.to(here), labels: labels.to(here))
        return try x.split(sizes: MicroBatches.sizes(rows: x.batchSize, count: microBatches))
      }
    }
    let count = MicroBatches.sizes(rows: inputs.shape.first ?? 0, count: microBatches).count
    // Once device d has every micro-batch's forward queued, its components' learns follow at
    // once, each on the whole mini-batch, without waiting for any other device.
    var learning: [Pending<Double>] = []
    _ = try group.pipelinedForwards(
      jobs, batch: t, microBatches: count, input: { try prepared.wait()[$0] },
      queuedAll: { d, mine in
        let share = group.share(d, batch: t)
        let stageLabels = try labels.to(share.tensorDevice)
        for (j, k) in share.components.enumerated() {
          learning.append(
            try jobs.submit(group.workers[d]) { [self] () throws -> Double in
              try learn(
                share, component: k, mine.map { try $0.wait() }.map { ($0.inputs[j], $0.outputs[j]) }, stageLabels,
                rates)
            })
        }
      }
    ) { [self] share, x in try forward(share, x) }
    return try learning.map { try $0.wait() }
  }

  /// Device d's components on micro-batch m (forward, detach), and the hand-off to the next device.
  private func forward(_ share: DeviceShare, _ received: Activation) throws -> Forward {
    let stages = local.stages
    var inputs: [Activation] = [], outputs: [Activation] = []
    let x = try share.throughComponents(received) { k, input in
      let y = try share.forward(component: k) { try stages[k].forward(input) }
      inputs.append(input)
      outputs.append(y)
      return try y.detached()
    }
    return Forward(inputs: inputs, outputs: outputs, handoff: share.isLast ? nil : try share.handOff(x))
  }

  /// Component k's learning on the whole mini-batch: its micro-batches' inputs and outputs
  /// concatenated, then the stage's own `learn`.
  private func learn(
    _ share: DeviceShare, component k: Int, _ pieces: [(input: Activation, output: Activation)],
    _ labels: Tensor, _ rates: EpochLearningRates?
  ) throws -> Double {
    let stage = local.stages[k]
    return try share.learn(component: k) {
      rates?.apply(batch: share.batch, to: [stage.optimizer])
      return try stage.learn(
        input: Activation.concatenated(pieces.map(\.input)), output: Activation.concatenated(pieces.map(\.output)),
        labels: labels)
    }
  }
}
