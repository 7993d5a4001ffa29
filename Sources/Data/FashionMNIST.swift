import Foundation
import Torch

/// Fashion-MNIST (Xiao et al. 2017): 60 000 training and 10 000 test images of 28×28 grey
/// clothing pictures in 10 classes, in the IDX format. Debian's `dataset-fashion-mnist` installs
/// it under /usr/share/datasets/fashion-mnist.
public enum FashionMNIST {
  /// Where Debian's `dataset-fashion-mnist` installs the files: /usr/share/datasets/fashion-mnist.
  public static let defaultDirectory = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist")
  /// The names of the 10 classes, indexed by label.
  public static let classNames = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"
  ]
  /// Per-pixel mean and standard deviation of the training images (after scaling to [0, 1]).
  public static let mean = 0.2860
  /// Per-pixel standard deviation of the training images (after scaling to [0, 1]).
  public static let std = 0.3530

  /// Which part of the data set to load: 60 000 training or 10 000 test images.
  public enum Split: String, Sendable { case train, test }

  static func file(_ directory: URL, _ stem: String) throws -> URL {
    for name in [stem + ".gz", stem] {
      let url = directory.appendingPathComponent(name)
      if FileManager.default.fileExists(atPath: url.path) { return url }
    }
    throw DataError(
      "\(directory.path) has no \(stem)[.gz]: expected the IDX files of (Fashion-)MNIST there (Debian: apt-get install dataset-fashion-mnist)"
    )
  }

  /// Loads a split as float32 images N×1×28×28 scaled to [0, 1] and normalised with the training
  /// mean and std (unless `normalize` is false), and int64 labels.
  public static func load(_ split: Split, directory: URL = defaultDirectory, normalize: Bool = true) throws
    -> TensorDataset
  {
    let (images, labels) = try read(split, directory: directory)
    var x = try images.to(.float32) / 255.0
    if normalize { x = try (x - mean) / std }
    return try TensorDataset(name: "fashion-mnist/\(split.rawValue)", inputs: x, labels: labels, classCount: 10)
  }

  /// A split's checked images as uint8 N×1×28×28 and its labels as int64.
  static func read(_ split: Split, directory: URL) throws -> (images: Tensor, labels: Tensor) {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDir), isDir.boolValue else {
      throw DataError(
        "the data directory \(directory.path) does not exist (Fashion-MNIST: apt-get install dataset-fashion-mnist, or pass --data-dir)"
      )
    }
    let prefix = split == .train ? "train" : "t10k"
    let imagesURL = try file(directory, "\(prefix)-images-idx3-ubyte")
    let labelsURL = try file(directory, "\(prefix)-labels-idx1-ubyte")
    let images = try IDX.read(imagesURL)
    let labels = try IDX.read(labelsURL)
    guard images.shape.count == 3, labels.shape.count == 1 else {
      throw DataError(
        "\(imagesURL.path): expected images N×H×W and labels N, found \(images.shape) and \(labels.shape)")
    }
    guard images.shape[0] == labels.shape[0] else {
      throw DataError(
        "\(imagesURL.lastPathComponent) has \(images.shape[0]) images but \(labelsURL.lastPathComponent) has \(labels.shape[0]) labels"
      )
    }
    if let bad = labels.payload.firstIndex(where: { $0 > 9 }) {
      throw DataError("\(labelsURL.path): byte \(8 + bad): label \(labels.payload[bad]) is not a class 0–9")
    }
    return (try images.uint8Tensor().unsqueezed(axis: 1), try labels.uint8Tensor().to(.int64))
  }
}
