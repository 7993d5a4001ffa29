import Torch
/// Anything the loader can cut into mini-batches.
public protocol BatchSource: Sendable {
  var count: Int { get }
  var classCount: Int { get }
  /// The samples at `indices`, stacked. `rng` drives any random augmentation of this batch.
  func batch(indices: [Int], rng: inout SplitMix64) throws -> (inputs: Tensor, labels: Tensor)
}
