import Data
import Torch

/// Adapts the loader's throwing `next()` to the Sequence an executor consumes: an error ends the
/// sequence and is kept, and `rethrow()` raises it after the epoch, so a data error is reported,
/// never mistaken for the end of the data. Records each batch's size for loss weighting.
final class BatchFeed: Sequence {
  private let batches: EpochBatches
  private var error: Error?
  private(set) var sizes: [Int] = []

  init(_ batches: EpochBatches) { self.batches = batches }

  func makeIterator() -> AnyIterator<(inputs: Tensor, labels: Tensor)> {
    AnyIterator { [self] in
      guard error == nil else { return nil }
      do {
        guard let b = try batches.next() else { return nil }
        sizes.append(b.labels.shape[0])
        return b
      } catch {
        self.error = error
        return nil
      }
    }
  }

  func rethrow() throws {
    if let error { throw error }
  }
}
