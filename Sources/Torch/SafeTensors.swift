import Foundation

/// Named tensors in the safetensors format (https://github.com/huggingface/safetensors):
/// an 8-byte little-endian header length N, N bytes of JSON
/// `{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}`,
/// then the raw little-endian tensor bytes. Files written here load with Python's `safetensors`.
///
/// Every file written here carries the CRC-32C of the whole file in the metadata (`crc32c_file`,
/// eight hex digits, computed with those eight digits written as zeros): the header with every
/// metadata value is covered as well as the tensors, so one changed byte anywhere is refused by
/// name instead of loading wrong weights or a wrong record. Files of older versions carry
/// `crc32c`, the checksum of the tensor bytes alone, which is still verified; files of other
/// writers carry neither and are read as they are (`File.checksum` says which was checked).
public enum SafeTensors {
  /// The metadata key of the whole file's checksum.
  public static let checksumKey = "crc32c_file"
  /// The metadata key of the tensor bytes' checksum, as files of older versions carry it.
  public static let payloadChecksumKey = "crc32c"
  /// What a file's placeholder checksum looks like until it is computed.
  static let checksumPlaceholder = "00000000"

  /// How much of a file its checksum covered.
  public enum Checksum: Sendable {
    /// Header and tensors (`crc32c_file`): this version's files.
    case wholeFile
    /// The tensor bytes only (`crc32c`): older versions' files.
    case tensorsOnly
    /// No checksum (another writer's file).
    case none
  }

  static let dtypeNames: [DType: String] = [
    .float32: "F32", .float64: "F64", .int64: "I64", .int32: "I32", .uint8: "U8", .bool: "BOOL"
  ]

  /// Encodes tensors (in the order given) and string metadata into the format's bytes.
  public static func encode(_ tensors: [(String, Tensor)], metadata: [String: String] = [:]) throws -> [UInt8] {
    var entries: [String] = []
    var payload: [UInt8] = []
    var seen = Set<String>()
    for (name, tensor) in tensors {
      guard seen.insert(name).inserted else { throw TorchError("safetensors: the name '\(name)' appears twice") }
      guard let code = dtypeNames[tensor.dtype] else {
        throw TorchError("safetensors: dtype \(tensor.dtype) is not supported")
      }
      let bytes = try tensor.to(.cpu).bytes()
      let begin = payload.count
      payload += bytes
      entries.append(
        "\(jsonString(name)):{\"dtype\":\"\(code)\",\"shape\":[\(tensor.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(begin),\(payload.count)]}"
      )
    }
    var metadata = metadata
    metadata[payloadChecksumKey] = nil
    metadata[checksumKey] = checksumPlaceholder
    let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
    entries.insert("\"__metadata__\":{\(pairs.joined(separator: ","))}", at: 0)
    var header = Array("{\(entries.joined(separator: ","))}".utf8)
    // The reference writer pads the header with spaces so the payload starts 8-byte aligned.
    while header.count % 8 != 0 { header.append(0x20) }
    var out: [UInt8] = []
    out.reserveCapacity(8 + header.count + payload.count)
    var n = UInt64(header.count).littleEndian
    withUnsafeBytes(of: &n) { out += $0 }
    out += header
    out += payload
    // The checksum of the file as it stands (digits all zero), written over the zeros.
    guard let digits = checksumDigits(in: out, headerEnd: 8 + header.count, value: checksumPlaceholder) else {
      throw TorchError("safetensors: the checksum's place was not found in the header written")
    }
    out.replaceSubrange(digits, with: Array(String(format: "%08x", CRC32C.checksum(out)).utf8))
    return out
  }

  /// Where the eight digits of `"crc32c_file":"<value>"` stand in a file's header. Our writer
  /// puts the metadata first with its keys sorted, and any quote inside a value is escaped, so
  /// the first occurrence of the unescaped key and value is the metadata's entry.
  static func checksumDigits(in bytes: [UInt8], headerEnd: Int, value: String) -> Range<Int>? {
    let pattern = Array("\(jsonString(checksumKey)):\(jsonString(value))".utf8)
    guard headerEnd - 8 >= pattern.count else { return nil }
    for start in 8...(headerEnd - pattern.count) where bytes[start] == pattern[0] {
      if bytes[start..<(start + pattern.count)].elementsEqual(pattern) {
        let end = start + pattern.count - 1  // the closing quote
        return (end - 8)..<end
      }
    }
    return nil
  }

  /// Writes atomically and durably (`DurableFile`): the file appears complete or not at all, even
  /// across a crash of the machine.
  public static func save(_ tensors: [(String, Tensor)], to url: URL, metadata: [String: String] = [:]) throws {
    try DurableFile.write(try encode(tensors, metadata: metadata), to: url)
  }

  /// A decoded file: its tensors, its metadata and which checksum was verified.
  public struct File {
    /// Tensors in payload order.
    public var tensors: [(name: String, tensor: Tensor)]
    /// The `__metadata__` strings, checksum keys included.
    public var metadata: [String: String]
    /// What the verified checksum covered.
    public var checksum: Checksum = .none
    /// The tensor named `name`, or nil when the file has none.
    public subscript(name: String) -> Tensor? { tensors.first { $0.name == name }?.tensor }
  }

  /// Reads and decodes the file at `url`; throws on a file that is not valid safetensors or fails its checksum.
  public static func load(from url: URL) throws -> File {
    return try decode(try RegularFile.read(url, what: "safetensors file"), source: url.path)
  }

  /// Decodes safetensors bytes, verifying the checksum they carry; throws, naming `source`, on
  /// bytes that are not a valid file or do not match their checksum.
  public static func decode(_ bytes: [UInt8], source: String = "<memory>") throws -> File {
    func fail(_ why: String) -> TorchError { TorchError("\(source) is not a valid safetensors file: \(why)") }
    guard bytes.count >= 8 else { throw fail("it has \(bytes.count) bytes, fewer than the 8-byte header length") }
    var n: UInt64 = 0
    for i in (0..<8).reversed() { n = n << 8 | UInt64(bytes[i]) }
    guard n <= UInt64(bytes.count - 8) else {
      throw fail("the header length \(n) runs past the end of the file (\(bytes.count) bytes)")
    }
    let headerEnd = 8 + Int(n)
    let json: Any
    do { json = try JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd])) } catch {
      throw fail("the header (bytes 8..<\(headerEnd)) is not JSON")
    }
    guard let header = json as? [String: Any] else { throw fail("the header is not a JSON object") }
    let payloadSize = bytes.count - headerEnd
    var metadata: [String: String] = [:]
    var entries: [(name: String, dtype: DType, shape: [Int], begin: Int, end: Int)] = []
    for (name, value) in header {
      if name == "__metadata__" {
        guard let m = value as? [String: String] else { throw fail("__metadata__ must map strings to strings") }
        metadata = m
        continue
      }
      guard let info = value as? [String: Any], let code = info["dtype"] as? String,
        let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2
      else { throw fail("entry '\(name)' lacks dtype, shape or data_offsets") }
      guard let dtype = dtypeNames.first(where: { $0.value == code })?.key else {
        throw fail("entry '\(name)' has dtype \(code), which this reader does not support")
      }
      let (begin, end) = (offsets[0], offsets[1])
      guard begin >= 0, begin <= end, end <= payloadSize else {
        throw fail("entry '\(name)' has data_offsets [\(begin), \(end)] outside the \(payloadSize)-byte payload")
      }
      guard byteCount(shape: shape, elementSize: dtype.byteSize) == end - begin else {
        throw fail("entry '\(name)' has shape \(shape) of \(code), which does not match its \(end - begin) bytes")
      }
      entries.append((name, dtype, shape, begin, end))
    }
    entries.sort { $0.begin < $1.begin }
    var expected = 0
    for e in entries {
      guard e.begin == expected else { throw fail("the payload has a gap or overlap at byte \(e.begin) ('\(e.name)')") }
      expected = e.end
    }
    guard expected == payloadSize else { throw fail("the payload has \(payloadSize - expected) trailing bytes") }
    var checksum = Checksum.none
    if let stored = metadata[checksumKey] {
      guard let digits = checksumDigits(in: bytes, headerEnd: headerEnd, value: stored) else {
        throw fail("its checksum \(stored) is not where this writer puts it: the file is corrupt")
      }
      var actual = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[..<digits.lowerBound])) }
      actual = CRC32C.checksum(Array(checksumPlaceholder.utf8), continuing: actual)
      actual = bytes.withUnsafeBytes {
        CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[digits.upperBound...]), continuing: actual)
      }
      guard stored == String(format: "%08x", actual) else {
        throw fail(
          "its checksum is \(String(format: "%08x", actual)), but the file says \(stored): the file is corrupt")
      }
      checksum = .wholeFile
    } else if let stored = metadata[payloadChecksumKey] {
      let actual = String(
        format: "%08x", bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[headerEnd...])) })
      guard stored == actual else {
        throw fail("its tensors' checksum is \(actual), but the file says \(stored): the file is corrupt")
      }
      checksum = .tensorsOnly
    }
    let tensors = try bytes.withUnsafeBytes { raw in
      try entries.map { e in
        (
          e.name,
          try Tensor(
            bytes: UnsafeRawBufferPointer(rebasing: raw[(headerEnd + e.begin)..<(headerEnd + e.end)]),
            shape: e.shape, dtype: e.dtype)
        )
      }
    }
    return File(tensors: tensors, metadata: metadata, checksum: checksum)
  }

  static func jsonString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if scalar.value < 0x20 {
          out += String(format: "\\u%04x", scalar.value)
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out + "\""
  }
}
