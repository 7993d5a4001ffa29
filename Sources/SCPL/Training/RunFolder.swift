import Foundation
import Torch

/// A run's folder: config.json, metrics.jsonl (one line per epoch per run), summary.json,
/// curves.svg, TensorBoard events and checkpoints/ (`Checkpoints`). Every file but the event
/// files is written atomically and durably (`DurableFile`), so an interrupted run never leaves a
/// half-written file.
public final class RunFolder {
  public let url: URL
  private var metricsLines: [String] = []

  /// Creates the folder, refusing one that already holds a run, and proves it is writable.
  public init(_ url: URL) throws {
    self.url = url
    let fm = FileManager.default
    if fm.fileExists(atPath: url.appendingPathComponent("config.json").path) {
      throw RunFolderError("the run folder \(url.path) already holds a run; choose another --out")
    }
    do { try fm.createDirectory(at: url, withIntermediateDirectories: true) } catch {
      throw RunFolderError("cannot create the run folder \(url.path): \(error.localizedDescription)")
    }
    let probe = url.appendingPathComponent(".write-test")
    guard fm.createFile(atPath: probe.path, contents: Data()) else {
      throw RunFolderError("the run folder \(url.path) is not writable")
    }
    try? fm.removeItem(at: probe)
  }

  /// Reopens an interrupted run's folder to continue it (`scpl train --resume`).
  public init(resuming url: URL) throws {
    self.url = url
    guard FileManager.default.fileExists(atPath: url.appendingPathComponent("config.json").path) else {
      throw RunFolderError("\(url.path) is not a run folder (it has no config.json)")
    }
  }

  public static func defaultURL(model: String, method: String, dataset: String, now: Date = Date()) -> URL {
    let f = DateFormatter()
    f.dateFormat = "yyyyMMdd-HHmmss"
    f.timeZone = TimeZone(identifier: "UTC")
    return URL(fileURLWithPath: "runs/\(f.string(from: now))-\(model)-\(method)-\(dataset)")
  }

  public func write(_ name: String, _ data: Data) throws {
    do { try DurableFile.write(data, to: url.appendingPathComponent(name)) } catch {
      throw RunFolderError("\(error)")
    }
  }

  public func writeJSON<T: Encodable>(_ name: String, _ value: T) throws {
    let e = JSONEncoder()
    e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    try write(name, try e.encode(value))
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

/// A run folder that cannot be created, written or read back (`--out`, `--resume`).
public struct RunFolderError: Error, CustomStringConvertible, Sendable {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// A request to stop training, made from a signal handler and read by the trainer between steps.
public final class StopRequest: @unchecked Sendable {
  private let lock = NSLock()
  private var name: String?

  public init() {}

  /// The signal that asked to stop ("SIGTERM"), once one did.
  public var signalName: String? {
    lock.lock(); defer { lock.unlock() }
    return name
  }

  public func request(_ signal: String) {
    lock.lock(); defer { lock.unlock() }
    if name == nil { name = signal }
  }
}
