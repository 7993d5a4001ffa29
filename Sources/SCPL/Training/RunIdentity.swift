import Foundation
import Torch

/// What ties a checkpoint to its run folder: the run's id (config.json's `run_id`, written into
/// every checkpoint) and the options it trains with (the resolved config, also written into
/// every checkpoint, less the layout options a resume may change). A checkpoint of another run —
/// copied in, or left by another folder's run — is skipped with a warning like a corrupt one; a
/// config.json edited since the checkpoints were written is refused, naming the fields.
public struct RunIdentity {
  /// Nil for a folder written by an older version (no `run_id` in config.json).
  public let runID: String?
  /// The resolved options the run trains with.
  public let config: TrainConfig

  /// The metadata keys a checkpoint carries for this.
  static let runIDKey = "run_id", configKey = "config"

  /// An identity from its parts.
  public init(runID: String?, config: TrainConfig) {
    self.runID = runID
    self.config = config
  }

  /// The identity in a run folder's config.json, checked as `TrainConfig.decodeChecked` checks it.
  public static func read(folder: URL) throws -> RunIdentity {
    let file = folder.appendingPathComponent("config.json")
    let bytes: [UInt8]
    do { bytes = try RegularFile.read(file, what: "run configuration", atMost: 1 << 24) } catch {
      throw RunFolderError("\(folder.path) is not a run folder: \(error)")
    }
    let config = try TrainConfig.decodeChecked(from: Data(bytes), path: file.path)
    struct Saved: Decodable {
      let runID: String?
      enum CodingKeys: String, CodingKey { case runID = "run_id" }
    }
    do {
      return RunIdentity(runID: try JSONDecoder().decode(Saved.self, from: Data(bytes)).runID, config: config)
    } catch {
      throw ConfigError("\(file.path): run_id must be a string of the run's id")
    }
  }

  /// What every checkpoint of this run carries: its id and the options it trained with.
  func checkpointMetadata() throws -> [String: String] {
    var m = [Self.configKey: try Self.comparable(config)]
    m[Self.runIDKey] = runID
    return m
  }

  /// The config as JSON text with sorted keys, less the layout options (`TrainConfig.layoutKeys`).
  static func comparable(_ config: TrainConfig) throws -> String {
    var object = try fields(config)
    for key in TrainConfig.layoutKeys { object[key] = nil }
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    return String(decoding: data, as: UTF8.self)
  }

  static func fields(_ config: TrainConfig) throws -> [String: Any] {
    guard let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(config)) as? [String: Any] else {
      throw ConfigError("a training config did not encode as a JSON object")
    }
    return object
  }

  /// Why the checkpoint with `metadata`, of run `run` (1-based), is not this run's (nil: it is).
  /// A checkpoint of this run whose options differ from config.json's throws: the folder's
  /// config was edited, and no checkpoint in it can continue the run it describes.
  public func mismatch(_ metadata: [String: String], run: Int, file: String) throws -> String? {
    if let id = metadata[Self.runIDKey], id != runID {
      return "it belongs to another run (run_id \(id), this folder's is \(runID ?? "not recorded"))"
    }
    if metadata[Self.runIDKey] == nil, runID != nil {
      return "it records no run_id, and this folder's run is \(runID!)"
    }
    let expected: [(String, String)] = [
      ("model", config.model.rawValue), ("method", config.method.rawValue),
      ("dataset", config.dataset.rawValue), ("seed", String(config.seed &+ UInt64(run - 1)))
    ]
    for (key, value) in expected where metadata[key] != value {
      return "its \(key) is \(metadata[key] ?? "missing"), but this run's is \(value)"
    }
    guard let saved = metadata[Self.configKey] else { return nil }  // an older version's checkpoint
    guard let theirs = try? JSONSerialization.jsonObject(with: Data(saved.utf8)) as? [String: Any] else {
      return "its recorded config is not JSON"
    }
    let ours = try JSONSerialization.jsonObject(with: Data(try Self.comparable(config).utf8)) as? [String: Any] ?? [:]
    func text(_ v: Any?) -> String {
      guard let v, !(v is NSNull) else { return "unset" }
      return (try? JSONSerialization.data(withJSONObject: v, options: [.fragmentsAllowed, .sortedKeys])).map {
        String(decoding: $0, as: UTF8.self)
      } ?? "\(v)"
    }
    let changed = Set(theirs.keys).union(ours.keys).sorted().filter { text(theirs[$0]) != text(ours[$0]) }
    guard changed.isEmpty else {
      let list = changed.map { "\($0) (\(text(theirs[$0])) in the checkpoint, \(text(ours[$0])) in config.json)" }
        .joined(separator: ", ")
      throw ConfigError(
        "config.json of \(URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent().path) differs from the options its checkpoint \(URL(fileURLWithPath: file).lastPathComponent) was trained with: \(list); a run continues with its own options (only \(TrainConfig.layoutKeys.sorted().joined(separator: ", ")) may change), so put config.json back or start a new run"
      )
    }
    return nil
  }
}
