import Foundation
import Torch

/// The IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/): two zero bytes,
/// a type code, the number of dimensions, each dimension as a big-endian UInt32, then the data
/// big-endian in C order. Files may be gzip'd.
public enum IDX {
  /// The type code of an IDX file's elements (third byte of the header).
  public enum ElementType: UInt8, Sendable {
    case uint8 = 0x08, int8 = 0x09, int16 = 0x0B, int32 = 0x0C, float32 = 0x0D, float64 = 0x0E
    var size: Int {
      switch self {
      case .uint8, .int8: return 1
      case .int16: return 2
      case .int32, .float32: return 4
      case .float64: return 8
      }
    }
  }

  /// A parsed IDX file: element type, shape and raw data bytes.
  public struct Array: Sendable {
    /// The element type from the header.
    public var type: ElementType
    /// The dimensions from the header, outermost first.
    public var shape: [Int]
    /// Raw big-endian element bytes.
    public var payload: [UInt8]
  }

  /// Reads and parses an IDX file, gzip'd or not; throws `DataError` naming the byte offset of any problem.
  public static func read(_ url: URL) throws -> Array {
    try parse(try Gzip.readMaybeCompressed(url), source: url.path)
  }

  /// Parses decompressed IDX bytes; `source` names the file in errors.
  public static func parse(_ bytes: [UInt8], source: String) throws -> Array {
    func fail(_ offset: Int, _ why: String) -> DataError { DataError("\(source): byte \(offset): \(why)") }
    guard bytes.count >= 4 else {
      throw fail(0, "file has \(bytes.count) bytes, too short for the 4-byte IDX magic number")
    }
    guard bytes[0] == 0, bytes[1] == 0 else {
      throw fail(
        0, String(format: "wrong magic number: an IDX file starts with 00 00, found %02x %02x", bytes[0], bytes[1]))
    }
    guard let type = ElementType(rawValue: bytes[2]) else {
      throw fail(2, String(format: "unknown IDX element type 0x%02x", bytes[2]))
    }
    let rank = Int(bytes[3])
    guard rank >= 1 else { throw fail(3, "an IDX array needs at least one dimension") }
    let headerSize = 4 + 4 * rank
    guard bytes.count >= headerSize else {
      throw fail(
        bytes.count, "truncated header: \(rank) dimensions need \(headerSize) header bytes, the file has \(bytes.count)"
      )
    }
    var shape: [Int] = []
    for d in 0..<rank {
      let o = 4 + 4 * d
      shape.append(Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3]))
    }
    let available = bytes.count - headerSize
    guard let expected = byteCount(shape: shape, elementSize: type.size) else {
      throw fail(4, "the shape \(shape) of \(type.size)-byte elements is too large to exist")
    }
    guard available >= expected else {
      let record = byteCount(shape: Swift.Array(shape.dropFirst()), elementSize: type.size) ?? 0
      let complete = record > 0 ? available / record : 0
      throw fail(
        bytes.count,
        "truncated data: shape \(shape) needs \(expected) bytes after the \(headerSize)-byte header, found \(available) (\(complete) complete records)"
      )
    }
    guard available == expected else {
      throw fail(
        headerSize + expected, "\(available - expected) unexpected trailing bytes after the data of shape \(shape)")
    }
    return Array(type: type, shape: shape, payload: Swift.Array(bytes[headerSize...]))
  }
}

extension IDX.Array {
  /// The array as a uint8 tensor (for images and labels).
  public func uint8Tensor() throws -> Tensor {
    guard type == .uint8 else { throw DataError("expected IDX element type uint8, found \(type)") }
    return try Tensor(payload, shape: shape)
  }
}
