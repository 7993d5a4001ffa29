import Foundation
import Torch

/// The checkpoints of a run folder: `checkpoints/run<R>-epoch<EEEE>.safetensors`, one per saved
/// epoch of run R (1-based), and `run<R>-epoch<EEEE>-step<SSSS>.safetensors` in the middle of
/// epoch E after S of its steps (`--checkpoint-every-steps`, or a stop by a signal). Each holds the method's modules (every parameter and buffer), every
/// optimizer's state, and as metadata the run, epoch and seed and every epoch record up to it
/// (so a checkpoint resumes even if metrics.jsonl is lost).
///
/// Files are written durably (`DurableFile`: temporary file, fsync, rename, fsync of the folder)
/// and carry the CRC-32C of their tensors (`SafeTensors`). After a checkpoint is on disk the run's
/// older ones beyond the newest `keep` are deleted, so a crash at any moment leaves at least one
/// complete checkpoint once one was written.
public struct Checkpoints {
  /// The `checkpoints` folder inside the run folder.
  public let url: URL

  /// One checkpoint file, as its name describes it.
  public struct Entry: Equatable {
    /// 1-based, as in the file name.
    public let run: Int
    /// Epochs complete.
    public let epoch: Int
    /// Steps of the next epoch done (0: at the end of `epoch`).
    public let step: Int
    /// The checkpoint file.
    public let url: URL
  }

  /// The checkpoints of the run folder at `runFolder`.
  public init(runFolder: URL) { url = runFolder.appendingPathComponent("checkpoints") }

  /// The file of run `run`'s checkpoint after `epoch` complete epochs and `step` steps of the next.
  public static func fileName(run: Int, epoch: Int, step: Int = 0) -> String {
    step == 0
      ? String(format: "run%d-epoch%04d.safetensors", run, epoch)
      : String(format: "run%d-epoch%04d-step%04d.safetensors", run, epoch + 1, step)
  }

  /// The checkpoints on disk, oldest first (by run, then progress). Other files are ignored.
  public func list() -> [Entry] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
    return names.compactMap { name -> Entry? in
      guard name.hasPrefix("run"), name.hasSuffix(".safetensors") else { return nil }
      let parts = name.dropFirst(3).dropLast(".safetensors".count).split(separator: "-")
      guard parts.count == 2 || parts.count == 3, let run = Int(parts[0]), parts[1].hasPrefix("epoch"),
        let epoch = Int(parts[1].dropFirst(5))
      else { return nil }
      guard parts.count == 3 else {
        return Entry(run: run, epoch: epoch, step: 0, url: url.appendingPathComponent(name))
      }
      guard parts[2].hasPrefix("step"), let step = Int(parts[2].dropFirst(4)), step > 0, epoch > 0 else { return nil }
      return Entry(run: run, epoch: epoch - 1, step: step, url: url.appendingPathComponent(name))
    }.sorted { ($0.run, $0.epoch, $0.step) < ($1.run, $1.epoch, $1.step) }
  }

  /// Writes run `run`'s checkpoint after `epoch` complete epochs (and `step` steps of the next),
  /// then deletes that run's older checkpoints beyond the newest `keep` (other runs' are left
  /// alone: a finished run's last one is its model).
  @discardableResult
  public func save(
    _ tensors: [(String, Tensor)], run: Int, epoch: Int, step: Int = 0, metadata: [String: String], keep: Int
  ) throws -> URL {
    do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
      throw RunFolderError("cannot create \(url.path): \(error.localizedDescription)")
    }
    var metadata = metadata
    metadata["run"] = String(run)
    metadata["epoch"] = String(epoch)
    metadata["step"] = String(step)
    let file = url.appendingPathComponent(Self.fileName(run: run, epoch: epoch, step: step))
    try SafeTensors.save(tensors, to: file, metadata: metadata)
    for old in list().filter({ $0.run == run }).dropLast(keep) { try? FileManager.default.removeItem(at: old.url) }
    return file
  }

  /// `newestValid(of:warn:)` for the run whose config.json is in the folder these checkpoints are in.
  public func newestValid(warn: (String) -> Void) throws -> (entry: Entry, file: SafeTensors.File)? {
    try newestValid(of: try RunIdentity.read(folder: url.deletingLastPathComponent()), warn: warn)
  }

  /// The newest checkpoint that reads back whole (its checksum verified) and belongs to the run
  /// `owner` describes. A newer one that does not — cut short by a crash of the machine,
  /// corrupted since, without a checksum, or another run's — is skipped, and `warn` says which
  /// and why. A checkpoint of this run trained with other options than config.json's throws
  /// (`RunIdentity.mismatch`). Temporary files of an interrupted write are deleted.
  public func newestValid(of owner: RunIdentity, warn: (String) -> Void) throws -> (
    entry: Entry, file: SafeTensors.File
  )? {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
    for leftover in names where leftover.hasPrefix(".") && leftover.hasSuffix(".tmp") {
      try? FileManager.default.removeItem(at: url.appendingPathComponent(leftover))
    }
    for entry in list().reversed() {
      do {
        let file = try SafeTensors.load(from: entry.url)
        guard file.metadata["run"] == String(entry.run), file.metadata["epoch"] == String(entry.epoch),
          (file.metadata["step"] ?? "0") == String(entry.step)
        else {
          throw RunFolderError(
            "its metadata names another run, epoch or step (\(file.metadata["run"] ?? "none"), \(file.metadata["epoch"] ?? "none"), \(file.metadata["step"] ?? "0"))"
          )
        }
        guard file.checksum != .none else {
          throw RunFolderError("it carries no checksum, so its contents cannot be trusted")
        }
        if let why = try owner.mismatch(file.metadata, run: entry.run, file: entry.url.path) {
          throw RunFolderError(why)
        }
        return (entry, file)
      } catch let refused as ConfigError {
        throw refused
      } catch {
        warn("warning: skipping the checkpoint \(entry.url.path): \(error)")
      }
    }
    return nil
  }
}
