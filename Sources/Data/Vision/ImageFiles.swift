import Dispatch
import Foundation
import Torch

/// Decodes a list of JPEG and PNG files (told apart by their first bytes) into one uint8 tensor N×3×H×W at the model's input size.
///
/// Decoding runs on every core (one TurboJPEG codec per worker); resizing runs per chunk of 1024
/// images as one batched tensor op, so memory holds one chunk of full-size pixels at a time.
enum ImageFiles {
  static let chunkSize = 1024

  static func load(_ files: [URL], height: Int, width: Int) throws -> Tensor {
    guard !files.isEmpty else { throw DataError("no image files to load") }
    var pieces: [Tensor] = []
    var start = 0
    while start < files.count {
      let end = min(start + chunkSize, files.count)
      pieces.append(try loadChunk(Array(files[start..<end]), height: height, width: width))
      start = end
    }
    return pieces.count == 1 ? pieces[0] : try Tensor.cat(pieces, axis: 0)
  }

  static func loadChunk(_ files: [URL], height: Int, width: Int) throws -> Tensor {
    let decoded = try decodeAll(files)
    // Group images by their stored size so each group is resized as one batch; real data sets
    // (tiny-ImageNet: all 64×64) give a single group.
    var groups: [[Int]] = []
    var groupOfSize: [[Int]: Int] = [:]
    for (i, image) in decoded.enumerated() {
      let key = [image.height, image.width]
      if let g = groupOfSize[key] {
        groups[g].append(i)
      } else {
        groupOfSize[key] = groups.count
        groups.append([i])
      }
    }
    var pieces: [Tensor] = []
    var placed: [Int] = []
    for members in groups {
      let first = decoded[members[0]]
      var pixels: [UInt8] = []
      pixels.reserveCapacity(members.count * first.pixels.count)
      for m in members { pixels += decoded[m].pixels }
      let hwc = try Tensor(pixels, shape: [members.count, first.height, first.width, 3])
      pieces.append(try ImageResize.bilinear(hwc.permuted([0, 3, 1, 2]).contiguous(), height: height, width: width))
      placed += members
    }
    if groups.count == 1 { return try pieces[0].contiguous() }
    var inverse = [Int64](repeating: 0, count: placed.count)
    for (k, i) in placed.enumerated() { inverse[i] = Int64(k) }
    return try Tensor.cat(pieces, axis: 0).indexSelect(axis: 0, Tensor(inverse))
  }

  /// Reads and decodes `files` in parallel. On failure the error of the first failing file in
  /// list order is thrown, so the message does not depend on thread timing.
  static func decodeAll(_ files: [URL]) throws -> [JPEGCodec.Image] {
    let results = Results(count: files.count)
    let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, files.count))
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
      let codec = JPEGCodec()
      for i in stride(from: worker, to: files.count, by: workers) {
        let url = files[i]
        do {
          let bytes: [UInt8]
          do { bytes = [UInt8](try Data(contentsOf: url)) } catch {
            throw DataError("cannot read \(url.path): \(error.localizedDescription)")
          }
          let image =
            PNGCodec.isPNG(bytes)
            ? try PNGCodec.decodeRGB(bytes, source: url.path) : try codec.decodeRGB(bytes, source: url.path)
          results.set(i, .success(image))
        } catch {
          results.set(i, .failure(error))
        }
      }
    }
    return try results.values.map { try $0!.get() }
  }

  final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [Result<JPEGCodec.Image, Error>?]
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: Result<JPEGCodec.Image, Error>) {
      lock.lock()
      values[i] = r
      lock.unlock()
    }
  }
}
