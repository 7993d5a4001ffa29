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
/// Across ranks (`boundary`) rank 0 tells every rank each step and hears their losses
/// (`BatchByBatchExecutor+Ranks.swift`).
final class BatchByBatchExecutor<Schedule: BatchSchedule>: DeviceGroupExecutor {
  let schedule: Schedule
  /// Set when the schedule's stages span the ranks of a job (the schedule holds the same).
  let boundary: ProcessBoundary?
  var shutDown = false
  var kind: PipelineKind { schedule.kind }
  var method: any TrainingMethod { schedule.method }
  var group: DeviceGroup { schedule.group }

  init(_ schedule: Schedule, boundary: ProcessBoundary? = nil, seed: UInt64 = 0) throws {
    self.schedule = schedule
    self.boundary = boundary
    try boundary?.begin(schedule.group, seed: seed)
  }

  func trainEpoch<S: Sequence>(_ batches: S, rates: EpochLearningRates?, onStep: (StepResult) throws -> Void) throws
    -> EpochSummary
  where S.Element == (inputs: Tensor, labels: Tensor) {
    let schedule = self.schedule
    guard let link = boundary?.link, !link.isLast else {
      return try group.trainBatchByBatch(method, batches, onStep: onStep) { t, inputs, labels in
        try schedule.step(t, inputs, labels, rates)
      }
    }
    return try trainEpochAcrossRanks(link, batches, rates: rates, onStep: onStep)
  }
}
