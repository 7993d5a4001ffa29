import Torch

/// An in-memory tensor data set is a batch source without augmentation: `rng` is not used.
extension TensorDataset: BatchSource {
  /// The samples at `indices`, stacked; throws `DataError` for an empty batch or an index out of range.
  public func batch(indices: [Int], rng: inout SplitMix64) throws -> (inputs: Tensor, labels: Tensor) {
    let index = try SampleIndices.tensor(indices, count: count, source: name)
    return (try inputs.indexSelect(axis: 0, index), try labels.indexSelect(axis: 0, index))
  }
}

/// Checks sample indices before they reach libtorch, whose out-of-range message names no data set.
enum SampleIndices {
  static func tensor(_ indices: [Int], count: Int, source: String) throws -> Tensor {
    guard !indices.isEmpty else { throw DataError("\(source): asked for an empty batch") }
    if let bad = indices.first(where: { $0 < 0 || $0 >= count }) {
      throw DataError("\(source): sample index \(bad) is outside 0..<\(count)")
    }
    return try Tensor(indices.map(Int64.init))
  }
}
