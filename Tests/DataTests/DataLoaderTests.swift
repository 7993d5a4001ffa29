import Foundation
import XCTest
import Torch
@testable import Data

/// The loader's order, determinism across thread counts, error delivery and early exit.
final class DataLoaderTests: XCTestCase {
  /// Labels are the sample indices; inputs are drawn from the batch's generator, so a batch shows
  /// both which samples it holds and which random stream it got.
  struct ProbeSource: BatchSource {
    var count: Int
    var classCount: Int { count }
    var failOn: Int? = nil
    /// Counts the batches made, when given.
    var made: LockedValue<Int>? = nil

    func batch(indices: [Int], rng: inout SplitMix64) throws -> (inputs: Tensor, labels: Tensor) {
      made?.withLock { $0 += 1 }
      if let failOn, indices.contains(failOn) { throw DataError("probe: sample \(failOn) is unreadable") }
      let draws = indices.map { _ in Float(rng.uniformUnit()) }
      // Which intra-op count the making thread has (1 on loader threads).
      let threads = Float(Threads.threadCount)
      return (try Tensor(draws + [threads]), try Tensor(indices.map(Int64.init)))
    }
  }

  func collect(_ loader: DataLoader, epoch: Int) throws -> [(inputs: [Float], labels: [Int64])] {
    let batches = loader.epoch(epoch)
    var out: [(inputs: [Float], labels: [Int64])] = []
    while let b = try batches.next() {
      out.append((try b.inputs.to(.float32).contiguous().toArray(Float.self), try b.labels.toArray(Int64.self)))
    }
    return out
  }

  func testTensorDatasetIsABatchSource() throws {
    let d = try TensorDataset(
      name: "t", inputs: Tensor((0..<10).map { Float($0) }, shape: [5, 2]),
      labels: Tensor([Int64(0), 1, 2, 3, 4]), classCount: 5)
    var rng = SplitMix64(seed: 0)
    let b = try d.batch(indices: [3, 0], rng: &rng)
    XCTAssertEqual(try b.inputs.toArray(Float.self), [6, 7, 0, 1])
    XCTAssertEqual(try b.labels.toArray(Int64.self), [3, 0])
    XCTAssertThrowsError(try d.batch(indices: [5], rng: &rng)) {
      XCTAssertEqual("\($0)", "t: sample index 5 is outside 0..<5")
    }
  }

  func testOrderCountsAndDropLast() throws {
    let plain = try DataLoader(ProbeSource(count: 10), batchSize: 4, seed: 1, shuffle: false)
    XCTAssertEqual(plain.batchCount, 3)
    XCTAssertEqual(try collect(plain, epoch: 0).map(\.labels), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
    let dropping = try DataLoader(ProbeSource(count: 10), batchSize: 4, seed: 1, shuffle: false, dropLast: true)
    XCTAssertEqual(dropping.batchCount, 2)
    XCTAssertEqual(try collect(dropping, epoch: 0).map(\.labels), [[0, 1, 2, 3], [4, 5, 6, 7]])

    let shuffled = try DataLoader(ProbeSource(count: 50), batchSize: 8, seed: 1)
    let e0 = shuffled.order(epoch: 0), e1 = shuffled.order(epoch: 1)
    XCTAssertEqual(e0.sorted(), Array(0..<50))
    XCTAssertEqual(e1.sorted(), Array(0..<50))
    XCTAssertNotEqual(e0, e1, "each epoch has its own shuffle")
    XCTAssertNotEqual(e0, Array(0..<50))
    XCTAssertEqual(e0, try DataLoader(ProbeSource(count: 50), batchSize: 8, seed: 1).order(epoch: 0))
    XCTAssertNotEqual(e0, try DataLoader(ProbeSource(count: 50), batchSize: 8, seed: 2).order(epoch: 0))
    XCTAssertEqual(try collect(shuffled, epoch: 0).flatMap(\.labels).map(Int.init), e0)

    XCTAssertThrowsError(try DataLoader(ProbeSource(count: 3), batchSize: 4, seed: 1, dropLast: true))
    XCTAssertThrowsError(try DataLoader(ProbeSource(count: 3), batchSize: 0, seed: 1))
    XCTAssertThrowsError(try DataLoader(ProbeSource(count: 3), batchSize: 1, seed: 1, prefetch: 0))
  }

  /// 0, 1 and 2 loader threads give the same batches bit for bit, in order: the probe shows the
  /// samples and the random stream; an augmented image data set shows the real pipeline.
  func testSameSeedSameBatchesWhateverTheThreadCount() throws {
    var runs: [[(inputs: [Float], labels: [Int64])]] = []
    for threads in [0, 1, 2] {
      let loader = try DataLoader(ProbeSource(count: 37), batchSize: 5, seed: 42, workerThreads: threads, prefetch: 3)
      runs.append(try collect(loader, epoch: 3))
    }
    for run in runs.dropFirst() {
      XCTAssertEqual(run.map(\.labels), runs[0].map(\.labels))
      XCTAssertEqual(run.map { Array($0.inputs.dropLast()) }, runs[0].map { Array($0.inputs.dropLast()) })
    }

    var rng = SplitMix64(seed: 5)
    let images = try Tensor(
      (0..<(40 * 3 * 8 * 8)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, shape: [40, 3, 8, 8])
    let data = try ImageDataset(
      name: "images", images: images, labels: Tensor((0..<40).map { Int64($0 % 4) }), classCount: 4,
      normalization: .cifar10, augmentation: .strong)
    var image: [[[Float]]] = []
    for threads in [0, 1, 2] {
      let loader = try DataLoader(data, batchSize: 6, seed: 7, workerThreads: threads, prefetch: 2)
      image.append(try collect(loader, epoch: 1).map(\.inputs))
      XCTAssertEqual(image.last!.count, 7)
      XCTAssertEqual(image.last!.first!.count, 12 * 3 * 8 * 8)
    }
    XCTAssertEqual(image[1], image[0])
    XCTAssertEqual(image[2], image[0])
    let other = try DataLoader(data, batchSize: 6, seed: 8, workerThreads: 2)
    XCTAssertNotEqual(try collect(other, epoch: 1).map(\.inputs), image[0])
    // A single batch made on demand equals the one the epoch hands out.
    let loader = try DataLoader(data, batchSize: 6, seed: 7)
    XCTAssertEqual(try loader.batch(epoch: 1, index: 4).inputs.contiguous().toArray(Float.self), image[0][4])
  }

  func testWorkersRunWithOneIntraOpThread() throws {
    let loader = try DataLoader(ProbeSource(count: 12), batchSize: 4, seed: 1, workerThreads: 2)
    for batch in try collect(loader, epoch: 0) { XCTAssertEqual(batch.inputs.last, 1) }
  }

  func testAnErrorInABatchReachesTheConsumerInOrder() throws {
    for threads in [0, 1, 2] {
      let loader = try DataLoader(
        ProbeSource(count: 20, failOn: 13), batchSize: 4, seed: 1, shuffle: false,
        workerThreads: threads, prefetch: 4)
      let batches = loader.epoch(0)
      var seen: [[Int64]] = []
      XCTAssertThrowsError(try { while let b = try batches.next() { seen.append(try b.labels.toArray(Int64.self)) } }())
      {
        XCTAssertEqual("\($0)", "probe: sample 13 is unreadable", "\(threads) threads")
      }
      XCTAssertEqual(seen, [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]], "\(threads) threads")
      XCTAssertNil(try batches.next(), "the epoch ends after an error")
      XCTAssertEqual(DataLoader.liveWorkerThreads, 0)
    }
  }

  func testLeavingEarlyStopsAndJoinsTheWorkers() throws {
    let made = LockedValue(0)
    let loader = try DataLoader(
      ProbeSource(count: 400, made: made), batchSize: 2, seed: 1, workerThreads: 2, prefetch: 4)
    for _ in 0..<3 {
      let batches = loader.epoch(0)
      var taken = 0
      while let _ = try batches.next() {
        taken += 1
        if taken == 2 { break }
      }
      withExtendedLifetime(batches) {
        XCTAssertGreaterThan(DataLoader.liveWorkerThreads, 0, "workers are running while the epoch is alive")
      }
    }
    // Each iterator was dropped at the end of its loop body: its deinit joined its threads.
    XCTAssertEqual(DataLoader.liveWorkerThreads, 0)
    // At most `prefetch` batches are made ahead of the consumer, so each epoch left after 2 made
    // at most 2 + 4 of its 200 batches, however fast the workers ran.
    XCTAssertLessThanOrEqual(made.withLock { $0 }, 3 * (2 + 4), "the workers went on after the epoch was left")

    let explicit = loader.epoch(1)
    _ = try explicit.next()
    explicit.cancel()
    XCTAssertEqual(DataLoader.liveWorkerThreads, 0)
    XCTAssertNil(try explicit.next())
  }

  func testPrefixLimitsImageDatasets() throws {
    let images = try Tensor([UInt8](repeating: 3, count: 5 * 1 * 2 * 2), shape: [5, 1, 2, 2])
    let d = try ImageDataset(
      name: "p", images: images, labels: Tensor([Int64(0), 1, 2, 3, 4]), classCount: 5,
      normalization: .fashionMNIST, augmentation: .basic)
    let p = try d.prefix(2)
    XCTAssertEqual(p.count, 2)
    XCTAssertEqual(p.augmentation, .basic)
    XCTAssertEqual(try d.prefix(nil).count, 5)
    XCTAssertEqual(try d.prefix(9).count, 5)
    XCTAssertThrowsError(try d.prefix(0))
    XCTAssertEqual(try DataLoader(p, batchSize: 4, seed: 0).batchCount, 1)
  }
}
