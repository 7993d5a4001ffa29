import Foundation

/// Runs `body(i)` for i in 0..<n, each on a thread of its own, all at once; returns each one's
/// error (nil where it returned), or nil when they did not all finish within `seconds`.
public func onThreads(_ n: Int, seconds: Double = 60, _ body: @escaping @Sendable (Int) throws -> Void) -> [Error?]? {
  final class Errors: @unchecked Sendable {
    let lock = NSLock()
    var list: [Error?]
    init(_ n: Int) { list = Array(repeating: nil, count: n) }
  }
  let errors = Errors(n)
  let done = DispatchGroup()
  for i in 0..<n {
    done.enter()
    Thread {
      defer { done.leave() }
      do { try body(i) } catch {
        errors.lock.lock()
        errors.list[i] = error
        errors.lock.unlock()
      }
    }.start()
  }
  guard done.wait(timeout: .now() + seconds) == .success else { return nil }
  errors.lock.lock()
  defer { errors.lock.unlock() }
  return errors.list
}
