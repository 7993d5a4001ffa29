import Foundation
import Torch

extension FashionMNIST {
  /// A split as uint8 images N×1×28×28 for the loader, normalised per batch with mean 0.2860 and
  /// std 0.3530. Strong augmentation jitters only brightness and contrast (one channel).
  public static func images(
    _ split: Split, directory: URL = defaultDirectory,
    augmentation: Augmentation = .none
  ) throws -> ImageDataset {
    let (images, labels) = try read(split, directory: directory)
    return try ImageDataset(
      name: "fashion-mnist/\(split.rawValue)", images: images, labels: labels, classCount: 10,
      normalization: .fashionMNIST, augmentation: augmentation)
  }
}
