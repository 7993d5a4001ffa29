import Foundation
import Torch

/// tiny-ImageNet (Stanford CS231n): 200 classes, 64×64 JPEGs, 100 000 training and 10 000
/// validation images (the validation split is the reference's test set). Images are resized to the
/// models' 32×32 input when loaded (as the reference's Resize(32), bilinear; see `ImageResize`).
///
/// Two layouts are read:
/// - `official`, as unpacked from tiny-imagenet-200.zip: `wnids.txt` (one WordNet id per line),
///   `train/<wnid>/images/*.JPEG`, and `val/images/*.JPEG` labelled by `val/val_annotations.txt`
///   (tab-separated: file, wnid, then a bounding box, which is ignored).
/// - `imageFolder`: `train/<class>/*` and `val/<class>/*`, the tree the reference's ImageFolder
///   reads (the official `val` reorganised into class folders).
///
/// Class indices are the sorted wnids in both layouts — ImageFolder's order — so a model trained
/// on one layout is scored correctly on the other. `automatic` picks `official` when `wnids.txt`
/// or `val/val_annotations.txt` exists, `imageFolder` otherwise.
public enum TinyImageNet {
  /// Which folder layout to read; `automatic` picks one from the files present.
  public enum Layout: String, Sendable, CaseIterable { case automatic, official, imageFolder }
  /// Which part to load: the training images or the validation images (used as the test set).
  public enum Split: String, Sendable { case train, val }

  /// Loads a split as uint8 images N×3×size×size, resized from 64×64, with labels the indices of the
  /// sorted wnids; throws `DataError` naming any missing or malformed file.
  public static func load(
    _ split: Split, directory: URL, layout: Layout = .automatic, size: Int = 32,
    augmentation: Augmentation = .none
  ) throws -> ImageDataset {
    try ImageFolder.requireDirectory(directory, "tiny-ImageNet (tiny-imagenet-200/ with wnids.txt, train/ and val/)")
    let name = "tiny-imagenet/\(split.rawValue)"
    switch resolve(layout, directory) {
    case .imageFolder, .automatic:
      return try ImageFolder.load(
        root: directory, split: split.rawValue, name: name, height: size, width: size,
        normalization: .tinyImageNet, augmentation: augmentation)
    case .official:
      let classes = try wnids(directory)
      let entries = split == .train ? try trainEntries(directory, classes) : try valEntries(directory, classes)
      let images = try ImageFiles.load(entries.map(\.file), height: size, width: size)
      return try ImageDataset(
        name: name, images: images, labels: Tensor(entries.map { Int64($0.label) }),
        classCount: classes.count, normalization: .tinyImageNet, augmentation: augmentation)
    }
  }

  static func resolve(_ layout: Layout, _ directory: URL) -> Layout {
    guard layout == .automatic else { return layout }
    let fm = FileManager.default
    let official =
      fm.fileExists(atPath: directory.appendingPathComponent("wnids.txt").path)
      || fm.fileExists(atPath: directory.appendingPathComponent("val/val_annotations.txt").path)
    return official ? .official : .imageFolder
  }

  /// The sorted wnids of `wnids.txt`.
  static func wnids(_ directory: URL) throws -> [String] {
    let url = directory.appendingPathComponent("wnids.txt")
    let lines = try textLines(url, what: "the list of the 200 class ids (official tiny-ImageNet layout)")
    var seen = Set<String>()
    for (i, line) in lines.enumerated() where !line.isEmpty {
      guard !line.contains(where: \.isWhitespace) else {
        throw DataError("\(url.path): line \(i + 1): '\(line)' is not a single wnid")
      }
      guard seen.insert(line).inserted else {
        throw DataError("\(url.path): line \(i + 1): wnid \(line) is listed twice")
      }
    }
    guard !seen.isEmpty else { throw DataError("\(url.path) lists no wnids") }
    return seen.sorted()
  }

  static func trainEntries(_ directory: URL, _ classes: [String]) throws -> [(file: URL, label: Int)] {
    let train = directory.appendingPathComponent("train")
    try ImageFolder.requireDirectory(train, "the training split, train/<wnid>/images/*.JPEG")
    var out: [(URL, Int)] = []
    for (label, wnid) in classes.enumerated() {
      let images = train.appendingPathComponent(wnid).appendingPathComponent("images")
      try ImageFolder.requireDirectory(images, "the training images of class \(wnid) from wnids.txt")
      let files = try ImageFolder.imageFiles(under: images)
      guard !files.isEmpty else { throw DataError("\(images.path) has no .JPEG images for class \(wnid)") }
      out += files.map { ($0, label) }
    }
    return out
  }

  static func valEntries(_ directory: URL, _ classes: [String]) throws -> [(file: URL, label: Int)] {
    let val = directory.appendingPathComponent("val")
    let images = val.appendingPathComponent("images")
    try ImageFolder.requireDirectory(images, "the validation images, val/images/*.JPEG")
    let url = val.appendingPathComponent("val_annotations.txt")
    let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
    var out: [(URL, Int)] = []
    let fm = FileManager.default
    for (i, line) in try textLines(url, what: "the validation labels (file, wnid, box; tab-separated)").enumerated()
    where !line.isEmpty {
      let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
      guard fields.count >= 2, !fields[0].isEmpty else {
        throw DataError("\(url.path): line \(i + 1): expected tab-separated file name and wnid, found '\(line)'")
      }
      let wnid = String(fields[1])
      guard let label = index[wnid] else {
        throw DataError("\(url.path): line \(i + 1): wnid \(wnid) is not in wnids.txt")
      }
      let file = images.appendingPathComponent(String(fields[0]))
      guard fm.fileExists(atPath: file.path) else {
        throw DataError("\(url.path): line \(i + 1): the image \(file.path) does not exist")
      }
      out.append((file, label))
    }
    guard !out.isEmpty else { throw DataError("\(url.path) labels no images") }
    return out
  }

  static func textLines(_ url: URL, what: String) throws -> [String] {
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw DataError("\(url.path) does not exist: expected \(what) there")
    }
    let text: String
    do { text = try String(contentsOf: url, encoding: .utf8) } catch {
      throw DataError("cannot read \(url.path) as UTF-8 text: \(error.localizedDescription)")
    }
    return text.split(separator: "\n", omittingEmptySubsequences: false)
      .map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
  }
}
