import Foundation
import Torch

/// Cuts a `BatchSource` into mini-batches, epoch by epoch, optionally on background threads.
///
/// Determinism: epoch e's order is a Fisher–Yates shuffle driven by
/// `SplitMix64(derive(seed, shuffle stream, e))`, and batch t of epoch e gets its own generator
/// `SplitMix64(derive(seed, batch stream, e, t))` for its augmentation. A batch therefore depends
/// only on (seed, epoch, t) — never on which thread made it or when — so 0, 1 or 8 worker threads
/// give bit-identical batches, and they are always handed out in order.
///
/// Replicas: a loader of replica r of R (`replica`, `replicas`) serves r's shard of every epoch,
/// as PyTorch's `DistributedSampler` does: the epoch's order (the same shuffle on every replica,
/// from the same seed) is padded to a multiple of R with its own first samples, and replica r
/// takes its positions r, r+R, r+2R, …; its batches of `batchSize` come from that shard. So
/// every replica has ⌈N/R⌉ samples and the same number of batches, the shards are disjoint but
/// for the at most R−1 padding samples, and together they cover the epoch; batch t of every
/// replica together is the epoch's samples tRB ..< (t+1)RB (a global batch of R × `batchSize`).
/// A replica's batch augments with a generator of its own (seed, epoch, t, r). A loader of
/// `everyReplica` serves all R shards at once (R replicas in one process): its batch t is the
/// replicas' batches t, concatenated in replica order, each exactly as replica r's loader makes it.
///
/// Threads: with `workerThreads` = 0 the consumer's thread makes each batch when asked. Otherwise
/// each epoch starts that many OS threads; each first calls `Threads.setThreadCount(1)` (libtorch's
/// intra-op count is per thread) so loader work does not compete with the trainer's kernels for
/// cores. At most `prefetch` batches are ready or being made ahead of the consumer.
public struct DataLoader: Sendable {
  /// The samples to load.
  public let source: any BatchSource
  /// Samples per batch.
  public let batchSize: Int
  /// The run's seed, from which every epoch's order and every batch's augmentation generator derive.
  public let seed: UInt64
  /// Whether each epoch visits the samples in a seeded random order (otherwise in index order).
  public let shuffle: Bool
  /// Whether the last, partial batch of an epoch is left out.
  public let dropLast: Bool
  /// Background threads that make batches; 0 makes each batch on the consumer's thread.
  public let workerThreads: Int
  /// How many batches at most are ready or being made ahead of the consumer.
  public let prefetch: Int
  /// This loader's replica, 0 ..< `replicas` (data parallelism: each serves its own shard).
  public let replica: Int
  /// The replicas sharing each epoch (1: this loader serves every sample).
  public let replicas: Int
  /// Whether each batch holds every replica's batch, concatenated in replica order (`replica`
  /// is then 0 and means nothing).
  public let everyReplica: Bool

  /// Creates a loader (of replica `replica` of `replicas`: its shard of each epoch; of all of
  /// them at once with `everyReplica`); throws `DataError` if a count is out of range, the source
  /// is empty, or `dropLast` leaves no batch.
  public init(
    _ source: any BatchSource, batchSize: Int, seed: UInt64, shuffle: Bool = true, dropLast: Bool = false,
    workerThreads: Int = 0, prefetch: Int = 4, replica: Int = 0, replicas: Int = 1, everyReplica: Bool = false
  ) throws {
    guard replicas >= 1, (0..<replicas).contains(replica) else {
      throw DataError("replica \(replica) is not one of \(replicas) replica(s) (0…\(max(replicas, 1) - 1))")
    }
    guard batchSize > 0 else { throw DataError("the batch size must be positive, got \(batchSize)") }
    guard workerThreads >= 0 else {
      throw DataError("the number of loader threads must be 0 or more, got \(workerThreads)")
    }
    guard prefetch >= 1 else { throw DataError("the prefetch depth must be at least 1 batch, got \(prefetch)") }
    guard source.count > 0 else { throw DataError("the data set is empty: nothing to load") }
    let shard = (source.count + replicas - 1) / replicas
    if dropLast && shard < batchSize {
      throw DataError(
        "dropping the last partial batch leaves no batch: \(shard) samples\(replicas > 1 ? " per replica" : ""), batch size \(batchSize)"
      )
    }
    self.source = source
    self.batchSize = batchSize
    self.seed = seed
    self.shuffle = shuffle
    self.dropLast = dropLast
    self.workerThreads = workerThreads
    self.prefetch = prefetch
    self.replica = replica
    self.replicas = replicas
    self.everyReplica = everyReplica
  }

  /// The samples this loader serves per epoch: all of them, or a replica's ⌈N/R⌉.
  public var shardSize: Int { (source.count + replicas - 1) / replicas }

  /// Batches per epoch (the last one partial unless `dropLast`).
  /// (Written so that no batch size, however large, overflows.)
  public var batchCount: Int { shardSize / batchSize + (dropLast || shardSize % batchSize == 0 ? 0 : 1) }

  // Stream tags keep the shuffle's generator and the batches' generators apart.
  static let shuffleStream: UInt64 = 0x5348_5546_464C_4531  // "SHUFFLE1"
  static let batchStream: UInt64 = 0x4241_5443_4845_5331  // "BATCHES1"

  /// Sample indices of epoch `epoch` in the order this loader serves them (a replica's shard).
  public func order(epoch: Int) -> [Int] { shard(replica, of: paddedOrder(epoch)) }

  /// The epoch's order padded to a multiple of R with its own first samples: what the replicas share out.
  func paddedOrder(_ epoch: Int) -> [Int] {
    let all = epochOrder(epoch)
    return all + all.prefix(shardSize * replicas - all.count)
  }

  /// Replica r's positions r, r+R, r+2R, … of `padded`.
  func shard(_ r: Int, of padded: [Int]) -> [Int] {
    replicas == 1 ? padded : Array(stride(from: r, to: padded.count, by: replicas).map { padded[$0] })
  }

  /// What `makeBatch` cuts epoch `epoch`'s batches from: this replica's shard, or every replica's.
  func servedOrder(_ epoch: Int) -> [Int] { everyReplica ? paddedOrder(epoch) : order(epoch: epoch) }

  /// Every sample of epoch `epoch` in the epoch's order (what the replicas share out).
  public func epochOrder(_ epoch: Int) -> [Int] {
    let all = Array(0..<source.count)
    guard shuffle else { return all }
    var rng = SplitMix64(seed: SplitMix64.derive(seed, Self.shuffleStream, UInt64(bitPattern: Int64(epoch))))
    return rng.shuffled(all)
  }

  /// The seed of batch `index`'s augmentation generator in epoch `epoch` (one of each replica's).
  public func batchSeed(epoch: Int, index: Int) -> UInt64 { batchSeed(epoch: epoch, index: index, replica: replica) }

  /// Replica r's seed of batch `index`'s augmentation generator in epoch `epoch`.
  func batchSeed(epoch: Int, index: Int, replica: Int) -> UInt64 {
    replicas == 1
      ? SplitMix64.derive(seed, Self.batchStream, UInt64(bitPattern: Int64(epoch)), UInt64(index))
      : SplitMix64.derive(
        SplitMix64.derive(seed, Self.batchStream, UInt64(bitPattern: Int64(epoch)), UInt64(index)), UInt64(replica))
  }

  /// Makes batch `index` of an epoch whose order is `order` (`order(epoch:)`; every replica's
  /// `paddedOrder` for `everyReplica`), on the calling thread.
  func makeBatch(order: [Int], epoch: Int, index: Int) throws -> (inputs: Tensor, labels: Tensor) {
    guard everyReplica else { return try makeBatch(shard: order, replica: replica, epoch: epoch, index: index) }
    let parts = try (0..<replicas).map {
      try makeBatch(shard: shard($0, of: order), replica: $0, epoch: epoch, index: index)
    }
    return try ReplicaBatches.join(parts)
  }

  private func makeBatch(shard: [Int], replica: Int, epoch: Int, index: Int) throws -> (inputs: Tensor, labels: Tensor)
  {
    let start = index * batchSize
    let indices = Array(shard[start..<(start + min(batchSize, shard.count - start))])
    var rng = SplitMix64(seed: batchSeed(epoch: epoch, index: index, replica: replica))
    return try source.batch(indices: indices, rng: &rng)
  }

  /// Batch `index` of epoch `epoch`, made on the calling thread (for tests and one-off use).
  public func batch(epoch: Int, index: Int) throws -> (inputs: Tensor, labels: Tensor) {
    guard (0..<batchCount).contains(index) else { throw DataError("batch \(index) is outside 0..<\(batchCount)") }
    return try makeBatch(order: servedOrder(epoch), epoch: epoch, index: index)
  }

  /// The batches of one epoch, in order. Read them with `while let batch = try batches.next()`;
  /// dropping the iterator (or `cancel()`) stops and joins its threads.
  public func epoch(_ epoch: Int) -> EpochBatches { EpochBatches(loader: self, epoch: epoch) }

  /// The batches of epoch `epoch` from batch `first` on: what an epoch resumed after `first`
  /// steps still has to train (the same batches as the uninterrupted epoch's).
  public func epoch(_ epoch: Int, from first: Int) -> EpochBatches {
    EpochBatches(loader: self, epoch: epoch, first: first)
  }

  /// Loader threads alive in this process right now (for tests and diagnostics).
  public static var liveWorkerThreads: Int { WorkerCensus.shared.count }
}
