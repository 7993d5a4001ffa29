import Foundation
import Torch

/// CIFAR-10 and CIFAR-100 in the binary versions published by Krizhevsky
/// (https://www.cs.toronto.edu/~kriz/cifar.html): 32×32 RGB images stored as fixed-size records,
/// label byte(s) first, then 1024 red, 1024 green and 1024 blue bytes (rows top to bottom) — so a
/// record's pixels are already C×H×W.
///
/// - CIFAR-10 (`cifar-10-batches-bin/`): `data_batch_1.bin` … `data_batch_5.bin` (train, 10 000
///   records each) and `test_batch.bin`; a record is 1 label byte + 3072 pixel bytes.
/// - CIFAR-100 (`cifar-100-binary/`): `train.bin` (50 000) and `test.bin` (10 000); a record is a
///   coarse-label byte, a fine-label byte, then the pixels. The fine label (100 classes) is used,
///   as torchvision's CIFAR100 does.
///
/// The directory given may be the one holding the files or the one the archive was unpacked in.
public enum CIFAR {
  /// Which part of the data set to load: the training or the test records.
  public enum Split: String, Sendable { case train, test }

  /// How one of the two CIFAR versions stores its records and where its files are.
  public struct Format: Sendable {
    /// The data set's name, e.g. `cifar10`.
    public let name: String
    /// The folder the official archive unpacks to.
    public let folder: String
    /// Number of classes: 10 or 100.
    public let classCount: Int
    /// Label bytes before the pixels, and which of them is the label.
    public let labelBytes: Int
    /// The index, among the label bytes, of the byte used as the label.
    public let labelByte: Int
    /// The normalisation of the version's training images.
    public let normalization: ImageNormalization
    /// The file names of a split, read in this order.
    public let files: @Sendable (Split) -> [String]

    /// Bytes per record: the label bytes plus 3072 pixel bytes.
    public var recordSize: Int { labelBytes + pixelBytes }
    /// Pixel bytes per record: 3×32×32.
    public var pixelBytes: Int { 3 * 32 * 32 }
  }

  /// CIFAR-10: `cifar-10-batches-bin/`, one label byte per record, 10 classes.
  public static let cifar10 = Format(
    name: "cifar10", folder: "cifar-10-batches-bin", classCount: 10, labelBytes: 1, labelByte: 0,
    normalization: .cifar10,
    files: { $0 == .train ? (1...5).map { "data_batch_\($0).bin" } : ["test_batch.bin"] })

  /// CIFAR-100: `cifar-100-binary/`, a coarse and a fine label byte per record; the fine label (100 classes) is used.
  public static let cifar100 = Format(
    name: "cifar100", folder: "cifar-100-binary", classCount: 100, labelBytes: 2, labelByte: 1,
    normalization: .cifar100,
    files: { $0 == .train ? ["train.bin"] : ["test.bin"] })

  /// Loads a split as uint8 images N×3×32×32 with int64 labels; throws `DataError` for a missing file, or
  /// naming the file and byte of a truncated record or a label out of range.
  public static func load(
    _ format: Format, _ split: Split, directory: URL,
    augmentation: Augmentation = .none
  ) throws -> ImageDataset {
    let base = try resolve(format, split, directory)
    var pixels: [UInt8] = []
    var labels: [Int64] = []
    for file in format.files(split) {
      let url = base.appendingPathComponent(file)
      let bytes: [UInt8]
      do { bytes = [UInt8](try Data(contentsOf: url)) } catch {
        throw DataError("cannot read \(url.path): \(error.localizedDescription)")
      }
      try parse(bytes, format: format, source: url.path, pixels: &pixels, labels: &labels)
    }
    let n = labels.count
    return try ImageDataset(
      name: "\(format.name)/\(split.rawValue)", images: Tensor(pixels, shape: [n, 3, 32, 32]),
      labels: Tensor(labels), classCount: format.classCount,
      normalization: format.normalization, augmentation: augmentation)
  }

  /// Appends the records of one file; `source` names it in errors.
  public static func parse(
    _ bytes: [UInt8], format: Format, source: String,
    pixels: inout [UInt8], labels: inout [Int64]
  ) throws {
    let record = format.recordSize
    guard !bytes.isEmpty else {
      throw DataError("\(source): the file is empty; expected \(record)-byte \(format.name) records")
    }
    let complete = bytes.count / record
    if bytes.count % record != 0 {
      throw DataError(
        "\(source): byte \(complete * record): truncated record \(complete) (\(bytes.count % record) of \(record) bytes); the file should be a whole number of \(record)-byte \(format.name) records"
      )
    }
    pixels.reserveCapacity(pixels.count + complete * format.pixelBytes)
    for r in 0..<complete {
      let start = r * record
      let label = bytes[start + format.labelByte]
      guard Int(label) < format.classCount else {
        throw DataError(
          "\(source): byte \(start + format.labelByte): record \(r) has label \(label), not a class 0–\(format.classCount - 1)"
        )
      }
      labels.append(Int64(label))
      pixels.append(contentsOf: bytes[(start + format.labelBytes)..<(start + record)])
    }
  }

  /// The folder holding the split's files: `directory` itself or its `format.folder` child.
  static func resolve(_ format: Format, _ split: Split, _ directory: URL) throws -> URL {
    let fm = FileManager.default
    var isDir: ObjCBool = false
    guard fm.fileExists(atPath: directory.path, isDirectory: &isDir), isDir.boolValue else {
      throw DataError(
        "the data directory \(directory.path) does not exist (\(format.name): unpack the binary version from https://www.cs.toronto.edu/~kriz/cifar.html there)"
      )
    }
    let files = format.files(split)
    for candidate in [directory, directory.appendingPathComponent(format.folder)] {
      if files.allSatisfy({ fm.fileExists(atPath: candidate.appendingPathComponent($0).path) }) { return candidate }
    }
    let missing = files.filter { !fm.fileExists(atPath: directory.appendingPathComponent($0).path) }
    throw DataError(
      "\(directory.path) has no \(missing.joined(separator: ", ")) (nor has \(format.folder)/): expected the \(format.name) binary version's \(split.rawValue) files there"
    )
  }
}
