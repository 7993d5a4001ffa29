import Foundation
import Torch

/// Cosine interpolation from `base` to `end` over S_max = epochs·stepsPerEpoch steps (the
/// reference's cosine LR, `utils/utils.py`):
///
///     q(s) = ½(1 + cos(π·s/S_max)),   lr(s) = base·q(s) + end·(1 − q(s))
///
/// With `.perEpoch` (the reference) the rate is set once at the start of each 1-based epoch e, at
/// s = (e − 1)·stepsPerEpoch, so the last epoch runs slightly above `end`. With `.perStep` s is the
/// global step, and the rate reaches `end` once all S_max steps are taken.
public struct CosineSchedule: LearningRateSchedule {
  /// How often the rate changes: once per epoch or after every step.
  public enum Granularity: String, Sendable, CaseIterable {
    /// The rate is set at the start of each epoch (the reference).
    case perEpoch
    /// The rate follows the global step.
    case perStep
  }

  /// The starting learning rate, at s = 0.
  public let base: Double
  /// The final learning rate, at s = S_max.
  public let end: Double
  /// Number of epochs in the schedule.
  public let epochs: Int
  /// Optimizer steps per epoch.
  public let stepsPerEpoch: Int
  /// Whether the rate changes per epoch or per step.
  public let granularity: Granularity

  /// S_max, the step count at which the rate reaches `end`.
  public var totalSteps: Int { epochs * stepsPerEpoch }

  /// A schedule from `base` to `end` over `epochs` epochs of `stepsPerEpoch` steps; throws unless both
  /// rates are finite and ≥ 0 and both counts are ≥ 1.
  public init(base: Double, end: Double, epochs: Int, stepsPerEpoch: Int, granularity: Granularity = .perEpoch) throws {
    guard base >= 0, base.isFinite, end >= 0, end.isFinite else {
      throw TorchError(
        "CosineSchedule: the base and end learning rates must be finite numbers ≥ 0, got base \(base), end \(end)")
    }
    guard epochs >= 1 else { throw TorchError("CosineSchedule: epochs must be ≥ 1, got \(epochs)") }
    guard stepsPerEpoch >= 1 else {
      throw TorchError("CosineSchedule: steps per epoch must be ≥ 1, got \(stepsPerEpoch)")
    }
    self.base = base
    self.end = end
    self.epochs = epochs
    self.stepsPerEpoch = stepsPerEpoch
    self.granularity = granularity
  }

  /// The rate for 1-based `epoch` (and global `step` with `.perStep`); throws when `epoch` is outside
  /// 1…epochs or, per step, `step` outside 0…S_max.
  public func learningRate(epoch: Int, step: Int) throws -> Double {
    guard (1...epochs).contains(epoch) else {
      throw TorchError("CosineSchedule: epoch \(epoch) is outside 1…\(epochs)")
    }
    switch granularity {
    case .perEpoch:
      return rate(at: (epoch - 1) * stepsPerEpoch)
    case .perStep:
      // S_max itself is allowed: it is the rate after the last step.
      guard (0...totalSteps).contains(step) else {
        throw TorchError(
          "CosineSchedule: step \(step) is outside 0…\(totalSteps) (\(epochs) epochs of \(stepsPerEpoch) steps)")
      }
      return rate(at: step)
    }
  }

  /// lr(s) for 0 ≤ s ≤ S_max.
  public func rate(at s: Int) -> Double {
    let q = 0.5 * (1 + Foundation.cos(Double.pi * Double(s) / Double(totalSteps)))
    return base * q + end * (1 - q)
  }
}
