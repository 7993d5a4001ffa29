import Torch

/// The reference's `--aug_type` (`utils/vision.py`), applied to whole uint8 batches N×C×H×W.
///
/// - `none`: scale to [0, 1] and normalise (the test transform).
/// - `basic`: one weak view — pad 4 zeros on every side, crop back to H×W at a random offset
///   (independent per image), mirror left–right with p 0.5; then scale and normalise.
/// - `strong` (the SCPL default): the weak view stacked on a strong view, 2N rows, so image i's
///   views are rows i and i + N and the labels are repeated the same way. The strong view has its
///   own crop and flip, then `ColorJitter` (jitter with p 0.8, grayscale with p 0.2).
///
/// Randomness: every per-image number comes from `rng`, drawn in a fixed order — the weak view's
/// `CropFlip` for images 0 ..< N, then for each image its strong `CropFlip` and `ColorJitter` — so
/// the same rng state gives the same batch, bit for bit, on any thread.
public enum Augmentation: String, Sendable, CaseIterable {
  case none, basic, strong

  /// The zero padding of the random crop (RandomCrop(32, padding=4)).
  public static let cropPadding = 4

  /// Rows of the output per input image.
  public var views: Int { self == .strong ? 2 : 1 }

  /// Augments uint8 `images` N×C×H×W and returns float32 inputs (2N rows for `strong`) with their labels;
  /// throws `DataError` if the images' channels do not match `normalization`.
  public func apply(
    images: Tensor, labels: Tensor, normalization: ImageNormalization,
    rng: inout SplitMix64
  ) throws -> (inputs: Tensor, labels: Tensor) {
    guard images.rank == 4, images.size(1) == normalization.channels else {
      throw DataError("augmentation: expected images N×\(normalization.channels)×H×W, got \(images.shape)")
    }
    let n = images.size(0)
    switch self {
    case .none:
      return (try normalization.apply(Self.unit(images)), labels)
    case .basic:
      let weak = (0..<n).map { _ in CropFlip.draw(padding: Self.cropPadding, rng: &rng) }
      let x = try CropFlip.apply(images, padding: Self.cropPadding, draws: weak)
      return (try normalization.apply(Self.unit(x)), labels)
    case .strong:
      let weak = (0..<n).map { _ in CropFlip.draw(padding: Self.cropPadding, rng: &rng) }
      var crops: [CropFlip] = [], colours: [ColorJitter] = []
      for _ in 0..<n {
        crops.append(CropFlip.draw(padding: Self.cropPadding, rng: &rng))
        colours.append(ColorJitter.draw(rng: &rng))
      }
      let weakView = try Self.unit(CropFlip.apply(images, padding: Self.cropPadding, draws: weak))
      let strongView = try ColorJitter.apply(
        Self.unit(CropFlip.apply(images, padding: Self.cropPadding, draws: crops)),
        draws: colours)
      let inputs = try normalization.apply(Tensor.cat([weakView, strongView], axis: 0))
      return (inputs, try Tensor.cat([labels, labels], axis: 0))
    }
  }

  /// uint8 pixels → float32 in [0, 1], as torchvision's ToTensor.
  static func unit(_ images: Tensor) throws -> Tensor { try images.to(.float32) / 255.0 }
}
