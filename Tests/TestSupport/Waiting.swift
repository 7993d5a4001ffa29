import Foundation

/// Waits (at most `seconds`) until `condition()` holds, checking it again each time something
/// changes in one of `folders` — a file created, written, closed, moved in or deleted, as the
/// kernel reports it (inotify) — and never on a timer. While a folder does not exist yet, its
/// nearest existing ancestor is watched, so its creation wakes the wait and it is watched from
/// then on. True when the condition held: a slow machine makes this wait longer, never pass
/// without the event.
public func waitUntil(_ condition: () -> Bool, changesIn folders: [URL], seconds: Double) -> Bool {
  let fd = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
  guard fd >= 0 else { return condition() }
  defer { close(fd) }
  let mask = UInt32(IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE)
  let deadline = Date().addingTimeInterval(seconds)
  var buffer = [UInt8](repeating: 0, count: 64 * 1024)
  while true {
    // (Re)adding a watch is idempotent; a folder created since the last check is watched now,
    // before the condition is read, so no change between the two is missed.
    for folder in folders {
      var watched = folder.standardizedFileURL
      while !FileManager.default.fileExists(atPath: watched.path), watched.path != "/" {
        watched.deleteLastPathComponent()
      }
      _ = inotify_add_watch(fd, watched.path, mask)
    }
    if condition() { return true }
    let left = deadline.timeIntervalSinceNow
    guard left > 0 else { return false }
    var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    _ = poll(&ready, 1, Int32(min(left * 1000, Double(Int32.max))))
    _ = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }  // the events only wake us
  }
}

/// Starts `process` with a semaphore its termination signals, for `waitForExit`. Replaces any
/// termination handler the process had.
public func runNoticingExit(_ process: Process) throws -> DispatchSemaphore {
  let exited = DispatchSemaphore(value: 0)
  process.terminationHandler = { _ in exited.signal() }
  try process.run()
  return exited
}

/// Waits (at most `seconds`) for the termination `exited` signals (`runNoticingExit`); true when
/// the process ended in time.
public func waitForExit(_ exited: DispatchSemaphore, seconds: Double) -> Bool {
  exited.wait(timeout: .now() + seconds) == .success
}

/// Holds the calling thread for `seconds` of work, as a compute kernel would: it spins on the
/// monotonic clock instead of sleeping, so the core stays taken (a sleeping stage would free it,
/// which no real stage does) and the work ends at its deadline, whenever the thread was woken.
public func busyWork(seconds: Double) {
  let end = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
  while DispatchTime.now().uptimeNanoseconds < end {}
}
