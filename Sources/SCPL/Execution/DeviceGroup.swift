import Data
import NN
import Torch

/// The devices of one executor: one started worker per device, the placement of components on
/// them, and the timeline their spans go to.
///
/// The placement places components on **stages**: one per device under every schedule but
/// interleaved-1f1b, which cuts the network into K·v stages (v chunks per device) and runs stage
/// s on device s mod K, so a micro-batch goes round the devices v times.
final class DeviceGroup {
  let devices: DeviceSpec
  /// Components on stages (contiguous; stage s on device `device(ofStage: s)`).
  let placement: Placement
  let workers: [DeviceWorker]
  let timeline: Timeline
  /// Tests only: every hand-off between devices is a real copy, as between GPUs, though CPU
  /// workers share their tensors' device (`PipelineOptions.copyEveryHandOff`).
  let copyEveryHandOff: Bool

  /// Each component's random generator (its dropout), seeded from the run's seed and the
  /// component's index. `DeviceShare` makes it the thread's generator while the component
  /// works, so a component draws the same numbers whatever device runs it and however the
  /// workers interleave: the draws depend on neither placement nor schedule.
  let generators: [Generator]

  init(
    devices: DeviceSpec, placement: Placement, threadsPerDevice: Int, queueDepth: Int, seed: UInt64 = 0,
    chunksPerDevice: Int = 1, copyEveryHandOff: Bool = false
  ) throws {
    try placement.check(componentCount: placement.componentCount, deviceCount: devices.count * chunksPerDevice)
    generators = try (0..<placement.componentCount).map { try Generator(seed: Self.generatorSeed(seed, component: $0)) }
    var started: [DeviceWorker] = []
    do {
      // Each GPU worker has a stream of its own; its thread's current stream on every other GPU is
      // that GPU's first worker's, so whatever it issues there is ordered with that worker's work.
      let streams = try devices.devices.map { try $0.gpu.map { try CUDAStream(gpu: $0) } }
      var home: [Int: CUDAStream] = [:]
      for case let s? in streams where home[s.gpu] == nil { home[s.gpu] = s }
      for (d, device) in devices.devices.enumerated() {
        started.append(
          try DeviceWorker(
            index: d, device: device, threads: threadsPerDevice, queueDepth: queueDepth, stream: streams[d],
            elsewhere: home.filter { $0.key != device.gpu }.sorted { $0.key < $1.key }.map(\.value)))
      }
    } catch {
      for w in started { w.shutdown() }
      throw error
    }
    self.devices = devices
    self.placement = placement
    self.copyEveryHandOff = copyEveryHandOff
    workers = started
    timeline = Timeline(deviceNames: devices.devices.enumerated().map { "device \($0.offset) (\($0.element))" })
  }

  /// How many devices (workers).
  var count: Int { workers.count }
  /// How many stages the placement cuts the network into: `count`, or `count` × interleaved-1f1b's
  /// chunks per device.
  var stageCount: Int { placement.deviceCount }
  /// The device that runs stage s.
  func device(ofStage s: Int) -> Int { s % count }
  /// The device that runs component k.
  func device(ofComponent k: Int) -> Int { device(ofStage: placement.deviceOfComponent[k]) }

  /// Waits until every GPU worker's stream has run what was queued on it (nothing on CPU workers).
  func synchronizeStreams() throws {
    for w in workers { try w.stream?.synchronize() }
  }

  /// The seed of component k's generator in a run seeded `seed`.
  static func generatorSeed(_ seed: UInt64, component k: Int) -> UInt64 {
    SplitMix64.derive(seed, 0x64726F70, UInt64(k))
  }

  /// Where device d's tensors live.
  func tensorDevice(_ d: Int) -> Device { devices.devices[d].tensorDevice }

  /// Where component k's tensors live.
  func tensorDevice(ofComponent k: Int) -> Device { tensorDevice(device(ofComponent: k)) }

  /// Moves modules (parameters and buffers, identities kept) to device d. A no-op on CPU workers.
  func place(_ modules: [Module], onDevice d: Int) throws {
    for m in modules { try m.move(to: tensorDevice(d)) }
  }

  /// Moves each of a BP model's components to its device, and the classifier to the last stage's.
  func place(_ model: StagedModel) throws {
    for (k, c) in model.components.enumerated() { try place([c], onDevice: device(ofComponent: k)) }
    try place([model.classifier], onDevice: device(ofStage: stageCount - 1))
  }

  /// Moves every local stage's modules to the device its component is placed on.
  func place(_ stages: [any LocalStage]) throws {
    for (k, stage) in stages.enumerated() { try place(stage.modules, onDevice: device(ofComponent: k)) }
  }

  /// Opens an epoch: the method's modules in training mode, the timeline's window started.
  ///
  /// Modules store their mode, and workers read it. That is safe because the mode is written
  /// only here and around `predict`, on the thread that drives the executor, while no job of
  /// the executor is in flight (`trainEpoch` and `predict` return only once every job they
  /// queued has finished); a worker reads it inside a job taken from its inbox after the write,
  /// and the inbox's lock orders the write before the read.
  func beginEpoch(training method: any TrainingMethod) {
    method.train(true)
    timeline.begin()
  }

  /// The epoch loop of the executors that finish each batch before starting the next (off, nmp,
  /// overlap, gpipe, scpl-gpipe): `step` trains one batch, timed on the calling thread, and its
  /// losses go to `onStep` in batch order.
  func trainBatchByBatch<S: Sequence>(
    _ method: any TrainingMethod, _ batches: S, onStep: (StepResult) throws -> Void,
    step: (_ t: Int, _ inputs: Tensor, _ labels: Tensor) throws -> [Double]
  ) throws -> EpochSummary
  where S.Element == (inputs: Tensor, labels: Tensor) {
    beginEpoch(training: method)
    defer { timeline.finish() }
    var previousEnd = timeline.window.start
    var steps = 0
    for (t, batch) in batches.enumerated() {
      let start = Stopwatch.now()
      let losses = try step(t, batch.inputs, batch.labels)
      let end = Stopwatch.now()
      steps += 1
      try onStep(StepResult(batch: t, losses: losses, start: start, end: end, interval: end - previousEnd))
      previousEnd = end
    }
    return EpochSummary(steps: steps, seconds: Stopwatch.now() - timeline.window.start)
  }

  func shutdown() { for w in workers { w.shutdown() } }
}
