import Foundation
import XCTest
import Torch
@testable import Data

/// Crop and flip against hand-computed pixels, colour adjustments against their definitions,
/// and the shapes and determinism of the three augmentation modes.
final class AugmentationTests: XCTestCase {
  func floats(_ t: Tensor) throws -> [Float] { try t.to(.float32).contiguous().toArray(Float.self) }

  func maxDifference(_ a: Tensor, _ b: Tensor) throws -> Double {
    try (a.to(.float64) - b.to(.float64)).abs().max().item()
  }

  /// Random float images in [0, 1], N×C×H×W, from a seeded generator.
  func randomImages(_ shape: [Int], seed: UInt64) throws -> Tensor {
    var rng = SplitMix64(seed: seed)
    return try Tensor((0..<shape.reduce(1, *)).map { _ in Float(rng.uniformUnit()) }, shape: shape)
  }

  func randomBytes(_ shape: [Int], seed: UInt64) throws -> Tensor {
    var rng = SplitMix64(seed: seed)
    return try Tensor((0..<shape.reduce(1, *)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, shape: shape)
  }

  // MARK: crop and flip

  /// A 1×4×4 image holding 1…16, padded by 1 (6×6), window at row 0, column 2:
  ///
  ///     padded            window (rows 0–3, cols 2–5)   mirrored
  ///     0  0  0  0  0 0   0  0  0  0                    0  0  0  0
  ///     0  1  2  3  4 0   2  3  4  0                    0  4  3  2
  ///     0  5  6  7  8 0   6  7  8  0                    0  8  7  6
  ///     0  9 10 11 12 0  10 11 12  0                    0 12 11 10
  ///     0 13 14 15 16 0
  ///     0  0  0  0  0 0
  func testCropAndFlipByHand() throws {
    let image = try Tensor((1...16).map { UInt8($0) }, shape: [1, 1, 4, 4])
    let window = try CropFlip.apply(image, padding: 1, draws: [CropFlip(top: 0, left: 2, flip: false)])
    XCTAssertEqual(window.shape, [1, 1, 4, 4])
    XCTAssertEqual(window.dtype, .uint8)
    XCTAssertEqual(try window.toArray(UInt8.self), [0, 0, 0, 0, 2, 3, 4, 0, 6, 7, 8, 0, 10, 11, 12, 0])
    let mirrored = try CropFlip.apply(image, padding: 1, draws: [CropFlip(top: 0, left: 2, flip: true)])
    XCTAssertEqual(try mirrored.toArray(UInt8.self), [0, 0, 0, 0, 0, 4, 3, 2, 0, 8, 7, 6, 0, 12, 11, 10])
    // The centred window without a flip gives the image back; with one, the image mirrored.
    let centred = try CropFlip.apply(image, padding: 4, draws: [CropFlip(top: 4, left: 4, flip: false)])
    XCTAssertEqual(try centred.toArray(UInt8.self), Array(1...16))
    let flipped = try CropFlip.apply(image, padding: 4, draws: [CropFlip(top: 4, left: 4, flip: true)])
    XCTAssertEqual(try flipped.toArray(UInt8.self), [4, 3, 2, 1, 8, 7, 6, 5, 12, 11, 10, 9, 16, 15, 14, 13])
    // Bottom-right corner of a 4-pixel padding: only pixel 16 remains, at the top-left.
    let corner = try CropFlip.apply(image, padding: 4, draws: [CropFlip(top: 7, left: 7, flip: false)])
    XCTAssertEqual(try corner.toArray(UInt8.self), [16] + Array(repeating: 0, count: 15))
  }

  func testEachImageOfABatchGetsItsOwnWindowOnEveryChannel() throws {
    let images = try randomBytes([5, 3, 6, 7], seed: 1)
    var rng = SplitMix64(seed: 2)
    let draws = (0..<5).map { _ in CropFlip.draw(padding: 2, rng: &rng) }
    let batch = try CropFlip.apply(images, padding: 2, draws: draws)
    XCTAssertEqual(batch.shape, [5, 3, 6, 7])
    for n in 0..<5 {
      let alone = try CropFlip.apply(images.slice(axis: 0, start: n, end: n + 1), padding: 2, draws: [draws[n]])
      XCTAssertEqual(
        try batch.slice(axis: 0, start: n, end: n + 1).contiguous().toArray(UInt8.self), try alone.toArray(UInt8.self))
      // Reference by slicing: pad, cut, flip.
      let padded = try images.slice(axis: 0, start: n, end: n + 1).padded([2, 2, 2, 2])
      var cut = try padded.slice(axis: 2, start: draws[n].top, end: draws[n].top + 6).slice(
        axis: 3, start: draws[n].left, end: draws[n].left + 7)
      if draws[n].flip { cut = try cut.flipped(axes: [3]) }
      XCTAssertEqual(try alone.toArray(UInt8.self), try cut.contiguous().toArray(UInt8.self))
    }
    XCTAssertThrowsError(try CropFlip.apply(images, padding: 2, draws: Array(draws.prefix(4))))
    XCTAssertThrowsError(
      try CropFlip.apply(images, padding: 2, draws: Array(repeating: CropFlip(top: 5, left: 0, flip: false), count: 5)))
  }

  func testCropDrawsCoverTheRangeAndFlipHalfTheTime() {
    var rng = SplitMix64(seed: 3)
    let draws = (0..<4000).map { _ in CropFlip.draw(padding: 4, rng: &rng) }
    XCTAssertEqual(Set(draws.map(\.top)), Set(0...8))
    XCTAssertEqual(Set(draws.map(\.left)), Set(0...8))
    XCTAssertEqual(Double(draws.filter(\.flip).count) / 4000, 0.5, accuracy: 0.03)
  }

  // MARK: colour

  func testGrayscaleMakesTheChannelsEqualWithITU601Luma() throws {
    let x = try randomImages([3, 3, 5, 5], seed: 4)
    let draws = [
      ColorJitter(applied: false, grayscale: true), ColorJitter(applied: false),
      ColorJitter(applied: true, brightness: 1.3, contrast: 0.7, saturation: 1.2, hue: 0.05, grayscale: true)
    ]
    let y = try ColorJitter.apply(x, draws: draws)
    for n in [0, 2] {
      let image = try y[n]
      XCTAssertEqual(try floats(image[0]), try floats(image[1]))
      XCTAssertEqual(try floats(image[1]), try floats(image[2]))
    }
    XCTAssertEqual(try floats(y[1]), try floats(x[1]), "no jitter and no grayscale leaves the image alone")
    let luma = try 0.299 * x[0][0] + 0.587 * x[0][1] + 0.114 * x[0][2]
    XCTAssertLessThan(try maxDifference(y[0][0], luma), 1e-6)
  }

  func testNeutralFactorsAreIdentities() throws {
    let x = try randomImages([4, 3, 6, 6], seed: 5)
    let ones = [Double](repeating: 1, count: 4)
    XCTAssertEqual(try floats(ColorAdjust.brightness(x, factors: ones)), try floats(x))
    XCTAssertEqual(try floats(ColorAdjust.contrast(x, factors: ones)), try floats(x))
    XCTAssertEqual(try floats(ColorAdjust.saturation(x, factors: ones)), try floats(x))
    XCTAssertLessThan(try maxDifference(ColorAdjust.hue(x, shifts: [0, 0, 0, 0]), x), 1e-6)
    XCTAssertLessThan(try maxDifference(ColorAdjust.hsvToRGB(ColorAdjust.rgbToHSV(x)), x), 1e-6)
    // A whole jitter with neutral factors, in any order, changes nothing either.
    let neutral = ColorJitter(applied: true, order: [.hue, .saturation, .brightness, .contrast])
    XCTAssertLessThan(try maxDifference(ColorJitter.apply(x, draws: Array(repeating: neutral, count: 4)), x), 1e-6)
  }

  func testHueShiftOfAThirdTurnsRedIntoGreenAndGreenIntoBlue() throws {
    let red = try Tensor([Float(1), 0, 0], shape: [1, 3, 1, 1])
    XCTAssertEqual(try floats(ColorAdjust.hue(red, shifts: [1.0 / 3])).map { Double($0) }[0], 0, accuracy: 1e-5)
    let green = try ColorAdjust.hue(red, shifts: [1.0 / 3])
    XCTAssertLessThan(try maxDifference(green, Tensor([Float(0), 1, 0], shape: [1, 3, 1, 1])), 1e-5)
    XCTAssertLessThan(
      try maxDifference(ColorAdjust.hue(green, shifts: [1.0 / 3]), Tensor([Float(0), 0, 1], shape: [1, 3, 1, 1])), 1e-5)
    // Negative shifts wrap around the circle: red − 1/6 is magenta.
    XCTAssertLessThan(
      try maxDifference(ColorAdjust.hue(red, shifts: [-1.0 / 6]), Tensor([Float(1), 0, 1], shape: [1, 3, 1, 1])), 1e-5)
    // Greys have no hue to shift.
    let grey = try Tensor.full([1, 3, 2, 2], 0.4)
    XCTAssertLessThan(try maxDifference(ColorAdjust.hue(grey, shifts: [0.25]), grey), 1e-6)
  }

  func testAdjustmentsFollowTheirDefinitions() throws {
    let x = try randomImages([2, 3, 4, 4], seed: 6)
    // Brightness scales and clamps.
    XCTAssertLessThan(
      try maxDifference(ColorAdjust.brightness(x, factors: [0.5, 2]).select(axis: 0, index: 0), x[0] * 0.5), 1e-7)
    XCTAssertLessThan(
      try maxDifference(
        ColorAdjust.brightness(x, factors: [0.5, 2]).select(axis: 0, index: 1), (x[1] * 2).clamp(min: 0, max: 1)), 1e-7)
    // Contrast 0 leaves the mean grey level everywhere; saturation 0 leaves the grey image.
    let flat = try ColorAdjust.contrast(x, factors: [0, 0])
    let gray = try ColorAdjust.grayscale(x)
    for n in 0..<2 {
      let mean = try gray[n].mean().item()
      XCTAssertLessThan(try (flat[n] - mean).abs().max().item(), 1e-6)
    }
    XCTAssertLessThan(try maxDifference(ColorAdjust.saturation(x, factors: [0, 0]), gray.expanded(to: x.shape)), 1e-6)
    // Contrast 1.4: 1.4·x − 0.4·mean, clamped.
    let mean0 = try gray[0].mean().item()
    XCTAssertLessThan(
      try maxDifference(
        ColorAdjust.contrast(x, factors: [1.4, 1])[0], (x[0] * 1.4 - 0.4 * mean0).clamp(min: 0, max: 1)), 1e-6)
  }

  /// Grouping images by their k-th operation must give what each image gets on its own, with the
  /// operations in its own order.
  func testBatchedJitterEqualsOneImageAtATimeInItsOwnOrder() throws {
    let x = try randomImages([6, 3, 5, 5], seed: 7)
    var rng = SplitMix64(seed: 8)
    var draws = (0..<6).map { _ in ColorJitter.draw(rng: &rng) }
    draws[0].applied = false
    draws[1].applied = true
    let batched = try ColorJitter.apply(x, draws: draws)
    for n in 0..<6 {
      var one = try x.slice(axis: 0, start: n, end: n + 1)
      let d = draws[n]
      if d.applied {
        for op in d.order {
          switch op {
          case .brightness: one = try ColorAdjust.brightness(one, factors: [d.brightness])
          case .contrast: one = try ColorAdjust.contrast(one, factors: [d.contrast])
          case .saturation: one = try ColorAdjust.saturation(one, factors: [d.saturation])
          case .hue: one = try ColorAdjust.hue(one, shifts: [d.hue])
          }
        }
      }
      if d.grayscale { one = try ColorAdjust.grayscale(one).expanded(to: one.shape) }
      XCTAssertLessThan(try maxDifference(batched.slice(axis: 0, start: n, end: n + 1), one), 1e-6, "image \(n)")
    }
    // The order matters: brightness ×1.4 then contrast ×0.6 is not contrast then brightness.
    let a = ColorJitter(
      applied: true, order: [.brightness, .contrast, .saturation, .hue], brightness: 1.4, contrast: 0.6)
    let b = ColorJitter(
      applied: true, order: [.contrast, .brightness, .saturation, .hue], brightness: 1.4, contrast: 0.6)
    XCTAssertGreaterThan(
      try maxDifference(
        ColorJitter.apply(x, draws: Array(repeating: a, count: 6)),
        ColorJitter.apply(x, draws: Array(repeating: b, count: 6))), 1e-3)
  }

  func testOneChannelImagesGetBrightnessAndContrastOnly() throws {
    let x = try randomImages([2, 1, 5, 5], seed: 9)
    // Saturation, hue and grayscale are skipped: with neutral brightness and contrast, no change.
    let odd = ColorJitter(
      applied: true, order: [.hue, .saturation, .contrast, .brightness], brightness: 1, contrast: 1,
      saturation: 0, hue: 0.5, grayscale: true)
    XCTAssertEqual(try floats(ColorJitter.apply(x, draws: [odd, odd])), try floats(x))
    // Contrast then brightness, in the order the draw lists them.
    let d = ColorJitter(
      applied: true, order: [.hue, .contrast, .saturation, .brightness], brightness: 1.2, contrast: 0.7)
    let expected = try ColorAdjust.brightness(ColorAdjust.contrast(x, factors: [0.7, 0.7]), factors: [1.2, 1.2])
    XCTAssertLessThan(try maxDifference(ColorJitter.apply(x, draws: [d, d]), expected), 1e-6)
  }

  func testJitterDrawsFollowTheSpec() {
    var rng = SplitMix64(seed: 10)
    let draws = (0..<5000).map { _ in ColorJitter.draw(rng: &rng) }
    XCTAssertEqual(Double(draws.filter(\.applied).count) / 5000, 0.8, accuracy: 0.02)
    XCTAssertEqual(Double(draws.filter(\.grayscale).count) / 5000, 0.2, accuracy: 0.02)
    for d in draws {
      XCTAssertTrue(
        (0.6..<1.4).contains(d.brightness) && (0.6..<1.4).contains(d.contrast) && (0.6..<1.4).contains(d.saturation))
      XCTAssertTrue((-0.1..<0.1).contains(d.hue))
      XCTAssertEqual(Set(d.order), Set(ColorJitter.Operation.allCases))
    }
    XCTAssertEqual(Set(draws.map(\.order)).count, 24, "every order of the four operations occurs")
  }

  // MARK: modes

  func dataset(_ augmentation: Augmentation, channels: Int = 3, n: Int = 6) throws -> ImageDataset {
    let normalization = channels == 3 ? ImageNormalization.cifar10 : .fashionMNIST
    return try ImageDataset(
      name: "fixture", images: randomBytes([n, channels, 8, 8], seed: 11),
      labels: Tensor((0..<n).map { Int64($0 % 3) }), classCount: 3,
      normalization: normalization, augmentation: augmentation)
  }

  func testModesShapesAndRepeatedLabels() throws {
    let indices = [4, 0, 2, 5]
    for channels in [3, 1] {
      var rng = SplitMix64(seed: 12)
      let strong = try dataset(.strong, channels: channels).batch(indices: indices, rng: &rng)
      XCTAssertEqual(strong.inputs.shape, [8, channels, 8, 8])
      XCTAssertEqual(strong.inputs.dtype, .float32)
      XCTAssertEqual(try strong.labels.toArray(Int64.self), [1, 0, 2, 2, 1, 0, 2, 2])
      let basic = try dataset(.basic, channels: channels).batch(indices: indices, rng: &rng)
      XCTAssertEqual(basic.inputs.shape, [4, channels, 8, 8])
      XCTAssertEqual(try basic.labels.toArray(Int64.self), [1, 0, 2, 2])
    }
  }

  func testNoneOnlyScalesAndNormalises() throws {
    let d = try dataset(.none)
    var rng = SplitMix64(seed: 13)
    let batch = try d.batch(indices: [3, 1], rng: &rng)
    let raw = try d.images.indexSelect(axis: 0, Tensor([Int64(3), 1])).to(.float64) / 255.0
    let mean = try Tensor([0.4914, 0.4822, 0.4465], shape: [1, 3, 1, 1]),
      std = try Tensor([0.2023, 0.1994, 0.2010], shape: [1, 3, 1, 1])
    XCTAssertLessThan(try maxDifference(batch.inputs, (raw - mean) / std), 1e-5)
  }

  /// The weak view's draws come first in both modes, so with the same generator the strong
  /// batch's first half is the basic batch; the strong half differs.
  func testStrongBatchIsTheWeakViewOnTopOfTheStrongView() throws {
    let indices = [0, 1, 2, 3, 4, 5]
    var r1 = SplitMix64(seed: 14), r2 = SplitMix64(seed: 14)
    let strong = try dataset(.strong).batch(indices: indices, rng: &r1)
    let basic = try dataset(.basic).batch(indices: indices, rng: &r2)
    XCTAssertEqual(try floats(strong.inputs.slice(axis: 0, end: 6)), try floats(basic.inputs))
    XCTAssertNotEqual(try floats(strong.inputs.slice(axis: 0, start: 6)), try floats(basic.inputs))
  }

  func testSameGeneratorSameBatchOtherSeedOtherBatch() throws {
    let d = try dataset(.strong)
    var a = SplitMix64(seed: 15), b = SplitMix64(seed: 15), c = SplitMix64(seed: 16)
    let x = try floats(d.batch(indices: [5, 4, 3], rng: &a).inputs)
    XCTAssertEqual(x, try floats(d.batch(indices: [5, 4, 3], rng: &b).inputs))
    XCTAssertNotEqual(x, try floats(d.batch(indices: [5, 4, 3], rng: &c).inputs))
  }

  func testBadIndicesAndMismatchedChannelsAreErrors() throws {
    var rng = SplitMix64(seed: 17)
    XCTAssertThrowsError(try dataset(.none).batch(indices: [6], rng: &rng)) {
      XCTAssertEqual("\($0)", "fixture: sample index 6 is outside 0..<6")
    }
    XCTAssertThrowsError(
      try ImageDataset(
        name: "grey", images: randomBytes([2, 1, 4, 4], seed: 1), labels: Tensor([Int64(0), 1]),
        classCount: 2, normalization: .cifar10)
    ) {
      XCTAssertEqual("\($0)", "grey: images have 1 channels, the normalisation 3")
    }
  }
}
