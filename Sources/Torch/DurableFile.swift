import Foundation

/// Writes a file so that, whatever happens to the process or the machine, the path holds either
/// its old content or the whole new one: a temporary file in the same folder, fsync, rename over
/// the target, fsync of the folder (so the rename itself is on disk).
public enum DurableFile {
  /// Replaces `url`'s content with `bytes`, all or nothing, and durably; throws naming the step that failed.
  public static func write<C: ContiguousBytes>(_ bytes: C, to url: URL) throws {
    let folder = url.deletingLastPathComponent()
    let temporary = folder.appendingPathComponent(
      ".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp")
    func fail(_ what: String) -> TorchError {
      TorchError("cannot write \(url.path): \(what) failed (\(String(cString: strerror(errno))))")
    }
    let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw fail("creating \(temporary.lastPathComponent)") }
    var ok = false
    defer { if !ok { unlink(temporary.path) } }
    do {
      defer { close(fd) }
      try bytes.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count {
          let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
          if n < 0 { if errno == EINTR { continue }; throw fail("writing") }
          offset += n
        }
      }
      guard fsync(fd) == 0 else { throw fail("fsync") }
    }
    guard rename(temporary.path, url.path) == 0 else { throw fail("renaming the temporary file into place") }
    ok = true
    let dir = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard dir >= 0 else { throw fail("opening the folder to fsync it") }
    defer { close(dir) }
    guard fsync(dir) == 0 else { throw fail("fsync of the folder") }
  }
}
