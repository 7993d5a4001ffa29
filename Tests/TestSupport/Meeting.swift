import Foundation

/// Proves that pieces of work run at the same time by the event itself, not by how long they
/// take: each party, at its chosen call, waits inside its work until every other party is inside
/// its own. A schedule that runs them one after another never lets them meet; the wait then ends
/// after `seconds` and `met` stays false (the test fails instead of hanging). Calls other than
/// the chosen ones pass straight through.
public final class Meeting: @unchecked Sendable {
  private let condition = NSCondition()
  private let arrivals: [String: Int]
  private let seconds: Double
  private var calls: [String: Int] = [:]
  private var present: Set<String> = []
  private var hasMet = false

  /// `arrivals`: each party's name and the call (0-based) at which it joins the meeting.
  public init(_ arrivals: [String: Int], seconds: Double = 30) {
    self.arrivals = arrivals
    self.seconds = seconds
  }

  /// Whether every party was inside its work at once.
  public var met: Bool {
    condition.lock()
    defer { condition.unlock() }
    return hasMet
  }

  /// Party `name` is inside a piece of work: at its chosen call it waits for the others.
  public func inside(_ name: String) {
    condition.lock()
    defer { condition.unlock() }
    let n = calls[name, default: 0]
    calls[name] = n + 1
    guard arrivals[name] == n else { return }
    present.insert(name)
    if present.count == arrivals.count {
      hasMet = true
      condition.broadcast()
      return
    }
    let deadline = Date().addingTimeInterval(seconds)
    while !hasMet && condition.wait(until: deadline) {}
    // Given up: it has left, so a party arriving later finds nobody.
    if !hasMet { present.remove(name) }
  }
}
