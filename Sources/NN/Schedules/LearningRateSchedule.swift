import Torch

/// A learning rate as a function of training progress.
///
/// `epoch` is 1-based; `step` is the global number of optimizer steps already taken when the rate
/// is asked for (0 before the first step). A schedule evaluated once per epoch passes the step at
/// the start of that epoch, (epoch − 1)·stepsPerEpoch.
public protocol LearningRateSchedule: Sendable {
  /// The learning rate for 1-based `epoch` with `step` optimizer steps already taken.
  func learningRate(epoch: Int, step: Int) throws -> Double
}

extension Optimizer {
  /// Sets every parameter's learning rate from `schedule` (one group, so one rate).
  public func apply(_ schedule: some LearningRateSchedule, epoch: Int, step: Int) throws {
    learningRate = try schedule.learningRate(epoch: epoch, step: step)
  }
}

/// The same rate throughout (the NLP runs: base = end = 1e-3).
public struct ConstantSchedule: LearningRateSchedule {
  /// The learning rate returned for every epoch and step.
  public let rate: Double

  /// A constant `rate`; throws unless it is finite and ≥ 0.
  public init(_ rate: Double) throws {
    guard rate >= 0, rate.isFinite else {
      throw TorchError("ConstantSchedule: the learning rate must be a finite number ≥ 0, got \(rate)")
    }
    self.rate = rate
  }

  /// Returns `rate`; throws when `epoch` < 1 or `step` < 0.
  public func learningRate(epoch: Int, step: Int) throws -> Double {
    guard epoch >= 1 else { throw TorchError("ConstantSchedule: epochs count from 1, got epoch \(epoch)") }
    guard step >= 0 else { throw TorchError("ConstantSchedule: the step must be ≥ 0, got \(step)") }
    return rate
  }
}
