/// A schedule simulator for model-parallel training: no tensors, only costs and time.
///
/// Read in this order:
/// - `StageCosts` / `CostModel`: what one stage's forward, loss, backward, update and transfer cost;
/// - `Schedule`: the six schedules by name (bp, nmp, overlap, async, gpipe, scpl-gpipe);
/// - `Job` and `Schedule.plan(_:)`: each schedule written out as data, a list of jobs, each on one
///   device, with the jobs it must wait for;
/// - `ScheduleSimulator.run(_:_:)`: the one function that turns a plan into timed spans;
/// - `Result.textChart()` and `ScheduleSimulator.svg(_:)`: drawings of the result.
///
/// Everything lives in this namespace so that generic names (`Schedule`, `Span`, `Job`) cannot
/// collide with the training code's types.
public enum ScheduleSimulator {}
