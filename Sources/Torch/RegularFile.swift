import Foundation

/// Reads a file a user named (a checkpoint, a config, a data file) whole, after checking that it
/// is a regular file: a FIFO or a device such as /dev/zero would block or never end, and a folder
/// gives Foundation's "You don't have permission", which names nothing. Every refusal is a
/// sentence with the path and what the path is.
public enum RegularFile {
  /// The bytes of `url`. `what` names the file in errors ("checkpoint", "config file"); `limit`
  /// refuses a larger file before reading it.
  public static func read(_ url: URL, what: String, atMost limit: Int? = nil) throws -> [UInt8] {
    let path = url.path
    var info = stat()
    guard stat(path, &info) == 0 else {
      throw TorchError(
        errno == ENOENT
          ? "the \(what) \(path) does not exist"
          : "cannot read the \(what) \(path): \(String(cString: strerror(errno)))")
    }
    guard info.st_mode & S_IFMT == S_IFREG else {
      throw TorchError("the \(what) \(path) is \(kind(info.st_mode)), not a regular file")
    }
    let size = Int(info.st_size)
    if let limit, size > limit {
      throw TorchError("the \(what) \(path) has \(size) bytes; at most \(limit) are read")
    }
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw TorchError("cannot open the \(what) \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var bytes = [UInt8](repeating: 0, count: size)
    var offset = 0
    while offset < size {
      let n = bytes.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress! + offset, size - offset) }
      if n < 0 && errno == EINTR { continue }
      guard n >= 0 else { throw TorchError("cannot read the \(what) \(path): \(String(cString: strerror(errno)))") }
      guard n > 0 else {
        throw TorchError("the \(what) \(path) ended after \(offset) of its \(size) bytes (it changed while being read)")
      }
      offset += n
    }
    return bytes
  }

  /// "a folder", "a FIFO (named pipe)", … for a file type.
  static func kind(_ mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFDIR: return "a folder"
    case S_IFIFO: return "a FIFO (named pipe)"
    case S_IFCHR: return "a character device"
    case S_IFBLK: return "a block device"
    case S_IFSOCK: return "a socket"
    default: return "not a regular file"
    }
  }
}
