import Foundation
import TestSupport
import Torch
import XCTest

@testable import NN

/// Data parallelism's exchange (`ThreadReplicas`, `ReplicaAveragedOptimizer`): every replica's
/// gradient becomes the replicas' mean before any update, so replicas stay equal; a replica that
/// stops ends the others' waits; and averaging two halves of a batch under a mean loss gives
/// the whole batch's gradient.
final class GradientAveragingTests: XCTestCase {
  /// Runs `work(r)` for r in 0..<n on n threads at once; returns each one's error, if any.
  func onThreads(_ n: Int, _ work: @escaping @Sendable (Int) throws -> Void) -> [Error?] {
    guard let errors = TestSupport.onThreads(n, seconds: 60, work) else {
      XCTFail("the replicas did not all finish")
      return Array(repeating: TorchError("did not finish"), count: n)
    }
    return errors
  }

  /// Three replicas' SGD (lr 1) on gradients 1·g, 2·g, 6·g: each applies the mean, 3·g, and
  /// the three parameters stay bit-for-bit equal over two steps.
  func testReplicasApplyTheMeanOfTheirGradients() throws {
    let meeting = try ThreadReplicas(count: 3)
    let theta: [Double] = [0.5, -1, 2]
    let g: [Double] = [0.25, -0.5, 1]
    let parameters = try (0..<3).map { _ in try Tensor(theta).requiringGrad() }
    let optimizers = try (0..<3).map {
      ReplicaAveragedOptimizer(try SGD([parameters[$0]], lr: 1), averaging: meeting.averaging(replica: $0), group: 7)
    }
    let scale: [Double] = [1, 2, 6]
    for _ in 0..<2 {
      let errors = onThreads(3) { r in
        try parameters[r].zeroGrad()
        try (parameters[r] * Tensor(g.map { $0 * scale[r] })).sum().backward()
        try optimizers[r].step()
      }
      XCTAssertTrue(errors.allSatisfy { $0 == nil }, "\(errors)")
    }
    let expected = zip(theta, g).map { $0 - 2 * 3 * $1 }
    for p in parameters { XCTAssertEqual(try p.toArray(Double.self), expected) }
    XCTAssertEqual(try parameters[0].grad!.toArray(Double.self), g.map { 3 * $0 }, "the gradient left is the mean")
  }

  /// Two replicas of a linear classifier, each on half a batch under the mean cross-entropy,
  /// step together to the weights one model takes on the whole batch (up to rounding).
  func testAveragingTwoHalvesIsTheWholeBatchsGradient() throws {
    try Torch.manualSeed(3)
    let x = try Tensor.randn([8, 5])
    let y = try Tensor([0, 1, 2, 0, 1, 2, 2, 1] as [Int64])
    try Torch.manualSeed(4)
    let whole = try Linear(5, 3)
    let replicas = try (0..<2).map { _ -> Linear in
      let copy = try Linear(5, 3)
      try copy.loadStateDict(Dictionary(whole.stateDict(), uniquingKeysWith: { a, _ in a }))
      return copy
    }
    let initial = try whole.stateDict().map { try $0.1.toArray(Float.self) }
    let meeting = try ThreadReplicas(count: 2)
    let optimizers = try (0..<2).map {
      ReplicaAveragedOptimizer(
        try Adam(replicas[$0].trainableParameters(), lr: 0.01), averaging: meeting.averaging(replica: $0), group: 0)
    }
    let single = try Adam(whole.trainableParameters(), lr: 0.01)
    for _ in 0..<3 {
      try single.minimize(try crossEntropy(try whole(x), y))
      let errors = onThreads(2) { r in
        let rows = (r * 4, r * 4 + 4)
        let half = try x.slice(axis: 0, start: rows.0, end: rows.1)
        try optimizers[r].minimize(
          try crossEntropy(try replicas[r](half), try y.slice(axis: 0, start: rows.0, end: rows.1)))
      }
      XCTAssertTrue(errors.allSatisfy { $0 == nil }, "\(errors)")
    }
    for ((name, a), (_, b)) in zip(replicas[0].stateDict(), replicas[1].stateDict()) {
      XCTAssertTrue(try a.bytes() == b.bytes(), "replicas differ in \(name)")
    }
    for (((name, a), (_, b)), before) in zip(zip(whole.stateDict(), replicas[0].stateDict()), initial) {
      let (u, v) = (try a.toArray(Float.self), try b.toArray(Float.self))
      for (p, q) in zip(u, v) { XCTAssertEqual(p, q, accuracy: 1e-6, name) }
      XCTAssertNotEqual(u, before, "\(name) did not train")
    }
  }

  /// A replica that fails ends the wait of the one that brought its gradients; so does one whose
  /// gradients have other shapes, with a sentence naming both.
  func testAFailedReplicaOrMismatchedShapesEndTheWait() throws {
    let meeting = try ThreadReplicas(count: 2)
    let errors = onThreads(2) { r in
      if r == 1 {
        meeting.fail(TorchError("replica 2 lost its device"))
        return
      }
      try meeting.averaging(replica: 0).average([try Tensor([1.0, 2])], group: 0)
    }
    XCTAssertTrue("\(errors[0].map { "\($0)" } ?? "no error")".contains("replica 2 lost its device"), "\(errors)")

    let other = try ThreadReplicas(count: 2)
    let shapes = onThreads(2) { r in
      try other.averaging(replica: r).average([try Tensor.zeros(r == 0 ? [2] : [3])], group: 4)
    }
    for e in shapes {
      let text = "\(e.map { "\($0)" } ?? "no error")"
      XCTAssertTrue(text.contains("differ in shape") && text.contains("replica 1: [[2]]"), text)
    }
  }

  // MARK: Across processes

  /// Two "components" (a Linear each, each with its own Adam and its own group) of replica r
  /// trained 3 steps on its quarter of a batch, averaging through `averaging(r)` (made on r's
  /// thread); returns every parameter's bytes, per replica.
  func trainReplicas(_ count: Int, averaging: @escaping @Sendable (Int) throws -> any GradientAveraging) throws
    -> [[[UInt8]]]
  {
    try Torch.manualSeed(11)
    let x = try Tensor.randn([4 * count, 5])
    let y = try Tensor((0..<(4 * count)).map { Int64($0 % 3) })
    // Made here, one after another: libtorch's seed is the process's, not a thread's.
    let layers = try (0..<count).map { _ in
      try Torch.manualSeed(12)
      return (try Linear(5, 4), try Linear(4, 3))
    }
    let results = LockedValue<[[[UInt8]]]>(Array(repeating: [], count: count))
    let errors = onThreads(count) { r in
      let averaging = try averaging(r)
      let (first, second) = layers[r]
      let optimizers = try [first, second].enumerated().map { k, layer in
        ReplicaAveragedOptimizer(try Adam(layer.trainableParameters(), lr: 0.05), averaging: averaging, group: k)
      }
      let rows = (4 * r, 4 * r + 4)
      let (mine, labels) = (
        try x.slice(axis: 0, start: rows.0, end: rows.1), try y.slice(axis: 0, start: rows.0, end: rows.1)
      )
      for _ in 0..<3 {
        let hidden = try first(mine)
        try optimizers[0].minimize(try (hidden * hidden).mean())
        try optimizers[1].minimize(try crossEntropy(try second(try hidden.detached().relu()), labels))
      }
      let bytes = try (first.trainableParameters() + second.trainableParameters()).map { try $0.bytes() }
      results.withLock { $0[r] = bytes }
    }
    let failed = errors.compactMap { $0 }
    if !failed.isEmpty { throw TorchError(failed.map { "\($0)" }.joined(separator: "; ")) }
    return results.withLock { $0 }
  }

  /// The same training averaged across c10d process groups (one per component, rank r being
  /// replica r) and between threads gives the same bits, for two replicas (Gloo's sum) and for
  /// three (the replicas' buckets summed in replica order); every replica ends equal.
  func testProcessGroupsAverageExactlyAsThreadsDo() throws {
    for count in [2, 3] {
      let meeting = try ThreadReplicas(count: count)
      let threaded = try trainReplicas(count) { meeting.averaging(replica: $0) }
      let port = try freeLoopbackPort()
      let processes = try trainReplicas(count) { r in
        let world = try ProcessGroup(
          rank: r, worldSize: count, masterAddress: "127.0.0.1", masterPort: port, timeout: 30)
        let averaging = try ProcessReplicas(replicas: count)
        for k in 0..<2 { try averaging.add(try world.subgroup("component\(k)", ranks: Array(0..<count)), for: k) }
        return averaging
      }
      XCTAssertEqual(threaded.count, count)
      for r in 0..<count {
        XCTAssertEqual(threaded[r], threaded[0], "\(count) replicas: thread replica \(r) differs from replica 0")
        XCTAssertTrue(processes[r] == threaded[r], "\(count) replicas: process replica \(r) differs from the threads'")
      }
    }
  }
}
