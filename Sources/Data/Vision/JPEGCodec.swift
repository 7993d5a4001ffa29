import CTurboJPEG

/// JPEG decoding (and, for test fixtures, encoding) through libjpeg-turbo's TurboJPEG API.
///
/// A codec owns TurboJPEG handles, which are not thread-safe: use one codec per thread.
/// Decoding uses TurboJPEG's defaults — accurate integer IDCT and smooth chroma upsampling — which
/// are also PIL's, so pixels match what torchvision's ImageFolder loader sees.
///
/// A file TurboJPEG cannot decode cleanly is an error, warnings included ("premature end of
/// data" on a truncated file): PIL refuses truncated images too, and a silently grey-filled image
/// would be worse than a stopped run.
public final class JPEGCodec {
  /// Interleaved 8-bit pixels, rows top to bottom: H×W×3 (RGB) or H×W×1 (grey).
  public struct Image: Sendable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// Channels per pixel: 3 (RGB) or 1 (grey).
    public let channels: Int
    /// The pixel bytes, H×W×channels.
    public let pixels: [UInt8]
  }

  private var decoder: tjhandle?
  private var encoder: tjhandle?

  /// Creates a codec; its TurboJPEG handles are made on first use.
  public init() {}

  deinit {
    if let decoder { tjDestroy(decoder) }
    if let encoder { tjDestroy(encoder) }
  }

  /// Decodes to RGB (grey and YCbCr files alike, as PIL's `convert("RGB")`); `source` names the
  /// file in errors.
  public func decodeRGB(_ bytes: [UInt8], source: String) throws -> Image {
    if decoder == nil { decoder = tjInitDecompress() }
    guard let handle = decoder else { throw DataError("\(source): TurboJPEG could not start a decoder") }
    guard bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else {
      throw DataError("\(source): not a JPEG file (no FF D8 start-of-image marker at byte 0)")
    }
    var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
    let header = bytes.withUnsafeBufferPointer {
      tjDecompressHeader3(handle, $0.baseAddress, UInt($0.count), &width, &height, &subsampling, &colorspace)
    }
    guard header == 0 else { throw failure(handle, source, "cannot read the JPEG header") }
    // A corrupt header can claim gigapixels; no data set this project reads comes near 2^26.
    guard width > 0, height > 0, Int(width) * Int(height) <= 1 << 26 else {
      throw DataError("\(source): the JPEG header claims an image of \(width)×\(height) pixels")
    }
    let (w, h) = (Int(width), Int(height))
    var failed = false
    let pixels = [UInt8](unsafeUninitializedCapacity: w * h * 3) { buffer, initialized in
      let status = bytes.withUnsafeBufferPointer {
        tjDecompress2(
          handle, $0.baseAddress, UInt($0.count), buffer.baseAddress, width, 0, height,
          Int32(TJPF_RGB.rawValue), TJFLAG_STOPONWARNING)
      }
      failed = status != 0
      if failed { buffer.initialize(repeating: 0) }
      initialized = w * h * 3
    }
    if failed { throw failure(handle, source, "cannot decode the JPEG data") }
    return Image(width: w, height: h, channels: 3, pixels: pixels)
  }

  /// Encodes interleaved RGB (3 channels) or grey (1) pixels; used to write test fixtures.
  public func encode(_ pixels: [UInt8], width: Int, height: Int, channels: Int = 3, quality: Int = 95) throws -> [UInt8]
  {
    guard channels == 1 || channels == 3, pixels.count == width * height * channels, width > 0, height > 0 else {
      throw DataError("JPEG encode: \(pixels.count) bytes are not a \(width)×\(height)×\(channels) image")
    }
    if encoder == nil { encoder = tjInitCompress() }
    guard let handle = encoder else { throw DataError("JPEG encode: TurboJPEG could not start an encoder") }
    var output: UnsafeMutablePointer<UInt8>? = nil
    var size: UInt = 0
    let format = channels == 3 ? TJPF_RGB : TJPF_GRAY
    let subsampling = channels == 3 ? TJSAMP_444 : TJSAMP_GRAY
    let status = pixels.withUnsafeBufferPointer {
      tjCompress2(
        handle, $0.baseAddress, Int32(width), 0, Int32(height), Int32(format.rawValue), &output, &size,
        Int32(subsampling.rawValue), Int32(quality), TJFLAG_ACCURATEDCT)
    }
    defer { if let output { tjFree(output) } }
    guard status == 0, let output else { throw failure(handle, "JPEG encode", "cannot encode") }
    return Array(UnsafeBufferPointer(start: output, count: Int(size)))
  }

  private func failure(_ handle: tjhandle, _ source: String, _ what: String) -> DataError {
    let why = tjGetErrorStr2(handle).map { String(cString: $0) } ?? "unknown TurboJPEG error"
    return DataError("\(source): \(what) (libjpeg-turbo: \(why))")
  }
}
