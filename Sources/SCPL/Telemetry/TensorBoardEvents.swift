import Foundation
import SwiftProtobuf
import Torch

/// One TensorBoard event file (`events.out.tfevents.<time>.<host>`): scalar values by tag and
/// global step, so `tensorboard --logdir runs` shows a run while it trains.
///
/// The file is a TFRecord stream of `tensorboard.Event` protobufs (encoded by swift-protobuf from
/// Protos/tensorboard_event.proto). Every record is framed as
/// `length (UInt64 LE) · masked CRC-32C of length · data · masked CRC-32C of data` (CRC-32C from
/// Intel ISA-L, `CRC32C`) and written through at once, so a reader sees each value as it is added and a
/// killed process leaves at most a truncated last record, which TensorBoard skips.
public final class TensorBoardEvents {
  /// The event file being written.
  public let url: URL
  private let handle: FileHandle

  /// Creates the folder if needed and a new event file in it, starting with the file-version event.
  public init(folder: URL, now: Date = Date()) throws {
    do {
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
      // The name TensorBoard looks for; the pid keeps two writers started in the same second apart.
      url = folder.appendingPathComponent(
        String(
          format: "events.out.tfevents.%010d.%@.%d", Int(now.timeIntervalSince1970), host,
          ProcessInfo.processInfo.processIdentifier))
      guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
        throw CocoaError(.fileWriteNoPermission)
      }
      handle = try FileHandle(forWritingTo: url)
    } catch {
      throw TensorBoardError("cannot create a TensorBoard event file in \(folder.path): \(error.localizedDescription)")
    }
    var first = Tensorboard_Event()
    first.wallTime = now.timeIntervalSince1970
    first.fileVersion = "brain.Event:2"
    try write(first)
  }

  deinit { try? handle.close() }

  /// Appends one event holding `scalars` (tag → value) at `step`.
  public func add(_ scalars: [(tag: String, value: Double)], step: Int, now: Date = Date()) throws {
    var event = Tensorboard_Event()
    event.wallTime = now.timeIntervalSince1970
    event.step = Int64(step)
    event.summary.value = scalars.map { s in
      var v = Tensorboard_Summary.Value()
      v.tag = s.tag
      v.simpleValue = Float(s.value)
      return v
    }
    try write(event)
  }

  private func write(_ event: Tensorboard_Event) throws {
    let data: Data = try event.serializedBytes()
    var length = UInt64(data.count).littleEndian
    let lengthBytes = withUnsafeBytes(of: &length) { Data($0) }
    var record = Data()
    record.append(lengthBytes)
    record.append(Self.littleEndianBytes(Self.maskedCRC32C(lengthBytes)))
    record.append(data)
    record.append(Self.littleEndianBytes(Self.maskedCRC32C(data)))
    do { try handle.write(contentsOf: record) } catch {
      throw TensorBoardError("cannot write TensorBoard events to \(url.path): \(error.localizedDescription)")
    }
  }

  /// TFRecord's masking of a CRC (rotate right by 15, add a constant), from TensorFlow's format.
  static func maskedCRC32C(_ data: Data) -> UInt32 {
    let crc = CRC32C.checksum(data)
    return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
  }

  private static func littleEndianBytes(_ x: UInt32) -> Data {
    var le = x.littleEndian
    return withUnsafeBytes(of: &le) { Data($0) }
  }
}

/// An event file that cannot be created or written.
public struct TensorBoardError: Error, CustomStringConvertible, Sendable {
  /// The sentence that says what failed.
  public let description: String
  init(_ description: String) { self.description = description }
}
