import Torch

/// The four colour adjustments of torchvision's ColorJitter, with one factor per image, on float
/// batches N×C×H×W in [0, 1]. Semantics are torchvision's tensor ones (`adjust_brightness`…):
/// brightness multiplies, contrast blends with the mean of the image's grayscale version,
/// saturation blends with the grayscale image, hue rotates H in HSV space; each result is clamped
/// to [0, 1]. Grayscale uses ITU-R 601 luma (0.299, 0.587, 0.114), PIL's `convert("L")`, which is
/// what the reference applies to its PIL images.
public enum ColorAdjust {
  public static let luma: [Double] = [0.299, 0.587, 0.114]

  /// N×1×H×W luma of RGB images; a one-channel image is its own grayscale.
  public static func grayscale(_ x: Tensor) throws -> Tensor {
    guard x.size(1) == 3 else { return x }
    let weights = try Tensor(luma.map { Float($0) }, shape: [1, 3, 1, 1]).to(x.dtype)
    return try (x * weights).sum(axis: 1, keepDims: true)
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
    let h = try (hsv.slice(axis: 1, start: 0, end: 1) + perImage(shifts, x)).remainder(1)
    return try hsvToRGB(Tensor.cat([h, hsv.slice(axis: 1, start: 1)], axis: 1)).clamp(min: 0, max: 1)
  }

  /// Red, green and blue planes → hue, saturation, value, all in [0, 1] (torchvision `_rgb2hsv`).
  public static func rgbToHSV(_ x: Tensor) throws -> Tensor {
    let r = try x.slice(axis: 1, start: 0, end: 1)
    let g = try x.slice(axis: 1, start: 1, end: 2)
    let b = try x.slice(axis: 1, start: 2, end: 3)
    let maxc = try x.max(axis: 1, keepDims: true).values
    let minc = try -((-x).max(axis: 1, keepDims: true).values)
    let grey = try maxc .== minc
    let chroma = try maxc - minc
    let ones = try Tensor.ones(like: maxc)
    // Grey pixels have no hue and no saturation; the `where`s keep their divisions finite.
    let s = try chroma / Tensor.where(grey, ones, maxc)
    let divisor = try Tensor.where(grey, ones, chroma)
    let rc = try (maxc - r) / divisor
    let gc = try (maxc - g) / divisor
    let bc = try (maxc - b) / divisor
    let isR = try maxc .== r
    let isG = try (maxc .== g).logicalAnd(isR.logicalNot())
    let isB = try isR.logicalOr(maxc .== g).logicalNot()
    let hr = try isR.to(x.dtype) * (bc - gc)
    let hg = try isG.to(x.dtype) * (2.0 + rc - bc)
    let hb = try isB.to(x.dtype) * (4.0 + gc - rc)
    let h = try ((hr + hg + hb) / 6.0 + 1.0).remainder(1)
    return try Tensor.cat([h, s, maxc], axis: 1)
  }

  /// The inverse of `rgbToHSV` (torchvision `_hsv2rgb`): the hue's sextant picks, per channel,
  /// one of v, p, q, t — done with a gather over the six candidates instead of a mask product.
  public static func hsvToRGB(_ x: Tensor) throws -> Tensor {
    let h = try x.slice(axis: 1, start: 0, end: 1)
    let s = try x.slice(axis: 1, start: 1, end: 2)
    let v = try x.slice(axis: 1, start: 2, end: 3)
    let h6 = try h * 6.0
    let sextant = try h6.floor()
    let f = try h6 - sextant
    let i = try sextant.remainder(6).to(.int64)
    let p = try (v * (1.0 - s)).clamp(min: 0, max: 1)
    let q = try (v * (1.0 - s * f)).clamp(min: 0, max: 1)
    let t = try (v * (1.0 - s * (1.0 - f))).clamp(min: 0, max: 1)
    func pick(_ candidates: [Tensor]) throws -> Tensor { try Tensor.cat(candidates, axis: 1).gather(axis: 1, i) }
    return try Tensor.cat([pick([v, q, p, p, t, v]), pick([t, v, v, q, p, p]), pick([p, p, t, v, v, q])], axis: 1)
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
