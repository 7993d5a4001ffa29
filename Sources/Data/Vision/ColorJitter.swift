import Torch

/// One image's draw for the colour part of the strong view (the reference's `utils/vision.py`):
/// with p 0.8 torchvision's ColorJitter(0.4, 0.4, 0.4, 0.1) — brightness, contrast and saturation
/// factors uniform in [0.6, 1.4], a hue shift uniform in [−0.1, 0.1], the four applied in a random
/// order — then RandomGrayscale(p 0.2).
///
/// One-channel images (Fashion-MNIST) get brightness and contrast only, in the order they have in
/// `order`; saturation, hue and grayscale mean nothing for them and are skipped.
public struct ColorJitter: Sendable, Equatable {
  /// One of the four adjustments of ColorJitter.
  public enum Operation: Int, Sendable, CaseIterable { case brightness, contrast, saturation, hue }

  /// Whether the colour jitter is applied at all (drawn with p 0.8).
  public var applied: Bool
  /// The order of the four adjustments.
  public var order: [Operation]
  /// The brightness factor, in [0.6, 1.4] when drawn.
  public var brightness: Double
  /// The contrast factor, in [0.6, 1.4] when drawn.
  public var contrast: Double
  /// The saturation factor, in [0.6, 1.4] when drawn.
  public var saturation: Double
  /// The hue shift as a fraction of the colour circle, in [−0.1, 0.1] when drawn.
  public var hue: Double
  /// Whether the image is turned grayscale afterwards (drawn with p 0.2).
  public var grayscale: Bool

  /// Creates a draw; the defaults leave an image unchanged.
  public init(
    applied: Bool, order: [Operation] = Operation.allCases, brightness: Double = 1, contrast: Double = 1,
    saturation: Double = 1, hue: Double = 0, grayscale: Bool = false
  ) {
    self.applied = applied
    self.order = order
    self.brightness = brightness
    self.contrast = contrast
    self.saturation = saturation
    self.hue = hue
    self.grayscale = grayscale
  }

  /// Every number is drawn whether or not it is used, so the stream consumed per image is fixed
  /// (7 draws + the order's shuffle) and one image's choices never shift another's.
  public static func draw(rng: inout SplitMix64) -> ColorJitter {
    let applied = rng.uniformUnit() < 0.8
    let order = rng.shuffled(Operation.allCases)
    let brightness = rng.uniform(0.6, 1.4)
    let contrast = rng.uniform(0.6, 1.4)
    let saturation = rng.uniform(0.6, 1.4)
    let hue = rng.uniform(-0.1, 0.1)
    let grayscale = rng.uniformUnit() < 0.2
    return ColorJitter(
      applied: applied, order: order, brightness: brightness, contrast: contrast,
      saturation: saturation, hue: hue, grayscale: grayscale)
  }

  func factor(_ op: Operation) -> Double {
    switch op {
    case .brightness: return brightness
    case .contrast: return contrast
    case .saturation: return saturation
    case .hue: return hue
    }
  }

  /// Applies image n's draw to row n of `x` (float N×C×H×W in [0, 1]). The k-th adjustment of
  /// every image is done in one pass: images are grouped by which operation they have k-th, each
  /// group is adjusted as one sub-batch, and the rows are put back in place with one index select.
  public static func apply(_ x: Tensor, draws: [ColorJitter]) throws -> Tensor {
    guard x.rank == 4, draws.count == x.size(0) else {
      throw DataError("colour jitter: \(draws.count) draws for images of shape \(x.shape)")
    }
    let rgb = x.size(1) == 3
    let usable: [Operation] = rgb ? Operation.allCases : [.brightness, .contrast]
    var x = x
    for slot in 0..<usable.count {
      var groups: [Operation: [Int]] = [:]
      for (n, d) in draws.enumerated() where d.applied {
        let order = d.order.filter(usable.contains)
        if slot < order.count { groups[order[slot], default: []].append(n) }
      }
      x = try adjust(x, groups: groups, draws: draws)
    }
    guard rgb else { return x }
    let grey = draws.map(\.grayscale)
    guard grey.contains(true) else { return x }
    let mask = try Tensor(grey, shape: [grey.count, 1, 1, 1])
    return try Tensor.where(mask, ColorAdjust.grayscale(x).expanded(to: x.shape), x)
  }

  static func adjust(_ x: Tensor, groups: [Operation: [Int]], draws: [ColorJitter]) throws -> Tensor {
    func run(_ op: Operation, _ sub: Tensor, _ rows: [Int]) throws -> Tensor {
      let f = rows.map { draws[$0].factor(op) }
      switch op {
      case .brightness: return try ColorAdjust.brightness(sub, factors: f)
      case .contrast: return try ColorAdjust.contrast(sub, factors: f)
      case .saturation: return try ColorAdjust.saturation(sub, factors: f)
      case .hue: return try ColorAdjust.hue(sub, shifts: f)
      }
    }
    let n = x.size(0)
    if groups.isEmpty { return x }
    if groups.count == 1, let (op, rows) = groups.first, rows.count == n { return try run(op, x, rows) }
    var touched = [Bool](repeating: false, count: n)
    for rows in groups.values { for r in rows { touched[r] = true } }
    var placed = (0..<n).filter { !touched[$0] }
    var pieces = placed.isEmpty ? [] : [try x.indexSelect(axis: 0, rowTensor(placed))]
    for op in Operation.allCases {
      guard let rows = groups[op] else { continue }
      pieces.append(try run(op, x.indexSelect(axis: 0, rowTensor(rows)), rows))
      placed += rows
    }
    var inverse = [Int64](repeating: 0, count: n)
    for (k, row) in placed.enumerated() { inverse[row] = Int64(k) }
    return try Tensor.cat(pieces, axis: 0).indexSelect(axis: 0, Tensor(inverse))
  }

  static func rowTensor(_ rows: [Int]) throws -> Tensor { try Tensor(rows.map(Int64.init)) }
}
