import Torch

/// An executor whose workers are a `DeviceGroup` (all six). Its devices, placement, timeline,
/// shutdown and prediction are the group's, whatever the training schedule, so each executor
/// gets them by naming its group and writes only its own `trainEpoch`.
protocol DeviceGroupExecutor: PipelineExecutor {
  var group: DeviceGroup { get }
}

extension DeviceGroupExecutor {
  var devices: DeviceSpec { group.devices }
  var placement: Placement { group.placement }
  var timeline: Timeline { group.timeline }
  var generators: [Generator] { group.generators }

  func shutdown() { group.shutdown() }

  func predict<S: Sequence>(
    _ inputs: S, exiting: ExitPolicy?, onBatch: (_ batch: Int, _ prediction: Prediction) throws -> Void
  ) throws
  where S.Element == Tensor {
    try group.predict(method, inputs, exiting: exiting, onBatch: onBatch)
  }
}
