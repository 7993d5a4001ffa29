import ArgumentParser
import Foundation
import SCPL
import Torch

/// `scpl train --distributed`: this process is one rank of a job (its place read from the
/// environment torchrun and `scpl launch` set, or from these options). Rank 0 reads the data,
/// writes the run folder and drives the run; the other ranks serve their components.
struct DistributedOptions: ParsableArguments {
  @Flag(
    help:
      "Run as one rank of a job of several processes (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT from the environment, as torchrun and `scpl launch` set them; see docs/distributed.md)."
  )
  var distributed = false
  @Option(help: "With --distributed: this process's rank (default: $RANK).") var rank: Int?
  @Option(help: "With --distributed: the number of processes (default: $WORLD_SIZE).") var worldSize: Int?
  @Option(help: "With --distributed: the address of rank 0 (default: $MASTER_ADDR, else 127.0.0.1).") var masterAddr:
    String?
  @Option(help: "With --distributed: the port of rank 0's rendezvous (default: $MASTER_PORT, else 29500).")
  var masterPort: Int?
  @Option(help: "With --distributed: seconds any rank waits for another before it gives up, naming it (default 60).")
  var timeout: Double?

  /// Joins the job (nil without --distributed).
  func join() throws -> RankLink? {
    guard distributed else {
      if rank != nil || worldSize != nil || masterAddr != nil || masterPort != nil || timeout != nil {
        throw ValidationError("--rank, --world-size, --master-addr, --master-port and --timeout need --distributed")
      }
      return nil
    }
    let timeout = self.timeout ?? 60
    guard timeout > 0 else { throw ValidationError("--timeout must be a positive number of seconds") }
    var env = ProcessInfo.processInfo.environment
    if let rank { env["RANK"] = String(rank) }
    if let worldSize { env["WORLD_SIZE"] = String(worldSize) }
    if let masterAddr { env["MASTER_ADDR"] = masterAddr }
    if let masterPort { env["MASTER_PORT"] = String(masterPort) }
    let e = try DistributedEnvironment.fromEnvironment(env)
    let group = try ProcessGroup(
      rank: e.rank, worldSize: e.worldSize, masterAddress: e.masterAddress, masterPort: e.masterPort,
      storeFile: e.storeFile, keyPrefix: e.storeKeyPrefix, timeout: timeout)
    return RankLink(group)
  }

  /// Ranks other than 0 (of the job, or of a replica's chain): agree on the options, take the
  /// job from rank 0, serve until it ends.
  func serve(
    _ link: RankLink, partial: PartialTrainConfig, buildModel: @escaping ModelBuilder,
    adjustMethodOptions: (inout MethodOptions) -> Void, replicas: DistributedReplicas? = nil
  ) throws {
    StopSignals.installForServingRank(link.rank)
    try DistributedJob.agree(on: partial, over: link.group)
    let job = try DistributedJob.share(nil, over: link.group)
    try RankServer.serve(
      link, job: job, buildModel: buildModel, adjustMethodOptions: adjustMethodOptions, replicas: replicas
    ) {
      print($0)
    }
  }

  /// A job of `--replicas R` > 1: every rank agrees on the options over the whole job, then forms
  /// its replica's chain and its groups (`DistributedReplicas`). nil for a job of one pipeline.
  /// Resuming `folder`, rank 0 tells every rank R: its --replicas, else the run's own.
  func replicas(of world: RankLink, partial: () throws -> PartialTrainConfig, resuming folder: URL?) throws
    -> DistributedReplicas?
  {
    var count: Int?
    if let folder {
      let mine =
        world.rank == 0
        ? ((try? partial())?.replicas ?? (try? RunIdentity.read(folder: folder).config.replicaCount) ?? 1) : 0
      count = Int(String(decoding: try world.group.broadcastBytes(Array(String(mine).utf8), from: 0), as: UTF8.self))
    } else {
      count = try partial().replicas
    }
    guard let count, count > 1 else { return nil }
    try DistributedJob.agree(on: try partial(), over: world.group)
    return try DistributedReplicas(world: world.group, replicas: count)
  }

  /// Rank 0: runs `prepare` (reading the data, resolving the configuration) and tells the other
  /// ranks how it went: the job `job` makes of its result, or why rank 0 could not start, so a
  /// failure here never leaves them waiting. Without a link, just `prepare`.
  func prepare<T>(_ link: RankLink?, _ prepare: () throws -> T, job: (T) -> DistributedJob) throws -> T {
    let prepared: T
    do {
      prepared = try prepare()
    } catch {
      try? link.map { _ = try DistributedJob.share(DistributedJob(error: "\(error)"), over: $0.group) }
      throw error
    }
    try link.map { _ = try DistributedJob.share(job(prepared), over: $0.group) }
    return prepared
  }
}
