import Torch

/// One image's draw for torchvision's RandomCrop(H×W, padding) followed by RandomHorizontalFlip:
/// the crop window's top-left corner in the zero-padded image (0 ... 2·padding on each axis) and
/// whether the crop is mirrored left–right.
public struct CropFlip: Sendable, Equatable {
  /// The crop window's top row in the padded image, 0...2·padding.
  public var top: Int
  /// The crop window's left column in the padded image, 0...2·padding.
  public var left: Int
  /// Whether the crop is mirrored left–right.
  public var flip: Bool

  /// Creates a draw from its window corner and flip.
  public init(top: Int, left: Int, flip: Bool) {
    self.top = top
    self.left = left
    self.flip = flip
  }

  /// Draws in the order top, left, flip, as RandomCrop then RandomHorizontalFlip (p 0.5) do.
  public static func draw(padding: Int, rng: inout SplitMix64) -> CropFlip {
    let top = rng.index(below: 2 * padding + 1)
    let left = rng.index(below: 2 * padding + 1)
    return CropFlip(top: top, left: left, flip: rng.uniformUnit() < 0.5)
  }

  /// Pads every image of `images` (N×C×H×W, any dtype) with `padding` zeros on each side, cuts
  /// image n's H×W window at `draws[n]` and mirrors it when asked. Two gathers do the whole batch:
  /// the row and column index tensors hold a few numbers per image, never one per pixel.
  public static func apply(_ images: Tensor, padding: Int, draws: [CropFlip]) throws -> Tensor {
    let shape = images.shape
    guard shape.count == 4 else { throw DataError("crop and flip: expected images N×C×H×W, got \(shape)") }
    let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
    guard draws.count == n else { throw DataError("crop and flip: \(draws.count) draws for \(n) images") }
    if let bad = draws.firstIndex(where: { !(0...2 * padding).contains($0.top) || !(0...2 * padding).contains($0.left) }
    ) {
      throw DataError(
        "crop and flip: image \(bad)'s window at (\(draws[bad].top), \(draws[bad].left)) leaves the \(padding)-pixel padding"
      )
    }
    let padded = padding > 0 ? try images.padded([padding, padding, padding, padding]) : images
    var rows = [Int64](), columns = [Int64]()
    rows.reserveCapacity(n * h)
    columns.reserveCapacity(n * w)
    for d in draws {
      for i in 0..<h { rows.append(Int64(d.top + i)) }
      for j in 0..<w { columns.append(Int64(d.left + (d.flip ? w - 1 - j : j))) }
    }
    let rowIndex = try Tensor(rows, shape: [n, 1, h, 1]).expanded(to: [n, c, h, w + 2 * padding])
    let columnIndex = try Tensor(columns, shape: [n, 1, 1, w]).expanded(to: [n, c, h, w])
    return try padded.gather(axis: 2, rowIndex).gather(axis: 3, columnIndex)
  }
}
