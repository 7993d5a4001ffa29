import Foundation
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
    let errors = LockedValue<[Error?]>(Array(repeating: nil, count: n))
    let group = DispatchGroup()
    for r in 0..<n {
      group.enter()
      Thread {
        do { try work(r) } catch { errors.withLock { $0[r] = error } }
        group.leave()
      }.start()
    }
    XCTAssertEqual(group.wait(timeout: .now() + 60), .success, "the replicas did not all finish")
    return errors.withLock { $0 }
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
}
