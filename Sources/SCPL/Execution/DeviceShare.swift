import NN
import Torch

/// Something a device hands to another: moved as a whole to the receiving device's tensors.
protocol DeviceMovable {
  func moved(to device: Device) throws -> Self
  /// A copy with storage of its own (autograd-tracked, as a move between devices is).
  func copied() throws -> Self
  /// The tensors that travel (the receiving device reads them).
  var tensors: [Tensor] { get }
}

extension Tensor: DeviceMovable {
  func moved(to device: Device) throws -> Tensor { try to(device) }
  func copied() throws -> Tensor { try clone() }
  var tensors: [Tensor] { [self] }
}

extension Activation: DeviceMovable {
  func moved(to device: Device) throws -> Activation { try to(device) }
  func copied() throws -> Activation { try mapTensors { try $0.clone() } }
  var tensors: [Tensor] { slots.compactMap { $0 } + extraTensors }
}

/// Stage s's share of one batch (or one micro-batch), on the device that runs the stage (device s,
/// but under interleaved-1f1b device s mod K): the one mechanism every schedule runs its
/// work through. Executors and the placed prediction decide *when* each device does what; a share
/// does it — the device's components in placement order, each forward and learn recorded as a
/// span and any error told with where it happened ("component 3 on device 1 (cpu:1), batch 5,
/// micro-batch 2 of 4") — and moves the result to the next device. A hand-off between devices
/// of one process happens here and nowhere else (`handOff`: a stream's order, a copy between
/// GPUs); a device in another process is reached through `ProcessBoundary`, the one type that
/// crosses processes, with the same share's error context and transfer span. The schedules are
/// the same either way.
///
/// A share is a value made on the scheduling thread and used on device d's worker, inside the
/// job that runs the work.
struct DeviceShare {
  let group: DeviceGroup
  /// The stage (`DeviceGroup.placement`); the device under every schedule but interleaved-1f1b.
  let stage: Int
  let batch: Int
  /// The micro-batch (0-based) under gpipe and scpl-gpipe, and how many there are.
  let microBatch: Int?
  let microBatchCount: Int
  /// Where spans go; nil records none (prediction, which runs outside an epoch's window).
  let timeline: Timeline?
  /// Prefix of every error context ("predicting: ").
  let purpose: String

  /// The device that runs the stage (its worker, its spans).
  var device: Int { group.device(ofStage: stage) }
  /// The components placed on this stage, in order.
  var components: [Int] { group.placement.components[stage] }
  var isFirst: Bool { stage == 0 }
  var isLast: Bool { stage == group.stageCount - 1 }
  var tensorDevice: Device { group.tensorDevice(device) }

  /// "device 1 (cpu:1)[, stage 4 of 4], batch 5[, micro-batch 2 of 4]": where the work runs, for
  /// error messages (the stage where a device runs several).
  var place: String {
    "device \(device) (\(group.devices.devices[device]))"
      + (group.stageCount == group.count ? "" : ", stage \(stage + 1) of \(group.stageCount)") + ", batch \(batch)"
      + (microBatch.map { ", micro-batch \($0 + 1) of \(microBatchCount)" } ?? "")
  }

  /// Runs `body` with errors prefixed by "`what` on <place>".
  func run<T>(_ what: String, _ body: () throws -> T) throws -> T {
    try inContext("\(purpose)\(what) on \(place)", body)
  }

  /// Component k's forward: a forward span, errors told with the component, its dropout drawn
  /// from its own generator.
  func forward<T>(component k: Int, _ body: () throws -> T) throws -> T {
    try run("component \(k + 1)") { try measure(.forward, component: k) { try drawing(for: k, body) } }
  }

  /// Learning (loss, backward, update) of component k, or of the device as a whole (`component`
  /// nil: BP's loss and backward); `what` names it in errors. `everyDevice`: the work reaches
  /// every device (nmp's one backward and update).
  func learn<T>(component k: Int?, _ what: String? = nil, everyDevice: Bool = false, _ body: () throws -> T) throws -> T
  {
    try run(what ?? k.map { "component \($0 + 1)" } ?? "learning") {
      try measure(.learn, component: k, everyDevice: everyDevice) {
        // With replicas, the component's all-reduce is a span of its own inside this one.
        try AveragingObserver.observing({ averaging in try measure(.allreduce, component: k) { try averaging() } }) {
          try k.map { try drawing(for: $0, body) } ?? body()
        }
      }
    }
  }

  /// Runs `body` with component k's generator as the thread's (`DeviceGroup.generators`).
  func drawing<T>(for k: Int, _ body: () throws -> T) rethrows -> T {
    Generator.useOnThisThread(group.generators[k])
    defer { Generator.useOnThisThread(nil) }
    return try body()
  }

  /// The device's CUDA stream (nil on a CPU worker).
  var stream: CUDAStream? { group.workers[device].stream }

  /// A span of `kind` around `body` (none without a timeline).
  ///
  /// On GPUs a share's work is done when `measure` returns: the device's stream has run what
  /// `body` queued — every GPU worker's stream after work that reaches every GPU (an update step
  /// of all of BP's parameters, nmp's one backward: `everyDevice`). So whatever a worker leaves
  /// for another (an activation, updated weights, the state a checkpoint reads) is complete,
  /// whatever the schedule, and spans measure GPU time, not launch time. The worker would wait
  /// for its stream at its next hand-off anyway.
  func measure<T>(_ kind: SpanKind, component: Int? = nil, everyDevice: Bool = false, _ body: () throws -> T) throws
    -> T
  {
    guard let timeline else { return try finished(body(), kind, everyDevice: everyDevice) }
    return try timeline.measure(device: device, kind, batch: batch, component: component, microBatch: microBatch) {
      try finished(body(), kind, everyDevice: everyDevice)
    }
  }

  /// `value`, once the work that made it has run on the GPU (see `measure`).
  private func finished<T>(_ value: T, _ kind: SpanKind, everyDevice: Bool) throws -> T {
    if everyDevice || kind == .step { try group.synchronizeStreams() } else { try stream?.synchronize() }
    return value
  }

  /// The device's components on `x`, in order: `each(k, input)` is component k's work (its
  /// forward through `forward(component:)`, and whatever the schedule adds) and returns what the
  /// next component reads.
  func throughComponents<T>(_ x: T, _ each: (_ k: Int, _ input: T) throws -> T) rethrows -> T {
    try components.reduce(x) { input, k in try each(k, input) }
  }

  /// `value` on device `target`'s tensors: a transfer span on this device when that is a real
  /// copy, `value` itself when both devices keep their tensors in the same place.
  func handOff<T: DeviceMovable>(_ value: T, to target: Int) throws -> T {
    let destination = group.tensorDevice(target)
    let handed: T
    if destination == tensorDevice {
      guard group.copyEveryHandOff, target != device else { try crossStreams(value, to: target); return value }
      handed = try run("copying the activation for device \(target)") { try measure(.transfer) { try value.copied() } }
    } else {
      handed = try run("moving the activation to device \(target)") {
        try measure(.transfer) { try value.moved(to: destination) }
      }
    }
    try crossStreams(handed, to: target)
    return handed
  }

  /// Between two GPU workers (two GPUs, or two lanes of one): the receiver's stream must not
  /// read what this stream has not finished writing, so this worker waits for its stream (a
  /// cross-GPU copy runs on it too); and the caching allocator must not hand the tensors' memory
  /// out again while the receiver's stream may still read them, so their use by that stream is
  /// recorded (torch's record_stream). Nothing to do on CPU workers.
  private func crossStreams<T: DeviceMovable>(_ value: T, to target: Int) throws {
    guard target != device, let theirs = group.workers[target].stream else { return }
    try run("handing the activation to device \(target)") {
      try stream?.synchronize()
      for t in value.tensors { try theirs.recordUse(of: t) }
    }
  }

  /// A prediction share's way to another component's modules (Associated Learning's decoder
  /// chain): the same hand-off, to the device that component is placed on.
  var componentHandOff: ComponentHandOff {
    ComponentHandOff { [self] tensor, k in try handOff(tensor, to: group.device(ofComponent: k)) }
  }

  /// `value` for the next stage's device (unchanged on the last stage).
  func handOff<T: DeviceMovable>(_ value: T) throws -> T {
    isLast ? value : try handOff(value, to: group.device(ofStage: stage + 1))
  }

  /// `value` (gradients going back) for the previous stage's device.
  func handBack<T: DeviceMovable>(_ value: T) throws -> T {
    try handOff(value, to: group.device(ofStage: stage - 1))
  }
}

extension DeviceGroup {
  /// Stage s's share of batch t (micro-batch m of `count`), recording spans on the timeline.
  /// Stage s is device s under every schedule but interleaved-1f1b.
  func share(_ s: Int, batch t: Int, microBatch m: Int? = nil, of count: Int = 1) -> DeviceShare {
    DeviceShare(
      group: self, stage: s, batch: t, microBatch: m, microBatchCount: count, timeline: timeline, purpose: "")
  }

  /// Stage s's share of predicting batch t: no spans (prediction runs outside an epoch's
  /// window), errors told as "predicting: …".
  func predictionShare(_ s: Int, batch t: Int) -> DeviceShare {
    DeviceShare(
      group: self, stage: s, batch: t, microBatch: nil, microBatchCount: 1, timeline: nil, purpose: "predicting: ")
  }

  /// Runs `body` (batch t's preparation: its inputs moved to device 0 and wrapped as the first
  /// activation) with errors told as "preparing batch t on device 0".
  func preparing<T>(_ t: Int, _ body: (_ device: Device) throws -> T) throws -> T {
    try inContext("preparing batch \(t) on device 0 (\(devices.devices[0]))") { try body(tensorDevice(0)) }
  }
}
