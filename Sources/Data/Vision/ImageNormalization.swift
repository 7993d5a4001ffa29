import Torch

/// Per-channel mean and standard deviation of a data set's training images after scaling pixels
/// to [0, 1]; a batch is normalised as (x − mean) / std, channel by channel.
public struct ImageNormalization: Sendable, Equatable {
  /// Per-channel means.
  public let mean: [Double]
  /// Per-channel standard deviations, all positive.
  public let std: [Double]

  /// Creates a normalisation with one mean and one positive std per channel (a precondition).
  public init(mean: [Double], std: [Double]) {
    precondition(mean.count == std.count && !mean.isEmpty, "one mean and one std per channel")
    precondition(std.allSatisfy { $0 > 0 }, "standard deviations must be positive")
    self.mean = mean
    self.std = std
  }

  /// Number of channels.
  public var channels: Int { mean.count }

  // The reference's `utils/vision.py` normalisation. The values are torchvision's usual ones,
  // copied by the reference code.
  /// CIFAR-10's values, as the reference's `utils/vision.py` uses them.
  public static let cifar10 = ImageNormalization(mean: [0.4914, 0.4822, 0.4465], std: [0.2023, 0.1994, 0.2010])
  /// CIFAR-100's values, as the reference's `utils/vision.py` uses them.
  public static let cifar100 = ImageNormalization(mean: [0.5071, 0.4867, 0.4408], std: [0.2675, 0.2565, 0.2761])
  /// tiny-ImageNet's values, as the reference's `utils/vision.py` uses them.
  public static let tinyImageNet = ImageNormalization(mean: [0.4802, 0.4481, 0.3975], std: [0.2770, 0.2691, 0.2821])
  /// Fashion-MNIST's values: `FashionMNIST.mean` and `FashionMNIST.std` on its one channel.
  public static let fashionMNIST = ImageNormalization(mean: [FashionMNIST.mean], std: [FashionMNIST.std])
  /// No change: for inspecting augmented pixels in [0, 1].
  public static func identity(channels: Int) -> ImageNormalization {
    ImageNormalization(mean: Array(repeating: 0, count: channels), std: Array(repeating: 1, count: channels))
  }

  /// The per-channel mean and standard deviation (population) of uint8 images N×C×H×W scaled to
  /// [0, 1], summed in float64 over chunks of 1 024 images; a constant channel gets std 1.
  public static func measured(_ images: Tensor) throws -> ImageNormalization {
    guard images.dtype == .uint8, images.rank == 4, images.shape[0] > 0 else {
      throw DataError("measuring a normalisation needs uint8 images N×C×H×W, got \(images.dtype) \(images.shape)")
    }
    let channels = images.shape[1]
    var sum = [Double](repeating: 0, count: channels), squares = sum
    var start = 0
    while start < images.shape[0] {
      let end = Swift.min(start + 1024, images.shape[0])
      let x = try images.slice(axis: 0, start: start, end: end).to(.float64) / 255
      for (c, v) in try x.sum(axes: [0, 2, 3]).toArray(Double.self).enumerated() { sum[c] += v }
      for (c, v) in try (x * x).sum(axes: [0, 2, 3]).toArray(Double.self).enumerated() { squares[c] += v }
      start = end
    }
    let n = Double(images.shape[0] * images.shape[2] * images.shape[3])
    let mean = sum.map { $0 / n }
    let std = zip(squares, mean).map { s, m in (Swift.max(s / n - m * m, 0)).squareRoot() }
    return ImageNormalization(mean: mean, std: std.map { $0 > 1e-12 ? $0 : 1 })
  }

  /// Normalises float pixels in [0, 1], N×C×H×W.
  public func apply(_ x: Tensor) throws -> Tensor {
    let shape = [1, channels, 1, 1]
    let m = try Tensor(mean.map(Float.init), shape: shape)
    let s = try Tensor(std.map(Float.init), shape: shape)
    return try (x - m) / s
  }
}
