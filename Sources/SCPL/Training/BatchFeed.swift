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

  /// The next batches, at most `count`, none once `stop()` says so: one segment of the epoch.
  func next(_ count: Int, unless stop: @escaping () -> Bool) -> AnySequence<(inputs: Tensor, labels: Tensor)> {
    AnySequence { [self] () -> AnyIterator<(inputs: Tensor, labels: Tensor)> in
      let batches = makeIterator()
      var given = 0
      return AnyIterator { () -> (inputs: Tensor, labels: Tensor)? in
        guard given < count, !stop() else { return nil }
        given += 1
        return batches.next()
      }
    }
  }

  func rethrow() throws {
    if let error { throw error }
  }
}
