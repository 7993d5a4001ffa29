import Torch

/// A data set held in memory as two tensors: inputs (N×…) and int64 labels (N).
public struct TensorDataset: Sendable {
  /// The data set's name, used in error messages.
  public let name: String
  /// The samples, N×… (any element type).
  public let inputs: Tensor
  /// The labels, int64 of shape N.
  public let labels: Tensor
  /// Number of classes the labels range over.
  public let classCount: Int

  /// Creates a data set, converting labels to int64; throws `DataError` if inputs and labels disagree or are empty.
  public init(name: String, inputs: Tensor, labels: Tensor, classCount: Int) throws {
    guard inputs.rank >= 1, labels.rank == 1, inputs.shape[0] == labels.shape[0] else {
      throw DataError("\(name): inputs \(inputs.shape) and labels \(labels.shape) disagree on the number of samples")
    }
    guard inputs.shape[0] > 0 else { throw DataError("\(name) is empty") }
    self.name = name
    self.inputs = inputs
    self.labels = try labels.to(.int64)
    self.classCount = classCount
  }

  /// Number of samples, N.
  public var count: Int { labels.shape[0] }
  /// The shape of one sample: the inputs' shape without its first dimension.
  public var sampleShape: [Int] { Array(inputs.shape.dropFirst()) }

  /// The first `n` samples (for quick runs); the whole set when n is nil or larger.
  public func prefix(_ n: Int?) throws -> TensorDataset {
    guard let n, n < count else { return self }
    guard n > 0 else { throw DataError("\(name): a limit of \(n) samples leaves nothing to train on") }
    return try TensorDataset(
      name: name, inputs: inputs.slice(axis: 0, end: n), labels: labels.slice(axis: 0, end: n),
      classCount: classCount)
  }
}

/// A small, fast, seedable generator (SplitMix64), so shuffles are reproducible on every platform.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  private var state: UInt64
  /// Creates a generator whose sequence is fixed by `seed`.
  public init(seed: UInt64) { state = seed }
  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// Mini-batches of a TensorDataset in a seeded random (or fixed) order.
public struct Batches: Sequence {
  /// The data set to cut into batches.
  public let dataset: TensorDataset
  /// Samples per batch.
  public let batchSize: Int
  /// Sample indices in the order they are served.
  public let order: [Int64]
  /// Whether a last, partial batch is left out.
  public let dropLast: Bool

  /// Batches of `batchSize` samples of `dataset`, shuffled by `shuffleSeed` (nil keeps the data
  /// set's order, for evaluation); `dropLast` leaves out a last, partial batch.
  public init(_ dataset: TensorDataset, batchSize: Int, shuffleSeed: UInt64?, dropLast: Bool = false) throws {
    guard batchSize > 0 else { throw DataError("the batch size must be positive, got \(batchSize)") }
    self.dataset = dataset
    self.batchSize = batchSize
    self.dropLast = dropLast
    var indices = (0..<Int64(dataset.count)).map { $0 }
    if let seed = shuffleSeed {
      var rng = SplitMix64(seed: seed)
      indices.shuffle(using: &rng)
    }
    order = indices
  }

  /// Number of batches (the last one partial unless `dropLast`).
  public var count: Int { order.count / batchSize + (dropLast || order.count % batchSize == 0 ? 0 : 1) }

  /// An iterator over the batches as (inputs, labels) pairs, in `order`.
  public func makeIterator() -> AnyIterator<(inputs: Tensor, labels: Tensor)> {
    var start = 0
    return AnyIterator {
      guard start < order.count else { return nil }
      let end = start + Swift.min(batchSize, order.count - start)
      if dropLast && end - start < batchSize { return nil }
      defer { start = end }
      do {
        let index = try Tensor(Array(order[start..<end]))
        return (try dataset.inputs.indexSelect(axis: 0, index), try dataset.labels.indexSelect(axis: 0, index))
      } catch {
        fatalError("indexing a validated in-memory data set failed: \(error)")
      }
    }
  }
}
