import Foundation
import Torch

/// Data parallelism's one exchange: each replica of a model computes gradients on its own share
/// of a batch, and before any replica updates, every gradient is replaced by its mean over the
/// replicas, so every replica applies the same update and their weights stay equal.
///
/// `group` names what is averaged together: a component under a local method (each component
/// averages with its own replicas as soon as its own backward ends), or 0 for BP's one
/// optimizer. A conformer blocks until every replica has brought the same group's gradients, in
/// the same order and shapes; the mean is the sum in replica order times 1/R, so it is the same
/// bits on every replica and in every implementation (`ThreadReplicas` in one process, a c10d
/// group across processes).
public protocol GradientAveraging: AnyObject, Sendable {
  /// The number of replicas averaged over.
  var replicas: Int { get }
  /// Replaces each of `gradients` (this replica's, in parameter order) with its mean over the
  /// replicas' gradients of `group`, in place.
  func average(_ gradients: [Tensor], group: Int) throws
}

/// An optimizer whose `step` first averages its parameters' gradients with the other replicas'
/// (`GradientAveraging`), then applies `inner`'s update: the all-reduce starts when this
/// optimizer's backward has ended and is waited for before its update, as DDP's does. State,
/// learning rate and the non-finite policy are `inner`'s, so checkpoints read the same.
public final class ReplicaAveragedOptimizer: Optimizer {
  /// The optimizer that applies the averaged update.
  public let inner: any Optimizer
  /// Where the gradients are averaged.
  public let averaging: any GradientAveraging
  /// The group this optimizer's gradients average in (its component, or 0).
  public let group: Int

  /// `inner`, whose gradients are averaged in `group` of `averaging` before each step.
  public init(_ inner: any Optimizer, averaging: any GradientAveraging, group: Int) {
    self.inner = inner
    self.averaging = averaging
    self.group = group
  }

  /// `inner`'s parameters.
  public var parameters: [Tensor] { inner.parameters }
  /// `inner`'s learning rate.
  public var learningRate: Double {
    get { inner.learningRate }
    set { inner.learningRate = newValue }
  }
  /// `inner`'s policy for non-finite gradients (which sees the averaged gradients).
  public var nonFinite: NonFiniteUpdates { inner.nonFinite }

  /// Averages the gradients present (every replica has the same ones: the same network on a
  /// batch of the same shape), then steps `inner`.
  public func step() throws {
    let gradients = try inner.parameters.compactMap { try $0.grad }
    try AveragingObserver.run { try averaging.average(gradients, group: group) }
    try inner.step()
  }

  /// `inner`'s state.
  public func stateDict() throws -> [(String, Tensor)] { try inner.stateDict() }
  /// Loads `inner`'s state.
  public func loadStateDict(_ state: [String: Tensor]) throws { try inner.loadStateDict(state) }
}

/// Lets a thread watch the gradient averaging its optimizers do: a pipeline's worker times each
/// component's all-reduce (a trace span) by running the component's learning inside `observing`.
public enum AveragingObserver {
  private final class Box {
    let observe: (() throws -> Void) throws -> Void
    init(_ observe: @escaping (() throws -> Void) throws -> Void) { self.observe = observe }
  }
  private static let key = "scpl.averaging-observer"

  /// Runs `body`; every averaging a `ReplicaAveragedOptimizer` does on this thread meanwhile runs
  /// as `observe(averaging)`, which must call `averaging` once.
  public static func observing<T>(_ observe: @escaping (() throws -> Void) throws -> Void, _ body: () throws -> T)
    rethrows -> T
  {
    let dictionary = Thread.current.threadDictionary
    let outer = dictionary[key]
    dictionary[key] = Box(observe)
    defer { dictionary[key] = outer }
    return try body()
  }

  /// `averaging`, through this thread's observer if it has one.
  static func run(_ averaging: () throws -> Void) throws {
    guard let box = Thread.current.threadDictionary[key] as? Box else { return try averaging() }
    try withoutActuallyEscaping(averaging) { try box.observe($0) }
  }
}

/// `GradientAveraging` between the replicas of one process, each on its own threads: replica r
/// averages through `averaging(replica: r)`. The replica that brings a group's gradients last
/// sums everyone's, in replica order, on the CPU (as a Gloo group would), and each replica copies
/// the mean into its own gradients. `fail(_:)` ends every wait, present and future, with an
/// error: a replica that stops must not leave the others waiting for ever.
public final class ThreadReplicas: @unchecked Sendable {
  /// The number of replicas.
  public let count: Int
  private let condition = NSCondition()
  private var rounds: [Int: Round] = [:]
  private var failure: Error?

  /// One group's exchange in progress: what each replica brought, the mean once everyone has,
  /// and how many have taken it.
  private struct Round {
    var brought: [[Tensor]?]
    var mean: [Tensor]?
    var taken = 0
  }

  /// A meeting of `count` replicas (at least 1).
  public init(count: Int) throws {
    guard count >= 1 else { throw TorchError("replicas must number at least 1, got \(count)") }
    self.count = count
  }

  /// Replica r's side of the meeting.
  public func averaging(replica r: Int) -> any GradientAveraging { Member(meeting: self, replica: r) }

  /// Ends every present and future exchange with `error` (the first one given is kept).
  public func fail(_ error: Error) {
    condition.lock()
    if failure == nil { failure = error }
    condition.broadcast()
    condition.unlock()
  }

  private final class Member: GradientAveraging, @unchecked Sendable {
    let meeting: ThreadReplicas
    let replica: Int
    var replicas: Int { meeting.count }
    init(meeting: ThreadReplicas, replica: Int) {
      self.meeting = meeting
      self.replica = replica
    }
    func average(_ gradients: [Tensor], group: Int) throws {
      try meeting.exchange(gradients, group: group, replica: replica)
    }
  }

  private func exchange(_ gradients: [Tensor], group: Int, replica r: Int) throws {
    guard count > 1 else { return }
    // This replica's own copy on the CPU (`to` already copies a GPU tensor): the others read it
    // until the mean is made, and replica 0's becomes the sum.
    let mine = try gradients.map { $0.device == .cpu ? try $0.clone() : try $0.to(.cpu) }
    condition.lock()
    defer { condition.unlock() }
    func waitUntil(_ ready: () -> Bool) throws {
      while failure == nil && !ready() { condition.wait() }
      if let failure { throw failure }
    }
    // The previous exchange of this group must have been taken by everyone.
    try waitUntil { rounds[group]?.mean == nil }
    var round = rounds[group] ?? Round(brought: Array(repeating: nil, count: count))
    guard round.brought[r] == nil else {
      throw TorchError("replica \(r + 1) brought group \(group)'s gradients twice in one exchange")
    }
    round.brought[r] = mine
    if round.brought.allSatisfy({ $0 != nil }) {
      let all = round.brought.map { $0! }
      guard all.allSatisfy({ $0.map(\.shape) == mine.map(\.shape) }) else {
        let described = all.enumerated().map { "replica \($0.offset + 1): \($0.element.map(\.shape))" }
        let error = TorchError(
          "the replicas' gradients of group \(group) differ in shape, so they cannot be averaged (\(described.joined(separator: "; ")))"
        )
        failure = failure ?? error
        condition.broadcast()
        throw error
      }
      round.mean = try withNoGrad {
        try (0..<mine.count).map { i in
          let sum = all[0][i]  // replica 0's copy, read by no one else
          for other in all.dropFirst() { try sum.add_(other[i]) }
          try sum.mul_(1 / Double(count))
          return sum
        }
      }
      condition.broadcast()
    }
    rounds[group] = round
    try waitUntil { rounds[group]?.mean != nil }
    let mean = rounds[group]!.mean!
    try withNoGrad { for (g, m) in zip(gradients, mean) { try g.copy_(m) } }
    rounds[group]!.taken += 1
    if rounds[group]!.taken == count {
      rounds[group] = nil
      condition.broadcast()
    }
  }
}
