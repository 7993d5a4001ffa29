import Torch

/// Images held as uint8 N×C×H×W — a quarter of the memory of float32 — with int64 labels, the
/// data set's normalisation and an augmentation mode. Pixels become floats one batch at a time.
public struct ImageDataset: BatchSource {
  /// The data set's name, used in error messages.
  public let name: String
  /// The images, uint8 N×C×H×W, contiguous.
  public let images: Tensor
  /// The labels, int64 of shape N.
  public let labels: Tensor
  /// Number of classes the labels range over.
  public let classCount: Int
  /// The per-channel normalisation applied to every batch.
  public let normalization: ImageNormalization
  /// How batches are augmented (`none` for testing).
  public var augmentation: Augmentation

  /// Creates a data set; throws `DataError` unless the images are uint8 N×C×H×W with one label each and
  /// as many channels as `normalization`.
  public init(
    name: String, images: Tensor, labels: Tensor, classCount: Int,
    normalization: ImageNormalization, augmentation: Augmentation = .none
  ) throws {
    guard images.dtype == .uint8, images.rank == 4 else {
      throw DataError("\(name): images must be uint8 N×C×H×W, got \(images.dtype) \(images.shape)")
    }
    guard labels.rank == 1, labels.size(0) == images.size(0) else {
      throw DataError("\(name): \(images.size(0)) images but labels of shape \(labels.shape)")
    }
    guard images.size(0) > 0 else { throw DataError("\(name) is empty") }
    guard images.size(1) == normalization.channels else {
      throw DataError("\(name): images have \(images.size(1)) channels, the normalisation \(normalization.channels)")
    }
    self.name = name
    self.images = try images.contiguous()
    self.labels = try labels.to(.int64)
    self.classCount = classCount
    self.normalization = normalization
    self.augmentation = augmentation
  }

  /// Number of images, N.
  public var count: Int { images.size(0) }
  /// C, H, W.
  public var sampleShape: [Int] { Array(images.shape.dropFirst()) }

  /// The same images with another augmentation (training vs. test transform).
  public func with(augmentation: Augmentation) -> ImageDataset {
    var copy = self
    copy.augmentation = augmentation
    return copy
  }

  /// The first `n` images (for quick runs: `--limit-train`); the whole set when n is nil or larger.
  public func prefix(_ n: Int?) throws -> ImageDataset {
    guard let n, n < count else { return self }
    guard n > 0 else { throw DataError("\(name): a limit of \(n) samples leaves nothing to train on") }
    return try ImageDataset(
      name: name, images: images.slice(axis: 0, end: n), labels: labels.slice(axis: 0, end: n),
      classCount: classCount, normalization: normalization, augmentation: augmentation)
  }

  /// The images at `indices`, augmented and normalised as float32, with their labels; `rng` drives the
  /// augmentation.
  public func batch(indices: [Int], rng: inout SplitMix64) throws -> (inputs: Tensor, labels: Tensor) {
    let index = try SampleIndices.tensor(indices, count: count, source: name)
    return try augmentation.apply(
      images: images.indexSelect(axis: 0, index), labels: labels.indexSelect(axis: 0, index),
      normalization: normalization, rng: &rng)
  }
}
