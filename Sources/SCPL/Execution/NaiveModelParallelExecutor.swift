import NN
import Torch

/// `--pipeline nmp` (spec 6.4), BP only: every component on its device; the forward runs down
/// the chain, each device's components on that device's worker, the activation moved to the next
/// device *without* detach; the cross-entropy, the one backward through every device and the one
/// Adam step run on the last device's worker. Nothing overlaps: one device is busy at a time.
///
/// libtorch's autograd runs CPU backward work on the thread that calls `backward()`, so on CPU
/// workers the whole backward is computed by the last worker (with its thread count); on GPUs
/// each device's part runs on that device's autograd thread.
final class NaiveModelParallelExecutor: DeviceGroupExecutor {
  let kind = PipelineKind.nmp
  private let bp: BackpropMethod
  let group: DeviceGroup
  var method: any TrainingMethod { bp }

  init(_ bp: BackpropMethod, _ group: DeviceGroup) throws {
    self.bp = bp
    self.group = group
    try group.place(bp.model)
  }

  func trainEpoch<S: Sequence>(_ batches: S, onStep: (StepResult) throws -> Void) throws -> EpochSummary
  where S.Element == (inputs: Tensor, labels: Tensor) {
    bp.train()
    return try group.trainBatchByBatch(batches, onStep: onStep) { t, inputs, labels in
      [try update(t, forward(t, inputs), labels)]
    }
  }

  /// Runs every device's components on that device's worker, one device after another, keeping
  /// the autograd graph across devices.
  private func forward(_ t: Int, _ inputs: Tensor) throws -> Activation {
    let (model, group, timeline) = (bp.model, self.group, self.group.timeline)
    var x = try group.workers[0].run {
      try inContext("preparing batch \(t) on device 0") { try model.firstActivation(inputs.to(group.tensorDevice(0))) }
    }
    for d in 0..<group.count {
      let input = x
      x = try group.workers[d].run {
        var y = input
        for k in group.placement.components[d] {
          let input = y
          y = try inContext("component \(k + 1) on device \(d) (\(group.devices.devices[d])), batch \(t)") {
            try timeline.measure(device: d, .forward, batch: t, component: k) { try model.components[k](input) }
          }
        }
        if d + 1 < group.count, group.tensorDevice(d + 1) != group.tensorDevice(d) {
          y = try timeline.measure(device: d, .transfer, batch: t) { try y.to(group.tensorDevice(d + 1)) }
        }
        return y
      }
    }
    return x
  }

  /// BackpropMethod.trainStep's loss and update, on the last device's worker, with the forward
  /// above in place of `model(inputs)`.
  private func update(_ t: Int, _ output: Activation, _ labels: Tensor) throws -> Double {
    let (model, optimizer, group, timeline) = (bp.model, bp.optimizer, self.group, self.group.timeline)
    let last = group.count - 1
    return try group.workers[last].run {
      try inContext("loss, backward and update on device \(last) (\(group.devices.devices[last])), batch \(t)") {
        try timeline.measure(device: last, .learn, batch: t) {
          let logits = try model.classifier(model.components.last!.features(output))
          let loss = try crossEntropy(logits, labels.to(group.tensorDevice(last)))
          try optimizer.zeroGrad()
          try loss.backward()
          try optimizer.step()
          return try loss.item()
        }
      }
    }
  }
}
