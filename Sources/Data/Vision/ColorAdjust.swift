import Torch

/// The four colour adjustments of torchvision's ColorJitter, with one factor per image, on float
/// batches N×C×H×W in [0, 1]. Semantics are torchvision's tensor ones (`adjust_brightness`…):
/// brightness multiplies, contrast blends with the mean of the image's grayscale version,
/// saturation blends with the grayscale image, hue rotates H in HSV space; each result is clamped
/// to [0, 1]. Grayscale uses ITU-R 601 luma (0.299, 0.587, 0.114), PIL's `convert("L")`, which is
/// what the reference applies to its PIL images.
public enum ColorAdjust {
  /// ITU-R 601 luma weights of red, green and blue, used for grayscale.
  public static let luma: [Double] = [0.299, 0.587, 0.114]

  /// N×1×H×W luma of RGB images; a one-channel image is its own grayscale.
  public static func grayscale(_ x: Tensor) throws -> Tensor {
    guard x.size(1) == 3 else { return x }
    // Three scaled planes added: several times faster than a weighted sum over the channel axis,
    // which libtorch reduces with a strided kernel.
    let (r, g, b) = try planes(x)
    return try r * luma[0] + g * luma[1] + b * luma[2]
  }

  /// x · f, clamped.
  public static func brightness(_ x: Tensor, factors: [Double]) throws -> Tensor {
    try (x * perImage(factors, x)).clamp(min: 0, max: 1)
  }

  /// f · x + (1 − f) · mean(grayscale(x)), clamped; the mean is over the whole image.
  public static func contrast(_ x: Tensor, factors: [Double]) throws -> Tensor {
    let mean = try grayscale(x).mean(axes: [1, 2, 3], keepDims: true)
    return try blend(x, mean, perImage(factors, x))
  }

  /// f · x + (1 − f) · grayscale(x), clamped. Only meaningful for RGB.
  public static func saturation(_ x: Tensor, factors: [Double]) throws -> Tensor {
    try blend(x, grayscale(x), perImage(factors, x))
  }

  /// Adds `shifts` (a fraction of the colour circle, so 1/3 turns red into green) to the hue.
  public static func hue(_ x: Tensor, shifts: [Double]) throws -> Tensor {
    let hsv = try rgbToHSV(x)
    let h = try fraction(hsv.slice(axis: 1, start: 0, end: 1) + perImage(shifts, x))
    return try hsvToRGB(Tensor.cat([h, hsv.slice(axis: 1, start: 1)], axis: 1)).clamp(min: 0, max: 1)
  }

  /// Red, green and blue planes → hue, saturation, value, all in [0, 1] (torchvision `_rgb2hsv`).
  public static func rgbToHSV(_ x: Tensor) throws -> Tensor {
    let (r, g, b) = try planes(x)
    // Element-wise max/min of the planes, not a reduction over the channel axis (10× slower here).
    let maxc = try r.maximum(g).maximum(b)
    let minc = try r.minimum(g).minimum(b)
    let grey = try maxc .== minc
    let chroma = try maxc - minc
    let ones = try Tensor.ones(like: maxc)
    // Grey pixels have no hue and no saturation; the `where`s keep their divisions finite.
    let s = try chroma / Tensor.where(grey, ones, maxc)
    let divisor = try Tensor.where(grey, ones, chroma)
    let rc = try (maxc - r) / divisor
    let gc = try (maxc - g) / divisor
    let bc = try (maxc - b) / divisor
    // The sector: red is the maximum, else green, else blue (torchvision's masks, as wheres).
    let sector = try Tensor.where(maxc .== r, bc - gc, Tensor.where(maxc .== g, 2.0 + rc - bc, 4.0 + gc - rc))
    let h = try fraction(sector / 6.0 + 1.0)
    return try Tensor.cat([h, s, maxc], axis: 1)
  }

  /// The inverse of `rgbToHSV`. torchvision picks v, p, q or t per channel by the hue's sextant;
  /// the equivalent closed form used here does all three channels in a few element-wise ops:
  /// channel n (red 5, green 3, blue 1) is v − v·s·clamp(min(k, 4 − k), 0, 1), k = (n + 6h) mod 6.
  public static func hsvToRGB(_ x: Tensor) throws -> Tensor {
    let h = try x.slice(axis: 1, start: 0, end: 1)
    let s = try x.slice(axis: 1, start: 1, end: 2)
    let v = try x.slice(axis: 1, start: 2, end: 3)
    let n = try Tensor([Float(5), 3, 1], shape: [1, 3, 1, 1]).to(x.dtype)
    let k6 = try n + h * 6.0
    let k = try k6 - (k6 / 6.0).floor() * 6.0
    let m = try k.minimum(4.0 - k).clamp(min: 0, max: 1)
    return try v - v * s * m
  }

  /// x − ⌊x⌋: Python's x % 1 (what torchvision writes), without libtorch's slower remainder.
  static func fraction(_ x: Tensor) throws -> Tensor { try x - x.floor() }

  static func planes(_ x: Tensor) throws -> (Tensor, Tensor, Tensor) {
    (
      try x.slice(axis: 1, start: 0, end: 1), try x.slice(axis: 1, start: 1, end: 2),
      try x.slice(axis: 1, start: 2, end: 3)
    )
  }

  static func blend(_ x: Tensor, _ other: Tensor, _ f: Tensor) throws -> Tensor {
    try (f * x + (1.0 - f) * other).clamp(min: 0, max: 1)
  }

  static func perImage(_ values: [Double], _ x: Tensor) throws -> Tensor {
    guard values.count == x.size(0) else {
      throw DataError("colour adjustment: \(values.count) factors for \(x.size(0)) images")
    }
    return try Tensor(values.map { Float($0) }, shape: [values.count, 1, 1, 1]).to(x.dtype)
  }
}
