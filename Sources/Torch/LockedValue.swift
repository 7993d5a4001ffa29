import Foundation

/// A value that several threads read and change, each access under one lock.
public final class LockedValue<Value>: @unchecked Sendable {
  private let lock = NSLock()
  private var value: Value

  /// A lock-guarded holder of `value`.
  public init(_ value: Value) { self.value = value }

  /// Runs `body` with the value, holding the lock; what `body` changes is kept.
  public func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
    lock.lock()
    defer { lock.unlock() }
    return try body(&value)
  }
}
