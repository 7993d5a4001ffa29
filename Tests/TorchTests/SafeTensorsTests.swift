import Foundation
import XCTest
import TestSupport
@testable import Torch

final class SafeTensorsTests: XCTestCase {
  func tempURL(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID())-\(name)")
  }

  /// The exact bytes of a one-tensor file, written out by hand from the format's definition.
  func testEncodeMatchesHandWrittenBytes() throws {
    let t = try Tensor([1.0, -2.0] as [Float])
    // The checksum is CRC-32C of the 8 payload bytes, as Python's tensorboard.compat crc32c gives it.
    let header = #"{"__metadata__":{"crc32c":"aa36f2c9"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#  // 91 bytes
    let padded = header + "     "                                                                             // → 96, a multiple of 8
    var expected: [UInt8] = [96, 0, 0, 0, 0, 0, 0, 0]
    expected += Array(padded.utf8)
    expected += [0x00, 0x00, 0x80, 0x3F]  // 1.0f little-endian
    expected += [0x00, 0x00, 0x00, 0xC0]  // -2.0f
    XCTAssertEqual(header.utf8.count, 91)
    XCTAssertEqual(try SafeTensors.encode([("a", t)]), expected)
  }

  func testDecodeHandWrittenFixtureWithMetadataAndTwoDtypes() throws {
    let header = #"{"__metadata__": {"format": "pt"}, "ids": {"dtype": "I64", "shape": [2], "data_offsets": [0, 16]}, "w": {"dtype": "F64", "shape": [1, 1], "data_offsets": [16, 24]}}"#
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
      ("empty", try Tensor.zeros([0, 3])),
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
    var bytes = try SafeTensors.encode([("a", try Tensor([1, 2, 3] as [Float]))], metadata: ["epoch": "1"])
    let good = try SafeTensors.decode(bytes)
    XCTAssertEqual(good.metadata[SafeTensors.checksumKey]?.count, 8)
    bytes[bytes.count - 2] ^= 0x10
    XCTAssertThrowsError(try SafeTensors.decode(bytes, source: "c.st")) {
      XCTAssertTrue("\($0)".contains("c.st") && "\($0)".contains("the file is corrupt"), "\($0)")
    }
    func file(_ header: String, payload: Int) -> [UInt8] {
      let h = Array(header.utf8)
      var out: [UInt8] = []
      var n = UInt64(h.count).littleEndian
      withUnsafeBytes(of: &n) { out += $0 }
      out += h
      out += [UInt8](repeating: 0, count: payload)
      return out
    }
    let absurd = file(#"{"a": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 16]}}"#, payload: 16)
    XCTAssertThrowsError(try SafeTensors.decode(absurd)) { XCTAssertTrue("\($0)".contains("does not match its 16 bytes"), "\($0)") }
    let overlapping = file(#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#, payload: 12)
    XCTAssertThrowsError(try SafeTensors.decode(overlapping)) { XCTAssertTrue("\($0)".contains("gap or overlap"), "\($0)") }
    let negative = file(#"{"a": {"dtype": "F32", "shape": [-2, -2], "data_offsets": [0, 16]}}"#, payload: 16)
    XCTAssertThrowsError(try SafeTensors.decode(negative)) { XCTAssertTrue("\($0)".contains("does not match"), "\($0)") }
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
  }

  /// Checkpoints must load in Python's reference reader (installed by scripts/bootstrap.sh).
  func testPythonSafetensorsReadsOurFile() throws {
    let url = tempURL("py.safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try SafeTensors.save([("w", try Tensor([0.5, -1.25, 3] as [Float], shape: [3, 1])),
                          ("n", try Tensor([42] as [Int64]))], to: url, metadata: ["k": "v"])
    let script = """
      from safetensors.numpy import load_file
      from safetensors import safe_open
      d = load_file('\(url.path)')
      with safe_open('\(url.path)', framework='numpy') as f: meta = dict(sorted(f.metadata().items()))
      print(d['w'].dtype, d['w'].shape, d['w'].ravel().tolist(), d['n'].dtype, d['n'].tolist(), meta)
      """
    let text = try runPython(script: script)
    let checksum = try SafeTensors.load(from: url).metadata[SafeTensors.checksumKey]!
    XCTAssertEqual(text.trimmingCharacters(in: .whitespacesAndNewlines),
                   "float32 (3, 1) [0.5, -1.25, 3.0] int64 [42] {'crc32c': '\(checksum)', 'k': 'v'}")
  }
}
