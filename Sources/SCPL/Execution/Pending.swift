import Foundation

/// The outcome of one job handed to a `DeviceWorker`: filled once, by the worker, with the job's
/// value or its error; `wait()` blocks until then and rethrows the error on the waiting thread.
public final class Pending<Value>: @unchecked Sendable {
  private let condition = NSCondition()
  private var result: Result<Value, Error>?

  init() {}

  /// Stores the outcome; later calls are ignored (a job is finished or cancelled, not both).
  func fulfil(_ outcome: Result<Value, Error>) {
    condition.lock()
    defer { condition.unlock() }
    guard result == nil else { return }
    result = outcome
    condition.broadcast()
  }

  /// Waits for the job and returns its value, or throws its error.
  public func wait() throws -> Value {
    try outcome().get()
  }

  /// Waits for the job and returns its outcome without throwing.
  public func outcome() -> Result<Value, Error> {
    condition.lock()
    defer { condition.unlock() }
    while result == nil { condition.wait() }
    return result!
  }

  /// Waits at most `seconds` for the outcome; true if it came (whatever it was).
  func wait(seconds: Double) -> Bool {
    condition.lock()
    defer { condition.unlock() }
    let deadline = Date().addingTimeInterval(seconds)
    while result == nil && condition.wait(until: deadline) {}
    return result != nil
  }

  /// Whether the outcome has been stored; never blocks.
  public var isDone: Bool {
    condition.lock()
    defer { condition.unlock() }
    return result != nil
  }
}
