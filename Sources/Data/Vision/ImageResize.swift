import Torch

/// Resizing of whole uint8 batches, for images stored at another size than the model's input
/// (tiny-ImageNet: 64×64 → 32×32).
///
/// The reference resizes PIL images with bilinear filtering, which when shrinking stretches the
/// triangle filter by the scale (for 2× it is the 4-tap [1 3 3 1]/8 filter, renormalised at the
/// borders). ATen's antialiased bilinear resize is a port of that code, so it is used here rather
/// than a 2×2 average: the results match PIL's up to PIL's fixed-point rounding (±1 grey level).
public enum ImageResize {
  /// N×C×H×W uint8 → N×C×height×width uint8, rounded to the nearest level.
  public static func bilinear(_ images: Tensor, height: Int, width: Int) throws -> Tensor {
    guard images.rank == 4 else { throw DataError("resize: expected images N×C×H×W, got \(images.shape)") }
    if images.size(2) == height && images.size(3) == width { return images }
    let x = try images.to(.float32)
    let y = try Functional.interpolateBilinear(x, size: (height, width), antialias: true)
    return try y.round().clamp(min: 0, max: 255).to(.uint8)
  }
}
