import Foundation
import Torch

/// torchvision's ImageFolder layout: `<split>/<class>/…/<image>`, one folder per class, class
/// indices in the sorted order of the folder names, files in sorted path order. JPEG (.jpg, .jpeg)
/// and PNG (.png) files, any case, are decoded; other image formats are an error rather than a
/// silent gap, and non-image files (notes, bounding-box lists) are ignored, as torchvision ignores
/// them.
public enum ImageFolder {
  static let imageExtensions: Set<String> = ["jpg", "jpeg", "png"]
  static let otherImageExtensions: Set<String> = ["ppm", "bmp", "pgm", "tif", "tiff", "webp"]

  /// The class folders of `directory`, sorted by name.
  public static func classes(in directory: URL) throws -> [String] {
    try requireDirectory(directory, "an ImageFolder split (one subfolder per class)")
    let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
    let classes = names.filter { isDirectory(directory.appendingPathComponent($0)) && !$0.hasPrefix(".") }.sorted()
    guard !classes.isEmpty else { throw DataError("\(directory.path) has no class subfolders") }
    return classes
  }

  /// Image files and labels of one split. `classes` fixes the class indices (pass the training
  /// split's classes for the validation split, so both agree even if a class is missing there).
  public static func entries(in directory: URL, classes: [String]) throws -> [(file: URL, label: Int)] {
    let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
    var out: [(URL, Int)] = []
    for name in try self.classes(in: directory) {
      guard let label = index[name] else {
        throw DataError(
          "\(directory.appendingPathComponent(name).path): class folder '\(name)' is not among the \(classes.count) training classes"
        )
      }
      let folder = directory.appendingPathComponent(name)
      let files = try imageFiles(under: folder)
      guard !files.isEmpty else { throw DataError("\(folder.path): class folder has no .jpg, .jpeg or .png images") }
      out += files.map { ($0, label) }
    }
    return out
  }

  /// Loads `<root>/<split>` with the classes of `<root>/<trainSplit>`.
  public static func load(
    root: URL, split: String, trainSplit: String = "train", name: String,
    height: Int = 32, width: Int = 32, normalization: ImageNormalization,
    augmentation: Augmentation = .none
  ) throws -> ImageDataset {
    try requireDirectory(root, "the data set root")
    let classes = try self.classes(in: root.appendingPathComponent(trainSplit))
    let entries = try self.entries(in: root.appendingPathComponent(split), classes: classes)
    let images = try ImageFiles.load(entries.map(\.file), height: height, width: width)
    return try ImageDataset(
      name: name, images: images, labels: Tensor(entries.map { Int64($0.label) }),
      classCount: classes.count, normalization: normalization, augmentation: augmentation)
  }

  /// JPEG and PNG files anywhere under `folder`, in sorted path order.
  static func imageFiles(under folder: URL) throws -> [URL] {
    guard
      let walker = FileManager.default.enumerator(
        at: folder, includingPropertiesForKeys: [.isRegularFileKey],
        options: [.skipsHiddenFiles])
    else {
      throw DataError("cannot list \(folder.path)")
    }
    var files: [URL] = []
    for case let url as URL in walker {
      let ext = url.pathExtension.lowercased()
      if imageExtensions.contains(ext) {
        files.append(url)
      } else if otherImageExtensions.contains(ext) {
        throw DataError(
          "\(url.path): only JPEG and PNG images are supported (libjpeg-turbo, libpng); convert .\(ext) files to one of them"
        )
      }
    }
    return files.sorted { $0.path < $1.path }
  }

  static func isDirectory(_ url: URL) -> Bool {
    var isDir: ObjCBool = false
    return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) && isDir.boolValue
  }

  static func requireDirectory(_ url: URL, _ role: String) throws {
    guard isDirectory(url) else { throw DataError("the directory \(url.path) does not exist (expected \(role) there)") }
  }
}
