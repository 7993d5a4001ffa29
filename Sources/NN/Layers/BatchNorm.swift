import Torch

/// Batch normalisation over the channel axis (axis 1), PyTorch's semantics: training uses batch
/// statistics (biased variance) and updates the running ones with `momentum` (unbiased
/// variance); evaluation uses the running statistics.
public class BatchNorm: Module, UnaryLayer, @unchecked Sendable {
  /// The per-channel scale γ, of shape `features`, initialised to ones.
  public let weight: Tensor
  /// The per-channel shift β, of shape `features`, initialised to zeros.
  public let bias: Tensor
  /// Running per-channel mean used in evaluation, initialised to zeros.
  public let runningMean: Buffer
  /// Running per-channel (unbiased) variance used in evaluation, initialised to ones.
  public let runningVar: Buffer
  /// Training forwards so far (an int64 scalar), kept as PyTorch keeps it, so the state dict
  /// loads into nn.BatchNorm strictly. With a fixed momentum nothing reads it.
  public let numBatchesTracked: Buffer
  /// Number of channels C on axis 1.
  public let features: Int
  /// Weight of the current batch when updating the running statistics.
  public let momentum: Double
  /// Added to the variance before the square root, for numerical stability.
  public let eps: Double
  let expectedRanks: Set<Int>

  init(features: Int, momentum: Double, eps: Double, dtype: DType, ranks: Set<Int>) throws {
    guard features > 0 else { throw TorchError("BatchNorm(\(features)): the feature count must be positive") }
    self.features = features
    self.momentum = momentum
    self.eps = eps
    expectedRanks = ranks
    weight = try Tensor.ones([features], dtype: dtype).asParameter()
    bias = try Tensor.zeros([features], dtype: dtype).asParameter()
    runningMean = Buffer(try Tensor.zeros([features], dtype: dtype))
    runningVar = Buffer(try Tensor.ones([features], dtype: dtype))
    numBatchesTracked = Buffer(try Tensor.zeros([], dtype: .int64))
    super.init()
  }

  /// Normalises `x` per channel; the output has the input's shape. Throws for a wrong rank or channel
  /// count, or in training when a channel has only one value.
  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    guard expectedRanks.contains(x.rank), x.shape[1] == features else {
      throw TorchError(
        "\(type(of: self))(\(features)) expects inputs of rank \(expectedRanks.sorted()) with \(features) channels on axis 1, got shape \(x.shape)"
      )
    }
    if isTraining && x.shape[0] < 2 && x.count / features < 2 {
      throw TorchError("\(type(of: self)) in training needs more than one value per channel, got shape \(x.shape)")
    }
    // An integer tensor takes only an integer addend (a 0-dim one works on any device).
    if isTraining { try numBatchesTracked.value.add_(Tensor.scalar(1, dtype: .int64)) }
    return try Functional.batchNorm(
      x, weight: weight, bias: bias, runningMean: runningMean.value,
      runningVar: runningVar.value, training: isTraining, momentum: momentum, eps: eps)
  }
}

/// BatchNorm over B×C (or B×C×L) inputs.
public final class BatchNorm1d: BatchNorm, @unchecked Sendable {
  /// A BatchNorm over `features` channels; throws unless `features` is positive.
  public init(_ features: Int, momentum: Double = 0.1, eps: Double = 1e-5, dtype: DType = .float32) throws {
    try super.init(features: features, momentum: momentum, eps: eps, dtype: dtype, ranks: [2, 3])
  }
}

/// BatchNorm over B×C×H×W inputs.
public final class BatchNorm2d: BatchNorm, @unchecked Sendable {
  /// A BatchNorm over `features` channels; throws unless `features` is positive.
  public init(_ features: Int, momentum: Double = 0.1, eps: Double = 1e-5, dtype: DType = .float32) throws {
    try super.init(features: features, momentum: momentum, eps: eps, dtype: dtype, ranks: [4])
  }
}
