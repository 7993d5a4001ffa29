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
///
/// Across the ranks of a c10d job (`boundary`) each rank runs its own devices' forwards and
/// learning; the micro-batches' detached outputs cross to the next rank as messages, and nothing
/// comes back (no gradient crosses a component). Each rank returns its own components' losses.
final class SCPLGPipeSchedule: BatchSchedule {
  let kind = PipelineKind.scplGPipe
  private let local: any LocalMethod
  let group: DeviceGroup
  let microBatches: Int
  /// Set when the devices span the ranks of a job: this rank runs only its own devices.
  let boundary: ProcessBoundary?
  var method: any TrainingMethod { local }

  init(_ local: any LocalMethod, _ group: DeviceGroup, microBatches: Int, boundary: ProcessBoundary? = nil) throws {
    self.local = local
    self.group = group
    self.microBatches = microBatches
    self.boundary = boundary
    try group.place(local.stages)
  }

  /// Device d's forward of one micro-batch: per component of the device, its input and its
  /// output (with graph), and the detached output handed to the next device.
  private struct Forward: MicroBatchForward {
    let inputs: [Activation]
    let outputs: [Activation]
    let handoff: Activation?
  }

  /// One mini-batch. Returns each component's loss (this rank's components' across ranks) once
  /// every component has learned; no job of this batch is still running, and no message of it
  /// is on its way, when it returns, whatever failed.
  func step(_ t: Int, _ inputs: Tensor, _ labels: Tensor, _ rates: EpochLearningRates?) throws -> [Double] {
    let (local, group, microBatches) = (self.local, self.group, self.microBatches)
    let jobs = JobSet()
    defer {
      jobs.settle()
      boundary?.abandonSends()  // none left after `settleSends` below; a failed step's, without a wait
    }

    // The micro-batches from the labels' rows: a rank other than 0 has the labels only.
    let sizes = MicroBatches.sizes(rows: labels.shape.first ?? 0, count: microBatches)
    let prepared =
      try boundary?.isHere(0) == false
      ? nil
      : jobs.submit(group.workers[0]) { () throws -> [Activation] in
        try group.preparing(t) { here in
          try local.firstActivation(inputs: inputs.to(here), labels: labels.to(here)).split(sizes: sizes)
        }
      }
    let count = sizes.count
    // Once device d has every micro-batch's forward queued, its components' learns follow at
    // once, each on the whole mini-batch, without waiting for any other device.
    var learning: [Pending<Double>] = []
    try group.pipelinedForwards(
      jobs, batch: t, microBatches: count, boundary: boundary, input: { try prepared!.wait()[$0] },
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
    let losses = try learning.map { try $0.wait() }
    jobs.settle()
    try boundary?.settleSends()
    return losses
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
    if boundary?.handsOnAcross(share) == true {
      try boundary!.sendForward(x, from: share)
      return Forward(inputs: inputs, outputs: outputs, handoff: nil)
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
