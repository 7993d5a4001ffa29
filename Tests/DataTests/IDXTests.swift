import Foundation
import XCTest
import Torch
@testable import Data

final class IDXTests: XCTestCase {
  var dir: URL!

  override func setUpWithError() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("idx-\(UUID())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

  /// IDX bytes for a uint8 array, written from the format's definition.
  func idx(_ shape: [Int], _ payload: [UInt8], type: UInt8 = 0x08) -> [UInt8] {
    var out: [UInt8] = [0, 0, type, UInt8(shape.count)]
    for d in shape { out += [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
    return out + payload
  }

  func write(_ name: String, _ bytes: [UInt8], gzip: Bool = false) throws -> URL {
    let url = dir.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    if gzip {
      let p = Process()
      p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      p.arguments = ["gzip", "-f", url.path]
      try p.run()
      p.waitUntilExit()
      XCTAssertEqual(p.terminationStatus, 0)
      return URL(fileURLWithPath: url.path + ".gz")
    }
    return url
  }

  func testReadsPlainAndGzippedFiles() throws {
    let bytes = idx([2, 2, 3], Array(0..<12))
    for gz in [false, true] {
      let a = try IDX.read(try write("a\(gz)", bytes, gzip: gz))
      XCTAssertEqual(a.type, .uint8)
      XCTAssertEqual(a.shape, [2, 2, 3])
      XCTAssertEqual(a.payload, Array(0..<12))
      XCTAssertEqual(try a.uint8Tensor().select(axis: 0, index: 1).toArray(UInt8.self), Array(6..<12))
    }
  }

  func testErrorsNameTheFileAndByteOffset() throws {
    let wrongMagic = try write("magic", [0x1A, 0, 8, 1, 0, 0, 0, 1, 5])
    XCTAssertThrowsError(try IDX.read(wrongMagic)) {
      XCTAssertTrue("\($0)".contains("\(wrongMagic.path): byte 0: wrong magic number"), "\($0)")
    }
    let badType = try write("type", [0, 0, 0x42, 1, 0, 0, 0, 1, 5])
    XCTAssertThrowsError(try IDX.read(badType)) {
      XCTAssertTrue("\($0)".contains("byte 2: unknown IDX element type 0x42"), "\($0)")
    }
    let truncated = try write("trunc", idx([3, 4], Array(repeating: 1, count: 9)), gzip: true)
    XCTAssertThrowsError(try IDX.read(truncated)) {
      let text = "\($0)"
      XCTAssertTrue(
        text.contains(truncated.path) && text.contains("byte 21: truncated data")
          && text.contains("2 complete records"), text)
    }
    let shortHeader = try write("hdr", [0, 0, 8, 3, 0, 0])
    XCTAssertThrowsError(try IDX.read(shortHeader)) { XCTAssertTrue("\($0)".contains("truncated header"), "\($0)") }
    XCTAssertThrowsError(try IDX.read(dir.appendingPathComponent("missing"))) {
      XCTAssertTrue("\($0)".contains("does not exist"), "\($0)")
    }
  }

  /// Found by `make fuzz` (Fuzz/regressions/idx): dimensions whose product overflows used to trap.
  func testAShapeTooLargeToExistIsRefused() throws {
    let header: [UInt8] = [0, 0, 8, 2, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xCF, 0xFF, 0x57]
    XCTAssertThrowsError(try IDX.parse(header + [0xFF, 0, 0, 0x17], source: "huge.idx")) {
      XCTAssertTrue(
        "\($0)".contains(
          "huge.idx: byte 4: the shape [4294967295, 4291821399] of 1-byte elements is too large to exist"), "\($0)")
    }
  }

  func testCorruptGzipIsAnErrorNotACrash() throws {
    var gz = try Data(contentsOf: try write("c", idx([100], Array(repeating: 7, count: 100)), gzip: true))
    gz = gz.prefix(gz.count / 2)
    let url = dir.appendingPathComponent("half.gz")
    try gz.write(to: url)
    XCTAssertThrowsError(try IDX.read(url)) { XCTAssertTrue("\($0)".contains(url.path), "\($0)") }
  }

  func testFashionMNISTFixtureDirectoryAndLabelCheck() throws {
    _ = try write("t10k-images-idx3-ubyte", idx([2, 28, 28], Array(repeating: 255, count: 2 * 784)), gzip: true)
    _ = try write("t10k-labels-idx1-ubyte", idx([2], [3, 11]))
    XCTAssertThrowsError(try FashionMNIST.load(.test, directory: dir)) {
      XCTAssertTrue("\($0)".contains("byte 9: label 11 is not a class 0–9"), "\($0)")
    }
    _ = try write("t10k-labels-idx1-ubyte", idx([2], [3, 9]))
    let ds = try FashionMNIST.load(.test, directory: dir, normalize: false)
    XCTAssertEqual(ds.inputs.shape, [2, 1, 28, 28])
    XCTAssertEqual(try ds.inputs.max().item(), 1.0)
    XCTAssertEqual(try ds.labels.toArray(Int64.self), [3, 9])
    XCTAssertThrowsError(try FashionMNIST.load(.train, directory: dir)) {
      XCTAssertTrue("\($0)".contains("no train-images-idx3-ubyte"), "\($0)")
    }
  }

  /// The real data set installed by scripts/bootstrap.sh (Debian's dataset-fashion-mnist).
  func testRealFashionMNISTTestSplit() throws {
    let ds = try FashionMNIST.load(.test)
    XCTAssertEqual(ds.count, 10_000)
    XCTAssertEqual(ds.sampleShape, [1, 28, 28])
    let counts = try ds.labels.oneHot(classes: 10).sum(axis: 0).toArray(Int64.self)
    XCTAssertEqual(counts, Array(repeating: 1000, count: 10))
  }
}

final class BatchesTests: XCTestCase {
  func dataset(_ n: Int) throws -> TensorDataset {
    try TensorDataset(
      name: "toy", inputs: Tensor.arange(n, dtype: .float32).unsqueezed(axis: 1),
      labels: Tensor.arange(n), classCount: n)
  }

  func order(_ b: Batches) throws -> [Int64] { try b.flatMap { try $0.labels.toArray(Int64.self) } }

  func testSameSeedSameBatchesAndEverySampleOnce() throws {
    let ds = try dataset(10)
    let a = try order(Batches(ds, batchSize: 3, shuffleSeed: 7))
    XCTAssertEqual(a, try order(Batches(ds, batchSize: 3, shuffleSeed: 7)))
    XCTAssertNotEqual(a, try order(Batches(ds, batchSize: 3, shuffleSeed: 8)))
    XCTAssertEqual(a.sorted(), Array(0..<10))
    XCTAssertEqual(try order(Batches(ds, batchSize: 4, shuffleSeed: nil)), Array(0..<10))
  }

  func testDropLastAndInputsFollowLabels() throws {
    let ds = try dataset(10)
    let b = try Batches(ds, batchSize: 4, shuffleSeed: 1, dropLast: true)
    XCTAssertEqual(b.count, 2)
    var seen = 0
    for batch in b {
      XCTAssertEqual(
        try batch.inputs.squeezed(axis: 1).toArray(Float.self).map(Int64.init), try batch.labels.toArray(Int64.self))
      seen += 1
    }
    XCTAssertEqual(seen, 2)
    XCTAssertThrowsError(try Batches(ds, batchSize: 0, shuffleSeed: nil))
  }
}
