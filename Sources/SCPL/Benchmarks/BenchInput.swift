/// The shape of one synthetic sample in `scpl bench`: an image for the vision models (`--input
/// CxHxW`), a sequence of token ids for the text models (`--seq-len L`).
public enum BenchInput: Equatable, Sendable, CustomStringConvertible {
  /// An image of `channels`×`height`×`width` floats (vision models).
  case image(channels: Int, height: Int, width: Int)
  /// A sequence of `length` token ids (text models).
  case tokens(length: Int)

  /// CIFAR-10's 3×32×32 for vision models; 60 tokens for text models (`TrainingBenchmark.Setup`'s default).
  public static let defaultImage = BenchInput.image(channels: 3, height: 32, width: 32)
  /// 60 token ids per sample, the default for text models.
  public static let defaultTokens = BenchInput.tokens(length: 60)

  /// Checks `input` and `seqLen` against `model`'s family: an image shape belongs to a vision
  /// model and a sequence length to a text model, and anything else is an error that says so.
  public static func resolve(model: ModelKind, input: String?, seqLen: Int?) throws -> BenchInput {
    switch model.family {
    case nil:
      throw PipelineError(
        "bench measures the built-in models (vgg, resnet18, convnet, lstm, transformer), not a custom one")
    case .vision?:
      if let seqLen {
        throw PipelineError(
          "--seq-len \(seqLen) is for the text models (lstm, transformer); \(model) reads images: give their shape with --input CxHxW"
        )
      }
      return try input.map(parseImage) ?? defaultImage
    case .text?:
      if let input {
        throw PipelineError(
          "--input \(input) is an image shape for the vision models (vgg, resnet18, convnet); \(model) reads token ids: give their count with --seq-len L"
        )
      }
      guard let seqLen else { return defaultTokens }
      guard seqLen >= 1 else { throw PipelineError("--seq-len must be at least 1 token, got \(seqLen)") }
      return .tokens(length: seqLen)
    }
  }

  /// "1x28x28" (or "1×28×28") → 1 channel of 28×28.
  static func parseImage(_ text: String) throws -> BenchInput {
    let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
      .flatMap { $0.split(separator: "×", omittingEmptySubsequences: false) }.map { Int($0) }
    guard parts.count == 3, let c = parts[0], let h = parts[1], let w = parts[2], c >= 1, h >= 1, w >= 1 else {
      throw PipelineError(
        "--input '\(text)' is not an image shape: expected CxHxW, three whole numbers of at least 1 such as 3x32x32 or 1x28x28"
      )
    }
    return .image(channels: c, height: h, width: w)
  }

  /// One sample's shape as a model takes it ([C, H, W]); nil for token ids.
  public var imageShape: [Int]? {
    if case .image(let c, let h, let w) = self { return [c, h, w] }
    return nil
  }

  /// "3x32x32" or "60 tokens".
  public var description: String {
    switch self {
    case .image(let c, let h, let w): return "\(c)x\(h)x\(w)"
    case .tokens(let n): return "\(n) tokens"
    }
  }
}
