import Torch

/// Per-channel mean and standard deviation of a data set's training images after scaling pixels
/// to [0, 1]; a batch is normalised as (x − mean) / std, channel by channel.
public struct ImageNormalization: Sendable, Equatable {
  public let mean: [Double]
  public let std: [Double]

  public init(mean: [Double], std: [Double]) {
    precondition(mean.count == std.count && !mean.isEmpty, "one mean and one std per channel")
    precondition(std.allSatisfy { $0 > 0 }, "standard deviations must be positive")
    self.mean = mean
    self.std = std
  }

  public var channels: Int { mean.count }

  // The reference's `utils/vision.py` normalisation. The values are torchvision's usual ones,
  // copied by the reference code.
  public static let cifar10 = ImageNormalization(mean: [0.4914, 0.4822, 0.4465], std: [0.2023, 0.1994, 0.2010])
  public static let cifar100 = ImageNormalization(mean: [0.5071, 0.4867, 0.4408], std: [0.2675, 0.2565, 0.2761])
  public static let tinyImageNet = ImageNormalization(mean: [0.4802, 0.4481, 0.3975], std: [0.2770, 0.2691, 0.2821])
  public static let fashionMNIST = ImageNormalization(mean: [FashionMNIST.mean], std: [FashionMNIST.std])
  /// No change: for inspecting augmented pixels in [0, 1].
  public static func identity(channels: Int) -> ImageNormalization {
    ImageNormalization(mean: Array(repeating: 0, count: channels), std: Array(repeating: 1, count: channels))
  }

  /// Normalises float pixels in [0, 1], N×C×H×W.
  public func apply(_ x: Tensor) throws -> Tensor {
    let shape = [1, channels, 1, 1]
    let m = try Tensor(mean.map(Float.init), shape: shape)
    let s = try Tensor(std.map(Float.init), shape: shape)
    return try (x - m) / s
  }
}
