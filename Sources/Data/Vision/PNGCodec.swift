import CPNG

/// PNG decoding through libpng's simplified API, to the pixels PIL's `Image.open(f).convert("RGB")`
/// gives (what torchvision's ImageFolder loader sees): grey, palette and RGB files become RGB; an
/// alpha channel (or a palette's transparency) is dropped, not composited; 16-bit samples are read
/// as sRGB-encoded and rounded to 8 bits (PIL keeps the high byte, so values can differ by one).
///
/// A file libpng cannot read to the end cleanly (bad CRC, truncated data) is an error naming it.
public enum PNGCodec {
  /// The 8 bytes every PNG file starts with.
  static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

  /// Whether `bytes` start with the PNG signature.
  public static func isPNG(_ bytes: [UInt8]) -> Bool { bytes.starts(with: signature) }

  /// Decodes to interleaved RGB (H×W×3); `source` names the file in errors.
  public static func decodeRGB(_ bytes: [UInt8], source: String) throws -> JPEGCodec.Image {
    guard isPNG(bytes) else { throw DataError("\(source): not a PNG file (no PNG signature at byte 0)") }
    var size = (0, 0)
    // libpng reads from `bytes` until the image is finished, so both calls run inside one access.
    let rgba = try bytes.withUnsafeBufferPointer { buffer -> [UInt8] in
      var image = png_image()
      image.version = UInt32(PNG_IMAGE_VERSION)
      guard png_image_begin_read_from_memory(&image, buffer.baseAddress, buffer.count) != 0 else {
        throw failure(&image, source, "cannot read the PNG header")
      }
      defer { png_image_free(&image) }
      // A corrupt header can claim gigapixels: the same bound as JPEG's, and what deflate (at most
      // 1032:1) can expand the file's bytes into at one bit per pixel.
      let (w, h) = (Int(image.width), Int(image.height))
      guard w > 0, h > 0, w * h <= 1 << 26, w * h <= 8 * 1032 * buffer.count else {
        throw DataError(
          "\(source): the PNG header claims an image of \(w)×\(h) pixels, more than its \(buffer.count) bytes can hold")
      }
      image.flags |= UInt32(PNG_IMAGE_FLAG_16BIT_sRGB)
      // RGBA then dropping alpha, rather than RGB: libpng would composite the alpha onto a
      // background, where PIL's convert("RGB") simply discards it.
      image.format = UInt32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)
      var rgba = [UInt8](repeating: 0, count: w * h * 4)
      let finished = rgba.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
      guard finished != 0 else { throw failure(&image, source, "cannot decode the PNG data") }
      size = (w, h)
      return rgba
    }
    let (w, h) = size
    var rgb = [UInt8](repeating: 0, count: w * h * 3)
    rgb.withUnsafeMutableBufferPointer { out in
      rgba.withUnsafeBufferPointer { input in
        for p in 0..<(w * h) {
          out[3 * p] = input[4 * p]
          out[3 * p + 1] = input[4 * p + 1]
          out[3 * p + 2] = input[4 * p + 2]
        }
      }
    }
    return JPEGCodec.Image(width: w, height: h, channels: 3, pixels: rgb)
  }

  private static func failure(_ image: inout png_image, _ source: String, _ what: String) -> DataError {
    let message = withUnsafeBytes(of: image.message) { raw in
      String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
    }
    return DataError("\(source): \(what) (libpng: \(message.isEmpty ? "unknown error" : message))")
  }
}
