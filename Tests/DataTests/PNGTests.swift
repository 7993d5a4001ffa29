import Foundation
import XCTest
import Torch
@testable import Data

/// PNG files written by the test from the format's definition (chunks with CRC-32, a zlib stream of
/// stored deflate blocks, no libpng), decoded by `PNGCodec` to what PIL's `convert("RGB")` gives.
final class PNGTests: XCTestCase {
  // MARK: a PNG writer from the specification

  static let crcTable: [UInt32] = (0..<256).map { n in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
  }

  static func crc32(_ bytes: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
    return c ^ 0xFFFF_FFFF
  }

  static func bigEndian(_ v: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: v >> $0) } }

  static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    let body = Array(type.utf8) + data
    return bigEndian(UInt32(data.count)) + body + bigEndian(crc32(body))
  }

  /// A zlib stream of stored (uncompressed) deflate blocks, with its Adler-32.
  static func zlibStored(_ data: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0x78, 0x01]
    var start = 0
    repeat {
      let end = min(start + 65535, data.count)
      let n = UInt16(end - start)
      out += [end == data.count ? 1 : 0, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8(~n >> 8)]
      out += data[start..<end]
      start = end
    } while start < data.count
    var (a, b): (UInt32, UInt32) = (1, 0)
    for x in data {
      a = (a + UInt32(x)) % 65521
      b = (b + a) % 65521
    }
    return out + bigEndian(b << 16 | a)
  }

  /// A PNG of `rows` (each row's bytes, unfiltered) with the given colour type and bit depth.
  static func png(
    width: Int, height: Int, colorType: UInt8, bitDepth: UInt8 = 8, rows: [[UInt8]], extra: [[UInt8]] = []
  ) -> [UInt8] {
    let header = bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [bitDepth, colorType, 0, 0, 0]
    let raw: [UInt8] = rows.flatMap { row -> [UInt8] in [0] + row }  // filter type 0 (None) on every row
    let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    let chunks: [UInt8] = chunk("IHDR", header) + extra.flatMap { $0 } + chunk("IDAT", zlibStored(raw))
    return signature + chunks + chunk("IEND", [])
  }

  // MARK: decoding

  func testColourTypesDecodeToPILsRGB() throws {
    // 2×2 RGB.
    let rgb = Self.png(width: 2, height: 2, colorType: 2, rows: [[255, 0, 0, 0, 255, 0], [0, 0, 255, 10, 20, 30]])
    XCTAssertEqual(
      try PNGCodec.decodeRGB(rgb, source: "rgb.png").pixels, [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30])
    // Grey: each value to all three channels.
    let grey = Self.png(width: 3, height: 1, colorType: 0, rows: [[0, 128, 255]])
    XCTAssertEqual(try PNGCodec.decodeRGB(grey, source: "grey.png").pixels, [0, 0, 0, 128, 128, 128, 255, 255, 255])
    // RGBA: the alpha is dropped, not composited (PIL's convert("RGB")).
    let rgba = Self.png(width: 2, height: 1, colorType: 6, rows: [[200, 100, 50, 0, 1, 2, 3, 128]])
    XCTAssertEqual(try PNGCodec.decodeRGB(rgba, source: "rgba.png").pixels, [200, 100, 50, 1, 2, 3])
    // Palette with a transparent entry: the palette's colours, transparency dropped.
    let palette = Self.chunk("PLTE", [9, 8, 7, 250, 251, 252])
    let transparency = Self.chunk("tRNS", [0])
    let indexed = Self.png(width: 3, height: 1, colorType: 3, rows: [[1, 0, 1]], extra: [palette, transparency])
    XCTAssertEqual(
      try PNGCodec.decodeRGB(indexed, source: "palette.png").pixels, [250, 251, 252, 9, 8, 7, 250, 251, 252])
    // 16-bit RGB: within one of the high byte (PIL keeps the high byte; libpng rounds).
    let wide = Self.png(
      width: 1, height: 1, colorType: 2, bitDepth: 16, rows: [[0x12, 0x34, 0xAB, 0xCD, 0xFF, 0xFF]])
    let decoded = try PNGCodec.decodeRGB(wide, source: "16bit.png").pixels
    for (got, high) in zip(decoded, [0x12, 0xAB, 0xFF] as [Int]) { XCTAssertLessThanOrEqual(abs(Int(got) - high), 1) }
  }

  func testLargerImageOverSeveralStoredBlocksDecodesExactly() throws {
    let (w, h) = (150, 160)  // 150·3+1 bytes per row, 72 160 bytes: two stored blocks
    let rows = (0..<h).map { y in (0..<(w * 3)).map { UInt8(truncatingIfNeeded: y * 31 + $0 * 7) } }
    let image = try PNGCodec.decodeRGB(Self.png(width: w, height: h, colorType: 2, rows: rows), source: "big.png")
    XCTAssertEqual([image.height, image.width, image.channels], [h, w, 3])
    XCTAssertEqual(image.pixels, rows.flatMap { $0 })
  }

  func testCorruptPNGsAreErrorsNamingTheFile() throws {
    let good = Self.png(width: 2, height: 1, colorType: 0, rows: [[1, 2]])
    var badCRC = good
    badCRC[29] ^= 0xFF  // IHDR's CRC
    var badData = good
    badData[badData.count - 20] ^= 0xFF  // inside IDAT
    for (bytes, name) in [(badCRC, "crc.png"), (badData, "data.png"), (Array(good.prefix(40)), "short.png")] {
      XCTAssertThrowsError(try PNGCodec.decodeRGB(bytes, source: name)) { error in
        XCTAssertTrue(error is DataError)
        XCTAssertTrue("\(error)".contains(name), "\(error)")
        XCTAssertTrue("\(error)".contains("libpng"), "\(error)")
      }
    }
    XCTAssertThrowsError(try PNGCodec.decodeRGB([1, 2, 3], source: "x.png")) {
      XCTAssertTrue("\($0)".contains("not a PNG file"), "\($0)")
    }
  }

  /// An ImageFolder tree mixing PNG and JPEG files loads both, with the sorted folders' labels.
  func testImageFolderReadsPNGAndJPEGTogether() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("png-\(UUID())")
    defer { try? FileManager.default.removeItem(at: dir) }
    func write(_ path: String, _ bytes: [UInt8]) throws {
      let url = dir.appendingPathComponent(path)
      try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try Data(bytes).write(to: url)
    }
    let red = [UInt8](repeating: 0, count: 8 * 8).flatMap { _ in [250, 0, 0] as [UInt8] }
    let rows = (0..<8).map { _ in [UInt8](repeating: 0, count: 8).flatMap { _ in [0, 0, 240] as [UInt8] } }
    for split in ["train", "test"] {
      try write("\(split)/cat/a.jpg", try JPEGCodec().encode(red, width: 8, height: 8, quality: 100))
      try write("\(split)/dog/b.PNG", Self.png(width: 8, height: 8, colorType: 2, rows: rows))
    }
    let data = try ImageFolder.load(
      root: dir, split: "test", name: "mine", height: 8, width: 8,
      normalization: ImageNormalization(mean: [0, 0, 0], std: [1, 1, 1]))
    XCTAssertEqual(data.classCount, 2)
    var rng = SplitMix64(seed: 1)
    let (inputs, labels) = try data.batch(indices: [0, 1], rng: &rng)
    XCTAssertEqual(try labels.toArray(Int64.self), [0, 1])
    // Channel means, pixels scaled to [0, 1]: the JPEG is red, the PNG exactly blue.
    let means = try inputs.mean(axes: [2, 3]).toArray(Float.self)
    XCTAssertGreaterThan(means[0], 0.94)
    for (got, want) in zip(means[3...5], [0, 0, 240 / 255] as [Float]) { XCTAssertEqual(got, want, accuracy: 1e-6) }
  }
}
