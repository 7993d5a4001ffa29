import Foundation
import Torch

/// `GradientAveraging` across the processes of a c10d job: replica r is the process of rank r
/// in each group, and group k's gradients (a component's, or BP's 0) average over the process
/// group added for k (`add(_:for:)`, one per group: Gloo runs one collective at a time per
/// group, and components on different workers step at the same time).
///
/// Each exchange flattens the gradients into one tensor on the CPU (one bucket). With two
/// replicas it is Gloo's all-reduce sum (a + b is b + a, so every rank gets the same bits);
/// with more, each replica's bucket is broadcast in turn and summed in replica order, which is
/// exactly `ThreadReplicas`'s sum (a ring all-reduce would add each chunk in another order).
/// Then × 1/R, as `ThreadReplicas` does, so the two give the same bits.
public final class ProcessReplicas: GradientAveraging, @unchecked Sendable {
  /// The number of replicas: every group's size.
  public let replicas: Int
  private let groups = LockedValue<[Int: ProcessGroup]>([:])

  /// Averaging over `replicas` processes (at least 1); groups are added as they are made.
  public init(replicas: Int) throws {
    guard replicas >= 1 else { throw TorchError("replicas must number at least 1, got \(replicas)") }
    self.replicas = replicas
  }

  /// Makes `group`, whose rank r is replica r, the one group `k`'s gradients average over.
  public func add(_ group: ProcessGroup, for k: Int) throws {
    guard group.worldSize == replicas else {
      throw TorchError("group \(k)'s process group has \(group.worldSize) ranks for \(replicas) replicas")
    }
    try groups.withLock { groups in
      guard groups[k] == nil else { throw TorchError("group \(k) already has a process group") }
      groups[k] = group
    }
  }

  /// Replaces `gradients` with their mean over the replicas (see the type's description).
  public func average(_ gradients: [Tensor], group k: Int) throws {
    guard replicas > 1, !gradients.isEmpty else { return }
    guard let group = groups.withLock({ $0[k] }) else {
      throw TorchError("no process group was added for group \(k)'s gradients")
    }
    try withNoGrad {
      let bucket = try Tensor.cat(gradients.map { try $0.to(.cpu).flattened() })
      let mean: Tensor
      if replicas == 2 {
        try group.allReduceSum(bucket)
        mean = bucket
      } else {
        var sum: Tensor?
        for root in 0..<replicas {
          let part = root == group.rank ? try bucket.clone() : try Tensor.zeros(like: bucket)
          try group.broadcast(part, from: root)
          if let sum { try sum.add_(part) } else { sum = part }
        }
        mean = sum!
      }
      try mean.mul_(1 / Double(replicas))
      var offset = 0
      for g in gradients {
        let n = g.count
        try g.copy_(try mean.slice(axis: 0, start: offset, end: offset + n).reshaped(g.shape))
        offset += n
      }
    }
  }
}
