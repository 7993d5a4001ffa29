import Foundation
import NN
import Torch

/// A distributed job of `--replicas R` (data parallelism over pipelines): the job's N ranks are
/// R replicas of a pipeline of P = N / R ranks; rank g is position g mod P of replica g / P.
///
/// - Each replica's ranks form a chain of their own (`chain`, a `RankLink` over a subgroup),
///   along which its pipeline runs exactly as a job of P ranks would; its position 0 (the
///   replica's *leader*) reads its own shard of the data and runs the epoch loop. Replica 0's
///   leader, rank 0, writes the run folder; the others keep theirs in a temporary folder.
/// - Component k's ranks (position p(k) of every replica) form a group of their own, in which
///   its gradients average (`ProcessReplicas`) as soon as its backward ends.
/// - The leaders form two groups: before each batch they agree whether to feed it (a stop on any
///   of them stops them all at the same step), and after each step they average its losses, so
///   every leader sees the losses the run records and makes the same decisions.
public final class DistributedReplicas: @unchecked Sendable {
  /// The whole job.
  public let world: ProcessGroup
  /// R.
  public let replicas: Int
  /// P: ranks per replica.
  public var ranksPerReplica: Int { world.worldSize / replicas }
  /// This rank's replica, 0..<R.
  public var replica: Int { world.rank / ranksPerReplica }
  /// This rank's position in its replica's pipeline, 0..<P (0: the leader).
  public var position: Int { world.rank % ranksPerReplica }
  /// Whether this rank leads its replica (reads its data, runs the epoch loop).
  public var isLeader: Bool { position == 0 }
  /// This replica's chain of ranks; nil when a replica is one rank (its pipeline is all here).
  public let chain: RankLink?
  private let stopVotes: ProcessGroup?
  private let lossMeans: ProcessReplicas?

  /// Forms the groups of rank `world.rank` in a job of `replicas` replicas; every rank calls it.
  /// Throws, with the same sentence on every rank, when the ranks do not divide into replicas.
  public init(world: ProcessGroup, replicas: Int) throws {
    guard replicas >= 1, world.worldSize % replicas == 0 else {
      throw ConfigError(
        "--replicas \(replicas) needs a number of ranks divisible by it (R replicas of P ranks each), but the job has \(world.worldSize)"
      )
    }
    self.world = world
    self.replicas = replicas
    let p = world.worldSize / replicas
    let r = world.rank / p
    chain = p > 1 ? RankLink(try world.subgroup("replica\(r)", ranks: Array(r * p..<(r + 1) * p))) : nil
    if world.rank % p == 0 {
      let leaders = Array(stride(from: 0, to: world.worldSize, by: p))
      stopVotes = try world.subgroup("stop-votes", ranks: leaders)
      let means = try ProcessReplicas(replicas: replicas)
      try means.add(try world.subgroup("loss-means", ranks: leaders), for: 0)
      lossMeans = means
    } else {
      (stopVotes, lossMeans) = (nil, nil)
    }
  }

  /// Adds to `averaging` a group for each of `components` (those this rank trains in the run
  /// with seed `seed`): the ranks at this position in every replica, replica order.
  public func addGroups(to averaging: ProcessReplicas, components: [Int], run seed: UInt64) throws {
    let p = ranksPerReplica
    for k in components {
      try averaging.add(
        try world.subgroup("run\(seed)/group\(k)", ranks: (0..<replicas).map { $0 * p + position }), for: k)
    }
  }

  /// Adds to `averaging` BP's one group (0) for the parameters this rank trains: the ranks at
  /// this position in every replica, replica order. With one rank per replica that is the whole
  /// network's; with several, each rank's share averages with its own position's replicas, as
  /// soon as its backward ends.
  public func addBackpropGroup(to averaging: ProcessReplicas, run seed: UInt64) throws {
    let p = ranksPerReplica
    try averaging.add(
      try world.subgroup("run\(seed)/backprop\(position)", ranks: (0..<replicas).map { $0 * p + position }), for: 0)
  }

  /// The averaging groups of `method` on this rank: BP's one (`addBackpropGroup`), or one per
  /// component this rank trains (`addGroups`).
  func addGroups(to averaging: ProcessReplicas, method: any TrainingMethod, components: [Int], run seed: UInt64)
    throws
  {
    if method is any LocalMethod {
      try addGroups(to: averaging, components: components, run: seed)
    } else {
      try addBackpropGroup(to: averaging, run: seed)
    }
  }

  /// Leaders: replica 0's placement, on every leader (replica 0's leader passes its own).
  func agreePlacement(_ mine: Placement?) throws -> Placement {
    guard let stopVotes else { throw PipelineError("only a replica's leader agrees on the placement") }
    let bytes = try stopVotes.broadcastBytes(Array(try JSONEncoder().encode(mine?.deviceOfComponent ?? [])), from: 0)
    let devices = try JSONDecoder().decode([Int].self, from: Data(bytes))
    return try Placement(devices, deviceCount: (devices.max() ?? 0) + 1)
  }

  /// Leaders: whether any leader wants to stop before the next batch (each calls it once per batch).
  func agreeToStop(_ mine: Bool) throws -> Bool {
    guard let stopVotes else { throw PipelineError("only a replica's leader votes on stopping") }
    let vote = try Tensor([mine ? 1.0 : 0.0])
    try stopVotes.allReduceSum(vote)
    return try vote.toArray(Double.self)[0] > 0
  }

  /// Leaders: a step's losses averaged over the replicas (summed in replica order, × 1/R, as
  /// the replicas in one process average them).
  func meanLosses(_ losses: [Double]) throws -> [Double] {
    guard let lossMeans else { throw PipelineError("only a replica's leader averages losses") }
    guard !losses.isEmpty else { return losses }
    let t = try Tensor(losses)
    try lossMeans.average([t], group: 0)
    return try t.toArray(Double.self)
  }

  /// What replica 0's leader tells the others when a job of replicas resumes: the run's
  /// configuration, where its checkpoint left off, and the checkpoint's tensors' names and
  /// shapes (the tensors follow, one broadcast each); or why it could not resume.
  private struct ResumeHeader: Codable {
    struct TensorInfo: Codable {
      var name: String
      var shape: [Int]
      var dtype: Int32
    }
    var config: TrainConfig?
    var run = 0, epoch = 0
    var records: [EpochRecord] = []
    var progress: Trainer.EpochProgress?
    var tensors: [TensorInfo] = []
    var error: String?
  }

  /// Leaders, when a job of replicas resumes: replica 0's leader passes the run's configuration
  /// and checkpoint (or the error that stopped it reading them), every other leader gets them,
  /// so that each replica resumes from replica 0's state. Throws replica 0's error on the others.
  public func shareResume(_ mine: Result<(config: TrainConfig, point: Trainer.ResumePoint), Error>?) throws -> (
    config: TrainConfig, point: Trainer.ResumePoint
  ) {
    guard let group = stopVotes else { throw PipelineError("only a replica's leader shares the resumed run") }
    var header = ResumeHeader()
    var tensors: [Tensor] = []
    switch mine {
    case .success(let (config, point)):
      let named = point.state.sorted { $0.key < $1.key }
      header.config = config
      (header.run, header.epoch, header.records, header.progress) = (
        point.run, point.epoch, point.records, point.progress
      )
      header.tensors = named.map { .init(name: $0.key, shape: $0.value.shape, dtype: $0.value.dtype.rawValue) }
      tensors = try named.map { try $0.value.contiguous() }
    case .failure(let error): header.error = "\(error)"
    case nil: break
    }
    let bytes = try group.broadcastBytes(group.rank == 0 ? Array(try JSONEncoder().encode(header)) : [], from: 0)
    let told = try JSONDecoder().decode(ResumeHeader.self, from: Data(bytes))
    if let error = told.error {
      if case .failure(let mine) = mine { throw mine }
      throw ConfigError("replica 0 could not resume the run: \(error)")
    }
    guard let config = told.config else { throw PipelineError("replica 0 sent no configuration to resume") }
    if group.rank != 0 {
      tensors = try told.tensors.map { info in
        guard let dtype = DType(rawValue: info.dtype) else {
          throw PipelineError("replica 0 sent \(info.name) of an unknown type \(info.dtype)")
        }
        return try Tensor.zeros(info.shape, dtype: dtype)
      }
    }
    for t in tensors { try group.broadcast(t, from: 0) }
    let state = Dictionary(uniqueKeysWithValues: zip(told.tensors.map(\.name), tensors))
    return (
      config,
      Trainer.ResumePoint(
        run: told.run, epoch: told.epoch, state: state, records: told.records, progress: told.progress)
    )
  }
}
