import Foundation
import Torch

/// The boundary of a batch-by-batch schedule (nmp, gpipe and its 1F1B family, scpl-gpipe) when
/// its stages span the ranks of a c10d job: each rank runs only its own stages' jobs, in the
/// order one process runs them, and where one process hands an activation to the next stage's
/// worker (or gradients back to the previous stage's), a rank boundary is a message — down for
/// activations, up for gradients (`RankLink.StageStream`), each tagged with its batch,
/// micro-batch and stage.
///
/// Sends are posted and the sending job goes on (`ProcessGroup.postTensors`): under 1F1B a rank
/// sends an activation down while the rank below is about to send a gradient up, and neither
/// could wait in its send. `settleSends` waits for them at the end of the step (`abandonSends`
/// gives them up when the step failed). A receive waits
/// inside the job that needs it, where one process's job would wait for the earlier stage's.
/// The arithmetic is one process's: the same detach and gradient leaves at every stage boundary,
/// the same tensors' values (a CPU tensor crosses as its bytes).
extension ProcessBoundary {
  /// The rank that runs stage s of `group`.
  func rank(ofStage s: Int, in group: DeviceGroup) -> Int { rank(ofDevice: group.device(ofStage: s)) }

  /// Whether stage s runs in this process.
  func isHere(stage s: Int, in group: DeviceGroup) -> Bool { isHere(group.device(ofStage: s)) }

  /// Whether the stage after `share`'s runs in another process.
  func handsOnAcross(_ share: DeviceShare) -> Bool {
    !share.isLast && !isHere(stage: share.stage + 1, in: share.group)
  }

  /// Whether the stage before `share`'s runs in another process.
  func handsBackAcross(_ share: DeviceShare) -> Bool {
    !share.isFirst && !isHere(stage: share.stage - 1, in: share.group)
  }

  private func key(_ share: DeviceShare, stage s: Int) -> RankLink.StageKey {
    RankLink.StageKey(batch: share.batch, microBatch: share.microBatch ?? 0, stage: s)
  }

  /// Sends `share`'s output (detached) to the next stage's rank; a transfer span on this device.
  func sendForward(_ output: Activation, from share: DeviceShare) throws {
    try post(
      output.slots + output.extraTensors, names: output.extras.isEmpty ? nil : output.extraNames, "the activation",
      on: .activations, toStage: share.stage + 1, from: share)
  }

  /// The activation the previous stage's rank sent for `share`, on `share`'s device.
  func receiveForward(for share: DeviceShare) throws -> Activation {
    let (tensors, names) = try receive("the activation", on: .activations, fromStage: share.stage - 1, for: share)
    guard tensors.count >= 5,
      let activation = Activation(slots: Array(tensors[0..<5]), extras: tensors[5...].compactMap { $0 }, named: names)
    else {
      throw PipelineError(
        "rank \(rank(ofStage: share.stage - 1, in: share.group)) sent a stage message without its activation")
    }
    return try arrived(activation, on: share)
  }

  /// Sends the gradients of `share`'s input slots to the previous stage's rank.
  func sendBackward(_ gradients: [Tensor?], from share: DeviceShare) throws {
    try post(gradients, names: nil, "the gradients", on: .gradients, toStage: share.stage - 1, from: share)
  }

  /// The gradients of the next stage's input slots, which its rank sent for `share`.
  func receiveBackward(for share: DeviceShare) throws -> [Tensor?] {
    let (tensors, _) = try receive("the gradients", on: .gradients, fromStage: share.stage + 1, for: share)
    return try tensors.map { try $0.map { try arrived($0, on: share) } }
  }

  /// Posts `tensors` (`what`, for errors) for stage s, on its rank, as a transfer span on
  /// `share`'s device; the step's `settleSends` waits for them.
  private func post(
    _ tensors: [Tensor?], names: [String]?, _ what: String, on stream: RankLink.StageStream, toStage s: Int,
    from share: DeviceShare
  ) throws {
    let destination = rank(ofStage: s, in: share.group)
    try share.run("sending \(what) to rank \(destination)") {
      try share.measure(.transfer) {
        let works = try link.postStage(tensors, names: names, key: key(share, stage: s), on: stream, to: destination)
        sends.withLock { $0 += works }
      }
    }
  }

  /// The next message on `stream` from stage s's rank, which must be `share`'s stage's.
  private func receive(_ what: String, on stream: RankLink.StageStream, fromStage s: Int, for share: DeviceShare)
    throws -> (tensors: [Tensor?], names: [String])
  {
    let source = rank(ofStage: s, in: share.group)
    return try share.run("receiving \(what) from rank \(source)") {
      try link.receiveStage(key(share, stage: share.stage), on: stream, from: source)
    }
  }

  /// What came over the wire (CPU tensors) on `share`'s device: a transfer span on a GPU.
  private func arrived<T: DeviceMovable>(_ value: T, on share: DeviceShare) throws -> T {
    guard share.tensorDevice != .cpu else { return value }
    return try share.run("moving what another rank sent") {
      try share.measure(.transfer) { try value.moved(to: share.tensorDevice) }
    }
  }

  /// Waits until every message this rank posted in the step has been taken (at most the
  /// group's timeout each). Call once every job of the step has settled. A send that failed
  /// throws here, and the rest are given up.
  func settleSends() throws {
    let works = takeSends()
    for (i, w) in works.enumerated() {
      do { try w.wait() } catch {
        works[(i + 1)...].forEach { $0.abort() }
        throw error
      }
    }
  }

  /// Gives up the step's messages still on their way, without a wait: the step failed, and a
  /// peer that is gone or cut off would make each wait last the whole timeout.
  func abandonSends() { takeSends().forEach { $0.abort() } }

  private func takeSends() -> [ProcessGroup.Work] {
    sends.withLock { w in
      defer { w = [] }
      return w
    }
  }
}
