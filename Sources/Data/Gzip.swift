import CZlib
import Foundation

/// gzip (and zlib) decompression through the system zlib.
public enum Gzip {
  /// True when `bytes` start with the gzip magic number 1f 8b.
  public static func isGzip(_ bytes: [UInt8]) -> Bool { bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B }

  /// Inflates a whole gzip stream. `source` names the file in errors.
  public static func decompress(_ input: [UInt8], source: String) throws -> [UInt8] {
    var stream = z_stream()
    // 15 window bits + 32: detect gzip or zlib headers automatically.
    guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      throw DataError("\(source): zlib could not start inflating")
    }
    defer { inflateEnd(&stream) }
    var output = [UInt8]()
    output.reserveCapacity(input.count * 4)
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    var status: Int32 = Z_OK
    try input.withUnsafeBufferPointer { inBuf in
      stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
      stream.avail_in = uInt(inBuf.count)
      repeat {
        try chunk.withUnsafeMutableBufferPointer { outBuf in
          stream.next_out = outBuf.baseAddress
          stream.avail_out = uInt(outBuf.count)
          status = inflate(&stream, Z_NO_FLUSH)
          guard status == Z_OK || status == Z_STREAM_END else {
            let why = stream.msg.map { String(cString: $0) } ?? "error \(status)"
            let offset = inBuf.count - Int(stream.avail_in)
            throw DataError("\(source): corrupt gzip data near compressed byte \(offset) (\(why))")
          }
          output.append(contentsOf: outBuf[0..<(outBuf.count - Int(stream.avail_out))])
        }
        if status != Z_STREAM_END && stream.avail_in == 0 && stream.avail_out != 0 {
          throw DataError("\(source): the gzip stream is truncated (ends after \(inBuf.count) compressed bytes)")
        }
      } while status != Z_STREAM_END
    }
    return output
  }

  /// Reads a file, inflating it when it is gzip'd.
  public static func readMaybeCompressed(_ url: URL) throws -> [UInt8] {
    guard FileManager.default.fileExists(atPath: url.path) else { throw DataError("\(url.path) does not exist") }
    let raw: [UInt8]
    do { raw = [UInt8](try Data(contentsOf: url)) } catch {
      throw DataError("cannot read \(url.path): \(error.localizedDescription)")
    }
    return isGzip(raw) ? try decompress(raw, source: url.path) : raw
  }
}
