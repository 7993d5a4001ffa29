import Foundation
import Torch

/// The boundary of a pipeline whose devices span the ranks of a c10d job: rank r holds devices
/// r·L … r·L + L − 1 (L per rank). It knows which devices are this rank's. Under async it sends a
/// batch for the next rank's first device down the chain, sends a later rank's outcomes up to
/// rank 0, and hears them there (`RemoteResults`); the batch-by-batch schedules' messages between
/// stages are in `ProcessBoundary+Stages.swift`.
final class ProcessBoundary {
  let link: RankLink
  /// Devices per rank.
  let devicesPerRank: Int
  /// A batch-by-batch step's messages to other ranks still on their way (`settleSends`).
  let sends = LockedValue<[ProcessGroup.Work]>([])

  init(link: RankLink, deviceCount: Int) {
    self.link = link
    devicesPerRank = deviceCount / link.worldSize
  }

  func rank(ofDevice d: Int) -> Int { d / devicesPerRank }
  func devices(ofRank r: Int) -> Range<Int> { r * devicesPerRank..<(r + 1) * devicesPerRank }
  func isHere(_ d: Int) -> Bool { rank(ofDevice: d) == link.rank }
  /// This rank's devices, in pipeline order.
  var devicesHere: Range<Int> { devices(ofRank: link.rank) }

  /// At the start of a run: names the trace's processes and devices by rank, and on rank 0 tells
  /// the other ranks to build the same model with this seed and placement, then serve it.
  func begin(_ group: DeviceGroup, seed: UInt64) throws {
    // Every rank has the same --devices: with GPUs, another rank's device d (a CPU stand-in
    // here) is, there, the GPU this rank has at the same position (DeviceSpec.acrossRanks).
    let l = devicesPerRank, mine = group.devices.devices[devices(ofRank: link.rank)]
    let gpus = mine.contains { $0.gpu != nil }
    group.timeline.assignProcesses(
      names: (0..<link.worldSize).map { "rank \($0)" }, ofDevice: (0..<group.count).map(rank(ofDevice:)),
      deviceNames: gpus ? (0..<group.count).map { "device \($0) (\(mine[mine.startIndex + $0 % l]))" } : nil)
    if link.isFirst, !link.isLast {
      try link.sendDown(.beginRun(seed: seed, placement: group.placement.deviceOfComponent))
    }
  }

  /// How a batch leaves device d when the next device is another rank's: a send down the chain,
  /// timed as a transfer (nil when the next device is this rank's, or there is none).
  func crossing(after d: Int) -> ((AsyncPipelineExecutor.Message, DeviceShare) throws -> Void)? {
    guard d + 1 < devicesPerRank * link.worldSize, !isHere(d + 1) else { return nil }
    let (link, next) = (self.link, rank(ofDevice: d + 1))
    return { message, share in
      try share.run("sending the activation to rank \(next)") {
        try share.measure(.transfer) { try link.sendDown(.batch(message)) }
      }
    }
  }

  /// On ranks other than 0: each outcome goes up to rank 0, the first failure with its sentence.
  func outcomeSender() -> (AsyncPipelineExecutor.Outcome, Error?) throws -> Void {
    let link = self.link
    return { outcome, failure in
      switch outcome {
      case .done(let t, let losses, let start, _): try link.sendUp(.done(batch: t, losses: losses, start: start))
      case .dropped(let t): try link.sendUp(.dropped(batch: t, failure: failure.map { "rank \(link.rank): \($0)" }))
      case .aborted: break
      }
    }
  }

  /// On rank 0 of a job of several ranks: the epoch's outcomes from the other ranks.
  func outcomesFromBeyond(_ epoch: AsyncPipelineExecutor.Epoch, of executor: AsyncPipelineExecutor) throws
    -> AsyncPipelineExecutor.RemoteResults?
  {
    guard link.isFirst else { return nil }
    return try AsyncPipelineExecutor.RemoteResults(
      link: link, epoch: epoch, workers: devices(ofRank: 0).map { executor.group.workers[$0] })
  }
}
