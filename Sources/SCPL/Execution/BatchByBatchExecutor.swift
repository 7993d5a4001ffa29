import Torch

/// A schedule that finishes each batch before it starts the next (off, nmp, overlap, gpipe,
/// scpl-gpipe): what its devices do for one batch. `BatchByBatchExecutor` runs it over an epoch.
protocol BatchSchedule {
  var kind: PipelineKind { get }
  var method: any TrainingMethod { get }
  var group: DeviceGroup { get }
  /// Trains batch t (every device's part, each on its worker) and returns its losses; no job of
  /// the batch is still running when it returns, whatever failed.
  func step(_ t: Int, _ inputs: Tensor, _ labels: Tensor, _ rates: EpochLearningRates?) throws -> [Double]
}

/// The one executor of the batch-by-batch schedules: the group's epoch loop
/// (`DeviceGroup.trainBatchByBatch`: modes, timeline, timing, results in order) around the
/// schedule's step. Only the async schedule, whose batches overlap, has an executor of its own.
final class BatchByBatchExecutor<Schedule: BatchSchedule>: DeviceGroupExecutor {
  let schedule: Schedule
  var kind: PipelineKind { schedule.kind }
  var method: any TrainingMethod { schedule.method }
  var group: DeviceGroup { schedule.group }

  init(_ schedule: Schedule) { self.schedule = schedule }

  func trainEpoch<S: Sequence>(_ batches: S, rates: EpochLearningRates?, onStep: (StepResult) throws -> Void) throws
    -> EpochSummary
  where S.Element == (inputs: Tensor, labels: Tensor) {
    let schedule = self.schedule
    return try group.trainBatchByBatch(method, batches, onStep: onStep) { t, inputs, labels in
      try schedule.step(t, inputs, labels, rates)
    }
  }
}
