import Foundation
import Torch

/// A run's folder: config.json, metrics.jsonl (one line per epoch per run), summary.json,
/// curves.svg, TensorBoard events and checkpoints/ (`Checkpoints`). Every file but the event
/// files is written atomically and durably (`DurableFile`), so an interrupted run never leaves a
/// half-written file.
///
/// One process at a time: a `RunFolder` holds an advisory lock (`flock` on `.lock`, which holds
/// the holder's PID) for as long as it lives, and a second process that opens the same folder,
/// to start a run or to resume one, is refused with a sentence naming the holder. The kernel
/// drops the lock when the process ends, however it ends.
public final class RunFolder {
  /// The folder.
  public let url: URL
  /// The run's identity, written into config.json (`run_id`) and every checkpoint, so a
  /// checkpoint copied in from another run is recognised. Nil for a folder of an older version.
  public let runID: String?
  private var metricsLines: [String] = []
  private let lock: FolderLock
  /// Serialises writes, so the last one (`endWith`) cannot be overwritten. Recursive: a write
  /// inside `exclusively` or `endWith` takes it again on the same thread.
  private let writing = NSRecursiveLock()

  /// Creates the folder for a new run, refusing one that holds a run or a run's files, or that
  /// another process holds. `exclusive`: the folder must not exist yet (a default name); an
  /// existing empty folder is accepted only when the user named it.
  public init(_ url: URL, exclusive: Bool = false) throws {
    self.url = url
    guard !url.path.isEmpty else { throw RunFolderError("the run folder's path is empty; give --out a folder") }
    if try !Self.createFolder(url), exclusive { throw FolderTaken() }
    lock = try FolderLock(url)
    let present = Self.runFiles.filter { FileManager.default.fileExists(atPath: url.appendingPathComponent($0).path) }
    if present.contains("config.json") {
      throw RunFolderError(
        "the run folder \(url.path) already holds a run; choose another --out (or continue it with --resume)")
    }
    guard present.isEmpty else {
      throw RunFolderError(
        "the folder \(url.path) holds a run's files (\(present.joined(separator: ", "))) but no config.json: it is not a run to continue or to reuse; choose another --out"
      )
    }
    let probe = url.appendingPathComponent(".write-test")
    guard FileManager.default.createFile(atPath: probe.path, contents: Data()) else {
      throw RunFolderError("the run folder \(url.path) is not writable")
    }
    try? FileManager.default.removeItem(at: probe)
    runID = UUID().uuidString.lowercased()
  }

  /// Reopens an interrupted run's folder to continue it (`scpl train --resume`), holding its lock.
  public init(resuming url: URL) throws {
    self.url = url
    guard FileManager.default.fileExists(atPath: url.appendingPathComponent("config.json").path) else {
      throw RunFolderError("\(url.path) is not a run folder (it has no config.json)")
    }
    lock = try FolderLock(url)
    runID = try RunIdentity.read(folder: url).runID
  }

  /// The files that make a folder a run's.
  static let runFiles = ["config.json", "summary.json", "metrics.jsonl", "checkpoints"]

  /// A default name another run took first (`createDefault` tries the next).
  struct FolderTaken: Error {}

  /// `mkdir` of the folder and of any missing parent: true when this call created the folder,
  /// false when it was there. Each failure is said in words: a part of the path that is a file,
  /// a folder that cannot be written.
  @discardableResult
  static func createFolder(_ url: URL) throws -> Bool {
    let parent = url.deletingLastPathComponent()
    var isFolder: ObjCBool = false
    if !FileManager.default.fileExists(atPath: parent.path, isDirectory: &isFolder) {
      try createFolder(parent)
    } else if !isFolder.boolValue {
      throw RunFolderError("cannot create the folder \(url.path): \(parent.path) is a file, not a folder")
    }
    if mkdir(url.path, 0o755) == 0 { return true }
    let error = errno
    if error == EEXIST {
      guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue else {
        throw RunFolderError("cannot use \(url.path) as a folder: it is a file")
      }
      return false
    }
    throw RunFolderError("cannot create the folder \(url.path): \(String(cString: strerror(error)))")
  }

  /// A new folder under `runs/` named by the time, the model, the method and the data set; when
  /// another run took that name in the same second, `-2`, `-3`, … is appended. The folder is
  /// created here, exclusively, so two runs never share it.
  public static func createDefault(model: String, method: String, dataset: String, now: Date = Date()) throws
    -> RunFolder
  {
    let base = defaultURL(model: model, method: method, dataset: dataset, now: now)
    for n in 1...1000 {
      let url = n == 1 ? base : URL(fileURLWithPath: base.path + "-\(n)")
      do { return try RunFolder(url, exclusive: true) } catch is FolderTaken { continue }
    }
    throw RunFolderError("a thousand run folders named \(base.path)… exist already; give --out")
  }

  /// The default folder of a run: `runs/<yyyyMMdd-HHmmss>-<model>-<method>-<dataset>`, the time in UTC.
  public static func defaultURL(model: String, method: String, dataset: String, now: Date = Date()) -> URL {
    let f = DateFormatter()
    f.dateFormat = "yyyyMMdd-HHmmss"
    f.timeZone = TimeZone(identifier: "UTC")
    return URL(fileURLWithPath: "runs/\(f.string(from: now))-\(model)-\(method)-\(dataset)")
  }

  /// Writes `data` to the file `name` in the folder, atomically and durably.
  public func write(_ name: String, _ data: Data) throws {
    try exclusively {
      do { try DurableFile.write(data, to: url.appendingPathComponent(name)) } catch {
        throw RunFolderError("\(error)")
      }
    }
  }

  /// Runs `body` (its writes included) with no other thread's write in between.
  public func exclusively<T>(_ body: () throws -> T) rethrows -> T {
    writing.lock()
    defer { writing.unlock() }
    return try body()
  }

  /// Runs `body`, the folder's last word: no write of another thread after it takes effect (each
  /// waits forever). For a process about to end at once (a second signal), so that nothing it
  /// was still doing can overwrite what `body` wrote.
  public func endWith(_ body: () -> Void) {
    writing.lock()
    body()
  }

  /// Writes `value` as pretty-printed JSON with sorted keys to the file `name` in the folder.
  public func writeJSON<T: Encodable>(_ name: String, _ value: T) throws {
    let e = JSONEncoder()
    e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let data: Data
    do { data = try e.encode(value) } catch {
      throw RunFolderError(
        "cannot write \(url.appendingPathComponent(name).path): its content does not encode as JSON (\(error))")
    }
    try write(name, data)
  }

  /// Writes config.json: `record` (an object with the resolved options under `config`) and the
  /// run's id (`run_id`).
  public func writeConfig<T: Encodable>(_ record: T) throws {
    let encoded = try JSONEncoder().encode(record)
    guard var object = try JSONSerialization.jsonObject(with: encoded) as? [String: Any] else {
      throw RunFolderError("config.json must hold a JSON object")
    }
    object["run_id"] = runID
    try write(
      "config.json",
      try JSONSerialization.data(
        withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]))
  }

  /// The epoch records written so far, as metrics.jsonl holds them (one JSON line each).
  public var metricsText: String { metricsLines.map { $0 + "\n" }.joined() }

  /// Appends one JSON line to metrics.jsonl (rewritten whole, atomically).
  public func appendMetrics<T: Encodable>(_ record: T) throws {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    metricsLines.append(String(decoding: try e.encode(record), as: UTF8.self))
    try write("metrics.jsonl", Data((metricsLines.joined(separator: "\n") + "\n").utf8))
  }
}

/// The advisory lock of a run folder: `flock` on `<folder>/.lock`, taken without waiting, held
/// until this object goes (or the process ends). The file holds the holder's PID for the
/// sentence another process gets.
final class FolderLock {
  private let fd: Int32

  init(_ folder: URL) throws {
    let path = folder.appendingPathComponent(".lock").path
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw RunFolderError("cannot lock the run folder \(folder.path) (\(path)): \(String(cString: strerror(errno)))")
    }
    guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
      let holder =
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
      close(fd)
      throw RunFolderError(
        "the run folder \(folder.path) is in use by \(Int(holder).map { "another scpl process (PID \($0))" } ?? "another scpl process"); wait for it to end or stop it first"
      )
    }
    let pid = Array("\(getpid())\n".utf8)
    _ = ftruncate(fd, 0)
    _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
  }

  deinit { close(fd) }  // closing the last descriptor releases the lock
}

/// A run folder that cannot be created, written or read back (`--out`, `--resume`).
public struct RunFolderError: Error, CustomStringConvertible, Sendable {
  /// What went wrong, as a sentence naming the folder or file.
  public let message: String
  /// Creates an error with the given message.
  public init(_ message: String) { self.message = message }
  /// The message, unchanged.
  public var description: String { message }
}

/// A request to stop training, made from a signal handler and read by the trainer between steps.
public final class StopRequest: @unchecked Sendable {
  private let lock = NSLock()
  private var name: String?

  /// A request that no signal has made yet.
  public init() {}

  /// The signal that asked to stop ("SIGTERM"), once one did.
  public var signalName: String? {
    lock.lock(); defer { lock.unlock() }
    return name
  }

  /// Asks training to stop; `signal` names the signal ("SIGTERM"). Only the first request is kept.
  public func request(_ signal: String) {
    lock.lock(); defer { lock.unlock() }
    if name == nil { name = signal }
  }
}
