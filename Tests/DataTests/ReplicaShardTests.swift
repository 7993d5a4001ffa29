import Foundation
import Torch
import XCTest

@testable import Data

/// A loader per replica serves that replica's shard of every epoch, with `DistributedSampler`'s
/// contract: the same shuffle everywhere, equal shards padded from the order's start, disjoint but
/// for the padding, covering the epoch, and the replicas' batch t together the epoch's global
/// batch t.
final class ReplicaShardTests: XCTestCase {
  typealias Probe = DataLoaderTests.ProbeSource

  func loaders(samples: Int, batchSize: Int, replicas: Int, seed: UInt64 = 7) throws -> [DataLoader] {
    try (0..<replicas).map {
      try DataLoader(Probe(count: samples), batchSize: batchSize, seed: seed, replica: $0, replicas: replicas)
    }
  }

  func labels(_ loader: DataLoader, epoch: Int) throws -> [[Int64]] {
    let batches = loader.epoch(epoch)
    var out: [[Int64]] = []
    while let b = try batches.next() { out.append(try b.labels.toArray(Int64.self)) }
    return out
  }

  func testShardsAreEqualDisjointButForThePaddingAndCoverTheEpoch() throws {
    // 10 samples over 3 replicas: shards of 4, padded with the order's first 2 samples.
    let shards = try loaders(samples: 10, batchSize: 3, replicas: 3)
    let order = shards[0].epochOrder(2)
    XCTAssertEqual(Set(order), Set(0..<10))
    let served = try shards.map { try labels($0, epoch: 2).flatMap { $0 }.map(Int.init) }
    XCTAssertEqual(served.map(\.count), [4, 4, 4])
    XCTAssertEqual(shards.map(\.batchCount), [2, 2, 2])
    XCTAssertEqual(Set(served.flatMap { $0 }), Set(0..<10), "together they cover the epoch")
    XCTAssertEqual(served.flatMap { $0 }.count - 10, 2)
    let padded = order + order.prefix(2)
    for (r, shard) in served.enumerated() {
      XCTAssertEqual(
        shard, stride(from: r, to: 12, by: 3).map { padded[$0] }, "replica \(r) takes every third position")
    }
    // Batch t of every replica: the epoch's positions t·R·B ..< (t+1)·R·B.
    let first = Set(try shards.flatMap { try labels($0, epoch: 2)[0] }.map(Int.init))
    XCTAssertEqual(first, Set(padded[0..<9]))
  }

  func testEveryReplicaShufflesAlikeAndOneReplicaIsTheWholeEpoch() throws {
    let a = try loaders(samples: 23, batchSize: 4, replicas: 2), b = try loaders(samples: 23, batchSize: 4, replicas: 2)
    XCTAssertEqual(a[0].epochOrder(3), a[1].epochOrder(3))
    XCTAssertEqual(try labels(a[1], epoch: 3), try labels(b[1], epoch: 3), "the same seed: the same shard")
    XCTAssertNotEqual(a[0].epochOrder(3), a[0].epochOrder(4), "another epoch, another order")
    let whole = try DataLoader(Probe(count: 23), batchSize: 4, seed: 7)
    XCTAssertEqual(whole.order(epoch: 3), whole.epochOrder(3))
    XCTAssertEqual(whole.batchCount, 6)
    XCTAssertEqual(
      whole.batchSeed(epoch: 3, index: 1),
      try DataLoader(Probe(count: 23), batchSize: 4, seed: 7)
        .batchSeed(epoch: 3, index: 1))
    // Each replica's batch t augments with a generator of its own.
    XCTAssertNotEqual(a[0].batchSeed(epoch: 3, index: 1), a[1].batchSeed(epoch: 3, index: 1))
  }

  func testImpossibleReplicasAreRefused() throws {
    XCTAssertThrowsError(try DataLoader(Probe(count: 10), batchSize: 2, seed: 1, replica: 2, replicas: 2)) {
      XCTAssertEqual("\($0)", "replica 2 is not one of 2 replica(s) (0…1)")
    }
    XCTAssertThrowsError(try DataLoader(Probe(count: 10), batchSize: 2, seed: 1, replica: 0, replicas: 0))
    XCTAssertThrowsError(
      try DataLoader(Probe(count: 10), batchSize: 8, seed: 1, dropLast: true, replica: 0, replicas: 2)
    ) {
      XCTAssertTrue("\($0)".contains("5 samples per replica, batch size 8"), "\($0)")
    }
  }

  /// A loader of every replica serves, as batch t, the replicas' own batches t joined in replica
  /// order (augmentation draws included), which `ReplicaBatches.split` gives back exactly.
  func testALoaderOfEveryReplicaJoinsTheReplicasBatches() throws {
    /// One augmentation draw per sample, as a row of its own.
    struct Rows: BatchSource {
      var count: Int
      var classCount: Int { count }
      func batch(indices: [Int], rng: inout SplitMix64) throws -> (inputs: Tensor, labels: Tensor) {
        (
          try Tensor(indices.map { _ in Float(rng.uniformUnit()) }, shape: [indices.count, 1]),
          try Tensor(indices.map(Int64.init))
        )
      }
    }
    let shards = try (0..<3).map {
      try DataLoader(Rows(count: 11), batchSize: 2, seed: 7, replica: $0, replicas: 3)
    }
    let all = try DataLoader(Rows(count: 11), batchSize: 2, seed: 7, replicas: 3, everyReplica: true)
    XCTAssertEqual(all.batchCount, shards[0].batchCount)
    for t in 0..<all.batchCount {
      let parts = try ReplicaBatches.split(try all.batch(epoch: 4, index: t), replicas: 3)
      for (r, part) in parts.enumerated() {
        let own = try shards[r].batch(epoch: 4, index: t)
        XCTAssertEqual(
          try part.labels.toArray(Int64.self), try own.labels.toArray(Int64.self), "batch \(t), replica \(r)")
        XCTAssertEqual(
          try part.inputs.toArray(Float.self), try own.inputs.toArray(Float.self), "batch \(t), replica \(r)")
      }
    }
  }

  /// Text batches pad to their own longest document: the join pads the narrower replica's
  /// batch, and the split gives each replica its own width back.
  func testTextBatchesOfEveryReplicaSplitToTheirOwnWidths() throws {
    let documents: [[Int64]] = [[5], [6, 7, 8, 9], [3, 4], [2], [7, 7, 7], [9, 9]]
    let text = try TextDataset(name: "t", documents: documents, labels: [0, 1, 0, 1, 0, 1], classCount: 2, maxLength: 8)
    let shards = try (0..<2).map {
      try DataLoader(text, batchSize: 3, seed: 3, shuffle: false, replica: $0, replicas: 2)
    }
    let all = try DataLoader(text, batchSize: 3, seed: 3, shuffle: false, replicas: 2, everyReplica: true)
    let joined = try all.batch(epoch: 1, index: 0)
    XCTAssertEqual(joined.inputs.shape, [6, 4])
    let parts = try ReplicaBatches.split(joined, replicas: 2)
    for r in 0..<2 {
      let own = try shards[r].batch(epoch: 1, index: 0)
      XCTAssertEqual(parts[r].inputs.shape, own.inputs.shape, "replica \(r)")
      XCTAssertEqual(try parts[r].inputs.toArray(Int64.self), try own.inputs.toArray(Int64.self))
    }
    XCTAssertEqual(parts.map { $0.inputs.shape[1] }, [3, 4], "documents 0, 2, 4 are at most 3 long; 1, 3, 5 at most 4")
    XCTAssertThrowsError(try ReplicaBatches.split(joined, replicas: 4)) {
      XCTAssertTrue("\($0)".contains("does not split into 4 equal replica batches"), "\($0)")
    }
  }
}
