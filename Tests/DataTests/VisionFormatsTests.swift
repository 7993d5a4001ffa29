import Foundation
import XCTest
import Torch
@testable import Data

/// CIFAR-10/100 binaries and tiny-ImageNet trees (both layouts), written by the tests from the
/// formats' definitions, plus corrupt variants with the expected error texts.
final class VisionFormatsTests: XCTestCase {
  var dir: URL!

  override func setUpWithError() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("vision-\(UUID())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

  // MARK: fixtures

  /// Pixel k of record r: a pattern that differs between records and channels.
  func pixels(_ r: Int) -> [UInt8] { (0..<3072).map { UInt8(truncatingIfNeeded: r * 37 + $0 * 7 + $0 / 1024) } }

  func cifarRecords(_ labels: [[UInt8]], first: Int = 0) -> [UInt8] {
    var out: [UInt8] = []
    for (r, l) in labels.enumerated() { out += l + pixels(first + r) }
    return out
  }

  @discardableResult
  func write(_ path: String, _ bytes: [UInt8]) throws -> URL {
    let url = dir.appendingPathComponent(path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(bytes).write(to: url)
    return url
  }

  func write(_ path: String, text: String) throws {
    try write(path, Array(text.utf8))
  }

  /// A solid-colour RGB JPEG (solid colours survive JPEG compression almost exactly).
  func jpeg(_ rgb: [UInt8], width: Int = 64, height: Int = 64) throws -> [UInt8] {
    var pixels: [UInt8] = []
    for _ in 0..<(width * height) { pixels += rgb }
    return try JPEGCodec().encode(pixels, width: width, height: height, quality: 100)
  }

  func assertError(
    _ expression: @autoclosure () throws -> Any, contains parts: [String],
    file: StaticString = #filePath, line: UInt = #line
  ) {
    XCTAssertThrowsError(try expression(), file: file, line: line) { error in
      let text = "\(error)"
      XCTAssertTrue(error is DataError, "not a DataError: \(text)", file: file, line: line)
      for p in parts { XCTAssertTrue(text.contains(p), "'\(text)' lacks '\(p)'", file: file, line: line) }
    }
  }

  // MARK: CIFAR

  func writeCIFAR10(in folder: String = "") throws {
    for b in 1...5 {
      try write(folder + "data_batch_\(b).bin", cifarRecords([[UInt8(b)], [UInt8(9 - b)]], first: 2 * (b - 1)))
    }
    try write(folder + "test_batch.bin", cifarRecords([[3], [0], [9]], first: 100))
  }

  func testCIFAR10ReadsRecordsAsCHWWithLabels() throws {
    try writeCIFAR10()
    let train = try CIFAR.load(CIFAR.cifar10, .train, directory: dir)
    XCTAssertEqual(train.images.shape, [10, 3, 32, 32])
    XCTAssertEqual(train.images.dtype, .uint8)
    XCTAssertEqual(try train.labels.toArray(Int64.self), [1, 8, 2, 7, 3, 6, 4, 5, 5, 4])
    XCTAssertEqual(train.classCount, 10)
    XCTAssertEqual(train.normalization, .cifar10)
    // Record 3 (data_batch_2's second): R plane, then G, then B, rows top to bottom.
    XCTAssertEqual(try train.images[3].toArray(UInt8.self), pixels(3))
    XCTAssertEqual(
      try train.images[3].select(axis: 0, index: 1).select(axis: 0, index: 2).select(axis: 0, index: 5).item(),
      Double(pixels(3)[1024 + 2 * 32 + 5]))
    let test = try CIFAR.load(CIFAR.cifar10, .test, directory: dir)
    XCTAssertEqual(test.count, 3)
    XCTAssertEqual(try test.labels.toArray(Int64.self), [3, 0, 9])
    XCTAssertEqual(try test.images[2].toArray(UInt8.self), pixels(102))
  }

  func testCIFAR10FoundInTheArchiveFolder() throws {
    try writeCIFAR10(in: "cifar-10-batches-bin/")
    XCTAssertEqual(try CIFAR.load(CIFAR.cifar10, .test, directory: dir).count, 3)
  }

  func testCIFAR10TruncatedRecordNamesFileAndOffset() throws {
    try writeCIFAR10()
    let bytes = cifarRecords([[1], [2]]) + Array(repeating: 0, count: 100)
    let url = try write("test_batch.bin", bytes)
    assertError(
      try CIFAR.load(CIFAR.cifar10, .test, directory: dir),
      contains: ["\(url.path): byte 6146: truncated record 2 (100 of 3073 bytes)"])
  }

  func testCIFAR10LabelOutOfRangeNamesFileAndOffset() throws {
    try writeCIFAR10()
    let url = try write("data_batch_4.bin", cifarRecords([[1], [10]]))
    assertError(
      try CIFAR.load(CIFAR.cifar10, .train, directory: dir),
      contains: ["\(url.path): byte 3073: record 1 has label 10, not a class 0–9"])
  }

  func testCIFAR10MissingFilesAreNamed() throws {
    try write("data_batch_1.bin", cifarRecords([[1]]))
    assertError(
      try CIFAR.load(CIFAR.cifar10, .train, directory: dir),
      contains: [
        dir.path, "data_batch_2.bin, data_batch_3.bin, data_batch_4.bin, data_batch_5.bin", "cifar-10-batches-bin"
      ])
    assertError(
      try CIFAR.load(CIFAR.cifar10, .train, directory: dir.appendingPathComponent("nowhere")),
      contains: ["nowhere does not exist"])
    try write("test_batch.bin", [])
    assertError(try CIFAR.load(CIFAR.cifar10, .test, directory: dir), contains: ["test_batch.bin: the file is empty"])
  }

  func testCIFAR100UsesTheFineLabel() throws {
    try write("train.bin", cifarRecords([[0, 99], [19, 42], [5, 0]]))
    try write("test.bin", cifarRecords([[1, 7]], first: 50))
    let train = try CIFAR.load(CIFAR.cifar100, .train, directory: dir, augmentation: .strong)
    XCTAssertEqual(try train.labels.toArray(Int64.self), [99, 42, 0])
    XCTAssertEqual(train.classCount, 100)
    XCTAssertEqual(train.augmentation, .strong)
    XCTAssertEqual(train.normalization, .cifar100)
    XCTAssertEqual(try train.images[1].toArray(UInt8.self), pixels(1))
    XCTAssertEqual(try CIFAR.load(CIFAR.cifar100, .test, directory: dir).images[0].toArray(UInt8.self), pixels(50))
  }

  func testCIFAR100BadFineLabelAndTruncation() throws {
    let url = try write("train.bin", cifarRecords([[0, 1], [3, 100]]))
    assertError(
      try CIFAR.load(CIFAR.cifar100, .train, directory: dir),
      contains: ["\(url.path): byte 3075: record 1 has label 100, not a class 0–99"])
    try write("train.bin", cifarRecords([[0, 1]]) + [7, 8, 9])
    assertError(
      try CIFAR.load(CIFAR.cifar100, .train, directory: dir),
      contains: ["train.bin: byte 3074: truncated record 1 (3 of 3074 bytes)"])
  }

  // MARK: JPEG and resizing

  func testJPEGRoundTripAndGreyFilesDecodeToRGB() throws {
    let codec = JPEGCodec()
    var pixels: [UInt8] = []
    for y in 0..<16 { for x in 0..<16 { pixels += [UInt8(x * 16), UInt8(y * 16), 128] } }
    let encoded = try codec.encode(pixels, width: 16, height: 16, quality: 100)
    XCTAssertEqual(Array(encoded.prefix(2)), [0xFF, 0xD8])
    let image = try codec.decodeRGB(encoded, source: "gradient")
    XCTAssertEqual([image.width, image.height, image.channels], [16, 16, 3])
    let worst = zip(image.pixels, pixels).map { abs(Int($0) - Int($1)) }.max()!
    XCTAssertLessThanOrEqual(worst, 4)

    let grey = try codec.encode([UInt8](repeating: 77, count: 64), width: 8, height: 8, channels: 1, quality: 100)
    let rgb = try codec.decodeRGB(grey, source: "grey")
    XCTAssertEqual(rgb.pixels.count, 8 * 8 * 3)
    XCTAssertTrue(rgb.pixels.allSatisfy { abs(Int($0) - 77) <= 1 })
  }

  func testCorruptJPEGsAreErrorsNamingTheFile() throws {
    let codec = JPEGCodec()
    assertError(
      try codec.decodeRGB([0x89, 0x50, 0x4E, 0x47, 0, 0], source: "/x/a.JPEG"),
      contains: ["/x/a.JPEG: not a JPEG file (no FF D8 start-of-image marker at byte 0)"])
    assertError(
      try codec.decodeRGB([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4, 5], source: "/x/b.JPEG"),
      contains: ["/x/b.JPEG: the JPEG header claims an image of 0×0 pixels"])
    // A real file whose end is cut off: the header reads, the data runs out (a libjpeg warning,
    // "premature end of data", which PIL also refuses).
    var noise = SplitMix64(seed: 9)
    let pixels = (0..<(64 * 64 * 3)).map { _ in UInt8(truncatingIfNeeded: noise.next()) }
    let whole = try codec.encode(pixels, width: 64, height: 64, quality: 90)
    assertError(
      try codec.decodeRGB(Array(whole.prefix(whole.count * 3 / 4)), source: "/x/c.JPEG"),
      contains: ["/x/c.JPEG: cannot decode the JPEG data (libjpeg-turbo:"])
    // Header fields destroyed after a valid start marker.
    var broken = whole
    for i in 2..<min(600, broken.count) { broken[i] = 0x5A }
    assertError(try codec.decodeRGB(broken, source: "/x/d.JPEG"), contains: ["/x/d.JPEG: "])
  }

  /// 4×4 → 2×2 by PIL's bilinear filter: per axis, output 0 weighs inputs 0, 1, 2 by 3/7, 3/7,
  /// 1/7 and output 1 weighs inputs 1, 2, 3 by 1/7, 3/7, 3/7 (the [1 3 3 1]/8 filter cut at the
  /// border and renormalised). With x[i][j] = 10·(4i + j): 10·(4·5/7 + 5/7) = 35.7 → 36, etc.
  func testResizeMatchesPILBilinearByHand() throws {
    let x = try Tensor((0..<16).map { UInt8(10 * $0) }, shape: [1, 1, 4, 4])
    let y = try ImageResize.bilinear(x, height: 2, width: 2)
    XCTAssertEqual(y.dtype, .uint8)
    XCTAssertEqual(try y.toArray(UInt8.self), [36, 51, 99, 114])
    XCTAssertTrue(try ImageResize.bilinear(x, height: 4, width: 4) === x)
  }

  // MARK: tiny-ImageNet

  /// Three classes, listed unsorted in wnids.txt; solid colours tell the images apart.
  let wnids = ["n03000000", "n01000000", "n02000000"]
  let colours: [String: [UInt8]] = ["n01000000": [250, 10, 10], "n02000000": [10, 250, 10], "n03000000": [10, 10, 250]]

  func writeOfficialTree() throws {
    try write("tiny/wnids.txt", text: wnids.joined(separator: "\n") + "\n")
    for w in wnids {
      for k in 0..<2 { try write("tiny/train/\(w)/images/\(w)_\(k).JPEG", try jpeg(colours[w]!)) }
      try write("tiny/train/\(w)/\(w)_boxes.txt", text: "\(w)_0.JPEG\t0\t0\t63\t63\n")
    }
    let val = [("val_0.JPEG", "n02000000"), ("val_1.JPEG", "n03000000"), ("val_2.JPEG", "n01000000")]
    var annotations = ""
    for (file, w) in val {
      try write("tiny/val/images/\(file)", try jpeg(colours[w]!))
      annotations += "\(file)\t\(w)\t0\t0\t63\t63\n"
    }
    try write("tiny/val/val_annotations.txt", text: annotations)
  }

  func writeFolderTree() throws {
    for w in wnids {
      for k in 0..<2 { try write("folder/train/\(w)/\(w)_\(k).JPEG", try jpeg(colours[w]!)) }
      try write("folder/val/\(w)/v_\(w).jpg", try jpeg(colours[w]!))
    }
    try write("folder/train/notes.txt", text: "not a class folder and not an image")
  }

  func assertColours(_ d: ImageDataset, _ expected: [[UInt8]], file: StaticString = #filePath, line: UInt = #line)
    throws
  {
    XCTAssertEqual(d.images.shape, [expected.count, 3, 32, 32], file: file, line: line)
    for (n, rgb) in expected.enumerated() {
      let means = try d.images[n].to(.float32).mean(axes: [1, 2]).toArray(Float.self)
      for c in 0..<3 {
        XCTAssertEqual(Double(means[c]), Double(rgb[c]), accuracy: 3, "image \(n) channel \(c)", file: file, line: line)
      }
    }
  }

  func testOfficialLayoutLabelsBySortedWnid() throws {
    try writeOfficialTree()
    let root = dir.appendingPathComponent("tiny")
    let train = try TinyImageNet.load(.train, directory: root, augmentation: .strong)
    XCTAssertEqual(train.classCount, 3)
    XCTAssertEqual(train.normalization, .tinyImageNet)
    XCTAssertEqual(try train.labels.toArray(Int64.self), [0, 0, 1, 1, 2, 2])
    try assertColours(train, [[250, 10, 10], [250, 10, 10], [10, 250, 10], [10, 250, 10], [10, 10, 250], [10, 10, 250]])
    let val = try TinyImageNet.load(.val, directory: root, layout: .official)
    XCTAssertEqual(try val.labels.toArray(Int64.self), [1, 2, 0])
    try assertColours(val, [[10, 250, 10], [10, 10, 250], [250, 10, 10]])
  }

  func testImageFolderLayoutAgreesWithOfficial() throws {
    try writeFolderTree()
    let root = dir.appendingPathComponent("folder")
    let train = try TinyImageNet.load(.train, directory: root)
    XCTAssertEqual(try train.labels.toArray(Int64.self), [0, 0, 1, 1, 2, 2])
    try assertColours(train, [[250, 10, 10], [250, 10, 10], [10, 250, 10], [10, 250, 10], [10, 10, 250], [10, 10, 250]])
    let val = try TinyImageNet.load(.val, directory: root, layout: .imageFolder, size: 16)
    XCTAssertEqual(val.images.shape, [3, 3, 16, 16])
    XCTAssertEqual(try val.labels.toArray(Int64.self), [0, 1, 2])
  }

  func testCorruptJPEGInATreeStopsTheLoadNamingTheFile() throws {
    try writeOfficialTree()
    let bad = try write("tiny/train/n02000000/images/n02000000_1.JPEG", Array("this is not a picture".utf8))
    assertError(
      try TinyImageNet.load(.train, directory: dir.appendingPathComponent("tiny")),
      contains: ["\(bad.path): not a JPEG file"])
  }

  func testOfficialLayoutStructuralErrors() throws {
    try writeOfficialTree()
    let root = dir.appendingPathComponent("tiny")
    try FileManager.default.removeItem(at: root.appendingPathComponent("wnids.txt"))
    // val_annotations.txt still marks the official layout, so the missing list is reported.
    assertError(
      try TinyImageNet.load(.train, directory: root),
      contains: ["\(root.path)/wnids.txt does not exist: expected the list of the 200 class ids"])

    try write("tiny/wnids.txt", text: wnids.joined(separator: "\n") + "\nn04000000\n")
    assertError(
      try TinyImageNet.load(.train, directory: root),
      contains: ["the directory \(root.path)/train/n04000000/images does not exist", "class n04000000"])

    try write("tiny/wnids.txt", text: wnids.joined(separator: "\n"))
    try write(
      "tiny/val/val_annotations.txt", text: "val_0.JPEG\tn02000000\t0\t0\t1\t1\nval_1.JPEG\tn09999999\t0\t0\t1\t1\n")
    assertError(
      try TinyImageNet.load(.val, directory: root),
      contains: ["val_annotations.txt: line 2: wnid n09999999 is not in wnids.txt"])
    try write("tiny/val/val_annotations.txt", text: "val_7.JPEG\tn02000000\t0\t0\t1\t1\n")
    assertError(
      try TinyImageNet.load(.val, directory: root), contains: ["line 1: the image", "val_7.JPEG does not exist"])
    try write("tiny/val/val_annotations.txt", text: "val_0.JPEG n02000000\n")
    assertError(
      try TinyImageNet.load(.val, directory: root), contains: ["line 1: expected tab-separated file name and wnid"])
  }

  func testMissingDirectoriesAreNamed() throws {
    let nowhere = dir.appendingPathComponent("nowhere")
    assertError(
      try TinyImageNet.load(.train, directory: nowhere), contains: ["the directory \(nowhere.path) does not exist"])
    try writeFolderTree()
    let root = dir.appendingPathComponent("folder")
    try FileManager.default.removeItem(at: root.appendingPathComponent("val"))
    assertError(
      try TinyImageNet.load(.val, directory: root), contains: ["the directory \(root.path)/val does not exist"])
    try write("folder/val/n05000000/x.jpg", try jpeg([1, 2, 3]))
    assertError(
      try TinyImageNet.load(.val, directory: root),
      contains: ["class folder 'n05000000' is not among the 3 training classes"])
  }

  /// Needs the real data set, which scripts/bootstrap.sh installs; without it the loader's error fails the test.
  func testFashionMNISTAsUint8Images() throws {
    let test = try FashionMNIST.images(.test)
    XCTAssertEqual(test.images.shape, [10000, 1, 28, 28])
    XCTAssertEqual(test.images.dtype, .uint8)
    let floats = try FashionMNIST.load(.test)
    var rng = SplitMix64(seed: 0)
    let batch = try test.batch(indices: [0, 5, 9999], rng: &rng)
    let expected = try floats.batch(indices: [0, 5, 9999], rng: &rng)
    XCTAssertLessThan(try (batch.inputs - expected.inputs).abs().max().item(), 1e-5)
    XCTAssertEqual(try batch.labels.toArray(Int64.self), try expected.labels.toArray(Int64.self))
  }
}
