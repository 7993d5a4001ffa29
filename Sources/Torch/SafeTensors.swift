import Foundation

/// Named tensors in the safetensors format (https://github.com/huggingface/safetensors):
/// an 8-byte little-endian header length N, N bytes of JSON
/// `{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}`,
/// then the raw little-endian tensor bytes. Files written here load with Python's `safetensors`.
///
/// Every file written here carries the CRC-32C of its payload in the metadata (`crc32c`, eight hex
/// digits); reading a file that has one verifies it, so a corrupt checkpoint is refused by name
/// instead of loading wrong weights. Files without it (other writers) are read as they are.
public enum SafeTensors {
  /// The metadata key of the payload's checksum.
  public static let checksumKey = "crc32c"

  static let dtypeNames: [DType: String] = [
    .float32: "F32", .float64: "F64", .int64: "I64", .int32: "I32", .uint8: "U8", .bool: "BOOL",
  ]

  /// Encodes tensors (in the order given) and string metadata into the format's bytes.
  public static func encode(_ tensors: [(String, Tensor)], metadata: [String: String] = [:]) throws -> [UInt8] {
    var entries: [String] = []
    var payload: [UInt8] = []
    var seen = Set<String>()
    for (name, tensor) in tensors {
      guard seen.insert(name).inserted else { throw TorchError("safetensors: the name '\(name)' appears twice") }
      guard let code = dtypeNames[tensor.dtype] else { throw TorchError("safetensors: dtype \(tensor.dtype) is not supported") }
      let bytes = try tensor.to(.cpu).bytes()
      let begin = payload.count
      payload += bytes
      entries.append("\(jsonString(name)):{\"dtype\":\"\(code)\",\"shape\":[\(tensor.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(begin),\(payload.count)]}")
    }
    var metadata = metadata
    metadata[checksumKey] = String(format: "%08x", CRC32C.checksum(payload))
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
    return out
  }

  /// Writes atomically and durably (`DurableFile`): the file appears complete or not at all, even
  /// across a crash of the machine.
  public static func save(_ tensors: [(String, Tensor)], to url: URL, metadata: [String: String] = [:]) throws {
    try DurableFile.write(try encode(tensors, metadata: metadata), to: url)
  }

  public struct File {
    /// Tensors in payload order.
    public var tensors: [(name: String, tensor: Tensor)]
    public var metadata: [String: String]
    public subscript(name: String) -> Tensor? { tensors.first { $0.name == name }?.tensor }
  }

  public static func load(from url: URL) throws -> File {
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw TorchError("safetensors file \(url.path) does not exist")
    }
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw TorchError("cannot read \(url.path): \(error.localizedDescription)")
    }
    return try decode([UInt8](data), source: url.path)
  }

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
    if let stored = metadata[checksumKey] {
      let actual = String(format: "%08x", bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[headerEnd...])) })
      guard stored == actual else {
        throw fail("its tensors' checksum is \(actual), but the file says \(stored): the file is corrupt")
      }
    }
    let tensors = try bytes.withUnsafeBytes { raw in
      try entries.map { e in
        (e.name, try Tensor(bytes: UnsafeRawBufferPointer(rebasing: raw[(headerEnd + e.begin)..<(headerEnd + e.end)]),
                            shape: e.shape, dtype: e.dtype))
      }
    }
    return File(tensors: tensors, metadata: metadata)
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
        if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
      }
    }
    return out + "\""
  }
}
