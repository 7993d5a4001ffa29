import Foundation

/// A first-in first-out queue between threads with a fixed capacity: `put` blocks while it is
/// full, `take` blocks while it is empty. Bounded queues are what keeps a pipeline honest: a fast
/// stage cannot run ahead of a slow one by more than the capacity, so memory stays bounded and
/// the slow stage sets the pace.
///
/// `close()` ends it: blocked and later `put`s throw, `take` returns what is left and then nil.
final class BlockingQueue<Element>: @unchecked Sendable {
  struct Closed: Error, CustomStringConvertible {
    var description: String { "the queue was closed" }
  }

  let capacity: Int
  private var items: [Element] = []
  private var head = 0
  private var closed = false
  private let condition = NSCondition()
  private var waitingToPut = 0

  init(capacity: Int) {
    precondition(capacity >= 1, "a queue needs room for at least one item")
    self.capacity = capacity
  }

  private var storedCount: Int { items.count - head }

  /// Appends `item`, waiting for room. Throws `Closed` if the queue is or becomes closed.
  func put(_ item: Element) throws {
    condition.lock()
    defer { condition.unlock() }
    while !closed && storedCount >= capacity {
      waitingToPut += 1
      condition.broadcast()  // for `waitForProducers`; only on this blocking path
      condition.wait()
      waitingToPut -= 1
    }
    guard !closed else { throw Closed() }
    items.append(item)
    condition.broadcast()
  }

  /// The oldest item, waiting for one; nil once the queue is closed and empty.
  func take() -> Element? {
    condition.lock()
    defer { condition.unlock() }
    while !closed && storedCount == 0 { condition.wait() }
    return popLocked()
  }

  /// The oldest item if there is one, without waiting.
  func tryTake() -> Element? {
    condition.lock()
    defer { condition.unlock() }
    return popLocked()
  }

  private func popLocked() -> Element? {
    guard storedCount > 0 else { return nil }
    let item = items[head]
    head += 1
    if head > 64 && head * 2 > items.count {  // compact now and then, keeping put/take O(1) amortised
      items.removeFirst(head)
      head = 0
    }
    condition.broadcast()
    return item
  }

  /// Waits (at most `seconds`) until `n` producers are blocked in `put` on the full queue, woken
  /// by the queue's own condition when one starts to wait; true when they are (tests wait for
  /// this event).
  func waitForProducers(_ n: Int, seconds: Double) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    condition.lock()
    defer { condition.unlock() }
    while waitingToPut < n {
      guard condition.wait(until: deadline) else { return waitingToPut >= n }
    }
    return true
  }

  var count: Int {
    condition.lock()
    defer { condition.unlock() }
    return storedCount
  }

  /// Closes the queue and wakes every waiter. With `discardingPending`, the items still stored
  /// are removed and returned (so their owners can be told); otherwise `take` still drains them.
  @discardableResult
  func close(discardingPending: Bool = false) -> [Element] {
    condition.lock()
    defer { condition.unlock() }
    closed = true
    var dropped: [Element] = []
    if discardingPending {
      dropped = Array(items[head...])
      items.removeAll()
      head = 0
    }
    condition.broadcast()
    return dropped
  }
}
