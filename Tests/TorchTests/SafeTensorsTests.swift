import Foundation
import XCTest
import TestSupport
@testable import Torch

final class SafeTensorsTests: XCTestCase {
  func tempURL(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID())-\(name)")
  }

  /// CRC-32C bit by bit (reflected polynomial 0x82F63B78), independent of ISA-L's.
  func referenceCRC32C(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
      crc ^= UInt32(byte)
      for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
    }
    return crc ^ 0xFFFF_FFFF
  }

  /// The exact bytes of a one-tensor file, written out by hand from the format's definition. The
  /// checksum covers the whole file as it is with its own eight digits written as zeros.
  func testEncodeMatchesHandWrittenBytes() throws {
    let t = try Tensor([1.0, -2.0] as [Float])
    // 96 bytes
    let header = #"{"__metadata__":{"crc32c_file":"00000000"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
    XCTAssertEqual(header.utf8.count, 96, "a multiple of 8: no padding")
    var expected: [UInt8] = [96, 0, 0, 0, 0, 0, 0, 0]
    expected += Array(header.utf8)
    expected += [0x00, 0x00, 0x80, 0x3F]  // 1.0f little-endian
    expected += [0x00, 0x00, 0x00, 0xC0]  // -2.0f
    let digits = Array(String(format: "%08x", referenceCRC32C(expected)).utf8)
    expected.replaceSubrange((8 + 32)..<(8 + 40), with: digits)
    XCTAssertEqual(try SafeTensors.encode([("a", t)]), expected)
  }

  /// A file of the previous version (the tensors' checksum under `crc32c`) is still verified.
  func testAnOlderFilesTensorChecksumIsStillVerified() throws {
    let header = #"{"__metadata__":{"crc32c":"aa36f2c9"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}     "#
    var bytes: [UInt8] =
      [96, 0, 0, 0, 0, 0, 0, 0] + Array(header.utf8) + [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0]
    XCTAssertEqual(try SafeTensors.decode(bytes).checksum, .tensorsOnly)
    bytes[bytes.count - 1] ^= 1
    XCTAssertThrowsError(try SafeTensors.decode(bytes)) {
      XCTAssertTrue("\($0)".contains("the file is corrupt"), "\($0)")
    }
  }

  func testDecodeHandWrittenFixtureWithMetadataAndTwoDtypes() throws {
    let header =
      #"{"__metadata__": {"format": "pt"}, "ids": {"dtype": "I64", "shape": [2], "data_offsets": [0, 16]}, "w": {"dtype": "F64", "shape": [1, 1], "data_offsets": [16, 24]}}"#
    var bytes: [UInt8] = []
    var n = UInt64(header.utf8.count).littleEndian
    withUnsafeBytes(of: &n) { bytes += $0 }
    bytes += Array(header.utf8)
    bytes += [7, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]  // 7, -1
    bytes += [0, 0, 0, 0, 0, 0, 0xF8, 0x3F]  // 1.5
    let file = try SafeTensors.decode(bytes)
    XCTAssertEqual(file.metadata, ["format": "pt"])
    XCTAssertEqual(try file["ids"]!.toArray(Int64.self), [7, -1])
    XCTAssertEqual(file["w"]!.shape, [1, 1])
    XCTAssertEqual(try file["w"]!.toArray(Double.self), [1.5])
  }

  func testRoundTripEveryDtype() throws {
    let tensors: [(String, Tensor)] = [
      ("f32", try Tensor.randn([3, 4])),
      ("f64", try Tensor.randn([2, 2, 2], dtype: .float64)),
      ("i64", try Tensor.randint(-5, 5, [7])),
      ("u8", try Tensor([0, 255, 9] as [UInt8])),
      ("b", try Tensor([true, false] as [Bool])),
      ("scalar", try Tensor.scalar(3.25, dtype: .float64)),
      ("empty", try Tensor.zeros([0, 3]))
    ]
    let url = tempURL("round.safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try SafeTensors.save(tensors, to: url, metadata: ["epoch": "3"])
    let back = try SafeTensors.load(from: url)
    XCTAssertEqual(back.metadata["epoch"], "3")
    XCTAssertEqual(back.tensors.map(\.name), tensors.map(\.0))
    for (name, t) in tensors {
      let u = back[name]!
      XCTAssertEqual(u.shape, t.shape, name)
      XCTAssertEqual(u.dtype, t.dtype, name)
      XCTAssertEqual(try u.bytes(), try t.bytes(), name)
    }
  }

  /// A flipped payload byte is caught by the checksum every file carries; a header that claims
  /// sizes whose product overflows is refused before anything is read.
  func testChecksumAndAbsurdHeadersAreRefused() throws {
    let written = try SafeTensors.encode(
      [("a", try Tensor([1, 2, 3] as [Float]))], metadata: ["epoch": "1", "best": "0.0859375"])
    let good = try SafeTensors.decode(written)
    XCTAssertEqual(good.metadata[SafeTensors.checksumKey]?.count, 8)
    XCTAssertEqual(good.checksum, .wholeFile)
    // One changed byte anywhere — a tensor's, a metadata value's (0.0859375 → 0.9859375), the
    // checksum's own digits, the header length — is refused.
    func offset(of text: String) throws -> Int {
      let pattern = Array(text.utf8)
      return try XCTUnwrap(
        (0..<(written.count - pattern.count)).first { written[$0..<($0 + pattern.count)].elementsEqual(pattern) })
    }
    let valueAt = try offset(of: "0.0859375"), keyAt = try offset(of: "crc32c_file")
    for at in [written.count - 2, valueAt + 2, keyAt + 15, 3] {
      var bytes = written
      bytes[at] =
        bytes[at] == UInt8(ascii: "9") ? UInt8(ascii: "8") : (at == valueAt + 2 ? UInt8(ascii: "9") : bytes[at] ^ 0x10)
      XCTAssertThrowsError(try SafeTensors.decode(bytes, source: "c.st"), "byte \(at)") {
        XCTAssertTrue("\($0)".contains("c.st"), "\($0)")
      }
    }
    var renamed = written  // the checksum's key itself damaged: then the file has none
    renamed[keyAt + 2] = UInt8(ascii: "X")
    if let file = try? SafeTensors.decode(renamed) { XCTAssertEqual(file.checksum, .none) }
    func file(_ header: String, payload: Int) -> [UInt8] {
      let h = Array(header.utf8)
      var out: [UInt8] = []
      var n = UInt64(h.count).littleEndian
      withUnsafeBytes(of: &n) { out += $0 }
      out += h
      out += [UInt8](repeating: 0, count: payload)
      return out
    }
    let absurd = file(
      #"{"a": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 16]}}"#, payload: 16)
    XCTAssertThrowsError(try SafeTensors.decode(absurd)) {
      XCTAssertTrue("\($0)".contains("does not match its 16 bytes"), "\($0)")
    }
    let overlapping = file(
      #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#,
      payload: 12)
    XCTAssertThrowsError(try SafeTensors.decode(overlapping)) {
      XCTAssertTrue("\($0)".contains("gap or overlap"), "\($0)")
    }
    let negative = file(#"{"a": {"dtype": "F32", "shape": [-2, -2], "data_offsets": [0, 16]}}"#, payload: 16)
    XCTAssertThrowsError(try SafeTensors.decode(negative)) {
      XCTAssertTrue("\($0)".contains("does not match"), "\($0)")
    }
  }

  func testCorruptFilesGiveSentencesNotCrashes() throws {
    XCTAssertThrowsError(try SafeTensors.decode([1, 2, 3], source: "x.st")) {
      XCTAssertTrue("\($0)".contains("x.st") && "\($0)".contains("fewer than the 8-byte"), "\($0)")
    }
    var good = try SafeTensors.encode([("a", try Tensor([1, 2] as [Float]))])
    good.removeLast()  // truncated payload
    XCTAssertThrowsError(try SafeTensors.decode(good)) { XCTAssertTrue("\($0)".contains("outside"), "\($0)") }
    var huge = try SafeTensors.encode([("a", try Tensor([1] as [Float]))])
    huge[0] = 0xFF; huge[1] = 0xFF
    XCTAssertThrowsError(try SafeTensors.decode(huge)) { XCTAssertTrue("\($0)".contains("runs past the end"), "\($0)") }
    XCTAssertThrowsError(try SafeTensors.load(from: URL(fileURLWithPath: "/nonexistent/m.safetensors"))) {
      XCTAssertTrue("\($0)".contains("does not exist"), "\($0)")
    }
    // A FIFO or a device would block or never end: refused by what it is, before reading.
    XCTAssertThrowsError(try SafeTensors.load(from: URL(fileURLWithPath: "/dev/zero"))) {
      XCTAssertEqual("\($0)", "the safetensors file /dev/zero is a character device, not a regular file")
    }
    let fifo = tempURL("fifo.safetensors")
    XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
    defer { unlink(fifo.path) }
    XCTAssertThrowsError(try SafeTensors.load(from: fifo)) {
      XCTAssertEqual("\($0)", "the safetensors file \(fifo.path) is a FIFO (named pipe), not a regular file")
    }
    XCTAssertThrowsError(try SafeTensors.load(from: FileManager.default.temporaryDirectory)) {
      XCTAssertTrue("\($0)".hasSuffix("is a folder, not a regular file"), "\($0)")
    }
  }

  /// Checkpoints must load in Python's reference reader (installed by scripts/bootstrap.sh).
  func testPythonSafetensorsReadsOurFile() throws {
    let url = tempURL("py.safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try SafeTensors.save(
      [
        ("w", try Tensor([0.5, -1.25, 3] as [Float], shape: [3, 1])),
        ("n", try Tensor([42] as [Int64]))
      ], to: url, metadata: ["k": "v"])
    let script = """
      from safetensors.numpy import load_file
      from safetensors import safe_open
      d = load_file('\(url.path)')
      with safe_open('\(url.path)', framework='numpy') as f: meta = dict(sorted(f.metadata().items()))
      print(d['w'].dtype, d['w'].shape, d['w'].ravel().tolist(), d['n'].dtype, d['n'].tolist(), meta)
      """
    let text = try runPython(script: script)
    let checksum = try SafeTensors.load(from: url).metadata[SafeTensors.checksumKey]!
    XCTAssertEqual(
      text.trimmingCharacters(in: .whitespacesAndNewlines),
      "float32 (3, 1) [0.5, -1.25, 3.0] int64 [42] {'crc32c_file': '\(checksum)', 'k': 'v'}")
  }
}
