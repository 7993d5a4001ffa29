import Foundation
import Torch

/// The async pipeline across the ranks of a c10d job: rank 0 runs the epoch loop of
/// `AsyncPipelineExecutor` unchanged, its last hand-off a send down the chain; on the other ranks
/// each batch that arrives from the rank above goes through the same `process`, and its outcome
/// goes up to rank 0 (`ProcessBoundary.outcomeSender`), which hears it through a `ResultListener`.
extension AsyncPipelineExecutor: RankedExecutor {
  func serveTraining(_ m: RankLink.Down) throws {
    guard let boundary else { throw PipelineError("serveTraining runs on a rank of a distributed pipeline") }
    let link = boundary.link
    switch m {
    case .beginEpoch:
      group.beginEpoch(training: local)
      servedEpoch = Epoch(sendingOutcomes: boundary.outcomeSender())
      if !link.isLast { try link.sendDown(m) }
    case .batch(let message):
      guard let epoch = servedEpoch else { throw PipelineError("rank \(link.rank) received a batch outside an epoch") }
      let first = devices(ofRank: link.rank).lowerBound
      try group.workers[first].submit(onCancel: { epoch.fail($0, batch: message.batch) }) { [self] in
        do {
          process(
            try arrived(message, onDevice: first, batch: message.batch, timeline: group.timeline), onDevice: first,
            epoch)
        } catch {
          epoch.fail(error, batch: message.batch)
        }
      }
    case .endEpoch:
      try drainDevices(ofRank: link.rank)  // every batch before it has left this rank
      group.timeline.finish()
      if link.isLast { try link.sendUp(.epochEnded) } else { try link.sendDown(.endEpoch) }
    default:
      throw PipelineError("--pipeline async received a step of another schedule")
    }
  }
}
