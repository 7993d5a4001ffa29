import Torch

/// Inverted dropout: in training each element is zeroed with probability `p` and the survivors
/// are scaled by 1/(1−p), so evaluation (which passes the input through unchanged) sees the same
/// expected activations.
public final class Dropout: Module, UnaryLayer, @unchecked Sendable {
  /// The probability of zeroing each element in training.
  public let p: Double

  /// Creates a dropout layer with drop probability `p`; throws unless `p` is in [0, 1].
  public init(_ p: Double = 0.5) throws {
    guard (0...1).contains(p) else { throw TorchError("Dropout(\(p)): the probability must be in [0, 1]") }
    self.p = p
    super.init()
  }

  /// Applies dropout in training; in evaluation, or with `p` = 0, returns `x` unchanged.
  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    guard isTraining, p > 0 else { return x }
    return try Functional.dropout(x, p: p, training: true)
  }
}
